"""Strategies for IAM policy documents in AWS wire form: actions, condition blocks, statements, key
policies and identity policies.

Every value is a plain JSON dict of the shape ``kms_conformance.policy.parse_policy`` and the KMS
``PutKeyPolicy`` / IAM ``PutRolePolicy`` APIs accept. Grammar and operators follow "IAM JSON policy
elements reference" and "IAM JSON policy elements: Condition operators" (IAM User Guide); KMS
condition keys follow "AWS KMS condition keys" (AWS KMS Developer Guide); the default key policy
statement follows "Default key policy" (AWS KMS Developer Guide).
"""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from kms_conformance.arns import parse_arn, parse_key_arn
from kms_conformance.kms.grants import GRANT_OPERATIONS
from kms_conformance.policy import KMS_ACTIONS
from kms_conformance.strategies.aws import (
    account_ids,
    account_root_arns,
    alias_names,
    assumed_role_arns,
    iam_role_arns,
    iam_user_arns,
    key_arns,
    key_specs,
    log_group_arns,
    regions,
    service_principals,
    via_service_values,
)
from kms_conformance.strategies.reuse import reusable

#: Wildcard action patterns the documents use (``kms:Describe*``, ``kms:Get*``, ``kms:List*``,
#: ``kms:ReEncrypt*``, ``kms:GenerateDataKey*``...) plus ``?`` forms; ``*``/``?`` are IAM
#: wildcards, not fnmatch.
KMS_ACTION_WILDCARDS: tuple[str, ...] = (
    "kms:*", "kms:Describe*", "kms:Get*", "kms:List*", "kms:ReEncrypt*", "kms:GenerateDataKey*",
    "kms:Encrypt*", "kms:Decrypt*", "kms:Create*", "kms:*Grant*", "kms:?ecrypt", "kms:ReEncrypt???",
)

#: Actions per service prefix, for identity policies (service authorization reference, IAM).
SERVICE_ACTIONS: Mapping[str, tuple[str, ...]] = {
    "forecast": ("forecast:CreateDataset", "forecast:CreatePredictor", "forecast:CreateForecast",
                 "forecast:CreateExplainability", "forecast:DescribeDataset",
                 "forecast:CreateDatasetImportJob"),
    "sagemaker": ("sagemaker:CreateFeatureGroup", "sagemaker:DescribeFeatureGroup",
                  "sagemaker:PutRecord", "sagemaker:GetRecord", "sagemaker:DeleteFeatureGroup"),
    "aoss": ("aoss:CreateCollection", "aoss:CreateSecurityPolicy", "aoss:GetSecurityPolicy",
             "aoss:BatchGetCollection", "aoss:ListCollections", "aoss:APIAccessAll"),
    "airflow": ("airflow:CreateEnvironment", "airflow:GetEnvironment", "airflow:UpdateEnvironment",
                "airflow:CreateWebLoginToken", "airflow:PublishMetrics"),
    "logs": ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"),
    "iam": ("iam:PassRole", "iam:GetRole", "iam:CreateServiceLinkedRole"),
    "s3": ("s3:GetObject", "s3:PutObject", "s3:ListBucket"),
}


@reusable
def kms_actions(wildcards: bool = True, case_variants: bool = False) -> SearchStrategy[str]:
    """One KMS IAM action, sometimes a wildcard pattern.

    Example: ``"kms:Decrypt"``, ``"kms:GenerateDataKey*"``. With ``case_variants`` it also yields
    case changes (``"KMS:decrypt"``): action names are case-insensitive in IAM policies.
    """
    base: SearchStrategy[str] = st.sampled_from(KMS_ACTIONS)
    if wildcards:
        base = st.one_of(base, st.sampled_from(KMS_ACTION_WILDCARDS))
    if case_variants:
        base = st.one_of(base, base.map(str.lower), base.map(str.upper))
    return base


@reusable
def iam_actions(service: str | None = None) -> SearchStrategy[str]:
    """An IAM action of ``service`` (endpoint prefix: forecast, sagemaker, aoss, airflow, logs, iam,
    s3, kms), e.g. ``"aoss:CreateCollection"``; any of them when None."""
    if service == "kms":
        return kms_actions()
    if service is None:
        every = [a for acts in SERVICE_ACTIONS.values() for a in acts]
        return st.one_of(kms_actions(), st.sampled_from(every))
    if service not in SERVICE_ACTIONS:
        raise ValueError(f"no actions known for service {service!r}")
    return st.sampled_from(SERVICE_ACTIONS[service])


# --- condition keys and values --------------------------------------------------------------------

@reusable
def _iso_dates() -> SearchStrategy[str]:
    return st.datetimes(
        min_value=datetime(2015, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
    ).map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ"))


@reusable
def _epoch_seconds() -> SearchStrategy[str]:
    return st.integers(min_value=1_420_070_400, max_value=2_082_758_400).map(str)


@reusable
def ipv4_cidrs() -> SearchStrategy[str]:
    """An IPv4 address or CIDR block, e.g. ``"203.0.113.0/24"``."""
    return st.builds(
        lambda addr, bits: str(addr) if bits == 32 else f"{_mask(str(addr), bits)}/{bits}",
        st.ip_addresses(v=4),
        st.integers(min_value=8, max_value=32),
    )


def _mask(addr: str, bits: int) -> str:
    return str(ipaddress.ip_network(f"{addr}/{bits}", strict=False).network_address)


@reusable
def ipv6_cidrs() -> SearchStrategy[str]:
    """An IPv6 CIDR block, e.g. ``"2001:db8::/32"``."""
    return st.builds(
        lambda addr, bits: str(ipaddress.ip_network(f"{addr}/{bits}", strict=False)),
        st.ip_addresses(v=6),
        st.integers(min_value=16, max_value=128),
    )


@reusable
def encryption_context_keys() -> SearchStrategy[str]:
    """An encryption context key: ones AWS services document setting (``aws:logs:arn`` for
    CloudWatch Logs, as MWAA's page 003 shows; ``aws:s3:arn``, ``aws:dynamodb:tableName``,
    ``aws:ebs:id``; the Encryption SDK's ``aws-crypto-public-key``) or a user's own.
    Example: ``"aws:logs:arn"``."""
    return st.one_of(
        st.sampled_from(("aws:logs:arn", "aws:s3:arn", "aws:dynamodb:tableName", "aws:ebs:id",
                         "aws-crypto-public-key", "Department", "project")),
        st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,15}", fullmatch=True),
    )


@reusable
def encryption_context_values() -> SearchStrategy[str]:
    """An encryption context value (case-sensitive string), e.g. ``"prod"``."""
    return st.one_of(st.from_regex(r"[A-Za-z0-9_.:/-]{1,24}", fullmatch=True), log_group_arns())


@reusable
def encryption_contexts(min_size: int = 1, max_size: int = 4) -> SearchStrategy[dict[str, str]]:
    """An encryption context map (string to string), e.g. ``{"aws:logs:arn": "arn:aws:logs:..."}``."""
    return st.dictionaries(encryption_context_keys(), encryption_context_values(),
                           min_size=min_size, max_size=max_size)


@reusable
def _wildcarded(values: SearchStrategy[str]) -> SearchStrategy[str]:
    """Sometimes replace a tail or a character of a value with ``*`` / ``?`` (for *Like operators)."""
    def star(v: str, i: int) -> str:
        return v[: i % (len(v) + 1)] + "*"

    def qmark(v: str, i: int) -> str:
        spots = [j for j, ch in enumerate(v) if ch not in ":/"]
        if not spots:
            return v + "*"
        j = spots[i % len(spots)]
        return v[:j] + "?" + v[j + 1:]

    positions = st.integers(0, 64)
    return st.one_of(values, st.builds(star, values, positions), st.builds(qmark, values, positions))


@reusable
def _arn_wildcarded(values: SearchStrategy[str]) -> SearchStrategy[str]:
    """Sometimes replace whole components of an ARN with ``*`` (keeping all six colon-separated
    components, which ArnLike compares one by one: "Amazon Resource Name (ARN) condition operators"),
    as page 003's ``arn:aws:logs:us-west-2:*:*`` does."""
    def star_parts(v: str, which: tuple[bool, bool, bool]) -> str:
        arn = parse_arn(v)
        if arn is None:
            return v
        region, account, resource = ("*" if flag else part
                                     for part, flag in zip((arn.region, arn.account, arn.resource), which, strict=True))
        return str(replace(arn, region=region, account=account, resource=resource))

    flags = st.tuples(st.booleans(), st.booleans(), st.booleans())
    return st.one_of(values, st.builds(star_parts, values, flags))


#: One condition key with the strategy of its values, per operator family. Families: String, Numeric,
#: Date, Bool, Binary, IpAddress, Arn, Null ("IAM JSON policy elements: Condition operators").
ConditionKeys = Mapping[str, Callable[[], SearchStrategy[str]]]


def _reused_table(table: ConditionKeys) -> ConditionKeys:
    """The table with each key's values strategy built once (:mod:`kms_conformance.strategies.reuse`)."""
    return {key: reusable(values) for key, values in table.items()}


STRING_KEYS: ConditionKeys = _reused_table({
    "kms:ViaService": via_service_values,
    "kms:CallerAccount": account_ids,
    "aws:PrincipalAccount": account_ids,
    "aws:SourceAccount": account_ids,
    "aws:RequestedRegion": regions,
    "kms:KeySpec": lambda: st.sampled_from(("SYMMETRIC_DEFAULT", "RSA_2048", "ECC_NIST_P256", "HMAC_256")),
    "kms:KeyUsage": lambda: st.sampled_from(("ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC")),
    "kms:KeyOrigin": lambda: st.sampled_from(("AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE")),
    "kms:EncryptionAlgorithm": lambda: st.sampled_from(("SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_256")),
    "kms:GranteePrincipal": lambda: st.one_of(iam_role_arns(), service_principals()),
    "kms:RetiringPrincipal": iam_role_arns,
    "kms:RequestAlias": alias_names,
    "aws:PrincipalTag/team": lambda: st.sampled_from(("data", "ml", "platform")),
    "aws:userid": lambda: st.from_regex(r"AROA[A-Z0-9]{16}:[a-z0-9-]{1,12}", fullmatch=True),
})
#: Keys AWS documents as multivalued; ForAnyValue:/ForAllValues: apply to them.
MULTIVALUED_KEYS: ConditionKeys = _reused_table({
    "kms:EncryptionContextKeys": encryption_context_keys,
    "kms:GrantOperations": lambda: st.sampled_from(GRANT_OPERATIONS),
    "kms:ResourceAliases": alias_names,
    "aws:TagKeys": lambda: st.sampled_from(("Project", "Owner", "CostCenter")),
})
NUMERIC_KEYS: ConditionKeys = _reused_table({
    "kms:ScheduleKeyDeletionPendingWindowInDays": lambda: st.integers(7, 30).map(str),
    "kms:RotationPeriodInDays": lambda: st.integers(90, 2560).map(str),
    "aws:MultiFactorAuthAge": lambda: st.integers(0, 86400).map(str),
})
DATE_KEYS: ConditionKeys = _reused_table({
    "aws:CurrentTime": _iso_dates,
    "aws:TokenIssueTime": _iso_dates,
    "aws:EpochTime": lambda: st.one_of(_epoch_seconds(), _iso_dates()),
    "kms:ValidTo": _epoch_seconds,
})
BOOL_KEYS: ConditionKeys = _reused_table({
    "kms:GrantIsForAWSResource": lambda: st.sampled_from(("true", "false")),
    "aws:SecureTransport": lambda: st.sampled_from(("true", "false")),
    "aws:MultiFactorAuthPresent": lambda: st.sampled_from(("true", "false")),
    "aws:ViaAWSService": lambda: st.sampled_from(("true", "false")),
    "kms:MultiRegion": lambda: st.sampled_from(("true", "false")),
})
BINARY_KEYS: ConditionKeys = _reused_table({
    "aws:RequestTag/blob": lambda: st.binary(min_size=1, max_size=12).map(
        lambda b: base64.b64encode(b).decode()
    ),
})
IP_KEYS: ConditionKeys = _reused_table({
    "aws:SourceIp": lambda: st.one_of(ipv4_cidrs(), ipv6_cidrs()),
})
ARN_KEYS: ConditionKeys = _reused_table({
    "aws:PrincipalArn": lambda: st.one_of(iam_role_arns(), iam_user_arns(), account_root_arns()),
    "aws:SourceArn": lambda: st.one_of(log_group_arns(), key_arns()),
    "kms:EncryptionContext:aws:logs:arn": log_group_arns,
})

#: Operators per family (without ``IfExists`` and set prefixes).
OPERATORS: Mapping[str, tuple[str, ...]] = {
    "String": ("StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
               "StringLike", "StringNotLike"),
    "Numeric": ("NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
                "NumericGreaterThan", "NumericGreaterThanEquals"),
    "Date": ("DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan",
             "DateGreaterThanEquals"),
    "Bool": ("Bool",),
    "Binary": ("BinaryEquals",),
    "IpAddress": ("IpAddress", "NotIpAddress"),
    "Arn": ("ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"),
    "Null": ("Null",),
}
FAMILIES: tuple[str, ...] = tuple(OPERATORS)

_FAMILY_KEYS: Mapping[str, ConditionKeys] = {
    "Numeric": NUMERIC_KEYS, "Date": DATE_KEYS, "Bool": BOOL_KEYS, "Binary": BINARY_KEYS,
    "IpAddress": IP_KEYS, "Arn": ARN_KEYS,
}


@reusable
def condition_operators(family: str | None = None) -> SearchStrategy[str]:
    """A condition operator name, sometimes with ``IfExists`` (never on ``Null``), e.g.
    ``"StringLikeIfExists"``."""
    fams = FAMILIES if family is None else (family,)
    names = [op for fam in fams for op in OPERATORS[fam]]
    plain = st.sampled_from(names)
    return st.one_of(plain, plain.filter(lambda op: op != "Null").map(lambda op: op + "IfExists"))


@reusable
def _values(strategy: SearchStrategy[str]) -> SearchStrategy[str | list[str]]:
    """A condition value: one string, or a list of 1-3 (any of them may match)."""
    return st.one_of(strategy, st.lists(strategy, min_size=1, max_size=3, unique=True))


@reusable
def condition_entries(family: str | None = None) -> SearchStrategy[tuple[str, str, str | list[str]]]:
    """One (operator, key, value) of a Condition block, realistic for the operator's family
    (String, Numeric, Date, Bool, Binary, IpAddress, Arn, Null; any when None).

    Example: ``("StringEquals", "kms:ViaService", "forecast.us-east-1.amazonaws.com")``,
    ``("ForAllValues:StringEquals", "kms:GrantOperations", ["Decrypt", "Encrypt"])``.
    """
    if family is not None and family not in OPERATORS:
        raise ValueError(f"unknown operator family {family!r}; known: {', '.join(FAMILIES)}")
    return _condition_entries(family)


@st.composite
def _condition_entries(draw: st.DrawFn, family: str | None) -> tuple[str, str, str | list[str]]:
    fam = draw(st.sampled_from(FAMILIES)) if family is None else family
    if_exists = fam != "Null" and draw(st.booleans())
    suffix = "IfExists" if if_exists else ""
    if fam == "Null":
        keys: ConditionKeys = {**STRING_KEYS, **MULTIVALUED_KEYS, **ARN_KEYS}
        key = draw(st.sampled_from(sorted(keys)))
        return "Null", key, draw(st.sampled_from(("true", "false")))
    if fam == "String":
        if draw(st.booleans()):
            key = draw(st.sampled_from(sorted(MULTIVALUED_KEYS)))
            op = draw(st.sampled_from(OPERATORS["String"]))
            prefix = draw(st.sampled_from(("ForAnyValue:", "ForAllValues:")))
            values = MULTIVALUED_KEYS[key]()
            if op.endswith("Like"):
                values = _wildcarded(values)
            return prefix + op + suffix, key, draw(_values(values))
        key = draw(st.one_of(st.sampled_from(sorted(STRING_KEYS)),
                             encryption_context_keys().map(lambda k: "kms:EncryptionContext:" + k)))
        op = draw(st.sampled_from(OPERATORS["String"]))
        values = STRING_KEYS[key]() if key in STRING_KEYS else encryption_context_values()
        if op.endswith("Like"):
            values = _wildcarded(values)
        return op + suffix, key, draw(_values(values))
    table = _FAMILY_KEYS[fam]
    key = draw(st.sampled_from(sorted(table)))
    op = draw(st.sampled_from(OPERATORS[fam]))
    values = table[key]()
    if op.startswith("ArnLike") or op.startswith("ArnNotLike"):
        values = _arn_wildcarded(values)
    if fam == "Bool":
        return op + suffix, key, draw(values)
    return op + suffix, key, draw(_values(values))


@reusable
@st.composite
def condition_blocks(
    draw: st.DrawFn, families: Sequence[str] | None = None, min_entries: int = 1, max_entries: int = 3
) -> dict[str, dict[str, str | list[str]]]:
    """A ``Condition`` block: operator -> {key: value or [values]}, with entries drawn from
    ``families`` (all operator families when None). All entries must hold for the statement to
    apply (AND); values of one key are ORed.

    Example: ``{"StringEquals": {"kms:ViaService": "forecast.us-east-1.amazonaws.com",
    "kms:CallerAccount": "111122223333"}, "Bool": {"kms:GrantIsForAWSResource": "true"}}``.
    """
    fams = tuple(families) if families is not None else FAMILIES
    entries = draw(st.lists(st.sampled_from(fams).flatmap(condition_entries),
                            min_size=min_entries, max_size=max_entries))
    block: dict[str, dict[str, str | list[str]]] = {}
    for op, key, value in entries:
        block.setdefault(op, {}).setdefault(key, value)
    return block


# --- statements and policies ----------------------------------------------------------------------

@reusable
def _sids(spaces: bool) -> SearchStrategy[str]:
    # Key policies accept spaces in Sid (the documents' samples use them); IAM identity policies
    # take only letters and digits ("IAM JSON policy elements: Sid").
    pattern = r"[A-Za-z][A-Za-z0-9 ]{0,40}" if spaces else r"[A-Za-z][A-Za-z0-9]{0,30}"
    return st.from_regex(pattern, fullmatch=True).map(str.strip).filter(bool)


@reusable
def principal_blocks(account: str | None = None) -> SearchStrategy[str | dict[str, Any]]:
    """A ``Principal`` element: ``{"AWS": arn-or-account or [..]}``, ``{"Service": ...}`` or ``"*"``.

    Example: ``{"AWS": "arn:aws:iam::111122223333:role/ROLE_PASSED_TO_FORECAST"}``.
    """
    aws_one = st.one_of(
        iam_role_arns(account), iam_user_arns(account), account_root_arns(account),
        account_ids() if account is None else st.just(account), assumed_role_arns(account),
    )
    aws_value: SearchStrategy[str | list[str]] = st.one_of(
        aws_one, st.lists(aws_one, min_size=1, max_size=3, unique=True)
    )
    return st.one_of(
        aws_value.map(lambda v: {"AWS": v}),
        service_principals().map(lambda v: {"Service": v}),
        st.just("*"),
        st.just({"AWS": "*"}),
    )


@reusable
def _action_value(actions: SearchStrategy[str]) -> SearchStrategy[str | list[str]]:
    return st.one_of(actions, st.lists(actions, min_size=1, max_size=5, unique=True))


@reusable
@st.composite
def statements(
    draw: st.DrawFn,
    effect: str | None = None,
    principal: bool = True,
    account: str | None = None,
    actions: SearchStrategy[str] | None = None,
    resource: str | None = None,
    conditions: bool | None = None,
) -> dict[str, Any]:
    """One policy statement. ``principal=True`` gives a resource (key) policy statement with a
    ``Principal``; False an identity policy statement without one. ``conditions``: always (True),
    never (False) or sometimes (None) a Condition block.

    Example: ``{"Sid": "AllowForecast", "Effect": "Allow", "Principal": {"AWS":
    "arn:aws:iam::111122223333:role/R"}, "Action": ["kms:DescribeKey", "kms:CreateGrant"],
    "Resource": "*", "Condition": {"StringEquals": {"kms:ViaService": "forecast.us-east-1.amazonaws.com"}}}``.
    """
    stmt: dict[str, Any] = {}
    if draw(st.booleans()):
        stmt["Sid"] = draw(_sids(spaces=principal))
    stmt["Effect"] = effect if effect is not None else draw(st.sampled_from(("Allow", "Deny")))
    if principal:
        stmt["Principal"] = draw(principal_blocks(account))
    stmt["Action"] = draw(_action_value(actions if actions is not None else kms_actions()))
    if resource is not None:
        stmt["Resource"] = resource
    elif principal:
        stmt["Resource"] = "*"  # in a key policy "*" means "this KMS key" ("Key policies in AWS KMS")
    else:
        stmt["Resource"] = draw(st.one_of(st.just("*"), key_arns(account=account),
                                          st.lists(key_arns(account=account), min_size=1, max_size=2)))
    with_condition = draw(st.booleans()) if conditions is None else conditions
    if with_condition:
        stmt["Condition"] = draw(condition_blocks())
    return stmt


def _unique_sids(stmts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop repeated Sids (a policy's statement ids must be unique: "IAM JSON policy elements: Sid")."""
    seen: set[str] = set()
    for stmt in stmts:
        sid = stmt.get("Sid")
        if sid is None:
            continue
        if sid in seen:
            del stmt["Sid"]
        else:
            seen.add(sid)
    return stmts


def admin_statement(account: str, partition: str = "aws") -> dict[str, Any]:
    """The statement of the default key policy that gives the account (and so IAM policies) full
    access to the key ("Default key policy", AWS KMS Developer Guide; page 001 "Enable IAM User
    Permissions")."""
    return {
        "Sid": "Enable IAM User Permissions",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


@reusable
def key_policies(
    account: str | None = None, min_statements: int = 1, max_statements: int = 8, include_admin: bool = True
) -> SearchStrategy[dict[str, Any]]:
    """A key policy: ``{"Version": "2012-10-17", "Statement": [...]}`` with ``min_statements`` to
    ``max_statements`` statements in all. With ``include_admin`` one of them (at any position) is
    the default key policy's account-root ``kms:*`` statement, so the key stays manageable.
    Principals are mostly of ``account`` (drawn when None).

    Example: ``{"Version": "2012-10-17", "Statement": [{"Sid": "Enable IAM User Permissions",
    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*",
    "Resource": "*"}, {...}]}``.
    """
    if not 1 <= min_statements <= max_statements:
        raise ValueError("need 1 <= min_statements <= max_statements")
    return _key_policies(account, min_statements, max_statements, include_admin)


@st.composite
def _key_policies(
    draw: st.DrawFn, account: str | None, min_statements: int, max_statements: int, include_admin: bool
) -> dict[str, Any]:
    acct = account if account is not None else draw(account_ids())
    extra_min = max(min_statements - (1 if include_admin else 0), 0)
    extra_max = max_statements - (1 if include_admin else 0)
    own = statements(principal=True, account=acct)
    foreign = statements(principal=True)
    stmts: list[dict[str, Any]] = draw(
        st.lists(st.one_of(own, own, own, foreign), min_size=extra_min, max_size=extra_max)
    )
    if include_admin:
        for stmt in stmts:
            if stmt.get("Sid") == "Enable IAM User Permissions":
                del stmt["Sid"]
        stmts.insert(draw(st.integers(0, len(stmts))), admin_statement(acct))
    policy: dict[str, Any] = {"Version": "2012-10-17"}
    if draw(st.booleans()):
        policy["Id"] = draw(st.from_regex(r"key-policy-[a-z0-9-]{1,20}", fullmatch=True))
    policy["Statement"] = _unique_sids(stmts)
    return policy


@reusable
@st.composite
def identity_policies(
    draw: st.DrawFn, account: str | None = None, min_statements: int = 1, max_statements: int = 5
) -> dict[str, Any]:
    """An IAM identity policy (inline or managed) with KMS and service actions, no Principal.

    Example: ``{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt",
    "Resource": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-..."}]}``.
    """
    acct = account if account is not None else draw(account_ids())
    services = sorted(prefix for prefix in SERVICE_ACTIONS if prefix != "iam")
    kms_stmt = statements(principal=False, account=acct)
    other_stmt = st.sampled_from(services).flatmap(
        lambda svc: statements(principal=False, account=acct, actions=iam_actions(svc), resource="*",
                               conditions=False)
    )
    stmt = st.one_of(kms_stmt, kms_stmt, other_stmt)
    return {
        "Version": "2012-10-17",
        "Statement": _unique_sids(draw(st.lists(stmt, min_size=min_statements, max_size=max_statements))),
    }


#: The KMS actions services need for a customer managed key, as the documents list them (pages 001,
#: 002, 003, 004).
SERVICE_KEY_ACTIONS: tuple[str, ...] = (
    "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant",
    "kms:DescribeKey", "kms:RetireGrant",
)


@st.composite
def service_access_statements(
    draw: st.DrawFn,
    service: str,
    account: str | None = None,
    region: str | None = None,
    principal: str | None = None,
    actions: Sequence[str] | None = None,
    like: bool = False,
) -> dict[str, Any]:
    """A key policy statement of the shape the documents recommend: allow a principal of the
    account the key actions, only through ``service`` (``kms:ViaService``) and only for callers of
    the account (``kms:CallerAccount``). With ``like`` the ViaService condition is
    ``StringLike`` with a ``*`` Region, as page 001 (``sagemaker.*.amazonaws.com``) writes it.

    Example (page 004): ``{"Sid": "Allow access through forecast", "Effect": "Allow", "Principal":
    {"AWS": "arn:aws:iam::111122223333:role/ROLE_PASSED_TO_FORECAST"}, "Action": ["kms:DescribeKey",
    "kms:CreateGrant", "kms:RetireGrant"], "Resource": "*", "Condition": {"StringEquals":
    {"kms:ViaService": "forecast.us-east-1.amazonaws.com", "kms:CallerAccount": "111122223333"}}}``.
    """
    acct = account if account is not None else draw(account_ids())
    who = principal if principal is not None else draw(st.one_of(iam_role_arns(acct), iam_user_arns(acct)))
    pool = SERVICE_KEY_ACTIONS
    acts = list(actions) if actions is not None else draw(
        st.lists(st.sampled_from(pool), min_size=1, max_size=len(pool), unique=True)
    )
    via = draw(via_service_values(service, region))
    condition: dict[str, dict[str, str | list[str]]]
    if like:
        prefix, _region, suffix = via.split(".", 2)
        condition = {"StringLike": {"kms:ViaService": f"{prefix}.*.{suffix}"},
                     "StringEquals": {"kms:CallerAccount": acct}}
    else:
        condition = {"StringEquals": {"kms:ViaService": via, "kms:CallerAccount": acct}}
    return {
        "Sid": f"Allow access through {via.split('.')[0]}",
        "Effect": "Allow",
        "Principal": {"AWS": who},
        "Action": acts,
        "Resource": "*",
        "Condition": condition,
    }


@st.composite
def key_setups(
    draw: st.DrawFn,
    account: str | None = None,
    region: str | None = None,
    symmetric: bool | None = True,
    policy: SearchStrategy[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One entry of a setup's ``keys`` (the format ``kms_conformance.setup.parse_key`` reads): key ARN,
    KeySpec/KeyUsage, multiRegion (following the ``mrk-`` id), Enabled state, aliases and a key
    policy (``policy``, default :func:`key_policies` of the account).

    Example: ``{"arn": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-...", "keySpec":
    "SYMMETRIC_DEFAULT", "keyUsage": "ENCRYPT_DECRYPT", "multiRegion": false, "keyState":
    "Enabled", "aliases": ["alias/forecast"], "policy": {...}}``.
    """
    acct = account if account is not None else draw(account_ids())
    arn = draw(key_arns(region=region, account=acct))
    parsed = parse_key_arn(arn)
    key_id = parsed.resource_id if parsed is not None else ""
    spec, usage = draw(key_specs(symmetric))
    return {
        "arn": arn,
        "keySpec": spec,
        "keyUsage": usage,
        "multiRegion": key_id.startswith("mrk-"),
        "keyState": "Enabled",
        "aliases": draw(st.lists(alias_names(), max_size=2, unique=True)),
        "policy": draw(policy if policy is not None else key_policies(account=acct, max_statements=4)),
    }
