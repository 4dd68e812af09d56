"""SPEC §10 alerts: the rule, evaluation, subscriptions, delivery, SSRF refusals."""
