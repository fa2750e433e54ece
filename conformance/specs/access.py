"""Shared access helpers for the config checks of every spec module.

A config rule about access ("the role passed to Forecast needs kms:Decrypt on the key") asks the KMS
reference model (:func:`kms_conformance.kms.authorize`) whether a principal may call an operation on a
key of the setup, with the key's policy, the principal's identity policies and the setup's grants
for that key, and reports each action that is not allowed with the evaluator's explanation. The
decision procedure follows "Key policies in AWS KMS" and "Grants in AWS KMS" (AWS KMS Developer
Guide): the key policy must allow (directly, or by delegating to the account so that an identity
policy can allow), a grant adds its operations, an explicit deny wins.

Public helpers:

- :func:`access_reasons`: one concrete reason per action the principal may not perform.
- :func:`evaluate_access`: the :class:`~kms_conformance.policy.Evaluation` of one action, for rules
  that need the decision itself.
- :func:`key_for`: resolve a key reference (key id, key ARN, alias name, alias ARN) in a setup.
- :func:`is_customer_managed`: whether a key reference can name a customer managed key (not an
  AWS managed ``alias/aws/...`` key, not absent).
- :func:`key_policy`: a setup key's parsed policy (the default key policy when it gives none).
- :func:`kms_key`: the :class:`kms_conformance.kms.Key` the model evaluates for a setup's key.
- :func:`grants_for`, :func:`identity_policies_of`: what the decision uses besides the key policy.
- :func:`caller_of`: the session ARN a role acts as (the caller KMS sees).
- :func:`via_service_name`: ``forecast`` -> ``forecast.us-east-1.amazonaws.com``.
- :func:`expand_actions`: ``kms:ReEncrypt*`` -> the KMS actions it covers.
- :func:`grants_on_setup_keys`: the setup's grants on keys it describes (what KMS-06 judges).
- :func:`via_service_conditions`, :func:`via_service_in_region`, :func:`condition_value_matches`: the
  ``kms:ViaService`` condition values of the key policies, and the value a service sends (KMS-12).
- :func:`account_principals`, :func:`who_may`: the principals of a key's account that could
  administer it, and which of them may call an action (KMS-17, KMS-18).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any

from kms_conformance.arns import (
    account_of,
    is_aws_managed_key_ref,
    parse_arn,
    parse_role_arn,
    parse_session_arn,
    role_name_of,
    root_arn,
    session_arn,
)
from kms_conformance.kms import Grant, Key, KmsRequest, authorize, default_key_policy
from kms_conformance.policy import Evaluation, Policy, expand_kms_actions, parse_policy, wildcard_match
from kms_conformance.policy.model import Condition, Statement
from kms_conformance.setup import KeySetup, Setup

#: The role session name :func:`caller_of` uses: static checks evaluate a role as one of its
#: sessions, which is what KMS sees when a role (or a service acting as it) calls.
SESSION_NAME = "kms-conformance"

_ENCRYPTION_CONTEXT_PREFIX = "kms:encryptioncontext:"
_DNS_SUFFIX = {"aws-cn": "amazonaws.com.cn"}


@lru_cache(maxsize=64)
def _default_policy(account: str, partition: str) -> Policy:
    return parse_policy(default_key_policy(account, partition), origin="default key policy")


def key_policy(key: KeySetup) -> Policy:
    """The key's policy; the default key policy when the setup gives none (``policy: null``), which
    is what CreateKey attaches when called without a policy ("Default key policy")."""
    if key.policy is not None:
        policy: Policy = key.policy
        return policy
    return _default_policy(key.account, key.partition)


def kms_key(key: KeySetup) -> Key:
    """The reference model's :class:`~kms_conformance.kms.Key` for a key of the setup."""
    return Key(
        arn=key.arn, key_id=key.key_id, account=key.account, region=key.region, key_spec=key.key_spec,
        key_usage=key.key_usage, origin=key.origin, multi_region=key.multi_region, state=key.key_state,
        policy=key_policy(key), aliases=key.aliases,
    )


def key_for(setup: Setup, ref: str | None) -> KeySetup | None:
    """The setup's key that ``ref`` names (key id, key ARN, alias name ``alias/x`` or alias ARN), as
    KMS resolves a ``KeyId`` parameter; None when the setup does not describe it (or ``ref`` is None).

    >>> key_for(setup, "alias/forecast") is setup.keys[0]   # doctest: +SKIP
    True
    """
    if not ref:
        return None
    return setup.find_key(ref)


def is_customer_managed(ref: str | None) -> bool:
    """Whether a key reference can name a customer managed key: not empty, and not an AWS managed
    key's alias (``alias/aws/...``, or its alias ARN: :func:`kms_conformance.arns.is_aws_managed_key_ref`).
    AWS managed keys are created by services and their key policies cannot be changed ("AWS KMS
    keys", AWS KMS Developer Guide: AWS managed keys).

    >>> is_customer_managed("alias/aws/forecast"), is_customer_managed("alias/my-key")
    (False, True)
    >>> is_customer_managed("arn:aws:kms:us-east-1:111122223333:alias/aws/sagemaker")
    False
    """
    return bool(ref and ref.strip()) and not is_aws_managed_key_ref(ref)


def caller_of(principal: str) -> str:
    """The principal KMS sees when ``principal`` calls: an IAM role acts through a session
    (``arn:aws:sts::A:assumed-role/NAME/kms-conformance``); anything else is itself.

    >>> caller_of("arn:aws:iam::111122223333:role/service-role/R")
    'arn:aws:sts::111122223333:assumed-role/R/kms-conformance'
    """
    role = parse_role_arn(principal)
    if role is None:
        return principal
    return session_arn(role.partition, role.account, role.resource_id, SESSION_NAME)


def identity_policies_of(setup: Setup, principal: str) -> tuple[Policy, ...]:
    """The identity policies of ``principal`` in the setup: those listed under its ARN; for an
    assumed-role session, those of its role (matched by role name, as the session ARN drops the
    role's path)."""
    own = tuple(setup.identity_policies.get(principal, ()))
    session = parse_session_arn(principal)
    if session is None:
        return own
    found: list[Policy] = list(own)
    for arn, policies in setup.identity_policies.items():
        role = parse_role_arn(arn)
        if role is not None and role.account == session.account and role.resource_id == role_name_of(principal):
            found.extend(policies)
    return tuple(found)


def grants_for(setup: Setup, key: KeySetup) -> tuple[Grant, ...]:
    """The setup's grants on ``key`` (a grant's ``KeyId`` may be the key id, ARN or an alias; the
    grants returned carry the key ARN, as KMS records them)."""
    out = []
    for grant in setup.grants:
        ref = str(grant.key_arn)
        if ref in (key.arn, key.key_id) or setup.find_key(ref) is key:
            out.append(grant if grant.key_arn == key.arn else replace(grant, key_arn=key.arn))
    return tuple(out)


def via_service_name(service: str | None, region: str, partition: str = "aws") -> str | None:
    """A ``kms:ViaService`` value ("AWS KMS condition keys": ``SERVICE.REGION.amazonaws.com``);
    a short service name (``forecast``, ``aoss``) is expanded for ``region``, a full one kept.

    >>> via_service_name("forecast", "us-east-1")
    'forecast.us-east-1.amazonaws.com'
    """
    if service is None:
        return None
    if "." in service:
        return service
    return f"{service}.{region}.{_DNS_SUFFIX.get(partition, 'amazonaws.com')}"


def expand_actions(actions: Sequence[str]) -> list[str]:
    """Operation names for the actions a page lists: ``kms:Decrypt`` -> ``Decrypt``; a pattern
    (``kms:ReEncrypt*``, ``kms:GenerateDataKey*``) -> every KMS action it matches, in order, without
    repeats. IAM action names are case-insensitive; ``*``/``?`` are IAM wildcards.

    >>> expand_actions(["kms:ReEncrypt*", "Decrypt"])
    ['ReEncryptFrom', 'ReEncryptTo', 'Decrypt']
    """
    out: list[str] = []
    for action in actions:
        pattern = action if action.lower().startswith("kms:") else f"kms:{action}"
        matched = [a.split(":", 1)[1] for a in expand_kms_actions(pattern)]
        if not matched and "*" not in pattern and "?" not in pattern:
            matched = [pattern.split(":", 1)[1]]  # not a known action: evaluated as written (and denied)
        out.extend(a for a in matched if a not in out)
    return out


def _split_context(context: Mapping[str, str | Sequence[str]] | None) -> tuple[dict[str, str], dict[str, Any]]:
    """``kms:EncryptionContext:K`` entries become the request's encryption context pair K; the rest
    are extra condition keys (``aws:SourceIp``, ``kms:GrantIsForAWSResource``...)."""
    encryption: dict[str, str] = {}
    extra: dict[str, Any] = {}
    for k, v in (context or {}).items():
        if k.lower().startswith(_ENCRYPTION_CONTEXT_PREFIX) and isinstance(v, str):
            encryption[k[len(_ENCRYPTION_CONTEXT_PREFIX):]] = v
        else:
            extra[k] = v if isinstance(v, str) else tuple(v)
    return encryption, extra


def evaluate_access(
    setup: Setup,
    key: KeySetup,
    principal: str,
    action: str,
    *,
    via_service: str | None = None,
    context: Mapping[str, str | Sequence[str]] | None = None,
) -> Evaluation:
    """The reference model's decision on ``principal`` calling ``action`` (``Decrypt`` or
    ``kms:Decrypt``) on ``key``, as :func:`access_reasons` evaluates it."""
    operation = expand_actions([action])[0]
    encryption, extra = _split_context(context)
    caller = caller_of(principal)
    request = KmsRequest(
        operation=operation,
        caller=caller,
        key=kms_key(key),
        encryption_context=encryption,
        via_service=via_service_name(via_service, setup.region, key.partition),
        grant=None,
        extra_context=extra,
    )
    return authorize(request, identity_policies=identity_policies_of(setup, caller), grants=grants_for(setup, key))


def describe_request(
    principal: str,
    operation: str,
    key: KeySetup,
    *,
    via_service: str | None = None,
    context: Mapping[str, str | Sequence[str]] | None = None,
    region: str | None = None,
) -> str:
    """``arn:...:role/R calling kms:Decrypt on arn:...:key/K via forecast.us-east-1.amazonaws.com
    with kms:EncryptionContext:aws:logs:arn=...``: the request part of a reason."""
    text = f"{principal} calling kms:{operation} on {key.arn}"
    via = via_service_name(via_service, region or key.region, key.partition)
    if via:
        text += f" via {via}"
    if context:
        pairs = ", ".join(f"{k}={v if isinstance(v, str) else list(v)}" for k, v in sorted(context.items()))
        text += f" with {pairs}"
    return text


def access_reasons(
    setup: Setup,
    key: KeySetup,
    principal: str,
    actions: Sequence[str],
    *,
    via_service: str | None = None,
    context: Mapping[str, str | Sequence[str]] | None = None,
) -> list[str]:
    """One reason per action that the KMS reference model does not allow ``principal`` on ``key``.

    ``actions`` are KMS actions as the pages list them (``kms:Decrypt``, ``Decrypt``, or a pattern
    such as ``kms:GenerateDataKey*``, expanded to every action it covers). The decision uses the
    key's policy (the default key policy when the setup gives none), the principal's identity
    policies in ``setup.identity_policies`` (an IAM role is evaluated as one of its sessions, with
    the role's policies) and ``setup.grants`` on the key. ``via_service`` is the service the call
    comes through (``forecast`` or ``forecast.us-east-1.amazonaws.com``: the ``kms:ViaService``
    value); ``context`` adds condition keys, ``kms:EncryptionContext:K`` entries being the request's
    encryption context.

    Each reason names the principal, the action, the key ARN, the service and conditions, the
    decision and the statements that decided it, e.g. ``arn:aws:iam::111122223333:role/R calling
    kms:CreateGrant on arn:aws:kms:...:key/K via forecast.us-east-1.amazonaws.com: ImplicitlyDenied
    (no statement of the key policy allows it ...)``.
    """
    reasons = []
    for operation in expand_actions(actions):
        evaluation = evaluate_access(setup, key, principal, operation, via_service=via_service, context=context)
        if evaluation.allowed:
            continue
        what = describe_request(principal, operation, key, via_service=via_service, context=context,
                                region=setup.region)
        reasons.append(f"{what}: {_decision_text(evaluation)}")
    return reasons


def grants_on_setup_keys(setup: Setup) -> list[tuple[int, Grant, KeySetup]]:
    """(index in ``grants``, grant, key) of each grant of the setup on a key the setup describes."""
    out = []
    for i, grant in enumerate(setup.grants):
        key = setup.find_key(str(grant.key_arn))
        if key is not None:
            out.append((i, grant, key))
    return out


#: A ``kms:ViaService`` value: ``SERVICE.REGION.amazonaws.com`` ("kms:ViaService", AWS KMS condition
#: keys), ``.amazonaws.com.cn`` in China; ``*`` and ``?`` in SERVICE for ``StringLike``.
_VIA_VALUE = re.compile(r"^(?P<service>[a-z0-9*?-]+)\.(?P<region>[^.]+)\.(?P<suffix>amazonaws\.com(?:\.cn)?)$")
#: Condition operators (base names, lower case) whose values say which requests a statement covers.
_POSITIVE = ("stringequals", "stringequalsignorecase", "stringlike")


def via_service_conditions(setup: Setup) -> list[tuple[str, KeySetup, Statement, Condition, str]]:
    """(where, key, statement, condition, value) of every positive kms:ViaService condition value
    in the setup's key policies."""
    found: list[tuple[str, KeySetup, Statement, Condition, str]] = []
    for i, key in enumerate(setup.keys):
        if key.policy is None:
            continue
        for stmt in key.policy.statements:
            for cond in stmt.conditions:
                if cond.key.lower() == "kms:viaservice" and cond.base.lower() in _POSITIVE:
                    sid = f" (Sid {stmt.sid!r})" if stmt.sid else ""
                    where = f"keys[{i}].policy Statement[{stmt.index}]{sid} {cond.operator}"
                    found.extend((where, key, stmt, cond, v) for v in cond.values)
    return found


def via_service_in_region(value: str, region: str) -> str | None:
    """The kms:ViaService value the service ``value`` names sends when it calls KMS in ``region``;
    None when ``value`` is not ``SERVICE.REGION.amazonaws.com``.

    >>> via_service_in_region("forecast.region.amazonaws.com", "us-east-1")
    'forecast.us-east-1.amazonaws.com'
    >>> via_service_in_region("forecast", "us-east-1") is None
    True
    """
    m = _VIA_VALUE.match(value)
    return None if m is None else f"{m['service']}.{region}.{m['suffix']}"


def condition_value_matches(operator_base: str, value: str, actual: str) -> bool:
    """Whether a condition value matches a request's value under a string operator (base name:
    ``StringLike`` with wildcards, ``StringEqualsIgnoreCase``, else ``StringEquals``)."""
    base = operator_base.lower()
    if base == "stringlike":
        return wildcard_match(value, actual)
    return value.lower() == actual.lower() if base == "stringequalsignorecase" else value == actual


def account_principals(key: KeySetup) -> list[str]:
    """The account principal and every IAM principal of the key's account an Allow statement of
    the key policy names: the candidates for administering the key."""
    found: list[str] = [root_arn(key.partition, key.account)]
    for stmt in key_policy(key).statements:
        if stmt.effect != "Allow" or stmt.principal is None:
            continue
        for value in stmt.principal.aws:
            arn = parse_arn(value)
            if (arn is not None and arn.service in ("iam", "sts") and not arn.region
                    and account_of(value) == key.account and arn.resource != "root" and value not in found):
                found.append(value)
    return found


def who_may(setup: Setup, key: KeySetup, action: str) -> list[str]:
    """The principals of :func:`account_principals` the model allows ``action`` on the key."""
    return [p for p in account_principals(key) if evaluate_access(setup, key, p, action).allowed]


def _decision_text(evaluation: Evaluation) -> str:
    """``ImplicitlyDenied: <reason>; <policy> Statement[1] Sid 'x': Deny`` on one line."""
    lines = [line.strip() for line in evaluation.explain().splitlines() if line.strip()]
    return "; ".join(lines) or str(getattr(evaluation.decision, "value", evaluation.decision))


__all__ = [
    "SESSION_NAME", "access_reasons", "account_principals", "caller_of", "condition_value_matches",
    "describe_request", "evaluate_access", "expand_actions", "grants_for", "grants_on_setup_keys",
    "identity_policies_of", "is_customer_managed", "key_for", "key_policy", "kms_key", "via_service_conditions",
    "via_service_in_region", "via_service_name", "who_may",
]
