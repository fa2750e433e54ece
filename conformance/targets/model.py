"""The ``model`` target: the kit's reference model, pure Python, the oracle of every behaviour rule.

Each call is dispatched to the handler in :func:`kms_conformance.models.operations` (KMS by
``kms_conformance.kms``; IAM/STS and each service by its module in ``kms_conformance.models``). A
handler raises ``kms_conformance.kms.errors.AwsError`` for an AWS error; an operation without a
handler is :class:`UnsupportedOperation` (so a gap in the model shows as ``unsupported``, never as
``conformant``).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from kms_conformance.kms import World
from kms_conformance.kms.errors import AwsError
from kms_conformance.models import operations
from kms_conformance.models.registry import ACCEPT_THEN_FAIL
from kms_conformance.targets.base import Outcome, UnsupportedOperation

DEFAULT_ACCOUNT = "123456789012"


class ModelTarget:
    """One simulated account. State lives in a :class:`kms_conformance.kms.World` and is never reset
    between examples; names are made unique instead (DESIGN.md principle 7)."""

    name = "model"
    is_reference = True

    def __init__(self, account: str = DEFAULT_ACCOUNT, region: str = "us-east-1", *,
                 accept_then_fail: bool = False) -> None:
        """``accept_then_fail``: creations the services may fail after accepting them
        (CreateFeatureGroup...) are accepted and end in their failed status, instead of refused."""
        self.handlers = operations()
        self.account = account
        self.region = region
        self.world = World(account=account, region=region)
        if accept_then_fail:
            self.world.services[ACCEPT_THEN_FAIL] = True
        self._counter = itertools.count(1)

    def call(
        self, service: str, operation: str, params: Mapping[str, Any] | None = None, *, principal: str | None = None
    ) -> Outcome:
        handler = self.handlers.get((service, operation))
        if handler is None:
            raise UnsupportedOperation(service, operation, "the reference model has no handler")
        caller = self.world.admin if principal is None else self.world.session_arn(principal)
        try:
            value = handler(self.world, caller, dict(params or {}))
        except AwsError as exc:
            return Outcome(ok=False, error=exc.code, message=exc.message)
        return Outcome(ok=True, value=dict(value))

    def unique(self, prefix: str) -> str:
        return f"{prefix}-{next(self._counter)}"

    def describe(self) -> Mapping[str, Any]:
        from kms_conformance import __version__

        return {"name": "model", "version": __version__, "endpoint": None, "region": self.region}

    def close(self) -> None:
        return None
