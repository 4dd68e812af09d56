"""The API's OpenAPI document, generated from the code: the routes, parameters and answers the
two HTTP handlers declare (Powertools' OpenAPI support), the request bodies from
:mod:`storemon.service.api_models`.

``python -m storemon_dev.openapi`` prints it; ``make openapi`` writes ``docs/openapi.json``
(a test checks that the committed file matches the code).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from storemon_dev.handlers import load_app

HANDLERS = ("trigger", "get_report", "subscriptions")
TITLE = "storemon report API"
VERSION = "1.0.0"
DESCRIPTION = (
    "Store uptime reports (SPEC §6). Every answer is JSON, errors included "
    '({"error": "...", "status": <code>}), except the 303 redirect to a report\'s CSV.'
)


def _bodies() -> dict[tuple[str, str], Any]:
    from storemon.service import api_models

    return {
        ("post", "/trigger_report"): api_models.TriggerRequest,
        ("post", "/stores/{store_id}/trigger_report"): api_models.StoreTriggerRequest,
        ("post", "/get_report"): api_models.GetReportRequest,
        ("post", "/subscriptions"): api_models.SubscriptionRequest,
    }


def document() -> dict[str, Any]:
    """The whole API's OpenAPI 3 document as a dict."""
    doc: dict[str, Any] = {}
    for name in HANDLERS:
        app = load_app(name).function.openapi_resolver()
        part = json.loads(
            app.get_openapi_json_schema(title=TITLE, version=VERSION, description=DESCRIPTION)
        )
        if not doc:
            doc = part
            continue
        doc["paths"].update(part.get("paths", {}))
        schemas = part.get("components", {}).get("schemas", {})
        doc.setdefault("components", {}).setdefault("schemas", {}).update(schemas)
    _add_bodies(doc)
    _drop_422(doc)
    _add_security(doc)
    doc["paths"] = dict(sorted(doc["paths"].items()))
    return doc


def _add_bodies(doc: dict[str, Any]) -> None:
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for (method, path), model in _bodies().items():
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
        operation = doc["paths"][path][method]
        operation["requestBody"] = {
            # an empty body means "every store, now" to a trigger; get_report needs its id
            "required": bool(schema.get("required")),
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
            },
        }


# template.yaml's HttpApi authorizer (Auth.DefaultAuthorizer), on every route
SECURITY_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": (
        "An access token of the API's issuer (the stack's Cognito user pool by default) with "
        "the scope storemon/api or aws.cognito.signin.user.admin, checked by API Gateway's JWT "
        'authorizer before any function runs: without a valid one, 401 {"message": '
        '"Unauthorized"}. Roles are groups: admin, or store:<store_id> per store an owner may '
        "see (403 otherwise)."
    ),
}


def _add_security(doc: dict[str, Any]) -> None:
    doc.setdefault("components", {}).setdefault("securitySchemes", {})["StoremonJwt"] = (
        SECURITY_SCHEME
    )
    doc["security"] = [{"StoremonJwt": []}]


def _drop_422(doc: dict[str, Any]) -> None:
    """Validation errors are answered 400 here (http.validation_error), not Powertools' 422
    (a route's own 422, an :class:`~storemon.errors.Unprocessable`, stays)."""
    for operations in doc["paths"].values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            if "HTTPValidationError" in json.dumps(responses.get("422", {})):
                responses.pop("422")
    schemas = doc.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)


def text() -> str:
    return json.dumps(document(), indent=2, sort_keys=True) + "\n"


def main() -> None:
    sys.stdout.write(text())


if __name__ == "__main__":
    main()
