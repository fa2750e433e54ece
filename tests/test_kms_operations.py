"""The reference model's KMS, IAM and STS operations (kms_conformance.kms.operations,
kms_conformance.models.iam) through ``kms_call`` / ``iam_call``, in the AWS API shape: each test
cites the KMS API Reference page or Developer Guide section whose behaviour it checks."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from kms_conformance.kms import AwsError, World, kms_call
from kms_conformance.models import Operations, operations
from kms_conformance.models.iam import iam_call
from kms_conformance.targets.base import UnsupportedOperation

ACCOUNT = "111122223333"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]})


def code(fn: Callable[[], Any]) -> str:
    try:
        fn()
    except AwsError as exc:
        return exc.code
    return "OK"


@pytest.fixture
def world() -> World:
    return World(account=ACCOUNT)


def role(world: World, name: str, *actions: str) -> str:
    arn = str(iam_call(world, world.admin, "CreateRole",
                       {"RoleName": name, "AssumeRolePolicyDocument": TRUST})["Role"]["Arn"])
    if actions:
        doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]}
        iam_call(world, world.admin, "PutRolePolicy",
                 {"RoleName": name, "PolicyName": "p", "PolicyDocument": json.dumps(doc)})
    return world.session_arn(arn)


def new_key(world: World, **params: Any) -> dict[str, Any]:
    return dict(kms_call(world, world.admin, "CreateKey", params)["KeyMetadata"])


def test_every_model_handler_is_in_the_table_once() -> None:
    table = operations()
    for key in [("kms", "CreateGrant"), ("kms", "Decrypt"), ("kms", "ListKeyPolicies"), ("iam", "CreateRole"),
                ("sts", "GetCallerIdentity"), ("forecast", "CreateDataset"), ("sagemaker", "CreateFeatureGroup"),
                ("opensearchserverless", "CreateCollection"), ("mwaa", "CreateEnvironment")]:
        assert key in table, key
    ops = Operations()
    ops("kms", "Decrypt")(table[("kms", "Decrypt")])
    with pytest.raises(ValueError, match="registered twice"):
        ops("kms", "Decrypt")(table[("kms", "Decrypt")])


def test_unknown_operation_is_unsupported(world: World) -> None:
    with pytest.raises(UnsupportedOperation):
        kms_call(world, world.admin, "ImportKeyMaterial", {})


def test_create_key_defaults_and_metadata(world: World) -> None:
    meta = new_key(world)
    assert meta["KeySpec"] == "SYMMETRIC_DEFAULT" and meta["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert meta["KeyState"] == "Enabled" and meta["Enabled"] is True and meta["MultiRegion"] is False
    assert meta["Arn"] == f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{meta['KeyId']}"
    policy = json.loads(kms_call(world, world.admin, "GetKeyPolicy", {"KeyId": meta["KeyId"]})["Policy"])
    assert policy["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}  # "Default key policy"
    assert kms_call(world, world.admin, "ListKeyPolicies", {"KeyId": meta["KeyId"]})["PolicyNames"] == ["default"]
    assert [k["KeyId"] for k in kms_call(world, world.admin, "ListKeys", {})["Keys"]] == [meta["KeyId"]]
    kms_call(world, world.admin, "UpdateKeyDescription", {"KeyId": meta["KeyId"], "Description": "d"})
    assert kms_call(world, world.admin, "DescribeKey", {"KeyId": meta["KeyId"]})["KeyMetadata"]["Description"] == "d"
    mrk = new_key(world, MultiRegion=True)
    assert mrk["KeyId"].startswith("mrk-") and mrk["MultiRegion"] is True


@pytest.mark.parametrize(("spec", "usage", "expected"), [
    ("RSA_2048", "SIGN_VERIFY", "OK"), ("HMAC_256", "GENERATE_VERIFY_MAC", "OK"),
    ("HMAC_256", None, "ValidationException"), ("SYMMETRIC_DEFAULT", "SIGN_VERIFY", "ValidationException"),
    ("ECC_NIST_P256", "ENCRYPT_DECRYPT", "ValidationException"), ("AES_512", None, "ValidationException"),
])
def test_create_key_validates_spec_and_usage(world: World, spec: str, usage: str | None, expected: str) -> None:
    params = {"KeySpec": spec, **({"KeyUsage": usage} if usage else {})}
    assert code(lambda: new_key(world, **params)) == expected


def test_policy_lockout_safety_check(world: World) -> None:
    """"Key policies in AWS KMS" / CreateKey: a policy that would not let the caller PutKeyPolicy later
    is MalformedPolicyDocumentException unless BypassPolicyLockoutSafetyCheck."""
    other = f"arn:aws:iam::{ACCOUNT}:role/SomeoneElse"
    locked = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": other}, "Action": "kms:*", "Resource": "*"}]})
    assert code(lambda: new_key(world, Policy=locked)) == "MalformedPolicyDocumentException"
    meta = new_key(world, Policy=locked, BypassPolicyLockoutSafetyCheck=True)
    assert meta["KeyState"] == "Enabled"
    # now even the admin is locked out of the key
    assert code(lambda: kms_call(world, world.admin, "DescribeKey", {"KeyId": meta["KeyId"]})) == \
        "AccessDeniedException"
    k = new_key(world)
    assert code(lambda: kms_call(world, world.admin, "PutKeyPolicy", {"KeyId": k["KeyId"], "Policy": locked})) == \
        "MalformedPolicyDocumentException"
    assert code(lambda: kms_call(world, world.admin, "PutKeyPolicy", {"KeyId": k["KeyId"], "Policy": "{bad"})) == \
        "MalformedPolicyDocumentException"


def test_alias_resolution(world: World) -> None:
    """"Key identifiers (KeyId)": key id, key ARN, alias name, alias ARN; CreateGrant takes no alias."""
    meta = new_key(world)
    kms_call(world, world.admin, "CreateAlias", {"AliasName": "alias/app", "TargetKeyId": meta["KeyId"]})
    alias_arn = f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/app"
    for ref in (meta["KeyId"], meta["Arn"], "alias/app", alias_arn):
        assert kms_call(world, world.admin, "DescribeKey", {"KeyId": ref})["KeyMetadata"]["KeyId"] == meta["KeyId"]
    assert code(lambda: kms_call(world, world.admin, "CreateGrant", {
        "KeyId": "alias/app", "GranteePrincipal": world.admin, "Operations": ["Decrypt"]})) == "NotFoundException"
    assert code(lambda: kms_call(world, world.admin, "CreateAlias", {
        "AliasName": "alias/app", "TargetKeyId": meta["KeyId"]})) == "AlreadyExistsException"
    assert code(lambda: kms_call(world, world.admin, "CreateAlias", {
        "AliasName": "app", "TargetKeyId": meta["KeyId"]})) == "InvalidAliasNameException"
    listed = kms_call(world, world.admin, "ListAliases", {})["Aliases"]
    assert [a["AliasName"] for a in listed] == ["alias/app"] and listed[0]["TargetKeyId"] == meta["KeyId"]
    kms_call(world, world.admin, "DeleteAlias", {"AliasName": "alias/app"})
    assert code(lambda: kms_call(world, world.admin, "DescribeKey", {"KeyId": "alias/app"})) == "NotFoundException"
    assert code(lambda: kms_call(world, world.admin, "DescribeKey", {"KeyId": "nope"})) == "NotFoundException"


def test_encrypt_decrypt_and_ciphertext_checks(world: World) -> None:
    """Decrypt: the encryption context must match exactly (InvalidCiphertextException); a KeyId that
    is not the ciphertext's key is IncorrectKeyException."""
    a, b = new_key(world), new_key(world)
    blob = kms_call(world, world.admin, "Encrypt", {"KeyId": a["KeyId"], "Plaintext": b"secret",
                                                    "EncryptionContext": {"Dept": "IT"}})["CiphertextBlob"]
    out = kms_call(world, world.admin, "Decrypt", {"CiphertextBlob": blob, "EncryptionContext": {"Dept": "IT"}})
    assert out["Plaintext"] == b"secret" and out["KeyId"] == a["Arn"]
    assert code(lambda: kms_call(world, world.admin, "Decrypt", {
        "CiphertextBlob": blob, "EncryptionContext": {"dept": "IT"}})) == "InvalidCiphertextException"
    assert code(lambda: kms_call(world, world.admin, "Decrypt", {"CiphertextBlob": blob})) == \
        "InvalidCiphertextException"
    assert code(lambda: kms_call(world, world.admin, "Decrypt", {
        "CiphertextBlob": blob, "EncryptionContext": {"Dept": "IT"}, "KeyId": b["KeyId"]})) == "IncorrectKeyException"
    assert code(lambda: kms_call(world, world.admin, "Decrypt", {"CiphertextBlob": b"garbage"})) == \
        "InvalidCiphertextException"
    dk = kms_call(world, world.admin, "GenerateDataKey", {"KeyId": a["KeyId"], "KeySpec": "AES_256"})
    assert len(dk["Plaintext"]) == 32
    assert kms_call(world, world.admin, "Decrypt", {"CiphertextBlob": dk["CiphertextBlob"]})["Plaintext"] == \
        dk["Plaintext"]
    assert "Plaintext" not in kms_call(world, world.admin, "GenerateDataKeyWithoutPlaintext",
                                       {"KeyId": a["KeyId"], "NumberOfBytes": 16})
    assert code(lambda: kms_call(world, world.admin, "GenerateDataKey", {"KeyId": a["KeyId"]})) == \
        "ValidationException"
    re = kms_call(world, world.admin, "ReEncrypt", {"CiphertextBlob": blob, "SourceEncryptionContext": {"Dept": "IT"},
                                                    "DestinationKeyId": b["KeyId"]})
    assert re["KeyId"] == b["Arn"] and re["SourceKeyId"] == a["Arn"]
    assert kms_call(world, world.admin, "Decrypt", {"CiphertextBlob": re["CiphertextBlob"]})["Plaintext"] == b"secret"


def test_key_states(world: World) -> None:
    """"Key states of AWS KMS keys": Disabled -> DisabledException; PendingDeletion ->
    KMSInvalidStateException; DescribeKey works in every state."""
    k = new_key(world)["KeyId"]
    role_arn = role(world, "G")

    def enc() -> Any:
        return kms_call(world, world.admin, "Encrypt", {"KeyId": k, "Plaintext": b"x"})

    def grant() -> Any:
        return kms_call(world, world.admin, "CreateGrant", {"KeyId": k, "GranteePrincipal": role_arn,
                                                            "Operations": ["Decrypt"]})
    kms_call(world, world.admin, "DisableKey", {"KeyId": k})
    assert code(enc) == "DisabledException" and code(grant) == "DisabledException"
    kms_call(world, world.admin, "EnableKey", {"KeyId": k})
    assert code(enc) == "OK"
    assert code(lambda: kms_call(world, world.admin, "ScheduleKeyDeletion", {"KeyId": k, "PendingWindowInDays": 6})) \
        == "ValidationException"
    out = kms_call(world, world.admin, "ScheduleKeyDeletion", {"KeyId": k, "PendingWindowInDays": 7})
    assert out["KeyState"] == "PendingDeletion" and out["PendingWindowInDays"] == 7
    assert code(enc) == "KMSInvalidStateException" and code(grant) == "KMSInvalidStateException"
    assert code(lambda: kms_call(world, world.admin, "EnableKey", {"KeyId": k})) == "KMSInvalidStateException"
    assert kms_call(world, world.admin, "DescribeKey", {"KeyId": k})["KeyMetadata"]["KeyState"] == "PendingDeletion"
    kms_call(world, world.admin, "CancelKeyDeletion", {"KeyId": k})
    assert kms_call(world, world.admin, "DescribeKey", {"KeyId": k})["KeyMetadata"]["KeyState"] == "Disabled"
    assert code(lambda: kms_call(world, world.admin, "CancelKeyDeletion", {"KeyId": k})) == "KMSInvalidStateException"


def test_grant_lifecycle(world: World) -> None:
    """"Grants in AWS KMS" and "Retiring and revoking grants"."""
    k = new_key(world)
    grantee = role(world, "Grantee")
    grantee_role = f"arn:aws:iam::{ACCOUNT}:role/Grantee"
    retirer = role(world, "Retirer")
    stranger = role(world, "Stranger", "kms:ListGrants")
    blob = kms_call(world, world.admin, "Encrypt", {"KeyId": k["KeyId"], "Plaintext": b"x"})["CiphertextBlob"]

    def decrypt() -> str:
        return code(lambda: kms_call(world, grantee, "Decrypt", {"CiphertextBlob": blob}))

    assert decrypt() == "AccessDeniedException"
    g = kms_call(world, world.admin, "CreateGrant", {
        "KeyId": k["Arn"], "GranteePrincipal": grantee_role, "Operations": ["Decrypt", "CreateGrant"],
        "RetiringPrincipal": f"arn:aws:iam::{ACCOUNT}:role/Retirer", "Name": "g1"})
    assert set(g) == {"GrantId", "GrantToken"} and len(g["GrantId"]) == 64
    assert decrypt() == "OK"
    assert code(lambda: kms_call(world, grantee, "Encrypt", {"KeyId": k["KeyId"], "Plaintext": b"x"})) == \
        "AccessDeniedException"
    assert code(lambda: kms_call(world, grantee, "ListGrants", {"KeyId": k["KeyId"]})) == "AccessDeniedException"
    assert code(lambda: kms_call(world, grantee, "RevokeGrant", {"KeyId": k["KeyId"], "GrantId": g["GrantId"]})) \
        == "AccessDeniedException"
    listed = kms_call(world, stranger, "ListGrants", {"KeyId": k["KeyId"]})["Grants"]
    assert [x["GrantId"] for x in listed] == [g["GrantId"]] and listed[0]["Operations"] == ["Decrypt", "CreateGrant"]
    retirable = kms_call(world, world.admin, "ListRetirableGrants",
                         {"RetiringPrincipal": f"arn:aws:iam::{ACCOUNT}:role/Retirer"})["Grants"]
    assert [x["GrantId"] for x in retirable] == [g["GrantId"]]
    # the grantee may pass on at most what it has
    assert code(lambda: kms_call(world, grantee, "CreateGrant", {
        "KeyId": k["Arn"], "GranteePrincipal": grantee_role, "Operations": ["Encrypt"]})) == "AccessDeniedException"
    child = kms_call(world, grantee, "CreateGrant", {"KeyId": k["Arn"], "GranteePrincipal": grantee_role,
                                                     "Operations": ["Decrypt"]})
    # retire: a stranger may not, the retiring principal may (by token)
    assert code(lambda: kms_call(world, stranger, "RetireGrant", {"GrantToken": g["GrantToken"]})) == \
        "AccessDeniedException"
    assert code(lambda: kms_call(world, retirer, "RetireGrant", {"GrantToken": g["GrantToken"]})) == "OK"
    assert code(lambda: kms_call(world, retirer, "RetireGrant", {"GrantToken": g["GrantToken"]})) == \
        "InvalidGrantTokenException"
    assert decrypt() == "OK"  # the child grant still allows
    kms_call(world, world.admin, "RevokeGrant", {"KeyId": k["KeyId"], "GrantId": child["GrantId"]})
    assert decrypt() == "AccessDeniedException"  # revoke then Decrypt
    revoke_again = {"KeyId": k["KeyId"], "GrantId": child["GrantId"]}
    assert code(lambda: kms_call(world, world.admin, "RevokeGrant", revoke_again)) == "NotFoundException"
    assert code(lambda: kms_call(world, world.admin, "RevokeGrant", {"KeyId": k["KeyId"], "GrantId": "zz"})) == \
        "InvalidGrantIdException"


def test_create_grant_validation(world: World) -> None:
    k = new_key(world)["Arn"]
    assert code(lambda: kms_call(world, world.admin, "CreateGrant", {
        "KeyId": k, "GranteePrincipal": world.admin, "Operations": ["Sign"]})) == "ValidationException"
    assert code(lambda: kms_call(world, world.admin, "CreateGrant", {
        "KeyId": k, "GranteePrincipal": world.admin, "Operations": ["ListGrants"]})) == "ValidationException"
    first = kms_call(world, world.admin, "CreateGrant", {"KeyId": k, "GranteePrincipal": world.admin,
                                                         "Operations": ["Decrypt"], "Name": "same"})
    again = kms_call(world, world.admin, "CreateGrant", {"KeyId": k, "GranteePrincipal": world.admin,
                                                         "Operations": ["Decrypt"], "Name": "same"})
    assert first["GrantId"] == again["GrantId"]  # "CreateGrant": same Name and parameters, same grant


def test_forecast_via_service_through_the_model(world: World) -> None:
    """Page 004: the role passed to Forecast may CreateGrant only via forecast.<region>.amazonaws.com."""
    session = role(world, "ROLE_PASSED_TO_FORECAST")
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Allow access to principals authorized to use Amazon Forecast", "Effect": "Allow",
         "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/ROLE_PASSED_TO_FORECAST"},
         "Action": ["kms:DescribeKey", "kms:CreateGrant", "kms:RetireGrant"], "Resource": "*",
         "Condition": {"StringEquals": {"kms:ViaService": "forecast.us-east-1.amazonaws.com",
                                        "kms:CallerAccount": ACCOUNT}}},
        {"Sid": "Allow access for key administrators", "Effect": "Allow",
         "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": ["kms:*"], "Resource": "*"}]}
    k = new_key(world, Policy=json.dumps(policy))["Arn"]
    params = {"KeyId": k, "GranteePrincipal": "forecast.amazonaws.com", "Operations": ["Decrypt", "GenerateDataKey"]}
    assert code(lambda: kms_call(world, session, "CreateGrant", params)) == "AccessDeniedException"
    assert code(lambda: kms_call(world, session, "CreateGrant", params,
                                 via_service="forecast.us-east-1.amazonaws.com")) == "OK"
    blob = kms_call(world, world.admin, "Encrypt", {"KeyId": k, "Plaintext": b"x"})["CiphertextBlob"]
    assert code(lambda: kms_call(world, "forecast.amazonaws.com", "Decrypt", {"CiphertextBlob": blob})) == "OK"


def test_tags(world: World) -> None:
    k = new_key(world, Tags=[{"TagKey": "a", "TagValue": "1"}])["KeyId"]
    kms_call(world, world.admin, "TagResource", {"KeyId": k, "Tags": [{"TagKey": "b", "TagValue": "2"}]})
    tags = kms_call(world, world.admin, "ListResourceTags", {"KeyId": k})["Tags"]
    assert tags == [{"TagKey": "a", "TagValue": "1"}, {"TagKey": "b", "TagValue": "2"}]


def test_iam_and_sts(world: World) -> None:
    session = role(world, "R", "kms:Decrypt")
    arn = f"arn:aws:iam::{ACCOUNT}:role/R"
    assert iam_call(world, world.admin, "GetRole", {"RoleName": "R"})["Role"]["Arn"] == arn
    assert session == f"arn:aws:sts::{ACCOUNT}:assumed-role/R/kms-conformance"
    assert code(lambda: iam_call(world, world.admin, "CreateRole",
                                 {"RoleName": "R", "AssumeRolePolicyDocument": TRUST})) == "EntityAlreadyExists"
    assert code(lambda: iam_call(world, world.admin, "GetRole", {"RoleName": "Nope"})) == "NoSuchEntity"
    assert code(lambda: iam_call(world, session, "CreateRole",
                                 {"RoleName": "X", "AssumeRolePolicyDocument": TRUST})) == "AccessDenied"
    with_principal = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}]})
    assert code(lambda: iam_call(world, world.admin, "PutRolePolicy", {
        "RoleName": "R", "PolicyName": "bad", "PolicyDocument": with_principal})) == "MalformedPolicyDocument"
    no_principal = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole"}]})
    assert code(lambda: iam_call(world, world.admin, "CreateRole", {
        "RoleName": "Y", "AssumeRolePolicyDocument": no_principal})) == "MalformedPolicyDocument"
    assert code(lambda: new_key(world, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}))) == "MalformedPolicyDocumentException"
    assert code(lambda: iam_call(world, world.admin, "DeleteRole", {"RoleName": "R"})) == "DeleteConflict"
    iam_call(world, world.admin, "DeleteRolePolicy", {"RoleName": "R", "PolicyName": "p"})
    iam_call(world, world.admin, "DeleteRole", {"RoleName": "R"})
    assert arn not in world.roles
    ident = operations()[("sts", "GetCallerIdentity")](world, world.admin, {})
    assert ident["Account"] == ACCOUNT and ":assumed-role/kms-conformance-admin/" in ident["Arn"]
    assert operations()[("kms", "ListAliases")](world, world.admin, {})["Aliases"] == []


def test_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.bench_kms import corpus, main

    assert main(["--cases", "40", "--repeats", "1"]) == 0
    assert "decisions/s" in capsys.readouterr().out
    first, again = corpus(30), corpus(30)
    assert [(r.operation, r.caller) for r, _, _ in first] == [(r.operation, r.caller) for r, _, _ in again]
