"""The IAM check: every AWS call a function makes, evaluated against its own role in
template.yaml (docs/iam-check.md). ``policy``: the evaluator; ``calls``: recording calls and
the IAM requests each needs (S3's rule for missing keys included); ``roles``: the template's
roles resolved and the check; ``enforce``: AWS's 403 answers in front of moto."""
