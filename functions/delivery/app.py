"""delivery: SQS (the delivery queue) -> one signed webhook POST per message, with partial batch
responses (:mod:`storemon.service.delivery`)."""

from functools import partial

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from storemon.service import delivery
from storemon.service.lambda_entry import lambda_entry
from storemon.service.observability import tracer
from storemon.service.settings import Settings

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@tracer.capture_method
def record_handler(record: SQSRecord, settings: Settings) -> str:
    return delivery.handle_delivery(
        settings,
        record.body,
        receive_count=int(record.attributes.approximate_receive_count or 1),
        receipt_handle=record.receipt_handle,
    )


@lambda_entry
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    handler = partial(record_handler, settings=Settings.from_env())
    return process_partial_response(
        event=event, record_handler=handler, processor=processor, context=context
    )
