"""Strategies for AWS identifiers: partitions, regions, accounts, IAM and STS ARNs, service
principals, KMS key ids/ARNs and aliases, log groups, and the resource names of the services the
documents cover (OpenSearch Serverless collections, MWAA environments).

Every value is in the exact wire form AWS accepts. Formats follow the AWS pages cited per function
("IAM identifiers", "Key identifiers (KeyId)", "Create aliases", the CreateCollection and
CreateEnvironment API references).
"""

from __future__ import annotations

from collections.abc import Mapping

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from kms_conformance import arns
from kms_conformance.kms.keys import KEY_SPEC_USAGES as KMS_KEY_SPEC_USAGES
from kms_conformance.strategies.reuse import reusable

#: Regions per partition. A representative subset (not every Region), enough for the kit to vary
#: the Region inside ARNs and ``kms:ViaService`` values while staying inside one partition.
PARTITION_REGIONS: Mapping[str, tuple[str, ...]] = {
    "aws": (
        "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1",
        "eu-west-1", "eu-west-2", "eu-central-1", "eu-north-1",
        "ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2", "ap-south-1",
    ),
    "aws-cn": ("cn-north-1", "cn-northwest-1"),
    "aws-us-gov": ("us-gov-west-1", "us-gov-east-1"),
}

#: The DNS suffix of service endpoints (and so of ``kms:ViaService`` values) per partition.
DNS_SUFFIX: Mapping[str, str] = {
    "aws": "amazonaws.com", "aws-cn": "amazonaws.com.cn", "aws-us-gov": "amazonaws.com",
}

#: Every Region this module knows, to recognise a Region inside a string.
ALL_REGIONS: tuple[str, ...] = tuple(r for regs in PARTITION_REGIONS.values() for r in regs)

#: Global service principals of the services the documents cover (and CloudWatch Logs, which MWAA
#: uses). Keys are the endpoint prefixes; the kit's service names map onto them (SERVICE_PREFIX).
GLOBAL_SERVICE_PRINCIPALS: Mapping[str, tuple[str, ...]] = {
    "forecast": ("forecast.amazonaws.com",),
    "sagemaker": ("sagemaker.amazonaws.com",),
    "aoss": ("aoss.amazonaws.com",),
    "airflow": ("airflow.amazonaws.com", "airflow-env.amazonaws.com"),
    "logs": (),
}

#: Services whose principal also takes the regional form ``<prefix>.<region>.amazonaws.com``
#: (MWAA page 003: ``airflow.region.amazonaws.com``; its CloudWatch Logs sample:
#: ``logs.us-west-2.amazonaws.com``).
REGIONAL_PRINCIPAL_PREFIXES: tuple[str, ...] = ("airflow", "logs")

#: The kit's service names (kms_conformance.rules) to endpoint prefixes.
SERVICE_PREFIX: Mapping[str, str] = {
    "forecast": "forecast",
    "feature-store": "sagemaker",
    "sagemaker": "sagemaker",
    "opensearch-serverless": "aoss",
    "aoss": "aoss",
    "mwaa": "airflow",
    "airflow": "airflow",
    "logs": "logs",
    "kms": "kms",
}

#: Endpoint prefixes used in ``kms:ViaService`` values: the documents' services and a few common
#: AWS integrations, so that a "wrong service" is always available.
VIA_SERVICE_PREFIXES: tuple[str, ...] = (
    "forecast", "sagemaker", "aoss", "airflow", "logs", "s3", "dynamodb", "ec2", "rds", "secretsmanager",
)

_HEX = "0123456789abcdef"
_IAM_NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+=,.@_-"
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_ALNUM = _LOWER + _LOWER.upper() + "0123456789"


def partition_of(region: str) -> str:
    """The partition a Region belongs to (``cn-north-1`` -> ``aws-cn``); ``aws`` if unknown.

    >>> partition_of("us-gov-west-1")
    'aws-us-gov'
    """
    for partition, regs in PARTITION_REGIONS.items():
        if region in regs:
            return partition
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _fixed_or(value: str | None, strategy: SearchStrategy[str]) -> SearchStrategy[str]:
    return st.just(value) if value is not None else strategy


@reusable
def partitions() -> SearchStrategy[str]:
    """An AWS partition: ``aws``, ``aws-cn`` or ``aws-us-gov``.

    Example: ``"aws-cn"``.
    """
    return st.sampled_from(tuple(PARTITION_REGIONS))


@reusable
def regions(partition: str | None = None) -> SearchStrategy[str]:
    """A Region code of ``partition`` (any partition when None), e.g. ``"eu-west-1"``."""
    if partition is None:
        return st.sampled_from(ALL_REGIONS)
    if partition not in PARTITION_REGIONS:
        raise ValueError(f"unknown partition {partition!r}; known: {', '.join(PARTITION_REGIONS)}")
    return st.sampled_from(PARTITION_REGIONS[partition])


@reusable
def other_region(region: str) -> SearchStrategy[str]:
    """A Region of the same partition as ``region`` but different from it.

    Example: ``other_region("cn-north-1")`` always gives ``"cn-northwest-1"``.
    """
    return regions(partition_of(region)).filter(lambda r: r != region)


@reusable
def account_ids() -> SearchStrategy[str]:
    """A 12-digit AWS account id (leading zeros allowed), e.g. ``"111122223333"``.

    Source: "AWS account identifiers" (AWS Account Management reference guide).
    """
    return st.text(alphabet="0123456789", min_size=12, max_size=12)


@reusable
def iam_names(max_size: int = 64) -> SearchStrategy[str]:
    """An IAM user or role name: 1-64 of letters, digits and ``+=,.@_-`` ("IAM identifiers",
    IAM User Guide), e.g. ``"ROLE_PASSED_TO_FORECAST"``."""
    readable = st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,23}", fullmatch=True)
    raw = st.text(alphabet=_IAM_NAME_CHARS, min_size=1, max_size=max_size)
    return st.one_of(readable, raw).filter(lambda n: 1 <= len(n) <= max_size)


@reusable
def role_names() -> SearchStrategy[str]:
    """An IAM role name (64 characters at most), e.g. ``"featurestore-admin"``."""
    return iam_names(64)


@reusable
def iam_paths() -> SearchStrategy[str]:
    """An IAM path: ``/`` or ``/seg/.../`` ("IAM identifiers"), e.g. ``"/service-role/"``."""
    segment = st.from_regex(r"[A-Za-z0-9_-]{1,12}", fullmatch=True)
    return st.one_of(
        st.just("/"),
        st.just("/service-role/"),
        st.lists(segment, min_size=1, max_size=3).map(lambda segs: "/" + "/".join(segs) + "/"),
    )


@reusable
def iam_role_arns(account: str | None = None, partition: str = "aws") -> SearchStrategy[str]:
    """An IAM role ARN, sometimes with a path.

    Example: ``"arn:aws:iam::111122223333:role/service-role/ROLE_PASSED_TO_FORECAST"``.
    """
    return st.builds(
        lambda acct, path, name: arns.role_arn(partition, acct, name, path),
        _fixed_or(account, account_ids()),
        st.one_of(st.just("/"), iam_paths()),
        role_names(),
    )


@reusable
def iam_user_arns(account: str | None = None, partition: str = "aws") -> SearchStrategy[str]:
    """An IAM user ARN, e.g. ``"arn:aws:iam::111122223333:user/featurestore-user"``."""
    return st.builds(
        lambda acct, path, name: f"arn:{partition}:iam::{acct}:user{path}{name}",
        _fixed_or(account, account_ids()),
        st.one_of(st.just("/"), iam_paths()),
        iam_names(64),
    )


@reusable
def session_names() -> SearchStrategy[str]:
    """An STS role session name: 2-64 of ``[\\w+=,.@-]`` (AssumeRole API), e.g. ``"botocore-session-1"``."""
    return st.text(alphabet=_IAM_NAME_CHARS, min_size=2, max_size=64)


@reusable
def assumed_role_arns(account: str | None = None, partition: str = "aws") -> SearchStrategy[str]:
    """An STS assumed-role session ARN; the path of the role does not appear in it.

    Example: ``"arn:aws:sts::111122223333:assumed-role/ROLE_PASSED_TO_FORECAST/session1"``.
    """
    return st.builds(
        lambda acct, role, session: arns.session_arn(partition, acct, role, session),
        _fixed_or(account, account_ids()),
        role_names(),
        session_names(),
    )


@reusable
def account_root_arns(account: str | None = None, partition: str = "aws") -> SearchStrategy[str]:
    """The account principal ARN, e.g. ``"arn:aws:iam::111122223333:root"``."""
    return _fixed_or(account, account_ids()).map(lambda acct: arns.root_arn(partition, acct))


@reusable
def service_principals(service: str | None = None, region: str | None = None) -> SearchStrategy[str]:
    """A service principal of the documents' services: global forms (``forecast.amazonaws.com``,
    ``sagemaker.amazonaws.com``, ``aoss.amazonaws.com``, ``airflow.amazonaws.com``) and the
    regional forms MWAA's page uses (``airflow.<region>.amazonaws.com``,
    ``logs.<region>.amazonaws.com``).

    ``service`` is an endpoint prefix or a kit service name (``"mwaa"``, ``"feature-store"``...).
    Example: ``"logs.us-west-2.amazonaws.com"``.
    """
    if service is not None:
        prefix = SERVICE_PREFIX.get(service, service)
        if prefix not in GLOBAL_SERVICE_PRINCIPALS:
            raise ValueError(f"no service principal known for {service!r}")
        prefixes: tuple[str, ...] = (prefix,)
    else:
        prefixes = tuple(GLOBAL_SERVICE_PRINCIPALS)
    options: list[SearchStrategy[str]] = []
    globals_ = [p for pre in prefixes for p in GLOBAL_SERVICE_PRINCIPALS[pre]]
    if globals_:
        options.append(st.sampled_from(globals_))
    regional = [pre for pre in prefixes if pre in REGIONAL_PRINCIPAL_PREFIXES]
    if regional:
        options.append(
            st.builds(
                lambda pre, reg: f"{pre}.{reg}.{DNS_SUFFIX['aws']}",
                st.sampled_from(regional),
                _fixed_or(region, regions("aws")),
            )
        )
    return st.one_of(options)


@reusable
def via_service_values(service: str | None = None, region: str | None = None) -> SearchStrategy[str]:
    """A ``kms:ViaService`` value: ``<service>.<region>.<dns suffix>`` ("kms:ViaService", AWS KMS
    Developer Guide, condition keys), e.g. ``"forecast.us-east-1.amazonaws.com"``.

    ``service`` is an endpoint prefix or a kit service name; None draws one of VIA_SERVICE_PREFIXES.
    """
    prefix = _fixed_or(SERVICE_PREFIX.get(service, service) if service else None,
                       st.sampled_from(VIA_SERVICE_PREFIXES))
    return st.builds(
        lambda pre, reg: f"{pre}.{reg}.{DNS_SUFFIX[partition_of(reg)]}",
        prefix,
        _fixed_or(region, regions()),
    )


@reusable
def principals(account: str | None = None) -> SearchStrategy[str]:
    """Any principal string a policy or grant names: role, user, assumed-role session, account
    root, bare account id, or service principal. Example: ``"aoss.amazonaws.com"``."""
    return st.one_of(
        iam_role_arns(account),
        iam_user_arns(account),
        assumed_role_arns(account),
        account_root_arns(account),
        _fixed_or(account, account_ids()),
        service_principals(),
    )


@reusable
def key_ids(multi_region: bool | None = None) -> SearchStrategy[str]:
    """A KMS key id: a lower-case UUID, or ``mrk-`` and 32 hex digits for a multi-Region key
    ("Key identifiers (KeyId)", AWS KMS Developer Guide).

    Example: ``"1234abcd-12ab-34cd-56ef-1234567890ab"`` or ``"mrk-1234abcd12ab34cd56ef1234567890ab"``.
    """
    uuid = st.uuids().map(str)
    mrk = st.text(alphabet=_HEX, min_size=32, max_size=32).map(lambda h: "mrk-" + h)
    if multi_region is None:
        return st.one_of(uuid, mrk)
    return mrk if multi_region else uuid


@reusable
def key_arns(
    region: str | None = None, account: str | None = None, multi_region: bool | None = None
) -> SearchStrategy[str]:
    """A KMS key ARN, its partition following its Region.

    Example: ``"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"``.
    """
    return st.builds(
        lambda reg, acct, kid: arns.key_arn(partition_of(reg), reg, acct, kid),
        _fixed_or(region, regions()),
        _fixed_or(account, account_ids()),
        key_ids(multi_region),
    )


@reusable
def alias_names() -> SearchStrategy[str]:
    """A customer alias name: ``alias/`` then 1-250 of letters, digits, ``/``, ``_``, ``-``; never
    ``alias/aws/...``, which is reserved for AWS managed keys ("Create aliases", AWS KMS Developer
    Guide). Example: ``"alias/forecast/prod-key"``.
    """
    segment = st.from_regex(r"[A-Za-z0-9_-]{1,24}", fullmatch=True)
    return (
        st.lists(segment, min_size=1, max_size=3)
        .filter(lambda segs: segs[0].lower() != "aws")
        .map(lambda segs: "alias/" + "/".join(segs))
    )


@reusable
def alias_arns(region: str | None = None, account: str | None = None) -> SearchStrategy[str]:
    """An alias ARN, e.g. ``"arn:aws:kms:us-east-1:111122223333:alias/forecast-key"``."""
    return st.builds(
        lambda reg, acct, name: arns.alias_arn(partition_of(reg), reg, acct, name),
        _fixed_or(region, regions()),
        _fixed_or(account, account_ids()),
        alias_names(),
    )


@reusable
def log_group_names() -> SearchStrategy[str]:
    """A CloudWatch Logs group name (``[.\\-_/#A-Za-z0-9]+``), including MWAA's
    ``airflow-<env>-<Type>`` form. Example: ``"airflow-MyEnv-Task"``."""
    mwaa = st.builds(
        lambda env, kind: f"airflow-{env}-{kind}",
        environment_names(max_size=40),
        st.sampled_from(("DAGProcessing", "Scheduler", "Task", "WebServer", "Worker")),
    )
    plain = st.from_regex(r"[A-Za-z0-9_./#-]{1,60}", fullmatch=True)
    return st.one_of(mwaa, plain)


@reusable
def log_group_arns(region: str | None = None, account: str | None = None) -> SearchStrategy[str]:
    """A log group ARN (what ``kms:EncryptionContext:aws:logs:arn`` carries).

    Example: ``"arn:aws:logs:us-west-2:111122223333:log-group:airflow-MyEnv-Task"``.
    """
    return st.builds(
        lambda reg, acct, name: f"arn:{partition_of(reg)}:logs:{reg}:{acct}:log-group:{name}",
        _fixed_or(region, regions()),
        _fixed_or(account, account_ids()),
        log_group_names(),
    )


@reusable
def collection_names(max_size: int = 32) -> SearchStrategy[str]:
    """An OpenSearch Serverless collection name: 3-32 characters, ``[a-z][a-z0-9-]+`` (CreateCollection,
    OpenSearch Serverless API Reference). The CloudFormation reference says 3-28; pass
    ``max_size=28`` to stay inside both. Example: ``"logs-collection-1"``.
    """
    if not 3 <= max_size <= 32:
        raise ValueError("collection names are 3-32 characters")
    return st.builds(
        lambda first, rest: first + rest,
        st.sampled_from(_LOWER),
        st.text(alphabet=_LOWER + "0123456789-", min_size=2, max_size=max_size - 1),
    )


@reusable
def environment_names(max_size: int = 80) -> SearchStrategy[str]:
    """An MWAA environment name: 1-80 characters, ``^[a-zA-Z][0-9a-zA-Z-_]*$`` (CreateEnvironment,
    Amazon MWAA API Reference). Example: ``"MyMWAAEnvironment"``.
    """
    return st.builds(
        lambda first, rest: first + rest,
        st.sampled_from(_LOWER + _LOWER.upper()),
        st.text(alphabet=_ALNUM + "-_", max_size=max_size - 1),
    )


@reusable
def grant_names() -> SearchStrategy[str]:
    """A grant name: 1-256 of ``[a-zA-Z0-9:/_-]`` (CreateGrant, AWS KMS API Reference).

    Example: ``"mwaa-grant-for-cfn-mgmt-MyEnv"``.
    """
    return st.from_regex(r"[a-zA-Z0-9:/_-]{1,64}", fullmatch=True)


#: KeySpec to the KeyUsage values a key of that spec may have ("Key spec reference", AWS KMS
#: Developer Guide): the reference model's table without SM2 (China Regions only).
KEY_SPEC_USAGES: Mapping[str, tuple[str, ...]] = {
    spec: usages for spec, usages in KMS_KEY_SPEC_USAGES.items() if spec != "SM2"
}


@reusable
def key_specs(symmetric: bool | None = None) -> SearchStrategy[tuple[str, str]]:
    """A (KeySpec, KeyUsage) pair CreateKey accepts; ``symmetric=True`` gives only
    ``("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")``, the only kind the documents' services take;
    ``False`` only the others. Example: ``("RSA_2048", "SIGN_VERIFY")``."""
    pairs = [(spec, usage) for spec, usages in KEY_SPEC_USAGES.items() for usage in usages]
    if symmetric is not None:
        pairs = [p for p in pairs if (p[0] == "SYMMETRIC_DEFAULT") == symmetric]
    return st.sampled_from(pairs)
