"""A deliberately wrong target, for the kit's own tests: proof that a behaviour rule can fail.

``MutantTarget(inner, flips={("kms", "Decrypt")})`` behaves like ``inner`` except that every call of
a listed operation reports the opposite outcome: a success becomes ``AccessDeniedException``, any
error becomes a success with an empty response. A behaviour rule whose scenario depends on that
operation must find the mutant nonconformant (DESIGN.md principle 4: a rule that can never fail is
a defect).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from kms_conformance.targets.base import Outcome, Target


class MutantTarget:
    """Wraps a target and flips the outcome of the listed ``(service, operation)`` pairs (never the
    reference, even around the model: it is wrong on purpose)."""

    is_reference = False

    def __init__(self, inner: Target, flips: Collection[tuple[str, str]]) -> None:
        self.inner = inner
        self.flips = frozenset(flips)
        self.name = f"mutant({inner.name})"
        self.account = inner.account
        self.region = inner.region

    def call(
        self, service: str, operation: str, params: Mapping[str, Any] | None = None, *, principal: str | None = None
    ) -> Outcome:
        outcome = self.inner.call(service, operation, params, principal=principal)
        if (service, operation) not in self.flips:
            return outcome
        if outcome.ok:
            return Outcome(ok=False, error="AccessDeniedException", message="mutant: flipped success")
        return Outcome(ok=True, value={}, message=f"mutant: flipped {outcome.code}")

    def unique(self, prefix: str) -> str:
        return self.inner.unique(prefix)

    def describe(self) -> Mapping[str, Any]:
        return {**self.inner.describe(), "name": self.name}

    def close(self) -> None:
        self.inner.close()
