"""KMS authorization enforced inside moto (``kms_conformance.enforce``), with plain boto3 under
``mock_aws``: what a user's unit test sees. Each denial is checked against moto without
enforcement too where that shows the point (moto alone allows it)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any

import boto3
import kms_conformance
import pytest
from botocore.exceptions import ClientError
from kms_conformance.enforcement import EnforcementWarning, Enforcer, enforce, is_enforcing
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.kms.responses import KmsResponse

pytest_plugins = ["pytester"]  # test_kms_enforce_option runs a user suite

ACCOUNT = DEFAULT_ACCOUNT_ID
REGION = "us-east-1"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
TRUST = {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "sts:AssumeRole"}]}


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _admin_statement(actions: Any = "kms:*") -> dict[str, Any]:
    """The account's root user gets ``actions``; with ``kms:*`` the account's IAM policies may
    grant the key's use (delegation, as the default key policy does)."""
    return {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": actions, "Resource": "*"}


#: Administration without use: the key policy lets no IAM policy of the account grant kms:Decrypt.
ADMIN_ONLY = ["kms:Encrypt", "kms:DescribeKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:CreateGrant"]


def _role_statement(role: str, actions: list[str], sid: str = "Use", **extra: Any) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Principal": {"AWS": role}, "Action": actions, "Resource": "*", **extra}


class Account:
    """boto3 clients of the moto account: the administrator (moto's default credentials, the
    account's root user) and sessions of roles assumed with sts:AssumeRole."""

    def __init__(self) -> None:
        self.iam = boto3.client("iam", region_name=REGION)
        self.kms = boto3.client("kms", region_name=REGION)
        self.sts = boto3.client("sts", region_name=REGION)

    def role(self, name: str, identity_policy: dict[str, Any] | None = None) -> str:
        arn = str(self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"])
        if identity_policy is not None:
            self.iam.put_role_policy(RoleName=name, PolicyName="kms", PolicyDocument=json.dumps(identity_policy))
        return arn

    def kms_as(self, role_arn: str) -> Any:
        creds = self.sts.assume_role(RoleArn=role_arn, RoleSessionName="test")["Credentials"]
        return boto3.client("kms", region_name=REGION, aws_access_key_id=creds["AccessKeyId"],
                            aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])

    def key(self, *statements: dict[str, Any], **kwargs: Any) -> str:
        params: dict[str, Any] = dict(kwargs)
        if statements:
            params["Policy"] = _policy(*statements)
        return str(self.kms.create_key(**params)["KeyMetadata"]["Arn"])


@pytest.fixture
def account() -> Iterator[Account]:
    with mock_aws():
        yield Account()


def _key_id(key_arn: str) -> str:
    """moto's DisableKey and ScheduleKeyDeletion take only the key id (a moto limitation)."""
    return key_arn.rsplit("/", 1)[1]


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def _message(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Message"])


# -- key policy -----------------------------------------------------------------------------------


def test_role_the_key_policy_does_not_name_is_denied(account: Account) -> None:
    allowed = account.role("Reader")
    other = account.role("Stranger")
    key = account.key(_admin_statement(ADMIN_ONLY), _role_statement(allowed, ["kms:Decrypt"]))
    blob = account.kms.encrypt(KeyId=key, Plaintext=b"secret")["CiphertextBlob"]
    stranger = account.kms_as(other)
    assert stranger.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret"  # moto alone: allowed
    with enforce() as enforcer, pytest.raises(ClientError) as exc:
        stranger.decrypt(CiphertextBlob=blob)
    assert _code(exc) == "AccessDeniedException"
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/Stranger/test"
    assert _message(exc).startswith(
        f"User: {session} is not authorized to perform: kms:Decrypt on resource: {key} "
        "because no resource-based policy allows the kms:Decrypt action")
    assert enforcer.last_decision is not None and not enforcer.last_decision.allowed


def test_role_the_key_policy_allows_succeeds(account: Account) -> None:
    reader = account.role("Reader")
    key = account.key(_admin_statement(), _role_statement(reader, ["kms:Decrypt"], sid="ReaderDecrypts"))
    blob = account.kms.encrypt(KeyId=key, Plaintext=b"secret")["CiphertextBlob"]
    with enforce() as enforcer:
        assert account.kms_as(reader).decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret"
    decision = enforcer.last_decision
    assert decision is not None and decision.allowed and decision.action == "kms:Decrypt"
    assert [m.sid for m in decision.evaluation.matched] == ["ReaderDecrypts"]


def test_the_allowed_role_still_needs_the_action(account: Account) -> None:
    reader = account.role("Reader")
    key = account.key(_admin_statement(), _role_statement(reader, ["kms:Decrypt"]))
    with enforce(), pytest.raises(ClientError) as exc:
        account.kms_as(reader).encrypt(KeyId=key, Plaintext=b"x")
    assert _code(exc) == "AccessDeniedException"
    assert "kms:Encrypt" in _message(exc)


def test_delegation_to_the_account_needs_an_identity_policy(account: Account) -> None:
    key = account.key()  # the default key policy: the account (root) gets kms:*
    with_policy = account.role("WithPolicy", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": key}]})
    without = account.role("WithoutPolicy")
    with enforce():
        client = account.kms_as(with_policy)
        blob = client.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"]
        assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
        with pytest.raises(ClientError) as exc:
            account.kms_as(without).decrypt(CiphertextBlob=blob)
    assert _code(exc) == "AccessDeniedException"
    assert "because no identity-based policy allows the kms:Decrypt action" in _message(exc)


def test_iam_user_with_an_attached_managed_policy(account: Account) -> None:
    key = account.key()
    account.iam.create_user(UserName="alice")
    arn = account.iam.create_policy(PolicyName="kms-encrypt", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"}]}
    ))["Policy"]["Arn"]
    account.iam.attach_user_policy(UserName="alice", PolicyArn=arn)
    access = account.iam.create_access_key(UserName="alice")["AccessKey"]
    alice = boto3.client("kms", region_name=REGION, aws_access_key_id=access["AccessKeyId"],
                         aws_secret_access_key=access["SecretAccessKey"])
    with enforce():
        alice.encrypt(KeyId=key, Plaintext=b"x")
        with pytest.raises(ClientError) as exc:
            alice.describe_key(KeyId=key)
    assert f"User: arn:aws:iam::{ACCOUNT}:user/alice is not authorized to perform: kms:DescribeKey" in _message(exc)


def test_explicit_deny_wins(account: Account) -> None:
    denied_by_identity = account.role("DeniedByIdentity", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"}]})
    denied_by_key = account.role("DeniedByKey")
    key = account.key(_admin_statement(),
                      _role_statement(denied_by_identity, ["kms:*"], sid="Everything"),
                      _role_statement(denied_by_key, ["kms:*"], sid="AlsoEverything"),
                      {"Sid": "NoDecrypt", "Effect": "Deny", "Principal": {"AWS": denied_by_key},
                       "Action": "kms:Decrypt", "Resource": "*"})
    blob = account.kms.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"]
    with enforce() as enforcer:
        with pytest.raises(ClientError) as by_identity:
            account.kms_as(denied_by_identity).decrypt(CiphertextBlob=blob)
        with pytest.raises(ClientError) as by_key:
            account.kms_as(denied_by_key).decrypt(CiphertextBlob=blob)
        account.kms_as(denied_by_key).encrypt(KeyId=key, Plaintext=b"x")  # only Decrypt is denied
    assert "with an explicit deny in an identity-based policy" in _message(by_identity)
    assert "with an explicit deny in a resource-based policy" in _message(by_key)
    denials = enforcer.denied()
    assert [d.evaluation.decision.value for d in denials] == ["ExplicitlyDenied", "ExplicitlyDenied"]
    assert [m.sid for m in denials[1].evaluation.matched] == ["NoDecrypt"]


def test_encryption_context_condition_in_the_key_policy(account: Account) -> None:
    app = account.role("App")
    key = account.key(_admin_statement(), _role_statement(
        app, ["kms:Encrypt"], Condition={"StringEquals": {"kms:EncryptionContext:project": "alpha"}}))
    with enforce():
        client = account.kms_as(app)
        client.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"project": "alpha"})
        with pytest.raises(ClientError) as exc:
            client.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"project": "beta"})
    assert _code(exc) == "AccessDeniedException"


# -- grants ---------------------------------------------------------------------------------------


def test_grantee_gets_exactly_its_grant(account: Account) -> None:
    key = account.key(_admin_statement())
    grantee = account.role("Grantee")
    account.kms.create_grant(KeyId=key, GranteePrincipal=grantee, Operations=["Encrypt"],
                             Constraints={"EncryptionContextEquals": {"dept": "it"}})
    with enforce() as enforcer:
        client = account.kms_as(grantee)
        client.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"dept": "it"})
        assert enforcer.last_decision is not None
        assert enforcer.last_decision.evaluation.reason == "a grant allows the operation"
        refused = []
        for call in (lambda: client.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"dept": "hr"}),
                     lambda: client.encrypt(KeyId=key, Plaintext=b"x"),
                     lambda: client.generate_data_key(KeyId=key, KeySpec="AES_256",
                                                      EncryptionContext={"dept": "it"}),
                     lambda: client.describe_key(KeyId=key)):
            with pytest.raises(ClientError) as exc:
                call()
            refused.append(_code(exc))
    assert refused == ["AccessDeniedException"] * 4


def test_grant_operations_condition_on_create_grant(account: Account) -> None:
    key = account.key()
    admin = account.role("GrantAdmin", {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "kms:CreateGrant", "Resource": "*",
        "Condition": {"ForAllValues:StringEquals": {"kms:GrantOperations": ["Decrypt", "Encrypt"]}}}]})
    grantee = account.role("Grantee")
    with enforce():
        client = account.kms_as(admin)
        client.create_grant(KeyId=key, GranteePrincipal=grantee, Operations=["Decrypt"])
        with pytest.raises(ClientError) as exc:
            client.create_grant(KeyId=key, GranteePrincipal=grantee, Operations=["Decrypt", "CreateGrant"])
    assert _code(exc) == "AccessDeniedException" and "kms:CreateGrant" in _message(exc)


def test_re_encrypt_needs_both_sides(account: Account) -> None:
    mover = account.role("Mover")
    source = account.key(_admin_statement(), _role_statement(mover, ["kms:ReEncryptFrom"]))
    destination = account.key(_admin_statement())
    blob = account.kms.encrypt(KeyId=source, Plaintext=b"x")["CiphertextBlob"]
    with enforce() as enforcer, pytest.raises(ClientError) as exc:
        account.kms_as(mover).re_encrypt(CiphertextBlob=blob, DestinationKeyId=destination)
    assert f"kms:ReEncryptTo on resource: {destination}" in _message(exc)
    assert [(d.action, d.allowed) for d in enforcer.decisions[-2:]] == [("kms:ReEncryptFrom", True),
                                                                        ("kms:ReEncryptTo", False)]


# -- moto's state changed between requests is seen at once ---------------------------------------


def _denied(call: Any) -> bool:
    try:
        call()
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "AccessDeniedException"
        return True
    return False


def test_changes_to_role_policies_key_policy_and_grants_are_seen_at_once(account: Account) -> None:
    """Every request reads moto's current state: the role's inline and managed policies, its
    recreation, the key policy, the key's aliases and grants, each changed between two requests
    by the same session on the same key."""
    allow_encrypt = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Encrypt",
                                                             "Resource": "*"}]}
    role = account.role("Changing", allow_encrypt)
    key = account.key()  # the default key policy: delegation to the account's IAM policies
    client = account.kms_as(role)

    def encrypt(**extra: Any) -> Any:
        return lambda: client.encrypt(KeyId=key, Plaintext=b"x", **extra)

    seen = []
    with enforce():
        seen.append(_denied(encrypt()))
        account.iam.put_role_policy(RoleName="Changing", PolicyName="kms", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}))
        seen.append(_denied(encrypt()))
        arn = account.iam.create_policy(PolicyName="enc", PolicyDocument=json.dumps(allow_encrypt))["Policy"]["Arn"]
        account.iam.attach_role_policy(RoleName="Changing", PolicyArn=arn)
        seen.append(_denied(encrypt()))
        account.iam.create_policy_version(PolicyArn=arn, SetAsDefault=True, PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Sign", "Resource": "*"}]}))
        seen.append(_denied(encrypt()))
        account.iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
        seen.append(_denied(encrypt()))
        account.iam.detach_role_policy(RoleName="Changing", PolicyArn=arn)
        seen.append(_denied(encrypt()))
        account.iam.delete_role_policy(RoleName="Changing", PolicyName="kms")
        account.iam.delete_role(RoleName="Changing")
        account.role("Changing", allow_encrypt)  # the same ARN, a new role: the session is still its
        seen.append(_denied(encrypt()))
        admin = _admin_statement([*ADMIN_ONLY, "kms:RevokeGrant"])
        account.kms.put_key_policy(KeyId=key, PolicyName="default", Policy=_policy(admin))
        seen.append(_denied(lambda: client.decrypt(CiphertextBlob=account.kms.encrypt(
            KeyId=key, Plaintext=b"x")["CiphertextBlob"])))
        grant = account.kms.create_grant(KeyId=key, GranteePrincipal=role, Operations=["Decrypt"])["GrantId"]
        seen.append(_denied(lambda: client.decrypt(CiphertextBlob=account.kms.encrypt(
            KeyId=key, Plaintext=b"x")["CiphertextBlob"])))
        account.kms.revoke_grant(KeyId=key, GrantId=grant)
        seen.append(_denied(lambda: client.decrypt(CiphertextBlob=account.kms.encrypt(
            KeyId=key, Plaintext=b"x")["CiphertextBlob"])))
        account.kms.put_key_policy(KeyId=key, PolicyName="default", Policy=_policy(
            _admin_statement(), {"Effect": "Deny", "Principal": "*", "Action": "kms:Encrypt", "Resource": "*",
                                 "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/blocked"}}}))
        seen.append(_denied(encrypt()))
        account.kms.create_alias(AliasName="alias/blocked", TargetKeyId=_key_id(key))
        seen.append(_denied(encrypt()))
        account.kms.delete_alias(AliasName="alias/blocked")
        seen.append(_denied(encrypt()))
    assert seen == [False, True, False, True, False, True, False, True, False, True, False, True, False]


# -- key state and key usage ----------------------------------------------------------------------


def test_disabled_key_raises_disabled_exception(account: Account) -> None:
    key = account.key()
    account.kms.disable_key(KeyId=_key_id(key))
    with enforce(), pytest.raises(ClientError) as exc:
        account.kms.encrypt(KeyId=key, Plaintext=b"x")
    assert _code(exc) == "DisabledException"
    assert _message(exc) == f"{key} is disabled."


def test_key_pending_deletion_raises_invalid_state(account: Account) -> None:
    key = account.key()
    blob = account.kms.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"]
    account.kms.schedule_key_deletion(KeyId=_key_id(key), PendingWindowInDays=7)
    with enforce():
        with pytest.raises(ClientError) as exc:
            account.kms.decrypt(CiphertextBlob=blob)
        account.kms.describe_key(KeyId=key)  # DescribeKey works in every key state
    assert _code(exc) == "KMSInvalidStateException"
    assert _message(exc) == f"{key} is pending deletion."


def test_denied_before_the_key_state_is_looked_at(account: Account) -> None:
    stranger = account.role("Stranger")
    key = account.key()
    account.kms.disable_key(KeyId=_key_id(key))
    with enforce(), pytest.raises(ClientError) as exc:
        account.kms_as(stranger).encrypt(KeyId=key, Plaintext=b"x")
    assert _code(exc) == "AccessDeniedException"


def test_encrypt_with_a_signing_key_is_invalid_key_usage(account: Account) -> None:
    key = account.key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    with enforce(), pytest.raises(ClientError) as exc:
        account.kms.encrypt(KeyId=key, Plaintext=b"x")
    assert _code(exc) == "InvalidKeyUsageException"
    assert "SIGN_VERIFY" in _message(exc)


# -- the explanation, the scope, the lifetime -----------------------------------------------------


def test_the_explanation_is_available(account: Account) -> None:
    stranger = account.role("Stranger")
    key = account.key(_admin_statement(ADMIN_ONLY))
    with enforce() as enforcer, pytest.raises(ClientError) as exc:
        account.kms_as(stranger).list_grants(KeyId=key)
    decision = enforcer.last_decision
    assert decision is not None
    text = decision.explain()
    assert text.startswith(f"kms:ListGrants by arn:aws:sts::{ACCOUNT}:assumed-role/Stranger/test on {key}: "
                           "AccessDeniedException")
    assert "ImplicitlyDenied: the key policy does not allow the caller" in text
    assert _message(exc).endswith("[kms-conformance: the key policy does not allow the caller]")


def test_explanation_can_be_kept_out_of_the_message(account: Account) -> None:
    stranger = account.role("Stranger")
    key = account.key(_admin_statement(ADMIN_ONLY))
    with enforce(explain_in_message=False), pytest.raises(ClientError) as exc:
        account.kms_as(stranger).list_grants(KeyId=key)
    assert _message(exc).endswith("because no resource-based policy allows the kms:ListGrants action")


def test_enforcement_is_off_after_the_block(account: Account) -> None:
    stranger = account.role("Stranger")
    key = account.key(_admin_statement())
    original = KmsResponse.call_action
    with enforce():
        assert is_enforcing() and KmsResponse.call_action is not original
    assert not is_enforcing() and KmsResponse.call_action is original
    account.kms_as(stranger).encrypt(KeyId=key, Plaintext=b"x")  # moto's own behaviour again


def test_enforcement_is_off_after_an_error_in_the_block(account: Account) -> None:
    with pytest.raises(RuntimeError), enforce():
        raise RuntimeError("boom")
    assert not is_enforcing()


def test_non_kms_calls_are_untouched(account: Account) -> None:
    stranger = account.role("Stranger")
    creds = account.sts.assume_role(RoleArn=stranger, RoleSessionName="test")["Credentials"]
    s3 = boto3.client("s3", region_name=REGION, aws_access_key_id=creds["AccessKeyId"],
                      aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    with enforce() as enforcer:
        s3.create_bucket(Bucket="untouched")
        s3.put_object(Bucket="untouched", Key="k", Body=b"x")
    assert enforcer.decisions == []


def test_operations_on_no_key_use_identity_policies(account: Account) -> None:
    creator = account.role("Creator", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:CreateKey", "Resource": "*"}]})
    stranger = account.role("Stranger")
    with enforce():
        account.kms_as(creator).create_key(Policy=_policy(_admin_statement()))
        with pytest.raises(ClientError) as exc:
            account.kms_as(stranger).create_key()
    assert _code(exc) == "AccessDeniedException"
    assert "kms:CreateKey on resource: *" in _message(exc)


def test_package_root_re_exports_enforce() -> None:
    assert kms_conformance.enforce is enforce


# -- what the model cannot read is said once, not guessed ------------------------------------------


def test_unknown_access_key_is_the_root_user_with_a_warning(account: Account) -> None:
    key = account.key()
    client = boto3.client("kms", region_name=REGION, aws_access_key_id="AKIAIOSFODNN7EXAMPLF",
                          aws_secret_access_key="x")
    with enforce() as enforcer, pytest.warns(EnforcementWarning, match="treated as the root user") as seen:
        client.encrypt(KeyId=key, Plaintext=b"x")
        client.encrypt(KeyId=key, Plaintext=b"x")
    assert len([w for w in seen if issubclass(w.category, EnforcementWarning)]) == 1
    assert enforcer.last_decision is not None and enforcer.last_decision.caller == ROOT


def test_permissions_boundary_is_named_as_not_evaluated(account: Account) -> None:
    key = account.key()
    boundary = account.iam.create_policy(PolicyName="boundary", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    ))["Policy"]["Arn"]
    bounded = account.role("Bounded", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"}]})
    account.iam.put_role_permissions_boundary(RoleName="Bounded", PermissionsBoundary=boundary)
    with enforce(), pytest.warns(EnforcementWarning, match="permissions boundary .* is not evaluated"):
        account.kms_as(bounded).encrypt(KeyId=key, Plaintext=b"x")


def test_a_key_policy_the_kit_cannot_parse_is_left_to_moto(account: Account) -> None:
    stranger = account.role("Stranger")
    key = account.key(_admin_statement(), {"Effect": "Allow", "Principal": {"AWS": stranger},
                                           "Action": "kms:Encrypt", "Resource": "*",
                                           "Condition": {"NoSuchOperator": {"kms:CallerAccount": ACCOUNT}}})
    with enforce() as enforcer, pytest.warns(EnforcementWarning, match="left to moto unchecked"):
        account.kms_as(stranger).encrypt(KeyId=key, Plaintext=b"x")
    assert enforcer.decisions == []


# -- the pytest face ------------------------------------------------------------------------------


def test_kms_enforce_fixture(kms_enforce: Enforcer) -> None:
    assert is_enforcing() and kms_enforce.decisions == []


@pytest.mark.kms_enforce
def test_kms_enforce_marker() -> None:
    assert is_enforcing()


def test_no_enforcement_without_asking() -> None:
    assert not is_enforcing()


def test_kms_enforce_option(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user="""
        from kms_conformance.enforcement import is_enforcing

        def test_on():
            assert is_enforcing()
    """)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert pytester.runpytest_inprocess("--kms-enforce", "-q", "-p", "no:cacheprovider").ret == 0
        assert pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider").ret == 1
