"""Grant strategies produce CreateGrant requests AWS accepts (strategies/grants.py): the kit's own
``kms_conformance.kms.parse_grant`` accepts them (for the key usage they were drawn for), and so does
moto's CreateGrant."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from kms_conformance.kms import parse_grant
from kms_conformance.strategies.grants import (
    COMMON_OPERATIONS,
    ENCRYPTION_CONTEXT_OPERATIONS,
    GRANT_OPERATIONS,
    OPERATIONS_BY_KEY_USAGE,
    grant_operations,
    grants,
)

FAST = settings(max_examples=40, deadline=None)
KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@FAST
@given(grants(key_arn=KEY, account="111122223333"))
def test_grants_have_the_create_grant_shape(grant: dict[str, Any]) -> None:
    fields = {"KeyId", "GranteePrincipal", "RetiringPrincipal", "Operations", "Constraints", "Name"}
    assert set(grant) <= fields
    assert grant["KeyId"] == KEY
    ops = grant["Operations"]
    assert ops and len(ops) == len(set(ops))
    assert set(ops) <= set(OPERATIONS_BY_KEY_USAGE["ENCRYPT_DECRYPT"])
    assert re.match(r"^(arn:aws:(iam|sts)::111122223333:|[a-z-]+(\.[a-z0-9-]+)?\.amazonaws\.com$)",
                    grant["GranteePrincipal"])
    if "Constraints" in grant:
        (kind, ctx), = grant["Constraints"].items()
        assert kind in ("EncryptionContextEquals", "EncryptionContextSubset")
        assert 1 <= len(ctx) <= 8 and all(isinstance(v, str) for v in ctx.values())
        assert set(ops) <= set(ENCRYPTION_CONTEXT_OPERATIONS + COMMON_OPERATIONS)
    if "Name" in grant:
        assert re.fullmatch(r"[a-zA-Z0-9:/_-]{1,256}", grant["Name"])
    parsed = parse_grant(grant)
    assert set(parsed.operations) == set(ops)
    assert parsed.key_arn == KEY


@pytest.mark.parametrize("usage", sorted(OPERATIONS_BY_KEY_USAGE))
def test_operations_fit_the_key_usage(usage: str) -> None:
    @FAST
    @given(grants(key_usage=usage))
    def check(grant: dict[str, Any]) -> None:
        assert set(grant["Operations"]) <= set(OPERATIONS_BY_KEY_USAGE[usage])
        assert set(parse_grant(grant, key_usage=usage).operations) == set(grant["Operations"])
        if usage != "ENCRYPT_DECRYPT":  # only symmetric encryption keys take an encryption context
            assert "Constraints" not in grant

    check()


def test_unknown_key_usage_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown KeyUsage"):
        grant_operations("ENCRYPT_EVERYTHING")


@FAST
@given(grant_operations(None))
def test_any_grant_operations(ops: list[str]) -> None:
    assert ops and set(ops) <= set(GRANT_OPERATIONS)


@pytest.fixture
def kms_client(monkeypatch: pytest.MonkeyPatch) -> Any:
    import boto3
    from moto import mock_aws

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("kms", region_name="us-east-1")


def test_moto_accepts_generated_grants(kms_client: Any) -> None:
    """The requests go through botocore's parameter validation and moto's CreateGrant unchanged."""
    key_arn = kms_client.create_key()["KeyMetadata"]["Arn"]
    account = key_arn.split(":")[4]

    @settings(max_examples=25, deadline=None)
    @given(grants(key_arn=key_arn, account=account))
    def check(grant: dict[str, Any]) -> None:
        response = kms_client.create_grant(**grant)
        assert response["GrantId"]

    check()
