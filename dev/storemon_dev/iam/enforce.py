"""IAM as AWS enforces it, in front of moto: a call its function's role does not allow is
answered 403 before it reaches moto, and so is a GET or HEAD of a missing object when the role
may not ``s3:ListBucket`` its key (moto would say 404 NoSuchKey).

For tests that need AWS's answers rather than a report of what would differ: the first report
of an input set reading a snapshot that does not exist yet, with and without the permission that
lets S3 say 404. Attach an :class:`Enforcer` to clients as
:class:`~storemon_dev.iam.calls.Recorder` is attached (``storemon.service.aws.add_client_hook``);
:attr:`Enforcer.denied` lists what it refused.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import Any

from storemon_dev.iam.calls import CURRENT_FUNCTION, Call, requests_of
from storemon_dev.iam.roles import RoleBook, Violation


@dataclass
class Enforcer:
    """Answers 403 to the calls of functions that `book`'s roles do not allow."""

    book: RoleBook
    denied: list[Violation] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _probe: Any = None

    def attach(self, client: Any, function: str | None = None) -> None:
        events = client.meta.events
        region = client.meta.region_name or "us-east-1"
        service = client.meta.service_model.service_name
        slot = f"iam_enforced_{id(self)}"

        def stash(params: dict, model: Any, context: dict, **_: Any) -> None:
            owner = function or CURRENT_FUNCTION.get()
            if owner is not None and not context.get("is_presign_request"):
                kept = {k: v for k, v in params.items() if k != "Body"}
                context[slot] = Call(owner, service, model.name, kept, region)

        def check(model: Any, context: dict, **_: Any) -> Any:
            call = context.get(slot)
            if call is None:
                return None
            refusal = self._refusal(call)
            if refusal is None:
                return None
            with self._lock:
                self.denied.append(refusal)
            return _denied_response(service, model.name, str(refusal))

        events.register("before-parameter-build", stash, unique_id=f"iam-stash-{id(self)}")
        events.register("before-call", check, unique_id=f"iam-check-{id(self)}")

    def _refusal(self, call: Call) -> Violation | None:
        needed = requests_of(call, self.book.table_hash_keys())
        for item in needed:
            ok, reason = self.book.decide(call.function, item.request)
            if not ok:
                return Violation(call, item.request, reason)
        if call.service == "s3" and call.operation in ("GetObject", "HeadObject"):
            missing = replace(call, error_code="NoSuchKey")
            [_, listing] = requests_of(missing)
            ok, reason = self.book.decide(call.function, listing.request)
            if not ok and not self._exists(call):
                return Violation(missing, listing.request, reason, listing.because)
        return None

    def _exists(self, call: Call) -> bool:
        """Whether the object of a GET/HEAD exists (asked with the caller's own credentials,
        outside the check, as S3 knows it)."""
        if self._probe is None:
            import boto3

            self._probe = boto3.client("s3")
        args = {"Bucket": call.params["Bucket"], "Key": call.params["Key"]}
        if call.params.get("VersionId"):
            args["VersionId"] = call.params["VersionId"]
        try:
            self._probe.head_object(**args)
        except self._probe.exceptions.ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True


def _denied_response(service: str, operation: str, message: str) -> tuple[Any, dict]:
    """What S3 / DynamoDB / SQS answer a refused call: 403 (HeadObject's has no body: "403")."""
    from botocore.awsrequest import AWSResponse
    from botocore.compat import HTTPHeaders

    code = "AccessDeniedException" if service == "dynamodb" else "AccessDenied"
    code = "403" if operation == "HeadObject" else code
    parsed = {
        "Error": {"Code": code, "Message": f"Access Denied (storemon IAM check: {message})"},
        "ResponseMetadata": {"HTTPStatusCode": 403, "HTTPHeaders": {}},
    }
    return AWSResponse("https://iam-check.invalid/", 403, HTTPHeaders(), None), parsed
