"""template.yaml's authorization: a JWT authorizer with scopes on every route of the HTTP API
(what the SAM transform gives CloudFormation), the Cognito pool it creates unless pointed at
another issuer, and the groups claim the functions read."""

from __future__ import annotations

import copy

import pytest

from storemon_dev.local.resources import load_template
from tests.service.helpers import TEMPLATE

DATA = load_template(TEMPLATE)
RESOURCES = DATA["Resources"]
SCOPES = ["storemon/api", "aws.cognito.signin.user.admin"]
FUNCTIONS = (
    "TriggerFunction",
    "WorkerFunction",
    "GetReportFunction",
    "SubscriptionsFunction",
    "DeliveryFunction",
)


def transformed(template: dict) -> dict:
    """The template after the SAM transform (offline), as CloudFormation gets it."""
    from samtranslator.translator.transform import transform

    template = copy.deepcopy(template)
    for logical in FUNCTIONS:
        template["Resources"][logical]["Properties"]["CodeUri"] = "s3://bucket/code.zip"
    template["Resources"]["CommonLayer"]["Properties"]["ContentUri"] = "s3://bucket/layer.zip"

    class Policies:
        @staticmethod
        def load():
            names = (
                "AWSLambdaBasicExecutionRole",
                "AWSXrayWriteOnlyAccess",
                "AWSLambdaSQSQueueExecutionRole",
            )
            return {name: f"arn:aws:iam::aws:policy/{name}" for name in names}

    return transform(template, {}, Policies())["Resources"]


@pytest.fixture(scope="module")
def sam_resources():
    from samtranslator.yaml_helper import yaml_parse

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        return transformed(yaml_parse(TEMPLATE.read_text()))


def test_every_route_has_the_authorizer_with_its_scopes(sam_resources):
    body = sam_resources["HttpApi"]["Properties"]["Body"]
    operations = [(m, p, op) for p, ops in body["paths"].items() for m, op in ops.items()]
    assert len(operations) >= 8  # the SPEC routes and $default
    assert ("x-amazon-apigateway-any-method", "$default") in {(m, p) for m, p, _ in operations}
    for method, path, operation in operations:
        assert operation.get("security") == [{"StoremonJwt": SCOPES}], (method, path)
    scheme = body["components"]["securitySchemes"]["StoremonJwt"]
    authorizer = scheme["x-amazon-apigateway-authorizer"]
    assert authorizer["type"] == "jwt"
    assert authorizer["identitySource"] == "$request.header.Authorization"
    config = authorizer["jwtConfiguration"]
    assert config["issuer"]["Fn::If"][0] == "CreateUserPool"
    assert config["issuer"]["Fn::If"][1] == {
        "Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}"
    }
    assert config["issuer"]["Fn::If"][2] == {"Ref": "AuthIssuer"}
    assert config["audience"]["Fn::If"] == [
        "CreateUserPool",
        [{"Ref": "UserPoolClient"}],
        {"Ref": "AuthAudience"},
    ]


def test_no_event_opts_out_of_the_default_authorizer():
    auth = RESOURCES["HttpApi"]["Properties"]["Auth"]
    assert auth["DefaultAuthorizer"] == "StoremonJwt"
    assert auth["Authorizers"]["StoremonJwt"]["AuthorizationScopes"] == SCOPES
    for logical in FUNCTIONS:
        for event in RESOURCES[logical]["Properties"].get("Events", {}).values():
            assert "Auth" not in event["Properties"], logical


def test_the_user_pool_exists_only_without_an_issuer():
    assert DATA["Conditions"]["CreateUserPool"] == {"Fn::Equals": [{"Ref": "AuthIssuer"}, ""]}
    assert DATA["Parameters"]["AuthIssuer"]["Default"] == ""
    cognito = {k: v for k, v in RESOURCES.items() if v["Type"].startswith("AWS::Cognito::")}
    assert set(cognito) == {
        "UserPool",
        "UserPoolResourceServer",
        "UserPoolClient",
        "UserPoolDomain",
        "AdminGroup",
    }
    assert all(spec.get("Condition") == "CreateUserPool" for spec in cognito.values())
    rule = DATA["Rules"]["AudienceWithIssuer"]
    assert rule["Assertions"][0]["Assert"] == {
        "Fn::Not": [{"Fn::Contains": [{"Ref": "AuthAudience"}, ""]}]
    }


def test_the_pool_makes_access_tokens_for_the_api():
    pool = RESOURCES["UserPool"]["Properties"]
    assert pool["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": True}
    server = RESOURCES["UserPoolResourceServer"]["Properties"]
    assert server["Identifier"] == "storemon"
    assert [s["ScopeName"] for s in server["Scopes"]] == ["api"]
    client = RESOURCES["UserPoolClient"]["Properties"]
    assert client["GenerateSecret"] is False
    assert "ALLOW_USER_PASSWORD_AUTH" in client["ExplicitAuthFlows"]
    assert "storemon/api" in client["AllowedOAuthScopes"]
    assert client["AccessTokenValidity"] == 60
    assert client["TokenValidityUnits"]["AccessToken"] == "minutes"
    assert RESOURCES["AdminGroup"]["Properties"]["GroupName"] == "admin"


def test_functions_read_the_groups_claim_named_by_the_template():
    env = DATA["Globals"]["Function"]["Environment"]["Variables"]
    assert env["AUTH_GROUPS_CLAIM"] == {"Ref": "AuthGroupsClaim"}
    assert DATA["Parameters"]["AuthGroupsClaim"]["Default"] == "cognito:groups"


def test_an_external_issuer_replaces_the_pool(sam_resources):
    # the Cognito resources carry the condition through the transform: CloudFormation drops
    # them when AuthIssuer is set, and the authorizer then takes AuthIssuer / AuthAudience
    for logical in ("UserPool", "UserPoolClient", "UserPoolResourceServer", "AdminGroup"):
        assert sam_resources[logical]["Condition"] == "CreateUserPool"
