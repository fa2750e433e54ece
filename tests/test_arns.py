"""ARNs: the shapes of the IAM User Guide ("IAM identifiers") and the AWS KMS Developer Guide
("Key identifiers (KeyId)"), accepted and refused by :mod:`kms_conformance.arns`."""

from __future__ import annotations

import pytest
from hypothesis import given
from kms_conformance import arns
from kms_conformance.strategies.aws import alias_arns, assumed_role_arns, iam_role_arns, key_arns, key_ids

UUID = "1234abcd-12ab-34cd-56ef-1234567890ab"
MRK = "mrk-1234abcd12ab34cd56ef1234567890ab"


# --- KMS keys ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "partition", "region", "account", "key_id"), [
    (f"arn:aws:kms:us-east-1:111122223333:key/{UUID}", "aws", "us-east-1", "111122223333", UUID),
    (f"arn:aws:kms:us-east-2:111122223333:key/{MRK}", "aws", "us-east-2", "111122223333", MRK),
    (f"arn:aws-cn:kms:cn-north-1:111122223333:key/{UUID}", "aws-cn", "cn-north-1", "111122223333", UUID),
    (f"arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/{UUID.upper()}", "aws-us-gov", "us-gov-west-1",
     "111122223333", UUID.upper()),
])
def test_key_arns_are_parsed(text: str, partition: str, region: str, account: str, key_id: str) -> None:
    arn = arns.parse_key_arn(text)
    assert arn is not None
    assert (arn.partition, arn.region, arn.account, arn.resource_id) == (partition, region, account, key_id)
    assert str(arn) == text
    assert arns.key_arn(partition, region, account, key_id) == text


@pytest.mark.parametrize("text", [
    f"arn:aws:kms:us-east-1:111122223333:key/{UUID[:-1]}",          # UUID one digit short
    "arn:aws:kms:us-east-1:111122223333:key/1234abcd",               # not a UUID
    "arn:aws:kms:us-east-1:111122223333:key/other",
    "arn:aws:kms:us-east-1:111122223333:key/mrk-1234",               # mrk- id too short
    f"arn:aws:kms:us-east-1:111122223333:key/mrk-{UUID}",            # mrk- ids have no hyphens
    f"arn:aws:kms:us-east-1:111122223333:key/{UUID}/x",
    f"arn:aws:kms::111122223333:key/{UUID}",                         # no Region
    f"arn:aws:kms:us-east-1:1111222233:key/{UUID}",                  # account of 10 digits
    f"arn:aws:kms:us-east-1:111122223333\n:key/{UUID}",
    f"arn:aws:encryption:us-east-1:111122223333:key/{UUID}",         # another service
    f"arn:aws-xx:kms:us-east-1:111122223333:key/{UUID}",             # unknown partition
    f"nra:aws:kms:us-east-1:111122223333:key/{UUID}",                # not an ARN
    f"arn:aws:kms:us-east-1:111122223333:alias/{UUID}",
    UUID, "", None, 42,
])
def test_other_strings_are_not_key_arns(text: object) -> None:
    assert arns.parse_key_arn(text) is None


def test_key_ids() -> None:
    assert arns.is_key_id(UUID) and arns.is_key_id(MRK)
    for text in ("alias/x", f"{UUID}\n", "1234", f"arn:aws:kms:us-east-1:111122223333:key/{UUID}", None):
        assert not arns.is_key_id(text), text


@given(key_arns())
def test_every_generated_key_arn_parses(text: str) -> None:
    arn = arns.parse_key_arn(text)
    assert arn is not None and arns.is_key_id(arn.resource_id)


@given(key_ids())
def test_every_generated_key_id_is_one(key_id: str) -> None:
    assert arns.is_key_id(key_id)


# --- aliases -----------------------------------------------------------------------------------------

def test_alias_arns() -> None:
    text = "arn:aws:kms:us-east-1:111122223333:alias/aws/forecast"
    arn = arns.parse_alias_arn(text)
    assert arn is not None and arn.resource == "alias/aws/forecast" and arn.account == "111122223333"
    assert arns.alias_arn("aws", "us-east-1", "111122223333", "alias/aws/forecast") == text
    assert arns.parse_alias_arn("arn:aws:kms:us-east-1:111122223333:alias/") is None
    assert arns.parse_alias_arn("arn:aws:kms:us-east-1:111122223333:alias/a b") is None
    assert arns.parse_alias_arn(f"arn:aws:kms:us-east-1:111122223333:key/{UUID}") is None
    assert arns.parse_alias_arn("alias/x") is None


@given(alias_arns())
def test_every_generated_alias_arn_parses(text: str) -> None:
    assert arns.parse_alias_arn(text) is not None


# --- IAM roles, sessions, managed policies --------------------------------------------------------

@pytest.mark.parametrize(("text", "name", "path"), [
    ("arn:aws:iam::111122223333:role/R", "R", "/"),
    ("arn:aws:iam::111122223333:role/service-role/AmazonForecast+=,.@_-Role", "AmazonForecast+=,.@_-Role",
     "/service-role/"),
    ("arn:aws-cn:iam::111122223333:role/a/b/c/R", "R", "/a/b/c/"),
])
def test_role_arns_with_paths(text: str, name: str, path: str) -> None:
    arn = arns.parse_role_arn(text)
    assert arn is not None and arn.resource_id == name and arn.path == path
    assert arns.role_name_of(text) == name
    assert arns.role_arn(arn.partition, arn.account, name, path) == text


@pytest.mark.parametrize("text", [
    "arn:aws:iam::111122223333:role/" + "r" * 65,                    # names are 64 characters at most
    "arn:aws:iam::111122223333:role/bad name",
    "arn:aws:iam::111122223333:role/rôle",                           # ASCII only
    "arn:aws:iam::111122223333:user/R",
    "arn:aws:iam::111122223333:root",
    "arn:aws:iam:us-east-1:111122223333:role/R",                     # IAM ARNs have no Region
    "arn:aws:iam::aws:role/R",
    "arn:aws:sts::111122223333:assumed-role/R/s1",
])
def test_not_role_arns(text: str) -> None:
    assert arns.parse_role_arn(text) is None


@given(iam_role_arns())
def test_every_generated_role_arn_parses(text: str) -> None:
    assert arns.parse_role_arn(text) is not None


def test_session_arns() -> None:
    text = arns.session_arn("aws", "111122223333", "R", "kms-conformance")
    assert text == "arn:aws:sts::111122223333:assumed-role/R/kms-conformance"
    arn = arns.parse_session_arn(text)
    assert arn is not None and arn.account == "111122223333" and arns.role_name_of(text) == "R"
    for bad in ("arn:aws:sts::111122223333:assumed-role/R", "arn:aws:sts::111122223333:assumed-role/R/s",
                "arn:aws:sts::111122223333:federated-user/R", "arn:aws:iam::111122223333:role/R/s1"):
        assert arns.parse_session_arn(bad) is None, bad
    assert arns.role_name_of("arn:aws:iam::111122223333:user/u") is None


@given(assumed_role_arns())
def test_every_generated_session_arn_parses(text: str) -> None:
    assert arns.parse_session_arn(text) is not None


@pytest.mark.parametrize(("text", "ok"), [
    ("arn:aws:iam::111122223333:policy/KitBoundary", True),
    ("arn:aws:iam::111122223333:policy/boundaries/KitBoundary", True),
    ("arn:aws:iam::aws:policy/ReadOnlyAccess", True),                  # AWS managed
    ("arn:aws-us-gov:iam::111122223333:policy/P", True),
    ("arn:aws:iam::111122223333:role/KitBoundary", False),
    ("arn:aws:iam::111122223333:policy/", False),
    ("arn:aws:iam::other:policy/P", False),
    ("arn:aws:iam::111122223333:policy/" + "p" * 129, False),
])
def test_policy_arns(text: str, ok: bool) -> None:
    assert (arns.parse_policy_arn(text) is not None) is ok


# --- buckets, accounts, partitions -----------------------------------------------------------------

def test_bucket_arns() -> None:
    arn = arns.parse_bucket_arn("arn:aws:s3:::my-forecast-bucket")
    assert arn is not None and arn.resource == "my-forecast-bucket"
    for bad in ("arn:aws:s3:::My_Bucket", "arn:aws:s3:::ab", "arn:aws:s3:us-east-1::bucket",
                "arn:aws:s3::111122223333:bucket", "arn:aws:s3:::bucket/key"):
        assert arns.parse_bucket_arn(bad) is None, bad


def test_accounts_and_root() -> None:
    assert arns.is_account_id("012345678901")
    for bad in ("12345678901", "1234567890123", "11112222333a", "111122223333\n", "١١١١٢٢٢٢٣٣٣٣", None):
        assert not arns.is_account_id(bad), bad
    assert arns.root_arn("aws-cn", "111122223333") == "arn:aws-cn:iam::111122223333:root"
    assert arns.account_of("arn:aws:iam::111122223333:root") == "111122223333"
    assert arns.account_of("arn:aws:s3:::bucket") is None
    assert arns.account_of("111122223333") is None


@pytest.mark.parametrize("partition", arns.PARTITIONS)
def test_every_partition_is_known(partition: str) -> None:
    arn = arns.parse_arn(f"arn:{partition}:iam::111122223333:root")
    assert arn is not None and arn.partition == partition
