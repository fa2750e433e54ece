"""Scenario steps every spec module shares: make a role, a key, a grant; call as a principal.

A scenario runs the same steps on the reference model and on the target under test, so the steps
only use :meth:`Target.call` and :meth:`Target.unique`. Names are fresh per call (targets are never
reset between examples, DESIGN.md principle 7), and everything is created with the run's tags so
``kms-conformance sweep`` finds leftovers (principle 5).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kms_conformance.kms.keys import default_key_policy  # one home; specs call steps.default_key_policy
from kms_conformance.targets import recording
from kms_conformance.targets.base import Outcome, Target


class StepFailed(Exception):
    """A stage step that must succeed (for example CreateRole), or a control step that must answer
    ``expected``, did not. On the reference model the runner records the rule as ``error`` (a kit
    defect); on a target as ``inconclusive`` (the rule's subject was never reached), unless the step
    is the rule's own subject."""

    def __init__(self, step: str, outcome: Outcome, expected: str = "OK", role: str = "stage") -> None:
        super().__init__(f"{step} failed: {outcome.code}: {outcome.message}")
        self.step = step
        self.outcome = outcome
        self.expected = expected
        self.role = role


def must(step: str, outcome: Outcome) -> Outcome:
    """Return the outcome of a stage step, or raise :class:`StepFailed`. The call is recorded as a
    ``stage`` call in the findings of a report."""
    recording.mark(outcome, "stage")
    if not outcome.ok:
        raise StepFailed(step, outcome)
    return outcome


def control(step: str, outcome: Outcome, expected_code: str = "OK") -> Outcome:
    """Return the outcome of a control step (a call the scenario makes to check its own footing,
    not the rule's subject), or raise :class:`StepFailed` when its code is not ``expected_code``.
    The call is recorded as a ``control`` call in the findings of a report."""
    recording.mark(outcome, "control")
    if outcome.code != expected_code:
        raise StepFailed(step, outcome, expected=expected_code, role="control")
    return outcome


def account_root(target: Target) -> str:
    """``arn:aws:iam::ACCOUNT:root`` of the target's account."""
    return f"arn:aws:iam::{target.account}:root"


def new_role(
    target: Target,
    prefix: str = "role",
    *,
    services: Sequence[str] = (),
    inline_policies: Mapping[str, Mapping[str, Any]] | None = None,
) -> str:
    """Create a role trusted by the target's account (so the kit can assume it) and by the given
    service principals (``forecast.amazonaws.com``); attach the inline policies. Returns its ARN."""
    name = target.unique(prefix)
    principal: dict[str, Any] = {"AWS": account_root(target)}
    if services:
        principal["Service"] = list(services)
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]}
    out = must("iam:CreateRole", target.call("iam", "CreateRole", {
        "RoleName": name, "AssumeRolePolicyDocument": json.dumps(trust)}))
    arn = str(out.value["Role"]["Arn"])
    for policy_name, doc in (inline_policies or {}).items():
        must("iam:PutRolePolicy", target.call("iam", "PutRolePolicy", {
            "RoleName": name, "PolicyName": policy_name, "PolicyDocument": json.dumps(doc)}))
    return arn


def new_key(
    target: Target,
    policy: Mapping[str, Any] | None = None,
    *,
    key_spec: str = "SYMMETRIC_DEFAULT",
    key_usage: str = "ENCRYPT_DECRYPT",
    multi_region: bool = False,
    description: str = "kms-conformance",
) -> dict[str, Any]:
    """Create a customer managed key with ``policy`` (the default key policy when None) and
    return its ``KeyMetadata``. The policy lockout safety check applies, as in AWS: a policy that
    would lock the administrator out is refused unless it still lets the account manage the key.

    On a target with ``public_policy_guard`` (the ``aws`` target on anything but a proven emulator)
    a policy :func:`is_public_policy` says is public is never sent: the example is filtered out
    (Hypothesis ``reject``) and counted by the target's ``filtered_public_policy()``."""
    if policy is not None and getattr(target, "public_policy_guard", False) and is_public_policy(policy):
        from hypothesis import reject

        target.filtered_public_policy()  # type: ignore[attr-defined]
        reject()
    params: dict[str, Any] = {
        "Description": description,
        "KeySpec": key_spec,
        "KeyUsage": key_usage,
        "MultiRegion": multi_region,
        "Policy": json.dumps(policy if policy is not None else default_key_policy(target.account)),
    }
    out = must("kms:CreateKey", target.call("kms", "CreateKey", params))
    return dict(out.value["KeyMetadata"])


def _principals(principal: Any) -> list[str]:
    if isinstance(principal, str):
        return [principal]
    if isinstance(principal, Mapping):
        out: list[str] = []
        for value in principal.values():
            out.extend([value] if isinstance(value, str) else [str(v) for v in value]
                       if isinstance(value, list | tuple) else [])
        return out
    return []


def is_public_policy(policy: Mapping[str, Any]) -> bool:
    """Whether a key policy has an ``Allow`` statement for everyone (``Principal: "*"`` or
    ``{"AWS": "*"}``, "AWS JSON policy elements: Principal", IAM User Guide) without a ``Condition``,
    or any ``NotPrincipal`` allow (everyone but someone): on a real account such a key is open to
    every AWS account.

    >>> is_public_policy({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*"}]})
    True
    """
    statements = policy.get("Statement", [])
    if isinstance(statements, Mapping):
        statements = [statements]
    for st in statements if isinstance(statements, list) else []:
        if not isinstance(st, Mapping) or st.get("Effect") != "Allow" or st.get("Condition"):
            continue
        if "NotPrincipal" in st or "*" in _principals(st.get("Principal")):
            return True
    return False


def kms(target: Target, operation: str, params: Mapping[str, Any], principal: str | None = None) -> Outcome:
    """One KMS call as ``principal`` (a role ARN; None: the administrator)."""
    return target.call("kms", operation, params, principal=principal)


def fill(template: Any, values: Mapping[str, str]) -> Any:
    """Substitute ``<<NAME>>`` placeholders in a generated document (strings anywhere inside dicts
    and lists) with run-time values such as the ARN of a role the scenario just created.

    Strategies cannot know the ids a target assigns, so behaviour examples are templates:
    ``{"Principal": {"AWS": "<<ROLE>>"}}`` filled with ``{"ROLE": role_arn}``.
    Unknown placeholders are left as they are.

    >>> fill({"a": ["<<ROLE>>/x"]}, {"ROLE": "arn:aws:iam::1:role/r"})
    {'a': ['arn:aws:iam::1:role/r/x']}
    """
    if isinstance(template, str):
        for name, value in values.items():
            template = template.replace(f"<<{name}>>", value)
        return template
    if isinstance(template, Mapping):
        return {fill(k, values): fill(v, values) for k, v in template.items()}
    if isinstance(template, list | tuple):
        return [fill(v, values) for v in template]
    return template


# --- creations the service may accept and fail later ---------------------------------------------

#: How long :func:`settle` waits for an accepted creation to reach a final status, and between polls.
SETTLE_SECONDS = 1800.0
POLL_SECONDS = 15.0
#: Consecutive failed polls (a new resource may not be visible at once) before the fact is ``unknown``.
POLL_ERRORS = 3


@dataclass(frozen=True)
class Settled:
    """What became of a create call: ``fact`` ``"OK"`` (accepted and reached its created status),
    ``"fails"`` (refused, or accepted and ended in a failed status), ``"pending"`` (still
    creating when the wait ran out) or ``"unknown"`` (the status could not be read); ``detail`` is
    the error code, or the final status and failure reason (never compared: it holds generated
    text); ``outcome`` the create call's own outcome."""

    fact: str
    detail: str
    outcome: Outcome

    @property
    def ok(self) -> bool:
        return self.fact == "OK"


#: What a status poll returns: the resource's status (None when it is not there) and failure reason.
Status = tuple[str | None, str]


def settle(
    created: Outcome,
    poll: Callable[[], Outcome],
    status: Callable[[Mapping[str, Any]], Status],
    *,
    done: Collection[str],
    failed: Collection[str],
    wait: float | None = None,
    interval: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Settled:
    """Reduce a create call to one fact. CreateFeatureGroup, CreateCollection, CreateEnvironment and
    CreateDataset may accept a request and fail afterwards (their status ends ``CreateFailed``,
    ``FAILED``, ``CREATE_FAILED`` with a failure reason): either way "the operation fails". After an
    accepted call, ``poll`` (the Describe/Get/BatchGet call) runs until ``status`` of its response is
    in ``done`` or ``failed``, at most ``wait`` seconds (:data:`SETTLE_SECONDS`), polling every
    ``interval`` (:data:`POLL_SECONDS`). Every target is polled alike; the reference
    model answers the final status at once.

    >>> ok = Outcome(ok=True)
    >>> settle(Outcome(ok=False, error="ValidationException"), lambda: ok, lambda v: ("x", ""),
    ...        done={"ACTIVE"}, failed={"FAILED"}).fact
    'fails'
    >>> settle(ok, lambda: Outcome(ok=True, value={"s": "FAILED"}), lambda v: (v["s"], "no grant"),
    ...        done={"ACTIVE"}, failed={"FAILED"})
    Settled(fact='fails', detail='FAILED: no grant', outcome=Outcome(ok=True, value={}, error=None, message=''))
    """
    if not created.ok:
        return Settled("fails", created.code, created)
    wait = SETTLE_SECONDS if wait is None else wait
    interval = POLL_SECONDS if interval is None else interval
    deadline = clock() + wait
    errors = 0
    while True:
        got = poll()
        state, reason = status(got.value) if got.ok else (None, got.code)
        errors = 0 if got.ok else errors + 1
        if errors >= POLL_ERRORS:
            return Settled("unknown", f"the status poll failed {errors} times: {got.code}", created)
        if state in failed:
            return Settled("fails", f"{state}: {reason}" if reason else str(state), created)
        if state in done:
            return Settled("OK", str(state), created)
        if clock() >= deadline:
            return Settled("pending", f"{state or reason} after {wait:.0f}s", created)
        sleep(interval)
