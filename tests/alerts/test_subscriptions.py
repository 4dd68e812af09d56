"""Subscriptions through the HTTP API: who may subscribe to which stores, list and delete;
the secret shown once and never stored in a readable form of the API."""

from __future__ import annotations

import base64

import boto3
import pytest

RECEIVER = "http://127.0.0.1:9/hook"  # never delivered to in these tests


@pytest.fixture
def local_receivers(stack, monkeypatch) -> dict:
    monkeypatch.setenv("WEBHOOK_LOCAL_RECEIVERS", "true")
    return stack


def test_an_administrator_subscribes_to_every_store_and_sees_the_secret_once(local_receivers, api):
    status, body, _ = api.post("/subscriptions", json={"url": RECEIVER})
    assert status == 201, body
    assert body["store_ids"] is None and body["min_minutes"] == 0
    assert body["secret"].startswith("whsec_")
    assert len(base64.b64decode(body["secret"].removeprefix("whsec_"))) == 32
    status, listed, _ = api.get("/subscriptions")
    assert status == 200
    [item] = listed["subscriptions"]
    assert item == {k: v for k, v in body.items() if k != "secret"} | {"owner": "admin"}
    assert "secret" not in str(listed) and "signing_key" not in str(listed)


def test_an_owner_subscribes_to_their_own_stores_only(local_receivers, api):
    owner = api.as_user("olivia", stores=("1001", "1002"))
    status, body, _ = owner.post("/subscriptions", json={"url": RECEIVER})
    assert status == 403 and "administrators" in body["error"]
    status, body, _ = owner.post("/subscriptions", json={"url": RECEIVER, "store_ids": ["9999"]})
    assert status == 403 and "9999" in body["error"]
    status, body, _ = owner.post(
        "/subscriptions", json={"url": RECEIVER, "store_ids": ["1002", "1001"], "min_minutes": 30}
    )
    assert status == 201, body
    assert body["store_ids"] == ["1001", "1002"] and body["min_minutes"] == 30
    assert "owner" not in body


def test_owners_list_and_delete_only_their_own(local_receivers, api):
    olivia = api.as_user("olivia", stores=("1001",))
    oscar = api.as_user("oscar", stores=("1001",))
    mine = olivia.post("/subscriptions", json={"url": RECEIVER, "store_ids": ["1001"]})[1]
    theirs = oscar.post("/subscriptions", json={"url": RECEIVER + "2", "store_ids": ["1001"]})[1]
    admins = api.post("/subscriptions", json={"url": RECEIVER + "3"})[1]
    assert [s["id"] for s in olivia.get("/subscriptions")[1]["subscriptions"]] == [mine["id"]]
    assert {s["id"] for s in api.get("/subscriptions")[1]["subscriptions"]} == {
        mine["id"],
        theirs["id"],
        admins["id"],
    }
    status, body, _ = olivia.request("DELETE", f"/subscriptions/{theirs['id']}")
    assert status == 403, body
    status, body, _ = olivia.request("DELETE", f"/subscriptions/{mine['id']}")
    assert (status, body) == (200, {"id": mine["id"], "deleted": True})
    assert olivia.request("DELETE", f"/subscriptions/{mine['id']}")[0] == 404
    assert api.request("DELETE", f"/subscriptions/{theirs['id']}")[0] == 200
    assert [s["id"] for s in api.get("/subscriptions")[1]["subscriptions"]] == [admins["id"]]


@pytest.mark.shared_stack
@pytest.mark.parametrize(
    ("body", "wrong"),
    [
        ({}, "url"),
        ({"url": RECEIVER, "min_minutes": -1}, "min_minutes"),
        ({"url": RECEIVER, "min_minutes": "5"}, "min_minutes"),
        ({"url": RECEIVER, "min_minutes": 1.5}, "min_minutes"),
        ({"url": RECEIVER, "min_minutes": True}, "min_minutes"),
        ({"url": RECEIVER, "store_ids": []}, "store_ids"),
        ({"url": RECEIVER, "colour": "red"}, "colour"),
        ({"url": "not a url"}, "url"),
    ],
)
def test_malformed_subscriptions_are_refused(local_receivers, api, body, wrong):
    status, answer, _ = api.post("/subscriptions", json=body)
    assert status == 400 and wrong in answer["error"]


def test_min_minutes_is_an_integer_as_json_schema_reads_one(local_receivers, api):
    """30.0 is the integer 30 (JSON Schema's "integer", what the document publishes)."""
    status, body, _ = api.post("/subscriptions", json={"url": RECEIVER, "min_minutes": 30.0})
    assert (status, body["min_minutes"]) == (201, 30), body


def test_a_malformed_id_is_refused(local_receivers, api):
    status, body, _ = api.request("DELETE", "/subscriptions/not-a-uuid")
    assert status == 400, body


def test_the_table_keeps_the_signing_key_not_the_secret_text(local_receivers, api):
    body = api.post("/subscriptions", json={"url": RECEIVER})[1]
    item = boto3.client("dynamodb").get_item(
        TableName=local_receivers["subscriptions_table"],
        Key={"subscription_id": {"S": body["id"]}},
    )["Item"]
    assert item["signing_key"]["S"] == body["secret"].removeprefix("whsec_")
    assert "secret" not in item
