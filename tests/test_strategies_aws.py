"""The identifier strategies produce values in AWS's documented formats (strategies/aws.py)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kms_conformance.strategies import aws

FAST = settings(max_examples=40, deadline=None)

ACCOUNT = re.compile(r"^\d{12}$")
W = r"[A-Za-z0-9_+=,.@-]"
IAM_NAME = rf"{W}{{1,64}}"
ROLE_ARN = re.compile(rf"^arn:(aws|aws-cn|aws-us-gov):iam::\d{{12}}:role(/{W}+)*/{IAM_NAME}$")
USER_ARN = re.compile(rf"^arn:aws:iam::\d{{12}}:user(/{W}+)*/{IAM_NAME}$")
SESSION_ARN = re.compile(rf"^arn:aws:sts::\d{{12}}:assumed-role/{IAM_NAME}/{W}{{2,64}}$")
ROOT_ARN = re.compile(r"^arn:aws:iam::\d{12}:root$")
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
MRK = r"mrk-[0-9a-f]{32}"
KEY_ARN = re.compile(rf"^arn:(aws|aws-cn|aws-us-gov):kms:[a-z0-9-]+:\d{{12}}:key/({UUID}|{MRK})$")
ALIAS = re.compile(r"^alias/[a-zA-Z0-9/_-]{1,250}$")
ALIAS_ARN = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):kms:[a-z0-9-]+:\d{12}:alias/[a-zA-Z0-9/_-]+$")
LOG_GROUP_ARN = re.compile(
    r"^arn:(aws|aws-cn|aws-us-gov):logs:[a-z0-9-]+:\d{12}:log-group:[.\-_/#A-Za-z0-9]{1,512}$"
)
# CreateCollection (OpenSearch Serverless API Reference): 3-32, [a-z][a-z0-9-]+.
COLLECTION = re.compile(r"^[a-z][a-z0-9-]+$")
# CreateEnvironment (Amazon MWAA API Reference): 1-80, ^[a-zA-Z][0-9a-zA-Z-_]*$.
ENVIRONMENT = re.compile(r"^[a-zA-Z][0-9a-zA-Z\-_]*$")
SERVICE_PRINCIPAL = re.compile(r"^[a-z-]+(\.[a-z]{2}(-gov)?-[a-z]+-\d)?\.amazonaws\.com$")


@FAST
@given(st.data())
def test_regions_belong_to_their_partition(data: st.DataObject) -> None:
    partition = data.draw(aws.partitions())
    region = data.draw(aws.regions(partition))
    assert aws.partition_of(region) == partition
    other = data.draw(aws.other_region(region))
    assert other != region and aws.partition_of(other) == partition


def test_unknown_partition_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown partition"):
        aws.regions("aws-mars")


def test_partition_of_recognises_unlisted_regions_by_prefix() -> None:
    assert aws.partition_of("cn-south-9") == "aws-cn"
    assert aws.partition_of("us-gov-north-9") == "aws-us-gov"
    assert aws.partition_of("mx-central-1") == "aws"


@FAST
@given(aws.account_ids())
def test_account_ids_are_twelve_digits(account: str) -> None:
    assert ACCOUNT.match(account)


@FAST
@given(aws.iam_role_arns(), aws.iam_user_arns(), aws.assumed_role_arns(), aws.account_root_arns())
def test_iam_and_sts_arns_match_aws_formats(role: str, user: str, session: str, root: str) -> None:
    assert ROLE_ARN.match(role), role
    assert USER_ARN.match(user), user
    assert SESSION_ARN.match(session), session
    assert ROOT_ARN.match(root), root


@FAST
@given(aws.iam_role_arns(account="111122223333", partition="aws-cn"))
def test_role_arns_honour_account_and_partition(role: str) -> None:
    assert role.startswith("arn:aws-cn:iam::111122223333:role/")
    assert ROLE_ARN.match(role)


@FAST
@given(aws.iam_role_arns())
def test_role_arns_sometimes_have_paths(role: str) -> None:
    # Across runs both forms appear; each value is one of the two well-formed shapes.
    path_and_name = role.split(":role", 1)[1]
    assert path_and_name.startswith("/")
    assert len(path_and_name.split("/")[-1]) <= 64


@FAST
@given(aws.principals(account="111122223333"))
def test_principals_are_one_of_the_known_forms(principal: str) -> None:
    forms = (ROLE_ARN, USER_ARN, SESSION_ARN, ROOT_ARN, ACCOUNT, SERVICE_PRINCIPAL)
    assert any(p.match(principal) for p in forms)
    if principal.startswith("arn:") or principal.isdigit():
        assert "111122223333" in principal


@FAST
@given(aws.service_principals())
def test_service_principals_are_global_or_regional(principal: str) -> None:
    assert SERVICE_PRINCIPAL.match(principal), principal
    service = principal.split(".")[0]
    if principal.count(".") == 3:  # regional form: <service>.<region>.amazonaws.com
        assert service in aws.REGIONAL_PRINCIPAL_PREFIXES
        assert principal.split(".")[1] in aws.ALL_REGIONS


@pytest.mark.parametrize(
    ("service", "prefix"),
    [("mwaa", "airflow"), ("feature-store", "sagemaker"), ("opensearch-serverless", "aoss"),
     ("logs", "logs")],
)
def test_service_principals_accept_kit_service_names(service: str, prefix: str) -> None:
    @FAST
    @given(aws.service_principals(service, region="us-west-2"))
    def check(principal: str) -> None:
        # MWAA's execution role trusts both airflow.amazonaws.com and airflow-env.amazonaws.com.
        assert principal.startswith((prefix + ".", prefix + "-env."))
        assert principal.endswith(".amazonaws.com")
        if principal.count(".") == 3:
            assert principal == f"{prefix}.us-west-2.amazonaws.com"

    check()


def test_service_principals_refuse_unknown_service() -> None:
    with pytest.raises(ValueError, match="no service principal"):
        aws.service_principals("glacier")


@FAST
@given(aws.via_service_values(), aws.via_service_values("forecast", "cn-north-1"))
def test_via_service_values(value: str, forecast_cn: str) -> None:
    service, region, suffix = value.split(".", 2)
    assert service in aws.VIA_SERVICE_PREFIXES
    assert region in aws.ALL_REGIONS
    assert suffix == aws.DNS_SUFFIX[aws.partition_of(region)]
    assert forecast_cn == "forecast.cn-north-1.amazonaws.com.cn"


@FAST
@given(aws.key_ids(), aws.key_ids(multi_region=True), aws.key_ids(multi_region=False))
def test_key_ids(any_id: str, mrk: str, single: str) -> None:
    assert re.fullmatch(rf"{UUID}|{MRK}", any_id)
    assert re.fullmatch(MRK, mrk)
    assert re.fullmatch(UUID, single)


@FAST
@given(aws.key_arns(), aws.key_arns(region="cn-northwest-1", account="111122223333", multi_region=True))
def test_key_arns(arn: str, fixed: str) -> None:
    assert KEY_ARN.match(arn), arn
    region = arn.split(":")[3]
    assert arn.split(":")[1] == aws.partition_of(region)
    assert fixed.startswith("arn:aws-cn:kms:cn-northwest-1:111122223333:key/mrk-")


@FAST
@given(aws.alias_names(), aws.alias_arns(region="us-east-1", account="111122223333"))
def test_aliases_are_valid_and_never_reserved(alias: str, alias_arn: str) -> None:
    assert ALIAS.match(alias) and len(alias) <= 256
    assert not alias.lower().startswith("alias/aws/") and alias.lower() != "alias/aws"
    assert ALIAS_ARN.match(alias_arn)
    assert alias_arn.startswith("arn:aws:kms:us-east-1:111122223333:alias/")


@FAST
@given(aws.log_group_arns(region="us-west-2"))
def test_log_group_arns(arn: str) -> None:
    assert LOG_GROUP_ARN.match(arn), arn
    assert arn.split(":")[3] == "us-west-2"


@FAST
@given(aws.collection_names(), aws.collection_names(max_size=28))
def test_collection_names_match_create_collection(name: str, short: str) -> None:
    assert COLLECTION.match(name) and 3 <= len(name) <= 32
    assert COLLECTION.match(short) and 3 <= len(short) <= 28


def test_collection_names_refuse_impossible_sizes() -> None:
    with pytest.raises(ValueError):
        aws.collection_names(max_size=40)


@FAST
@given(aws.environment_names())
def test_environment_names_match_create_environment(name: str) -> None:
    assert ENVIRONMENT.match(name) and 1 <= len(name) <= 80


@FAST
@given(aws.grant_names(), aws.session_names(), aws.iam_paths())
def test_grant_and_session_names_and_paths(grant: str, session: str, path: str) -> None:
    assert re.fullmatch(r"[a-zA-Z0-9:/_-]{1,256}", grant)
    assert re.fullmatch(rf"{W}{{2,64}}", session)
    assert path.startswith("/") and path.endswith("/") and "//" not in path
