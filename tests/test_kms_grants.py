"""parse_grant ("CreateGrant", "GrantConstraints") and properties of grants under KMS
authorization ("Grants in AWS KMS"): a grant gives its grantee exactly its operations; removing
(revoking) a grant never adds a permission."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kms_conformance.kms import (
    ENCRYPTION_CONTEXT_OPERATIONS,
    GRANT_OPERATIONS,
    Key,
    KmsRequest,
    authorize,
    parse_grant,
)
from kms_conformance.policy import Decision, parse_policy
from kms_conformance.strategies.aws import assumed_role_arns, iam_role_arns, principals
from kms_conformance.strategies.grants import grants
from kms_conformance.strategies.policies import encryption_contexts, identity_policies, key_policies

ACCOUNT = "111122223333"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
FAST = settings(max_examples=60, deadline=None)


def base(**kw: Any) -> dict[str, Any]:
    return {"KeyId": KEY_ARN, "GranteePrincipal": f"arn:aws:iam::{ACCOUNT}:role/R", "Operations": ["Decrypt"], **kw}


def test_parse_grant_reads_the_create_grant_shape() -> None:
    g = parse_grant(base(Operations=["Decrypt", "RetireGrant"], RetiringPrincipal=f"arn:aws:iam::{ACCOUNT}:role/X",
                         Name="forecast-grant", Constraints={"EncryptionContextSubset": {"a": "b"}}))
    assert g.key_arn == KEY_ARN and g.operations == ("Decrypt", "RetireGrant")
    assert g.retiring_principal == f"arn:aws:iam::{ACCOUNT}:role/X" and g.name == "forecast-grant"
    assert g.encryption_context_subset == (("a", "b"),) and g.encryption_context_equals is None
    assert g.issuing_account == f"arn:aws:iam::{ACCOUNT}:root"
    assert len(g.grant_id) == 64 and parse_grant(base()).grant_id == parse_grant(base()).grant_id
    assert g.to_api()["Constraints"] == {"EncryptionContextSubset": {"a": "b"}}


@pytest.mark.parametrize(("raw", "message"), [
    (base(Operations=["Decrypt", "ListGrants"]), "not a grant operation"),
    (base(Operations=[]), "non-empty list"),
    (base(Operations=["Decrypt", "Decrypt"]), "listed twice"),
    (base(Constraints={"EncryptionContextEquals": {"a": "b"}, "EncryptionContextSubset": {"a": "b"}}), "not both"),
    (base(Constraints={"EncryptionContextEquals": {}}), "non-empty map"),
    (base(Operations=["Sign"], Constraints={"EncryptionContextEquals": {"a": "b"}}), "cannot go with Sign"),
    (base(GranteePrincipal=""), "GranteePrincipal"),
    (base(Constraints={"EncryptionContextSubset": {f"k{i}": "v" for i in range(9)}}), "at most 8"),
    (base(Constraints={"EncryptionContextSubset": {"k": "v" * 385}}), "longer than 384"),
    (base(Name="bad name"), "Name"),
    (base(Extra=1), "unknown grant field"),
    ({"GranteePrincipal": "x", "Operations": ["Decrypt"]}, "KeyId"),
])
def test_parse_grant_refuses_bad_grants(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_grant(raw)


def test_parse_grant_checks_operations_against_the_key_usage() -> None:
    with pytest.raises(ValueError, match="not valid for a key with KeyUsage SIGN_VERIFY"):
        parse_grant(base(), key_usage="SIGN_VERIFY")
    assert parse_grant(base(Operations=["Sign"]), key_usage="SIGN_VERIFY").operations == ("Sign",)


# --- properties ------------------------------------------------------------------------------------

NOBODY = parse_policy({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/KeyAdmin"}, "Action": "kms:*",
    "Resource": "*"}]}, origin="key policy")
KEY = Key(arn=KEY_ARN, key_id=KEY_ARN.rsplit("/", 1)[1], account=ACCOUNT, region="us-east-1", policy=NOBODY)


def _caller_of(grantee: str) -> str:
    if ":role/" in grantee:  # act as a session of the role (session ARNs carry no role path)
        account = grantee.split(":")[4]
        return f"arn:aws:sts::{account}:assumed-role/{grantee.rsplit('/', 1)[1]}/s"
    return grantee


def _satisfying_context(grant: Any, extra: dict[str, str]) -> dict[str, str]:
    if grant.encryption_context_equals is not None:
        return dict(grant.encryption_context_equals)
    if grant.encryption_context_subset is not None:
        return {**extra, **dict(grant.encryption_context_subset)}
    return extra


@FAST
@given(grants(key_arn=KEY_ARN, account=ACCOUNT), encryption_contexts(min_size=0, max_size=2))
def test_a_grant_gives_its_grantee_exactly_its_operations(raw: dict[str, Any], extra: dict[str, str]) -> None:
    grant = parse_grant(raw)
    caller = _caller_of(grant.grantee)
    ctx = _satisfying_context(grant, extra)
    for op in GRANT_OPERATIONS:
        if op == "RetireGrant":
            continue  # RetireGrant is decided per grant (tested in test_kms_authorize)
        req = KmsRequest(operation=op, caller=caller, key=KEY, encryption_context=ctx)
        decision = authorize(req, grants=(grant,)).decision
        assert (decision is Decision.ALLOWED) == (op in grant.operations), op
    for op in ("ListGrants", "RevokeGrant", "PutKeyPolicy", "ScheduleKeyDeletion"):
        assert not authorize(KmsRequest(operation=op, caller=caller, key=KEY), grants=(grant,)).allowed


@FAST
@given(grants(key_arn=KEY_ARN, account=ACCOUNT))
def test_a_constrained_grant_refuses_a_context_that_misses_a_pair(raw: dict[str, Any]) -> None:
    grant = parse_grant(raw)
    pairs = grant.encryption_context_equals or grant.encryption_context_subset
    ops = [op for op in grant.operations if op in ENCRYPTION_CONTEXT_OPERATIONS]
    if not pairs or not ops:
        return
    ctx = dict(pairs[1:])  # one pair missing
    req = KmsRequest(operation=ops[0], caller=_caller_of(grant.grantee), key=KEY, encryption_context=ctx)
    assert not authorize(req, grants=(grant,)).allowed


@st.composite
def _cases(draw: st.DrawFn) -> tuple[Any, ...]:
    kp = parse_policy(draw(key_policies(account=ACCOUNT, min_statements=3, max_statements=6)), origin="key policy")
    ids = tuple(parse_policy(p, origin=f"identity {i}")
                for i, p in enumerate(draw(st.lists(identity_policies(account=ACCOUNT), max_size=2))))
    caller = draw(st.one_of(assumed_role_arns(ACCOUNT), iam_role_arns(ACCOUNT), principals(ACCOUNT)))
    grant_list = tuple(parse_grant(g) for g in draw(st.lists(
        grants(key_arn=KEY_ARN, account=ACCOUNT, grantee=None if draw(st.booleans()) else caller),
        min_size=1, max_size=3)))
    op = draw(st.sampled_from([*GRANT_OPERATIONS, "ListGrants", "RevokeGrant", "PutKeyPolicy"]))
    ctx = draw(encryption_contexts(min_size=0, max_size=3))
    return kp, ids, caller, grant_list, op, ctx


@settings(max_examples=30, deadline=None)
@given(_cases(), st.data())
def test_revoking_a_grant_never_adds_permissions(case: tuple[Any, ...], data: st.DataObject) -> None:
    kp, ids, caller, grant_list, op, ctx = case
    key = Key(arn=KEY_ARN, key_id=KEY.key_id, account=ACCOUNT, region="us-east-1", policy=kp)
    req = KmsRequest(operation=op, caller=caller, key=key, encryption_context=ctx)
    before = authorize(req, identity_policies=ids, grants=grant_list)
    drop = data.draw(st.integers(0, len(grant_list) - 1))
    after = authorize(req, identity_policies=ids, grants=grant_list[:drop] + grant_list[drop + 1:])
    if after.allowed:
        assert before.allowed
    if before.decision is Decision.EXPLICITLY_DENIED:
        assert after.decision is Decision.EXPLICITLY_DENIED
