"""Strategies for KMS grants in the CreateGrant request shape (AWS KMS API Reference, "CreateGrant"
and "GrantConstraints"; AWS KMS Developer Guide, "Grants in AWS KMS").

A generated grant is a dict ``{"KeyId", "GranteePrincipal", "Operations", ["RetiringPrincipal"],
["Constraints"], ["Name"]}`` exactly as ``boto3.client("kms").create_grant(**grant)`` and
``kms_conformance.kms.parse_grant`` take it.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from kms_conformance.kms.grants import (
    COMMON_OPERATIONS,
    ENCRYPTION_CONTEXT_OPERATIONS,
    GRANT_OPERATIONS,
    OPERATIONS_BY_KEY_USAGE,
)
from kms_conformance.strategies.aws import (
    account_ids,
    assumed_role_arns,
    grant_names,
    iam_role_arns,
    key_arns,
    service_principals,
)
from kms_conformance.strategies.policies import encryption_contexts


def grant_operations(
    key_usage: str | None = "ENCRYPT_DECRYPT", constrained: bool = False
) -> SearchStrategy[list[str]]:
    """A non-empty, duplicate-free list of grant operations valid for a key of ``key_usage``
    (any grant operation when None). With ``constrained`` only operations an encryption context
    grant constraint may go with (symmetric cryptographic operations, DescribeKey, RetireGrant,
    CreateGrant). Example: ``["Decrypt", "GenerateDataKey", "DescribeKey"]``.
    """
    if key_usage is None:
        pool = GRANT_OPERATIONS
    elif key_usage in OPERATIONS_BY_KEY_USAGE:
        pool = OPERATIONS_BY_KEY_USAGE[key_usage]
    else:
        raise ValueError(f"unknown KeyUsage {key_usage!r}; known: {', '.join(OPERATIONS_BY_KEY_USAGE)}")
    if constrained:
        pool = tuple(op for op in pool if op in ENCRYPTION_CONTEXT_OPERATIONS + COMMON_OPERATIONS)
    return st.lists(st.sampled_from(pool), min_size=1, max_size=len(pool), unique=True)


def grant_constraints() -> SearchStrategy[dict[str, dict[str, str]]]:
    """A Constraints value with exactly one of EncryptionContextEquals / EncryptionContextSubset,
    1-8 pairs (each constraint holds up to 8 pairs; "CreateGrant").

    Example:
    ``{"EncryptionContextSubset": {"aws:logs:arn": "arn:aws:logs:us-east-1:111122223333:log-group:g"}}``.
    """
    return st.builds(
        lambda kind, ctx: {kind: ctx},
        st.sampled_from(("EncryptionContextEquals", "EncryptionContextSubset")),
        encryption_contexts(min_size=1, max_size=8),
    )


@st.composite
def grants(
    draw: st.DrawFn,
    key_arn: str | None = None,
    account: str | None = None,
    region: str | None = None,
    key_usage: str | None = "ENCRYPT_DECRYPT",
    grantee: str | None = None,
) -> dict[str, Any]:
    """A CreateGrant request. ``KeyId`` is ``key_arn`` (drawn in ``account``/``region`` when None);
    the grantee is a role, an assumed-role session or a service principal (``grantee`` fixes it);
    sometimes a RetiringPrincipal, a Name and an encryption context constraint.

    Example: ``{"KeyId": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-...",
    "GranteePrincipal": "arn:aws:iam::111122223333:role/ROLE_PASSED_TO_FORECAST",
    "Operations": ["Decrypt", "GenerateDataKey"], "Name": "forecast-grant"}``.
    """
    acct = account if account is not None else draw(account_ids())
    key = key_arn if key_arn is not None else draw(key_arns(region=region, account=acct))
    who = grantee if grantee is not None else draw(
        st.one_of(iam_role_arns(acct), assumed_role_arns(acct), service_principals(region=region))
    )
    constrained = key_usage in (None, "ENCRYPT_DECRYPT") and draw(st.booleans())
    grant: dict[str, Any] = {
        "KeyId": key,
        "GranteePrincipal": who,
        "Operations": draw(grant_operations(key_usage, constrained=constrained)),
    }
    if draw(st.booleans()):
        grant["RetiringPrincipal"] = draw(st.one_of(iam_role_arns(acct), service_principals(region=region)))
    if constrained:
        grant["Constraints"] = draw(grant_constraints())
    if draw(st.booleans()):
        grant["Name"] = draw(grant_names())
    return grant
