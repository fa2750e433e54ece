"""The target protocol every scenario is written against, and the values it returns.

A scenario calls AWS operations by service and operation name, with parameters exactly as the
AWS API (and boto3) takes them, optionally as another principal. The target returns an
:class:`Outcome`: success with the response, or the AWS error code. An operation the target lacks
raises :class:`UnsupportedOperation`, which the runner turns into the verdict ``unsupported``
(never ``conformant``).

The reference model's handlers are not here: each service model registers its own
(:mod:`kms_conformance.models`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from kms_conformance.errors import UnsupportedOperation

__all__ = ["Outcome", "Target", "UnsupportedOperation"]


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


class Target(Protocol):
    """Something that executes AWS operations.

    ``principal`` is the ARN of an IAM role (created by the scenario with ``iam:CreateRole``)
    to act as; ``None`` means the target's own administrator identity. boto3 targets assume the
    role; the model evaluates the call as that role's session.
    """

    name: str
    account: str
    region: str
    #: True for the kit's reference model (the specification executed): a config-only rule run there
    #: is the specification's self-check (compliant setups pass it, mutated ones fail it). On any
    #: other target a config-only rule has nothing to observe and is skipped.
    is_reference: bool

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
