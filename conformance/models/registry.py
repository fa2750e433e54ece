"""The table of one service's reference-model operations.

A service model declares ``OPERATIONS = Operations()`` and registers each handler with
``@OPERATIONS("forecast", "CreateDataset")`` (boto3 service name, AWS operation name). A handler
takes ``(world, caller_arn, params)`` with ``params`` exactly as boto3 takes them, returns the
response in the AWS API shape, and raises :class:`kms_conformance.kms.errors.AwsError` for an AWS
error. :mod:`kms_conformance.models` joins the tables of every service (and KMS's own) into the one
the model target reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kms_conformance.kms.world import World

#: The model's handler of one operation: ``(world, caller_arn, params) -> response``.
ModelHandler = Callable[[World, str, Mapping[str, Any]], Mapping[str, Any]]


@dataclass(frozen=True)
class Operations:
    """A service model's handlers by ``(boto3 service, AWS operation)``:
    ``("opensearchserverless", "CreateCollection")``. Registering a pair twice is an error."""

    handlers: dict[tuple[str, str], ModelHandler] = field(default_factory=dict)

    def __call__(self, service: str, operation: str) -> Callable[[ModelHandler], ModelHandler]:
        def register(handler: ModelHandler) -> ModelHandler:
            if (service, operation) in self.handlers:
                raise ValueError(f"model handler for {service}:{operation} registered twice")
            self.handlers[(service, operation)] = handler
            return handler

        return register


#: ``world.services`` key of the model's creation mode: when set, a creation the model would refuse
#: for what it asks of AWS KMS is accepted instead and the resource ends in its failed status with a
#: failure reason (what AWS does when the failure surfaces after the call returned).
ACCEPT_THEN_FAIL = "accept-then-fail"


def accepts_then_fails(world: World) -> bool:
    """Whether the model accepts creations that fail later (:data:`ACCEPT_THEN_FAIL`)."""
    return bool(world.services.get(ACCEPT_THEN_FAIL))
