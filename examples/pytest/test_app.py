"""The example project's own tests of its code (app/feature_store.py), with moto as usual.

    pytest examples/pytest                      # the project's tests, moto per test
    pytest examples/pytest --kms-conformance    # the same tests, plus the kit's rules: unchanged
    pytest examples/pytest --kms-enforce        # every KMS call to moto decided by key policies

``kms_record`` records what the code sends and ``assert_conformant`` checks it against the pages'
rules, naming the call that broke one; ``@pytest.mark.kms_enforce`` makes moto refuse a KMS request
AWS would refuse.
"""

from __future__ import annotations

import boto3
import pytest
from app.feature_store import provision
from kms_conformance.pytest_plugin import assert_conformant
from moto import mock_aws


@mock_aws
def test_provision_creates_the_feature_group() -> None:
    """Starts from an empty moto, with or without --kms-conformance."""
    provision("customers")
    group = boto3.client("sagemaker", region_name="us-east-1").describe_feature_group(FeatureGroupName="customers")
    assert group["FeatureGroupName"] == "customers"


@mock_aws
def test_provision_twice_in_two_tests_is_fine() -> None:
    """The same name again: nothing of the previous test (or of the kit) is left in moto."""
    provision("customers")


def test_what_provision_sends_follows_the_pages(kms_record) -> None:  # type: ignore[no-untyped-def]
    with mock_aws():
        provision("customers")
    assert_conformant(kms_record)


def test_an_asymmetric_key_is_refused_before_aws_sees_it(kms_record) -> None:  # type: ignore[no-untyped-def]
    with mock_aws():
        provision("orders", key_spec="RSA_2048")  # moto accepts it; Feature Store would not
    with pytest.raises(pytest.fail.Exception, match=r"FS-03 fails: sagemaker:CreateFeatureGroup \(call \d+\)"):
        assert_conformant(kms_record)


@pytest.mark.kms_enforce
@mock_aws
def test_the_writer_role_uses_the_key_only_through_sagemaker() -> None:
    """Under enforcement moto answers KMS as the key policy says: the writer role's statement holds
    only with kms:ViaService sagemaker, so a direct call of the role is denied (moto alone allows it)."""
    key = provision("payments")
    sts = boto3.client("sts", region_name="us-east-1")
    role = "arn:aws:iam::123456789012:role/payments-writer"
    creds = sts.assume_role(RoleArn=role, RoleSessionName="direct")["Credentials"]
    kms = boto3.client("kms", region_name="us-east-1", aws_access_key_id=creds["AccessKeyId"],
                       aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    with pytest.raises(kms.exceptions.ClientError) as denied:
        kms.generate_data_key(KeyId=key, KeySpec="AES_256")
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
