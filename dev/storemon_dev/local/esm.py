"""The SQS event source mapping, locally: what Lambda's poller does between a queue and a
function.

- long-polls the queue, gathers up to ``BatchSize`` messages (waiting at most
  ``MaximumBatchingWindowInSeconds`` for a full batch);
- invokes the function with the SQS event (``Records``);
- on success deletes the batch; with ``ReportBatchItemFailures`` it keeps the messages named in
  ``batchItemFailures`` (an answer naming an unknown or empty id fails the whole batch); when the
  function raises, the whole batch stays;
- kept messages reappear after the queue's visibility timeout, and the queue's own redrive
  policy moves them to the dead-letter queue after ``maxReceiveCount`` receives.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("storemon_dev.local")

Invoke = Callable[[dict[str, Any]], Any]  # event -> result (raises on function error)


@dataclass
class BatchOutcome:
    """What one delivery did: ids delivered, deleted, and left on the queue; the messages as
    received and the function's answer (None when it raised)."""

    delivered: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    error: str | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    result: Any = None

    @property
    def failed(self) -> bool:
        """Some message of the batch stays on the queue."""
        return bool(self.kept)


def lambda_record(message: dict[str, Any], *, queue_arn: str, region: str) -> dict[str, Any]:
    """One SQS message (ReceiveMessage's shape) as a record of Lambda's SQS event."""
    attributes = {k: str(v) for k, v in (message.get("Attributes") or {}).items()}
    message_attributes = {}
    for name, attr in (message.get("MessageAttributes") or {}).items():
        converted: dict[str, Any] = {
            "stringListValues": list(attr.get("StringListValues") or []),
            "binaryListValues": [
                base64.b64encode(v).decode() for v in attr.get("BinaryListValues") or []
            ],
            "dataType": attr.get("DataType", "String"),
        }
        if "StringValue" in attr:
            converted["stringValue"] = attr["StringValue"]
        if "BinaryValue" in attr:
            converted["binaryValue"] = base64.b64encode(attr["BinaryValue"]).decode()
        message_attributes[name] = converted
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message.get("MD5OfBody", ""),
    }
    if message.get("MD5OfMessageAttributes"):
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    record.update(eventSource="aws:sqs", eventSourceARN=queue_arn, awsRegion=region)
    return record


def failed_ids(result: Any, delivered: list[str]) -> list[str] | None:
    """The message ids a ``ReportBatchItemFailures`` answer asks to keep; ``None`` when the
    answer is invalid, which Lambda treats as a failure of the whole batch."""
    if result is None or result == {}:
        return []
    if not isinstance(result, dict):
        return None  # Lambda: not a partial batch response -> whole batch failed
    failures = result.get("batchItemFailures")
    if failures is None:
        return []
    if not isinstance(failures, list):
        return None
    ids = []
    for item in failures:
        ident = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(ident, str) or not ident or ident not in delivered:
            return None
        ids.append(ident)
    return ids


class SqsEventSource:
    """Delivers one queue's messages to one function. ``poll_once`` runs one cycle (for tests);
    ``start`` runs cycles in a thread until ``stop``."""

    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        queue_arn: str,
        invoke: Invoke,
        *,
        region: str,
        batch_size: int = 10,
        batching_window: float = 0.0,
        report_batch_item_failures: bool = False,
        visibility_timeout: int | None = None,
        wait_seconds: int = 1,
        name: str = "esm",
    ):
        self.sqs = sqs
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.invoke = invoke
        self.region = region
        self.batch_size = max(1, batch_size)
        self.batching_window = max(0.0, batching_window)
        self.report_batch_item_failures = report_batch_item_failures
        self.visibility_timeout = visibility_timeout
        # Lambda waits 20 s per poll; a short wait keeps stop() quick and costs nothing here
        self.wait_seconds = max(0, min(20, wait_seconds))
        self.name = name
        self._stop = threading.Event()
        self._delivering = threading.Event()
        self._thread: threading.Thread | None = None

    # -- one cycle
    def _receive(self, max_messages: int, wait: int) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "QueueUrl": self.queue_url,
            "MaxNumberOfMessages": max(1, min(10, max_messages)),
            "WaitTimeSeconds": wait,
            "MessageSystemAttributeNames": ["All"],
            "MessageAttributeNames": ["All"],
        }
        if self.visibility_timeout is not None:
            kwargs["VisibilityTimeout"] = self.visibility_timeout
        return list(self.sqs.receive_message(**kwargs).get("Messages") or [])

    def receive_batch(self) -> list[dict[str, Any]]:
        messages = self._receive(self.batch_size, self.wait_seconds)
        if not messages:
            return []
        deadline = time.monotonic() + self.batching_window
        while len(messages) < self.batch_size and not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            more = self._receive(self.batch_size - len(messages), min(int(left + 0.999), 20))
            messages.extend(more)
        return messages

    def deliver(self, messages: list[dict[str, Any]]) -> BatchOutcome:
        outcome = BatchOutcome(delivered=[m["MessageId"] for m in messages], messages=messages)
        event = {
            "Records": [
                lambda_record(m, queue_arn=self.queue_arn, region=self.region) for m in messages
            ]
        }
        try:
            result = outcome.result = self.invoke(event)
        except Exception as exc:  # the function failed: the whole batch stays on the queue
            outcome.kept = list(outcome.delivered)
            outcome.error = str(exc)
            log.warning("%s: batch of %d failed: %s", self.name, len(messages), exc)
            return outcome
        keep: list[str] | None = []
        if self.report_batch_item_failures:
            keep = failed_ids(result, outcome.delivered)
        if keep is None:
            log.warning("%s: invalid batchItemFailures %r: batch failed", self.name, result)
            outcome.kept = list(outcome.delivered)
            outcome.error = "invalid partial batch response"
            return outcome
        kept = set(keep)
        outcome.kept = [i for i in outcome.delivered if i in kept]
        outcome.deleted = self._delete([m for m in messages if m["MessageId"] not in kept])
        if outcome.kept:
            log.info("%s: %d of %d messages reported failed", self.name, len(kept), len(messages))
        return outcome

    def _delete(self, messages: list[dict[str, Any]]) -> list[str]:
        """Delete ``messages`` from the queue (10 per call); the ids deleted."""
        deleted: list[str] = []
        for start in range(0, len(messages), 10):
            chunk = messages[start : start + 10]
            answer = self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)
                ],
            )
            for fail in answer.get("Failed") or []:
                log.warning("%s: could not delete a message: %s", self.name, fail)
            ok = {int(s["Id"]) for s in answer.get("Successful") or []}
            deleted.extend(chunk[i]["MessageId"] for i in sorted(ok))
        return deleted

    def poll_once(self) -> BatchOutcome | None:
        messages = self.receive_batch()
        if not messages:
            return None
        self._delivering.set()
        try:
            if self._stop.is_set():  # received while stopping: they reappear, as on a shutdown
                return None
            return self.deliver(messages)
        finally:
            self._delivering.clear()

    # -- the poller thread
    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception as exc:  # the emulator went away, or a transient error
                if self._stop.is_set():
                    break
                log.warning("%s: polling failed: %s", self.name, exc)
                self._stop.wait(1.0)

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop polling; waits for the batch in flight (at most ``timeout`` seconds). True when
        the thread has ended or only waits on ReceiveMessage (it ends by itself when that
        returns, delivering nothing): stopping an idle poller does not wait for its long poll."""
        self._stop.set()
        if self._thread is None:
            return True
        if not self._delivering.is_set():
            self._thread.join(0.05)
            if not self._delivering.is_set():
                return True
        self._thread.join(timeout)
        alive = self._thread.is_alive()
        if not alive:
            self._thread = None
        return not alive
