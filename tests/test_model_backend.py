"""``model_backend``: boto3 clients answered by the reference model in process."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError, ParamValidationError
from kms_conformance.targets.model import ModelTarget
from kms_conformance.targets.model_backend import model_backend

ACCOUNT_ROOT = "arn:aws:iam::123456789012:root"


def client(service: str, creds: dict[str, str] | None = None) -> Any:
    keys = creds or {"aws_access_key_id": "admin", "aws_secret_access_key": "admin"}
    return boto3.client(service, region_name="us-east-1", **keys)


def trust(principal: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]})


def assume(role_arn: str, sts: Any = None) -> dict[str, str]:
    out = (sts or client("sts")).assume_role(RoleArn=role_arn, RoleSessionName="kmsc-test")["Credentials"]
    return {"aws_access_key_id": out["AccessKeyId"], "aws_secret_access_key": out["SecretAccessKey"],
            "aws_session_token": out["SessionToken"]}


def test_calls_reach_the_model_and_the_patch_is_undone() -> None:
    before = BaseClient._make_api_call
    target = ModelTarget()
    with model_backend(target) as backend:
        kms = client("kms")
        key = kms.create_key(Description="x")["KeyMetadata"]
        assert key["KeyId"] in {k.rsplit("/", 1)[-1] for k in target.world.keys} | set(target.world.keys)
        assert kms.describe_key(KeyId=key["Arn"])["KeyMetadata"]["KeyState"] == "Enabled"
        assert backend.calls == 2
    assert BaseClient._make_api_call is before


def test_model_errors_are_client_errors_with_the_same_code() -> None:
    with model_backend():
        with pytest.raises(ClientError) as err:
            client("kms").describe_key(KeyId="alias/none")
        assert err.value.response["Error"]["Code"] == "NotFoundException"
        with pytest.raises(ParamValidationError):
            client("kms").encrypt(KeyId="alias/none")  # Plaintext missing: botocore refuses, as it would for AWS


def test_an_operation_the_model_lacks_is_unsupported_never_a_success() -> None:
    with model_backend(), pytest.raises(ClientError) as err:
        client("s3").list_buckets()
    assert err.value.response["Error"]["Code"] == "UnsupportedOperation"
    assert "s3:ListBuckets" in err.value.response["Error"]["Message"]


def test_assumed_role_credentials_act_as_the_role() -> None:
    with model_backend():
        iam, kms = client("iam"), client("kms")
        role = iam.create_role(RoleName="user", AssumeRolePolicyDocument=trust({"AWS": ACCOUNT_ROOT}))["Role"]["Arn"]
        key = kms.create_key()["KeyMetadata"]["Arn"]
        as_role = client("kms", assume(role))
        with pytest.raises(ClientError) as err:  # the default key policy delegates to IAM; the role has no policy
            as_role.encrypt(KeyId=key, Plaintext=b"x")
        assert err.value.response["Error"]["Code"] == "AccessDeniedException"
        assert "assumed-role/user/" in err.value.response["Error"]["Message"]
        iam.put_role_policy(RoleName="user", PolicyName="p", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": key}]}))
        assert as_role.encrypt(KeyId=key, Plaintext=b"x")["KeyId"] == key
        identity = client("sts", assume(role)).get_caller_identity()
        assert ":assumed-role/user/" in identity["Arn"]


def test_assume_role_is_authorized_by_the_trust_policy() -> None:
    with model_backend():
        iam = client("iam")
        service_only = iam.create_role(RoleName="svc", AssumeRolePolicyDocument=trust(
            {"Service": "forecast.amazonaws.com"}))["Role"]["Arn"]
        with pytest.raises(ClientError) as err:
            assume(service_only)
        assert err.value.response["Error"]["Code"] == "AccessDenied"
        # A role without identity policies: a trust policy naming only its account is not enough ...
        plain = iam.create_role(RoleName="plain", AssumeRolePolicyDocument=trust({"AWS": ACCOUNT_ROOT}))["Role"]
        by_account = iam.create_role(RoleName="by-account", AssumeRolePolicyDocument=trust(
            {"AWS": ACCOUNT_ROOT}))["Role"]["Arn"]
        as_plain = client("sts", assume(plain["Arn"]))
        with pytest.raises(ClientError) as err:
            assume(by_account, as_plain)
        assert err.value.response["Error"]["Code"] == "AccessDenied"
        # ... one naming the role itself is.
        by_name = iam.create_role(RoleName="by-name", AssumeRolePolicyDocument=trust(
            {"AWS": plain["Arn"]}))["Role"]["Arn"]
        assert assume(by_name, as_plain)["aws_access_key_id"].startswith("ASIA")
        with pytest.raises(ClientError):
            assume("arn:aws:iam::123456789012:role/none")
