"""A user's own suite, as it would be without the kit: moto by decorator and by context manager,
and a test that talks to no moto at all. tests/test_plugin_isolation.py runs it with and without
``--kms-conformance`` and expects the same outcomes (this folder has no conftest on purpose)."""

from __future__ import annotations

import os

import boto3
from moto import mock_aws
from moto.core.models import MockAWS, botocore_stubber


def _feature_group() -> str:
    sm = boto3.client("sagemaker", region_name="us-east-1")
    sm.create_feature_group(
        FeatureGroupName="customers", RecordIdentifierFeatureName="id", EventTimeFeatureName="t",
        FeatureDefinitions=[{"FeatureName": "id", "FeatureType": "String"},
                            {"FeatureName": "t", "FeatureType": "String"}],
        OnlineStoreConfig={"EnableOnlineStore": True},
        OfflineStoreConfig={"S3StorageConfig": {"S3Uri": "s3://offline/customers"}},
        RoleArn="arn:aws:iam::123456789012:role/featurestore")
    return str(sm.describe_feature_group(FeatureGroupName="customers")["FeatureGroupName"])


@mock_aws
def test_decorated_feature_group_starts_from_nothing() -> None:
    assert _feature_group() == "customers"


def test_context_manager_sees_no_earlier_state() -> None:
    with mock_aws():
        assert _feature_group() == "customers"  # the decorated test's group is gone
        s3 = boto3.client("s3", region_name="us-east-1")
        assert s3.list_buckets()["Buckets"] == []
        s3.create_bucket(Bucket="left-behind")
        kms = boto3.client("kms", region_name="us-east-1")
        assert kms.list_keys()["Keys"] == []  # none of the kit's keys


def test_next_mock_sees_no_bucket_left() -> None:
    with mock_aws():
        assert boto3.client("s3", region_name="us-east-1").list_buckets()["Buckets"] == []


def test_unmocked_code_talks_to_aws() -> None:
    """No moto is started here: botocore's requests would go to AWS (none is sent)."""
    assert MockAWS._nested_count == 0
    assert not botocore_stubber.enabled
    assert os.environ.get("AWS_ACCESS_KEY_ID") != "FOOBARKEY"
    client = boto3.client("kms", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    assert client.meta.endpoint_url == "https://kms.us-east-1.amazonaws.com"
