"""The target protocol every scenario is written against, and the values it returns.

A scenario calls AWS operations by service and operation name, with parameters exactly as the
AWS API (and boto3) takes them, optionally as another principal. The target returns an
:class:`Outcome`: success with the response, or the AWS error code. An operation the target lacks
raises :class:`UnsupportedOperation`, which the runner turns into the verdict ``unsupported``
(never ``conformant``).

The reference model's operation handlers are registered here with :func:`model_operation`, so
that spec modules (which own each service's reference behaviour) can register them without
importing the model target itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Outcome:
    """What one AWS call did: ``ok`` with the response (``ResponseMetadata`` dropped), or the
    error ``code`` (``AccessDeniedException``, ``ValidationException``, ...) and its message."""

    ok: bool
    value: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None
    message: str = ""

    @property
    def code(self) -> str:
        """``"OK"`` or the error code: the usual fact a scenario compares."""
        return "OK" if self.ok else (self.error or "UnknownError")


class UnsupportedOperation(Exception):
    """The target lacks ``service:operation`` (moto's NotImplementedError, 'Not yet implemented',
    an unknown service such as MWAA in moto 5.2)."""

    def __init__(self, service: str, operation: str, detail: str = "") -> None:
        super().__init__(f"{service}:{operation} is not supported by the target" + (f" ({detail})" if detail else ""))
        self.service = service
        self.operation = operation
        self.detail = detail

    @property
    def name(self) -> str:
        return f"{self.service}:{self.operation}"


class Target(Protocol):
    """Something that executes AWS operations.

    ``principal`` is the ARN of an IAM role (created by the scenario with ``iam:CreateRole``)
    to act as; ``None`` means the target's own administrator identity. boto3 targets assume the
    role; the model evaluates the call as that role's session.
    """

    name: str
    account: str
    region: str

    def call(
        self, service: str, operation: str, params: Mapping[str, Any] | None = None, *, principal: str | None = None
    ) -> Outcome: ...

    def unique(self, prefix: str) -> str:
        """A fresh resource name for this run (targets never reset state per example)."""
        ...

    def describe(self) -> Mapping[str, Any]:
        """Name, version and endpoint for the report (never credentials)."""
        ...

    def close(self) -> None: ...


#: The model's handler of one operation: ``(world, caller_arn, params) -> response``.
#: It raises ``kms_conformance.kms.errors.AwsError(code, message)`` for an AWS error.
ModelHandler = Callable[[Any, str, Mapping[str, Any]], Mapping[str, Any]]

MODEL_OPERATIONS: dict[tuple[str, str], ModelHandler] = {}


def model_operation(service: str, operation: str) -> Callable[[ModelHandler], ModelHandler]:
    """Register the reference model's handler of ``service:operation`` (boto3 service name,
    AWS operation name: ``("opensearchserverless", "CreateCollection")``)."""

    def register(handler: ModelHandler) -> ModelHandler:
        key = (service, operation)
        if key in MODEL_OPERATIONS:
            raise ValueError(f"model handler for {service}:{operation} registered twice")
        MODEL_OPERATIONS[key] = handler
        return handler

    return register
