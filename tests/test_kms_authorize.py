"""KMS authorization examples from the AWS KMS Developer Guide ("Key policies in AWS KMS",
"Default key policy", "Allowing users in other accounts to use a KMS key", "Grants in AWS KMS",
"GrantConstraints", "Retiring and revoking grants", "AWS KMS condition keys") and page 004
(Data Protection in Amazon Forecast)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from kms_conformance.kms import (
    AwsError,
    Key,
    KmsRequest,
    World,
    authorize,
    default_key_policy,
    kms_call,
    parse_grant,
    policy_request,
    request_context,
)
from kms_conformance.kms.context import LazyPolicyContext
from kms_conformance.kms.world import ADMIN_ROLE
from kms_conformance.models.iam import iam_call
from kms_conformance.policy import Decision, evaluate_policy, make_request, parse_policy
from kms_conformance.policy.evaluate import matching_statements, names_directly, statement_sets
from kms_conformance.strategies.aws import assumed_role_arns
from kms_conformance.strategies.policies import identity_policies, key_policies

ACCOUNT = "111122223333"
OTHER = "444455556666"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/App"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/App/s1"
STRANGER = f"arn:aws:sts::{ACCOUNT}:assumed-role/Stranger/s1"
OTHER_SESSION = f"arn:aws:sts::{OTHER}:assumed-role/Partner/s1"


def policy(*statements: dict[str, Any]) -> Any:
    return parse_policy({"Version": "2012-10-17", "Statement": list(statements)}, origin="p")


def allow(action: str | list[str], resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def key(kp: Any | None = None, **kw: Any) -> Key:
    return Key(arn=KEY_ARN, key_id=KEY_ARN.rsplit("/", 1)[1], account=ACCOUNT, region="us-east-1",
               policy=kp if kp is not None else parse_policy(default_key_policy(ACCOUNT), origin="key policy"), **kw)


def decide(op: str, caller: str, k: Key | None = None, *, ids: tuple[Any, ...] = (), grants: tuple[Any, ...] = (),
           ctx: dict[str, str] | None = None, via: str | None = None, grant: Any = None) -> Decision:
    req = KmsRequest(operation=op, caller=caller, key=k or key(), encryption_context=ctx or {}, via_service=via,
                     grant=grant)
    return authorize(req, identity_policies=ids, grants=grants).decision


# --- key policy and IAM ------------------------------------------------------------------------


def test_default_key_policy_delegates_to_iam() -> None:
    """"Default key policy": the root statement lets IAM policies grant access; without one, no access."""
    assert decide("Decrypt", SESSION) is Decision.IMPLICITLY_DENIED
    assert decide("Decrypt", SESSION, ids=(policy(allow("kms:Decrypt")),)) is Decision.ALLOWED
    assert decide("Encrypt", SESSION, ids=(policy(allow("kms:Decrypt")),)) is Decision.IMPLICITLY_DENIED


def test_account_root_is_allowed_by_the_default_policy_itself() -> None:
    assert decide("PutKeyPolicy", f"arn:aws:iam::{ACCOUNT}:root") is Decision.ALLOWED


def test_key_policy_naming_the_role_allows_without_iam() -> None:
    kp = policy({**allow("kms:Decrypt"), "Principal": {"AWS": ROLE}})
    assert decide("Decrypt", SESSION, key(kp)) is Decision.ALLOWED
    assert decide("Decrypt", STRANGER, key(kp)) is Decision.IMPLICITLY_DENIED
    assert decide("Encrypt", SESSION, key(kp)) is Decision.IMPLICITLY_DENIED


def test_iam_policy_alone_does_not_allow_when_key_policy_does_not_delegate() -> None:
    """"Key policies in AWS KMS": without a key policy statement for the account, IAM policies have no effect."""
    kp = policy({**allow("kms:*"), "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/Admin"}})
    assert decide("Decrypt", SESSION, key(kp), ids=(policy(allow("kms:*")),)) is Decision.IMPLICITLY_DENIED


def test_cross_account_needs_key_policy_and_identity_policy() -> None:
    """"Allowing users in other accounts to use a KMS key": both the key policy and the external IAM policy."""
    kp_other = policy({**allow("kms:Decrypt"), "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}},
                      {**allow("kms:*"), "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}})
    iam = policy(allow("kms:Decrypt", KEY_ARN))
    assert decide("Decrypt", OTHER_SESSION, key(kp_other), ids=(iam,)) is Decision.ALLOWED
    assert decide("Decrypt", OTHER_SESSION, key(kp_other)) is Decision.IMPLICITLY_DENIED
    assert decide("Decrypt", OTHER_SESSION, key(), ids=(iam,)) is Decision.IMPLICITLY_DENIED
    # naming the external role directly still needs its identity policy
    kp_role = policy({**allow("kms:Decrypt"), "Principal": {"AWS": f"arn:aws:iam::{OTHER}:role/Partner"}})
    assert decide("Decrypt", OTHER_SESSION, key(kp_role)) is Decision.IMPLICITLY_DENIED
    assert decide("Decrypt", OTHER_SESSION, key(kp_role), ids=(iam,)) is Decision.ALLOWED


def test_other_accounts_root_named_by_the_key_policy_is_allowed() -> None:
    """"How AWS enforcement code logic evaluates requests to allow or deny access": the root user
    has full access in its own account, so another account's root user needs no identity policy
    there; the key policy must still allow it ("Key policies in AWS KMS": the root user is no
    exception)."""
    other_root = f"arn:aws:iam::{OTHER}:root"
    names_other = {**allow("kms:Decrypt"), "Principal": {"AWS": other_root}}
    kp_other = policy(names_other, {**allow("kms:*"), "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}})
    assert decide("Decrypt", other_root, key(kp_other)) is Decision.ALLOWED
    assert decide("Decrypt", OTHER, key(kp_other)) is Decision.ALLOWED  # the bare account id is its root
    assert decide("Encrypt", other_root, key(kp_other)) is Decision.IMPLICITLY_DENIED
    assert decide("Decrypt", other_root, key()) is Decision.IMPLICITLY_DENIED  # not named: not allowed
    denied = policy(names_other, {"Effect": "Deny", "Principal": {"AWS": other_root}, "Action": "kms:Decrypt",
                                  "Resource": "*"})
    assert decide("Decrypt", other_root, key(denied)) is Decision.EXPLICITLY_DENIED


def test_the_keys_own_root_needs_the_key_policy_too() -> None:
    """"Key policies in AWS KMS": unlike other resources, no principal, the account's root user
    included, may use a KMS key unless the key policy allows it."""
    root = f"arn:aws:iam::{ACCOUNT}:root"
    kp_role_only = policy({**allow("kms:*"), "Principal": {"AWS": ROLE}})
    assert decide("Decrypt", root, key(kp_role_only)) is Decision.IMPLICITLY_DENIED
    assert decide("Decrypt", ACCOUNT, key(kp_role_only)) is Decision.IMPLICITLY_DENIED
    assert decide("Decrypt", root) is Decision.ALLOWED  # the default key policy names the account


def test_explicit_deny_in_identity_policy_beats_key_policy_allow() -> None:
    kp = policy({**allow("kms:Decrypt"), "Principal": {"AWS": ROLE}})
    deny = policy({"Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"})
    assert decide("Decrypt", SESSION, key(kp), ids=(deny,)) is Decision.EXPLICITLY_DENIED


def test_a_service_principal_has_no_identity_policies_to_read() -> None:
    """Identity policies given for a service principal are not read, not even a Deny, and the reason
    says so; a Deny in the key policy still denies the service."""
    service = "forecast.amazonaws.com"
    kp = policy({**allow("kms:Decrypt"), "Principal": {"Service": service}})
    deny = policy({"Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"})
    req = KmsRequest(operation="Decrypt", caller=service, key=key(kp), encryption_context={})
    alone = authorize(req)
    assert alone.decision is Decision.ALLOWED and "not read" not in alone.reason
    given = authorize(req, identity_policies=(deny, deny))
    assert given.decision is Decision.ALLOWED and given.matched == alone.matched
    assert given.reason == alone.reason + " (a service principal has no identity policies: the 2 given were not read)"
    # the same identity Deny still denies a role the key policy names
    assert decide("Decrypt", SESSION, key(policy({**allow("kms:Decrypt"), "Principal": {"AWS": ROLE}})),
                  ids=(deny,)) is Decision.EXPLICITLY_DENIED
    key_deny = policy({**allow("kms:Decrypt"), "Principal": {"Service": service}},
                      {"Effect": "Deny", "Principal": {"Service": service}, "Action": "kms:Decrypt", "Resource": "*"})
    denied = authorize(KmsRequest(operation="Decrypt", caller=service, key=key(key_deny), encryption_context={}),
                       identity_policies=(deny,))
    assert denied.decision is Decision.EXPLICITLY_DENIED and denied.reason.endswith("the 1 given was not read)")


def test_explicit_deny_in_key_policy_beats_grant() -> None:
    kp = policy({**allow("kms:*"), "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}},
                {"Effect": "Deny", "Principal": {"AWS": ROLE}, "Action": "kms:Decrypt", "Resource": "*"})
    g = parse_grant({"KeyId": KEY_ARN, "GranteePrincipal": ROLE, "Operations": ["Decrypt"]})
    assert decide("Decrypt", SESSION, key(kp), grants=(g,)) is Decision.EXPLICITLY_DENIED


# --- grants ------------------------------------------------------------------------------------


def test_grant_allows_exactly_its_operations() -> None:
    g = parse_grant({"KeyId": KEY_ARN, "GranteePrincipal": ROLE, "Operations": ["Decrypt", "DescribeKey"]})
    assert decide("Decrypt", SESSION, grants=(g,)) is Decision.ALLOWED
    assert decide("DescribeKey", SESSION, grants=(g,)) is Decision.ALLOWED
    assert decide("Encrypt", SESSION, grants=(g,)) is Decision.IMPLICITLY_DENIED
    assert decide("Decrypt", STRANGER, grants=(g,)) is Decision.IMPLICITLY_DENIED


@pytest.mark.parametrize("op", ["ListGrants", "RevokeGrant", "PutKeyPolicy", "ScheduleKeyDeletion", "DisableKey",
                                "GetKeyPolicy", "CreateAlias"])
def test_grant_never_allows_management_operations(op: str) -> None:
    """"Controlling access to grants": ListGrants, RevokeGrant... only through policies."""
    g = parse_grant({"KeyId": KEY_ARN, "GranteePrincipal": ROLE, "Operations": ["Decrypt", "CreateGrant"]})
    assert decide(op, SESSION, grants=(g,)) is Decision.IMPLICITLY_DENIED


def test_grant_of_another_key_does_not_apply() -> None:
    g = parse_grant({"KeyId": KEY_ARN.replace("1234abcd", "9999abcd"), "GranteePrincipal": ROLE,
                     "Operations": ["Decrypt"]})
    assert decide("Decrypt", SESSION, grants=(g,)) is Decision.IMPLICITLY_DENIED


def test_encryption_context_equals_is_exact() -> None:
    """"GrantConstraints": EncryptionContextEquals: the request's context is exactly the grant's;
    in a grant constraint the key is not case sensitive, the value is."""
    g = parse_grant({"KeyId": KEY_ARN, "GranteePrincipal": ROLE, "Operations": ["Decrypt"],
                     "Constraints": {"EncryptionContextEquals": {"Dept": "IT"}}})
    assert decide("Decrypt", SESSION, grants=(g,), ctx={"Dept": "IT"}) is Decision.ALLOWED
    assert decide("Decrypt", SESSION, grants=(g,), ctx={"dept": "IT"}) is Decision.ALLOWED  # key case-insensitive
    assert decide("Decrypt", SESSION, grants=(g,), ctx={"Dept": "it"}) is Decision.IMPLICITLY_DENIED
    assert decide("Decrypt", SESSION, grants=(g,), ctx={"Dept": "IT", "x": "y"}) is Decision.IMPLICITLY_DENIED
    assert decide("Decrypt", SESSION, grants=(g,)) is Decision.IMPLICITLY_DENIED


def test_encryption_context_subset_allows_more_pairs() -> None:
    g = parse_grant({"KeyId": KEY_ARN, "GranteePrincipal": ROLE, "Operations": ["Decrypt", "DescribeKey"],
                     "Constraints": {"EncryptionContextSubset": {"Dept": "IT"}}})
    assert decide("Decrypt", SESSION, grants=(g,), ctx={"Dept": "IT", "x": "y"}) is Decision.ALLOWED
    assert decide("Decrypt", SESSION, grants=(g,), ctx={"Dept": "It", "x": "y"}) is Decision.IMPLICITLY_DENIED
    assert decide("Decrypt", SESSION, grants=(g,), ctx={"x": "y"}) is Decision.IMPLICITLY_DENIED
    # constraints do not apply to operations without an encryption context
    assert decide("DescribeKey", SESSION, grants=(g,)) is Decision.ALLOWED


def test_grantee_with_create_grant_may_only_narrow() -> None:
    parent = parse_grant({"KeyId": KEY_ARN, "GranteePrincipal": ROLE, "Operations": ["Decrypt", "CreateGrant"]})
    narrower = parse_grant({"KeyId": KEY_ARN, "GranteePrincipal": STRANGER, "Operations": ["Decrypt"]})
    wider = parse_grant({"KeyId": KEY_ARN, "GranteePrincipal": STRANGER, "Operations": ["Decrypt", "Encrypt"]})
    assert decide("CreateGrant", SESSION, grants=(parent,), grant=narrower) is Decision.ALLOWED
    assert decide("CreateGrant", SESSION, grants=(parent,), grant=wider) is Decision.IMPLICITLY_DENIED


def test_retire_by_retiring_principal_grantee_and_account() -> None:
    """"Retiring and revoking grants": the retiring principal; the grantee only with RetireGrant;
    the account that created the grant; not a stranger; key policy allows are not effective."""
    g = parse_grant({"KeyId": KEY_ARN, "GranteePrincipal": ROLE, "Operations": ["Decrypt"],
                     "RetiringPrincipal": f"arn:aws:iam::{ACCOUNT}:role/Retirer"})
    retirer = f"arn:aws:sts::{ACCOUNT}:assumed-role/Retirer/x"
    assert decide("RetireGrant", retirer, grant=g) is Decision.ALLOWED
    assert decide("RetireGrant", SESSION, grant=g) is Decision.IMPLICITLY_DENIED
    assert decide("RetireGrant", STRANGER, grant=g) is Decision.IMPLICITLY_DENIED
    assert decide("RetireGrant", f"arn:aws:iam::{ACCOUNT}:root", grant=g) is Decision.ALLOWED
    g2 = parse_grant({"KeyId": KEY_ARN, "GranteePrincipal": ROLE, "Operations": ["Decrypt", "RetireGrant"]})
    assert decide("RetireGrant", SESSION, grant=g2) is Decision.ALLOWED
    kp = policy({**allow("kms:RetireGrant"), "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/Stranger"}})
    assert decide("RetireGrant", STRANGER, key(kp), grant=g) is Decision.IMPLICITLY_DENIED
    deny = policy({"Effect": "Deny", "Action": "kms:RetireGrant", "Resource": "*"})
    assert decide("RetireGrant", retirer, grant=g, ids=(deny,)) is Decision.EXPLICITLY_DENIED


# --- condition keys ------------------------------------------------------------------------------


def test_via_service_only_when_a_service_calls() -> None:
    direct = request_context(KmsRequest("CreateGrant", SESSION, key()))
    via = request_context(KmsRequest("CreateGrant", SESSION, key(), via_service="forecast.us-east-1.amazonaws.com"))
    assert "kms:ViaService" not in direct
    assert via["kms:ViaService"] == "forecast.us-east-1.amazonaws.com"
    assert direct["kms:GrantIsForAWSResource"] == "false" and via["kms:GrantIsForAWSResource"] == "true"
    assert direct["kms:CallerAccount"] == ACCOUNT
    assert "kms:GrantIsForAWSResource" not in request_context(KmsRequest("Decrypt", SESSION, key()))


def test_grant_condition_keys_of_create_grant() -> None:
    g = parse_grant({"KeyId": KEY_ARN, "GranteePrincipal": ROLE, "Operations": ["Decrypt", "GenerateDataKey"],
                     "RetiringPrincipal": ROLE, "Constraints": {"EncryptionContextSubset": {"k": "v"}}})
    ctx = request_context(KmsRequest("CreateGrant", SESSION, key(), grant=g))
    assert ctx["kms:GrantOperations"] == ("Decrypt", "GenerateDataKey")
    assert ctx["kms:GranteePrincipal"] == ROLE and ctx["kms:RetiringPrincipal"] == ROLE
    assert ctx["kms:EncryptionContext:k"] == "v" and ctx["kms:EncryptionContextKeys"] == ("k",)
    assert ctx["kms:GrantConstraintType"] == "EncryptionContextSubset"
    assert ctx["kms:KeySpec"] == "SYMMETRIC_DEFAULT" and ctx["kms:MultiRegion"] == "false"


def test_encryption_context_condition_in_key_policy() -> None:
    kp = policy({**allow("kms:Decrypt"), "Principal": {"AWS": ROLE},
                 "Condition": {"StringEquals": {"kms:EncryptionContext:Dept": "IT"}}})
    assert decide("Decrypt", SESSION, key(kp), ctx={"Dept": "IT"}) is Decision.ALLOWED
    assert decide("Decrypt", SESSION, key(kp), ctx={"Dept": "it"}) is Decision.IMPLICITLY_DENIED


def test_forecast_statement_of_page_004() -> None:
    """Page 004, "Create a customer managed key": the role passed to Forecast may CreateGrant,
    DescribeKey and RetireGrant only when Forecast sends the request (kms:ViaService)."""
    kp = policy(
        {"Sid": "Allow access to principals authorized to use Amazon Forecast", "Effect": "Allow",
         "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/ROLE_PASSED_TO_FORECAST"},
         "Action": ["kms:DescribeKey", "kms:CreateGrant", "kms:RetireGrant"], "Resource": "*",
         "Condition": {"StringEquals": {"kms:ViaService": "forecast.us-east-1.amazonaws.com",
                                        "kms:CallerAccount": ACCOUNT}}},
        {"Sid": "Allow access for key administrators", "Effect": "Allow",
         "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": ["kms:*"], "Resource": KEY_ARN})
    role = f"arn:aws:sts::{ACCOUNT}:assumed-role/ROLE_PASSED_TO_FORECAST/forecast"
    g = parse_grant({"KeyId": KEY_ARN, "GranteePrincipal": "forecast.amazonaws.com",
                     "Operations": ["Decrypt", "GenerateDataKey"]})
    assert decide("CreateGrant", role, key(kp), via="forecast.us-east-1.amazonaws.com", grant=g) is Decision.ALLOWED
    assert decide("CreateGrant", role, key(kp), grant=g) is Decision.IMPLICITLY_DENIED
    assert decide("CreateGrant", role, key(kp), via="sagemaker.us-east-1.amazonaws.com",
                  grant=g) is Decision.IMPLICITLY_DENIED


def test_service_principal_grantee_uses_its_grant() -> None:
    g = parse_grant({"KeyId": KEY_ARN, "GranteePrincipal": "forecast.amazonaws.com", "Operations": ["Decrypt"]})
    assert decide("Decrypt", "forecast.amazonaws.com", grants=(g,)) is Decision.ALLOWED
    assert decide("Decrypt", "sagemaker.amazonaws.com", grants=(g,)) is Decision.IMPLICITLY_DENIED


# --- properties over generated policies ----------------------------------------------------------

PROPERTY = settings(max_examples=40, deadline=None)
OPS = st.sampled_from(["Decrypt", "Encrypt", "GenerateDataKey", "CreateGrant", "DescribeKey", "ListGrants",
                       "RevokeGrant", "PutKeyPolicy"])


@PROPERTY
@given(key_policies(account=ACCOUNT, min_statements=2, max_statements=6), identity_policies(account=ACCOUNT),
       assumed_role_arns(ACCOUNT), OPS)
def test_an_identity_deny_of_the_action_always_wins(kp: dict[str, Any], ident: dict[str, Any], caller: str,
                                                    op: str) -> None:
    deny = policy({"Effect": "Deny", "Action": f"kms:{op}", "Resource": "*"})
    grant = parse_grant({"KeyId": KEY_ARN, "GranteePrincipal": caller, "Operations": ["Decrypt", "Encrypt"]})
    k = key(parse_policy(kp, origin="key policy"))
    req = KmsRequest(operation=op, caller=caller, key=k)
    assert authorize(req, identity_policies=(parse_policy(ident, origin="id"), deny),
                     grants=(grant,)).decision is Decision.EXPLICITLY_DENIED


@PROPERTY
@given(key_policies(account=ACCOUNT, min_statements=2, max_statements=6, include_admin=False),
       assumed_role_arns(ACCOUNT), OPS)
def test_without_key_policy_allow_iam_alone_never_allows(kp: dict[str, Any], caller: str, op: str) -> None:
    """"Key policies in AWS KMS": no identity policy gives access unless the key policy allows
    (directly or through the account)."""
    k = key(parse_policy(kp, origin="key policy"))
    req = KmsRequest(operation=op, caller=caller, key=k)
    if authorize(req).allowed:
        return  # the key policy itself allows this caller: nothing to show
    everything = policy(allow("*"))
    with_iam = authorize(req, identity_policies=(everything,))
    if with_iam.allowed:  # then a key policy statement must have taken part (delegation)
        assert any(m.policy == "key policy" for m in with_iam.matched)


# --- reserved aliases: no policy can allow them --------------------------------------------------


def test_reserved_aliases_are_refused_whatever_the_policies_say() -> None:
    """CreateAlias API Reference (AliasName): an alias name cannot begin with ``alias/aws/``, the
    prefix reserved for AWS managed keys. The model's administrator (allowed ``*`` on ``*``, key
    policy delegating to the account) is refused CreateAlias, UpdateAlias and DeleteAlias on such
    a name with NotAuthorizedException, while the same calls on its own alias succeed."""
    world = World(account=ACCOUNT)
    admin = world.admin
    first = kms_call(world, admin, "CreateKey", {})["KeyMetadata"]["KeyId"]
    second = kms_call(world, admin, "CreateKey", {})["KeyMetadata"]["KeyId"]
    reserved = "alias/aws/s3"
    calls = [("CreateAlias", {"AliasName": reserved, "TargetKeyId": first}),
             ("UpdateAlias", {"AliasName": reserved, "TargetKeyId": second}),
             ("DeleteAlias", {"AliasName": reserved})]
    for operation, params in calls:
        with pytest.raises(AwsError) as refused:
            kms_call(world, admin, operation, params)
        assert refused.value.code == "NotAuthorizedException", operation
    assert reserved not in world.aliases
    kms_call(world, admin, "CreateAlias", {"AliasName": "alias/app", "TargetKeyId": first})
    kms_call(world, admin, "UpdateAlias", {"AliasName": "alias/app", "TargetKeyId": second})
    assert world.aliases["alias/app"] == second
    assert world.keys[second].aliases == ("alias/app",) and world.keys[first].aliases == ()
    kms_call(world, admin, "DeleteAlias", {"AliasName": "alias/app"})
    assert "alias/app" not in world.aliases


def test_update_alias_needs_the_alias_and_both_keys() -> None:
    """"Controlling access to aliases": UpdateAlias needs kms:UpdateAlias on the alias (IAM
    policy), on the current key and on the new key (key policies); the UpdateAlias API Reference
    keeps an alias on keys of one type and key usage."""
    world = World(account=ACCOUNT)
    admin = world.admin
    first = kms_call(world, admin, "CreateKey", {})["KeyMetadata"]["KeyId"]
    only_admin = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": admin}, "Action": "kms:*", "Resource": "*"}]})
    locked = kms_call(world, admin, "CreateKey", {"Policy": only_admin})["KeyMetadata"]["KeyId"]
    hmac = kms_call(world, admin, "CreateKey", {"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"})
    kms_call(world, admin, "CreateAlias", {"AliasName": "alias/app", "TargetKeyId": first})
    second = kms_call(world, admin, "CreateKey", {})["KeyMetadata"]["KeyId"]
    stranger = admin.replace(ADMIN_ROLE, "Stranger")  # no identity policy: not allowed on the alias
    with pytest.raises(AwsError) as denied:
        kms_call(world, stranger, "UpdateAlias", {"AliasName": "alias/app", "TargetKeyId": second})
    assert denied.value.code == "AccessDeniedException"
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]})
    iam_call(world, admin, "CreateRole", {"RoleName": "Aliaser", "AssumeRolePolicyDocument": trust})
    iam_call(world, admin, "PutRolePolicy", {"RoleName": "Aliaser", "PolicyName": "p", "PolicyDocument": json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:UpdateAlias", "Resource": "*"}]})})
    aliaser = world.session_arn(f"arn:aws:iam::{ACCOUNT}:role/Aliaser")
    with pytest.raises(AwsError) as new_key_refuses:  # the new key's policy names only the admin
        kms_call(world, aliaser, "UpdateAlias", {"AliasName": "alias/app", "TargetKeyId": locked})
    assert new_key_refuses.value.code == "AccessDeniedException"
    kms_call(world, aliaser, "UpdateAlias", {"AliasName": "alias/app", "TargetKeyId": second})
    assert world.aliases["alias/app"] == second
    kms_call(world, admin, "UpdateAlias", {"AliasName": "alias/app", "TargetKeyId": locked})
    with pytest.raises(AwsError) as current_key_refuses:  # now the current key's policy refuses it
        kms_call(world, aliaser, "UpdateAlias", {"AliasName": "alias/app", "TargetKeyId": first})
    assert current_key_refuses.value.code == "AccessDeniedException"
    with pytest.raises(AwsError) as mismatch:
        kms_call(world, admin, "UpdateAlias", {"AliasName": "alias/app", "TargetKeyId": hmac["KeyMetadata"]["KeyId"]})
    assert mismatch.value.code == "ValidationException"
    with pytest.raises(AwsError) as missing:
        kms_call(world, admin, "UpdateAlias", {"AliasName": "alias/none", "TargetKeyId": first})
    assert missing.value.code == "NotFoundException"
    assert world.aliases["alias/app"] == locked


# --- the fast paths agree with the general definitions --------------------------------------------


CALLERS = st.one_of(assumed_role_arns(ACCOUNT), assumed_role_arns(OTHER), st.sampled_from(
    [ROLE, ACCOUNT, f"arn:aws:iam::{OTHER}:root", "forecast.amazonaws.com", f"arn:aws:iam::{ACCOUNT}:user/U"]))
CONTEXTS = st.dictionaries(st.sampled_from(["Dept", "aws:s3:arn", "K"]), st.sampled_from(["IT", "prod", ""]),
                           max_size=2)


@PROPERTY
@given(OPS, CALLERS, CONTEXTS, st.booleans(), st.booleans(),
       st.sampled_from([(), ("alias/a",), ("alias/a", "alias/b")]),
       st.dictionaries(st.sampled_from(["kms:RequestAlias", "aws:SourceIp", "kms:KeySpec"]),
                       st.sampled_from(["alias/a", "10.0.0.1", ("x", "y")]), max_size=2))
def test_policy_request_is_make_request_of_the_request_context(op: str, caller: str, ctx: dict[str, str], via: bool,
                                                               multi: bool, aliases: tuple[str, ...],
                                                               extra: dict[str, Any]) -> None:
    """``policy_request`` builds the evaluated context directly; it must be exactly what
    ``make_request`` makes of ``request_context`` (names folded, values as tuples, same order)."""
    grant = parse_grant({"KeyId": KEY_ARN, "GranteePrincipal": ROLE, "Operations": ["Decrypt"],
                         "Constraints": {"EncryptionContextEquals": ctx}}) if op == "CreateGrant" and ctx else None
    req = KmsRequest(operation=op, caller=caller, key=key(multi_region=multi, aliases=aliases),
                     encryption_context=ctx, via_service="forecast.us-east-1.amazonaws.com" if via else None,
                     grant=grant, extra_context=extra)
    built = policy_request(req)
    expected = make_request(req.action, KEY_ARN, caller, request_context(req), resource_account=ACCOUNT)
    assert built == expected
    assert list(built.context.items()) == list(expected.context.items())


@PROPERTY
@given(key_policies(account=ACCOUNT, min_statements=1, max_statements=6), CALLERS, OPS, CONTEXTS)
def test_matching_statements_agrees_with_evaluate_policy(kp: dict[str, Any], caller: str, op: str,
                                                         ctx: dict[str, str]) -> None:
    """The statements ``authorize`` works from are those ``evaluate_policy`` decides with, and
    each Allow's "names the caller directly" flag is ``names_directly`` of its statement."""
    p = parse_policy(kp, origin="key policy")
    request = policy_request(KmsRequest(operation=op, caller=caller, key=key(p), encryption_context=ctx))
    allows, denies = matching_statements(p, request, check_principal=True)
    decided = evaluate_policy(p, request, check_principal=True)
    if denies:
        assert decided.decision is Decision.EXPLICITLY_DENIED and decided.matched == tuple(denies)
    elif allows:
        assert decided.decision is Decision.ALLOWED and decided.matched == tuple(m for m, _ in allows)
    else:
        assert decided.decision is Decision.IMPLICITLY_DENIED
    by_index = {s.index: s for s in p.statements}
    assert [named for _, named in allows] == [names_directly(by_index[m.index], caller) for m, _ in allows]


PROBES = ("kms:encryptioncontext:dept", "kms:encryptioncontext:k", "kms:encryptioncontext:aws:s3:arn",
          "kms:encryptioncontext:absent", "kms:encryptioncontextkeys", "kms:calleraccount", "kms:viaservice",
          "kms:grantisforawsresource", "kms:grantoperations", "kms:granteeprincipal", "kms:grantconstrainttype",
          "kms:keyspec", "kms:multiregion", "kms:multiregionkeytype", "kms:resourcealiases", "kms:requestalias",
          "aws:principalarn", "aws:principalaccount", "aws:principaltype", "aws:userid", "aws:sourceip",
          "Kms:CallerAccount", "aws:PrincipalArn")


@PROPERTY
@given(OPS, CALLERS, st.dictionaries(st.sampled_from(["Dept", "dept", "aws:s3:arn", "K"]),
                                     st.sampled_from(["IT", "prod", ""]), max_size=3),
       st.booleans(), st.booleans(), st.sampled_from([(), ("alias/a",)]),
       st.dictionaries(st.sampled_from(["kms:RequestAlias", "aws:SourceIp", "kms:KeySpec", "KMS:CallerAccount"]),
                       st.sampled_from(["alias/a", "10.0.0.1", ("x", "y")]), max_size=2))
@example("Encrypt", SESSION, {"Dept": "IT", "dept": "prod"}, False, False, (), {})  # the last of two wins
@example("CreateGrant", SESSION, {"Dept": "IT", "dept": "prod"}, True, True, ("alias/a",), {})
@example("Decrypt", SESSION, {"Dept": "IT"}, True, False, (),  # extra context: names folding alike, the last wins
         {"kms:KeySpec": "x", "KMS:KEYSPEC": "y", "kms:EncryptionContext:dept": ("a", "b"), "kms:viaservice": "s"})
def test_lazy_context_reads_what_policy_request_builds(op: str, caller: str, ctx: dict[str, str], via: bool,
                                                      multi: bool, aliases: tuple[str, ...],
                                                      extra: dict[str, Any]) -> None:
    """``authorize`` computes the condition keys only as conditions read them: each read of a fresh
    ``LazyPolicyContext`` (and every read after it is built whole) gives what ``policy_request``
    builds, and the whole mapping is the same, in the same order."""
    grant = parse_grant({"KeyId": KEY_ARN, "GranteePrincipal": ROLE, "Operations": ["Decrypt"],
                         "Constraints": {"EncryptionContextSubset": ctx}}) if op == "CreateGrant" and ctx else None
    req = KmsRequest(operation=op, caller=caller, key=key(multi_region=multi, aliases=aliases),
                     encryption_context=ctx, via_service="forecast.us-east-1.amazonaws.com" if via else None,
                     grant=grant, extra_context=extra)
    expected = policy_request(req).context
    for name in (*expected, *PROBES):
        assert LazyPolicyContext(req).get(name) == expected.get(name), name
    lazy = LazyPolicyContext(req)
    assert list(lazy.items()) == list(expected.items())
    assert all(lazy.get(name) == expected.get(name) for name in PROBES)



@PROPERTY
@given(OPS, CALLERS, st.dictionaries(st.sampled_from(["Dept", "dept", "K", "\u03a3", "\u0391\u03a3", "\u0130d",
                                                      "\u212aey"]), st.sampled_from(["IT", "prod", ""]), max_size=3),
       st.booleans(), st.sampled_from([None, "EncryptionContextEquals", "EncryptionContextSubset"]),
       st.booleans())
# "...Context:\u03a3" folds to a final sigma, "\u03a3" alone does not
@example("Encrypt", SESSION, {"\u03a3": "IT", "\u03c3": "prod"}, False, None, False)
@example("CreateGrant", SESSION, {"Dept": "IT", "dept": "prod"}, True, "EncryptionContextEquals", True)
@example("CreateGrant", SESSION, {}, False, None, True)
def test_folded_request_part_is_request_part_folded(op: str, caller: str, ctx: dict[str, str], via: bool,
                                                    constraint: str | None, retiring: bool) -> None:
    """The request's condition keys as a policy reads them, built directly, are those of
    ``_request_part`` with names case-folded and values as tuples: the same keys, in the same
    order (encryption context keys whose case folds differently inside the name, such as a final
    sigma, included), for every operation, with or without a grant being created."""
    from kms_conformance.kms import context as kms_context
    from kms_conformance.policy.request import context_values

    grant = None
    if op == "CreateGrant":
        raw: dict[str, Any] = {"KeyId": KEY_ARN, "GranteePrincipal": ROLE, "Operations": ["Decrypt", "Encrypt"]}
        if constraint is not None and ctx:
            raw["Constraints"] = {constraint: ctx}
        if retiring:
            raw["RetiringPrincipal"] = SESSION
        grant = parse_grant(raw)
    req = KmsRequest(operation=op, caller=caller, key=key(), encryption_context=ctx,
                     via_service="forecast.us-east-1.amazonaws.com" if via else None, grant=grant)
    want: dict[str, tuple[str, ...]] = {}
    for k, v in kms_context._request_part(req).items():
        want[k.lower()] = (v,) if type(v) is str else context_values(v)
    assert list(kms_context._folded_request_part(req).items()) == list(want.items())

@PROPERTY
@given(key_policies(account=ACCOUNT, min_statements=1, max_statements=6), identity_policies(account=ACCOUNT),
       CALLERS, OPS, CONTEXTS, st.booleans())
def test_statement_sets_agree_with_matching_statements(kp: dict[str, Any], ident: dict[str, Any], caller: str,
                                                       op: str, ctx: dict[str, str], via: bool) -> None:
    """``statement_sets`` (what ``authorize`` works from, its plan kept per policy, action and
    principal) gives the statements ``matching_statements`` finds, on the lazy context as on the
    built one, the first time and from the plan."""
    req = KmsRequest(operation=op, caller=caller, key=key(parse_policy(kp, origin="key policy")),
                     encryption_context=ctx, via_service="forecast.us-east-1.amazonaws.com" if via else None)
    request = policy_request(req)
    for p, principal in ((req.key.policy, caller), (parse_policy(ident, origin="id"), None)):
        assert p is not None
        allows, denies = matching_statements(p, request, check_principal=principal is not None)
        want = (tuple(m for m, _ in allows), tuple(m for m, named in allows if named), tuple(denies))
        for context in (LazyPolicyContext(req), request.context, LazyPolicyContext(req)):
            assert statement_sets(p, request.action, KEY_ARN, principal, context) == want
