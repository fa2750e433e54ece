"""Scenario steps every spec module shares: make a role, a key, a grant; call as a principal.

A scenario runs the same steps on the reference model and on the target under test, so the steps
only use :meth:`Target.call` and :meth:`Target.unique`. Names are fresh per call (targets are never
reset between examples, DESIGN.md principle 7), and everything is created with the run's tags so
``kms-conformance sweep`` finds leftovers (principle 5).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from kms_conformance.kms.keys import default_key_policy  # one home; specs call steps.default_key_policy
from kms_conformance.targets.base import Outcome, Target


class StepFailed(Exception):
    """A setup step that must succeed did not (for example CreateRole). The runner records the
    rule as ``error`` on the model (a kit defect) and as what the target did on a target."""

    def __init__(self, step: str, outcome: Outcome) -> None:
        super().__init__(f"{step} failed: {outcome.code}: {outcome.message}")
        self.step = step
        self.outcome = outcome


def must(step: str, outcome: Outcome) -> Outcome:
    """Return the outcome of a setup step, or raise :class:`StepFailed`."""
    if not outcome.ok:
        raise StepFailed(step, outcome)
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
    would lock the administrator out is refused unless it still lets the account manage the key."""
    params: dict[str, Any] = {
        "Description": description,
        "KeySpec": key_spec,
        "KeyUsage": key_usage,
        "MultiRegion": multi_region,
        "Policy": json.dumps(policy if policy is not None else default_key_policy(target.account)),
    }
    out = must("kms:CreateKey", target.call("kms", "CreateKey", params))
    return dict(out.value["KeyMetadata"])


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
