"""``sweep`` removes the kit's leftovers older than the cutoff and nothing else (moto in-process)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from conformance.resources import creation_tags, iam_tags, kms_tags
from conformance.sweep import execute, plan_sweep


@pytest.fixture
def clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        cache: dict[str, Any] = {}

        def make(service: str) -> Any:
            if service not in cache:
                cache[service] = boto3.client(service, region_name="us-east-1")
            return cache[service]

        yield make


def test_sweep_removes_only_old_tagged_resources(clients: Any) -> None:
    kms, iam = clients("kms"), clients("iam")
    old = creation_tags("run-old", datetime.now(UTC) - timedelta(hours=30))
    new = creation_tags("run-new")
    old_key = kms.create_key(Tags=kms_tags(old))["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/kmsc-old", TargetKeyId=old_key)
    kms.create_grant(KeyId=old_key, GranteePrincipal="arn:aws:iam::123456789012:role/x", Operations=["Decrypt"])
    new_key = kms.create_key(Tags=kms_tags(new))["KeyMetadata"]["KeyId"]
    users_key = kms.create_key()["KeyMetadata"]["KeyId"]
    iam.create_role(RoleName="kmsc-old", AssumeRolePolicyDocument="{}", Tags=iam_tags(old))
    decrypt = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}'
    iam.put_role_policy(RoleName="kmsc-old", PolicyName="p", PolicyDocument=decrypt)
    iam.create_role(RoleName="users-role", AssumeRolePolicyDocument="{}")

    plan = plan_sweep(clients, older_than_hours=6)
    kinds = [(a.service, a.kind, a.ident.split("/")[0]) for a in plan]
    assert ("kms", "alias", "alias") in kinds
    assert ("kms", "key", old_key) in kinds
    assert ("iam", "role", "kmsc-old") in kinds
    # aliases and grants come before their key
    order = [a.kind for a in plan if a.service == "kms"]
    assert order.index("alias") < order.index("key") and order.index("grant") < order.index("key")
    idents = {a.ident for a in plan}
    assert new_key not in idents and users_key not in idents and "users-role" not in idents

    lines: list[str] = []
    assert execute(clients, plan, report=lines.append) == 0
    assert kms.describe_key(KeyId=old_key)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    assert kms.describe_key(KeyId=new_key)["KeyMetadata"]["KeyState"] == "Enabled"
    assert kms.describe_key(KeyId=users_key)["KeyMetadata"]["KeyState"] == "Enabled"
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["users-role"]
    assert plan_sweep(clients, older_than_hours=6) == []  # idempotent: nothing left to do
    assert any("removed kms key" in line for line in lines)


def test_sweep_zero_hours_takes_new_resources_too(clients: Any) -> None:
    key = clients("kms").create_key(Tags=kms_tags(creation_tags("r1")))["KeyMetadata"]["KeyId"]
    assert [a.ident for a in plan_sweep(clients, older_than_hours=0) if a.kind == "key"] == [key]
    assert [a.ident for a in plan_sweep(clients, older_than_hours=1) if a.kind == "key"] == []
