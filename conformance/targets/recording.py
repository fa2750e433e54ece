"""A target that records the calls a scenario makes through it, for the findings of a report.

The runner runs each example's scenario on a :class:`RecordingTarget` wrapped around the target
under test (and one around the reference model). Every call is kept as sent: service, operation,
the parameters with every value resolved (role ARNs, names, JSON policy strings), the principal
(None: the target's administrator) and the outcome. A scenario step marks the role of a call by its
outcome (:func:`mark`): ``stage`` for a step that must succeed (``scenarios.steps.must``),
``control`` for a check on the way (``scenarios.steps.control``); every other call is ``subject``.
:func:`to_calls` turns a recording into the report's :class:`~kms_conformance.verdicts.Call` values,
attaching to each subject call what the reference model answered to the same call.
"""

from __future__ import annotations

import base64
import contextvars
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from kms_conformance.targets.base import Outcome, Target
from kms_conformance.verdicts import Call

#: A response longer than this (JSON characters) keeps only its ids, ARNs, names and status fields.
RESPONSE_LIMIT = 2000
_KEPT_FIELD = re.compile(r"(Id|Ids|Arn|Arns|ARN|Name|Names|Status|State|Code|Token)$")

_ACTIVE: contextvars.ContextVar[RecordingTarget | None] = contextvars.ContextVar("kms_conformance_recording",
                                                                                  default=None)


@dataclass
class Recorded:
    """One call as it was made (mutable only while its role is being marked)."""

    service: str
    operation: str
    params: Mapping[str, Any]
    principal: str | None
    outcome: Outcome
    role: str = "subject"


class RecordingTarget:
    """Wraps a :class:`Target`; forwards everything and records each ``call``. Use as a context
    manager around a scenario so that :func:`mark` finds it."""

    def __init__(self, inner: Target) -> None:
        self.inner = inner
        self.calls: list[Recorded] = []
        self._token: contextvars.Token[RecordingTarget | None] | None = None

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def account(self) -> str:
        return self.inner.account

    @property
    def region(self) -> str:
        return self.inner.region

    @property
    def is_reference(self) -> bool:
        return self.inner.is_reference

    def call(self, service: str, operation: str, params: Mapping[str, Any] | None = None, *,
             principal: str | None = None) -> Outcome:
        outcome = self.inner.call(service, operation, params, principal=principal)
        self.calls.append(Recorded(service, operation, dict(params or {}), principal, outcome))
        return outcome

    def unique(self, prefix: str) -> str:
        return self.inner.unique(prefix)

    def describe(self) -> Mapping[str, Any]:
        return self.inner.describe()

    def close(self) -> None:
        self.inner.close()

    def __getattr__(self, name: str) -> Any:  # anything else a target offers (budgets, notes)
        return getattr(self.inner, name)

    def mark(self, outcome: Outcome, role: str) -> None:
        """Give the (latest) call that returned ``outcome`` the role ``role``."""
        for recorded in reversed(self.calls):
            if recorded.outcome is outcome:
                recorded.role = role
                return

    def __enter__(self) -> RecordingTarget:
        self._token = _ACTIVE.set(self)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _ACTIVE.reset(self._token)
            self._token = None


def mark(outcome: Outcome, role: str) -> None:
    """Mark the call that returned ``outcome`` on the active recording (none: nothing to do)."""
    active = _ACTIVE.get()
    if active is not None:
        active.mark(outcome, role)


def plain(value: Any) -> Any:
    """A JSON-safe copy: bytes as ``{"base64": ...}``, dates as ISO text, anything else by ``repr``."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes | bytearray):
        return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return repr(value)


def _kept(value: Any) -> Any:
    """Only the ids, ARNs, names and status fields of a (large) response, at any depth."""
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if _KEPT_FIELD.search(k) and not isinstance(v, Mapping | list):
                out[k] = v
            elif isinstance(v, Mapping | list):
                inner = _kept(v)
                if inner:
                    out[k] = inner
        return out
    if isinstance(value, list):
        return [x for x in (_kept(v) for v in value) if x]
    return None


def trimmed(response: Mapping[str, Any], limit: int = RESPONSE_LIMIT) -> Any:
    """The response as the report keeps it: JSON-safe, ``ResponseMetadata`` dropped, and cut to its
    ids/ARNs/names/status fields when longer than ``limit`` characters.

    >>> trimmed({"KeyMetadata": {"KeyId": "k", "Description": "x" * 3000}, "ResponseMetadata": {}})
    {'KeyMetadata': {'KeyId': 'k'}, '_trimmed': True}
    """
    value = plain(response)
    if len(json.dumps(value, default=str)) <= limit:
        return value
    kept = _kept(value)
    return {**kept, "_trimmed": True} if isinstance(kept, dict) else {"_trimmed": True}


def _outcome(outcome: Outcome) -> dict[str, str]:
    return {"code": outcome.code, "message": outcome.message}


def response_checks(expected: Any, observed: Any, path: tuple[str | int, ...] = ()) -> list[dict[str, Any]]:
    """What a response of the target lacks that the reference model's answer to the same call has, as
    checks a reproduction can assert: a list of another length (``{"path", "length"}``), a field
    missing (``{"path", "present": True}``), a boolean of the other value (``{"path", "equals"}``).
    Other values (ids, ARNs, dates, names) differ between any two runs and are never compared.

    >>> response_checks({"Grants": [{"GrantId": "a"}], "Truncated": False}, {"Grants": [], "Truncated": False})
    [{'path': ['Grants'], 'length': 1}]
    """
    if isinstance(expected, Mapping):
        if not isinstance(observed, Mapping):
            return []
        out: list[dict[str, Any]] = []
        for key, value in expected.items():
            if key == "ResponseMetadata":
                continue
            if key not in observed:
                out.append({"path": [*path, str(key)], "present": True})
            else:
                out += response_checks(value, observed[key], (*path, str(key)))
        return out
    if isinstance(expected, list | tuple):
        if not isinstance(observed, list | tuple):
            return []
        if len(expected) != len(observed):
            return [{"path": list(path), "length": len(expected)}]
        return [check for i, (e, o) in enumerate(zip(expected, observed, strict=True))
                for check in response_checks(e, o, (*path, i))]
    if isinstance(expected, bool) and isinstance(observed, bool) and expected != observed:
        return [{"path": list(path), "equals": expected}]
    return []


def to_calls(recorded: Sequence[Recorded], reference: Sequence[Recorded] = (), *,
             responses: bool = True) -> tuple[Call, ...]:
    """The report's calls of one example on the target. A subject call gets ``expected``: the code
    the reference model answered to the subject call of the same service and operation at the same
    position among those (the n-th subject ``kms:Decrypt`` against the model's n-th), and when both
    succeeded but the target's response lacks what the model's has, the checks of
    :func:`response_checks` (``expected["checks"]``). ``responses=False``: the codes only (parameters
    as sent, no responses, no checks), enough to tell divergences apart while exploring."""
    answers: dict[tuple[str, str], list[Recorded]] = {}
    for r in reference:
        if r.role == "subject":
            answers.setdefault((r.service, r.operation), []).append(r)
    seen: dict[tuple[str, str], int] = {}
    out = []
    for r in recorded:
        expected: dict[str, Any] | None = None
        if r.role == "subject":
            key = (r.service, r.operation)
            n = seen.get(key, 0)
            seen[key] = n + 1
            model = answers.get(key, [])
            if n < len(model):
                expected = {"code": model[n].outcome.code}
                if responses and model[n].outcome.ok and r.outcome.ok:
                    checks = response_checks(plain(model[n].outcome.value), plain(r.outcome.value))
                    if checks:
                        expected["checks"] = checks
            else:
                expected = {"code": "<not called>"}
        out.append(Call(service=r.service, operation=r.operation, params=plain(r.params) if responses else r.params,
                        principal=r.principal, role=r.role, outcome=_outcome(r.outcome),
                        response=trimmed(r.outcome.value) if responses and r.outcome.ok else None,
                        expected=expected))
    return tuple(out)


#: Why a finding has no standalone reproduction (its summary says so, ``report repro`` refuses it).
NOT_REPRODUCIBLE = ("not reproducible standalone: no call answered differently from the reference model (the facts "
                    "differ in what the calls left unobserved)")


def until_divergence(calls: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The calls a reproduction makes (``calls`` in the report's JSON form): up to the first subject call
    whose code differs from the reference model's, or the stage call that failed (later calls followed the
    target's answer, which a conforming target would not give), else up to the last subject call with
    response checks; empty when no call shows the divergence (:data:`NOT_REPRODUCIBLE`)."""

    def subject(call: Mapping[str, Any]) -> Mapping[str, Any]:
        return (call.get("expected") or {}) if call.get("role") == "subject" else {}

    for i, call in enumerate(calls):
        expected = subject(call)
        code = (call.get("outcome") or {}).get("code")
        if (expected and expected.get("code") != code) or (call.get("role") == "stage" and code != "OK"):
            return list(calls[:i + 1])  # a failed stage ends a scenario: the model completed it (the rule's own)
    last = [i for i, call in enumerate(calls) if subject(call).get("checks")]
    return list(calls[:last[-1] + 1]) if last else []
