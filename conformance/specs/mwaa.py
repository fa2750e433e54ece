"""Amazon MWAA: customer managed keys for encryption, made executable.

Source: ``003_38db2e13c46896ae.txt``, a Korean machine translation of "Using customer managed keys
for encryption" (Amazon MWAA User Guide). Sections cited as they stand in the page: the introduction
under "암호화를 위한 고객 관리형 키 사용", "지원되는 항목" (Supported features), "작동 방식" (How it
works), "권한 부여 정책" (Grant policies), "고객 관리형 키에 대한 키 정책 연결" (Attaching key policies
to a customer managed key).

Known defect of the page: grant 3's name is written with a leading space (``" mwaa-grant-for-cfn-mgmt-
environment name"``); a grant name cannot contain a space (CreateGrant: ``^[a-zA-Z0-9:/_-]+$``), so
the intended name is ``mwaa-grant-for-cfn-mgmt-<environment name>`` (MWAA-05). The page writes
``airflow.region}.amazonaws.com`` with a stray brace: ``airflow.<region>.amazonaws.com``.

The page lists grant operations as IAM actions with wildcards (``kms:ReEncrypt*``,
``kms:GenerateDataKey*``); a grant's Operations take no wildcards, so the kit expands each pattern to
the grant operations it matches (ReEncryptFrom, ReEncryptTo; GenerateDataKey,
GenerateDataKeyWithoutPlaintext, GenerateDataKeyPair, GenerateDataKeyPairWithoutPlaintext).

Error codes the page does not give come from the CreateEnvironment API reference: an unusable
``KmsKey`` (alias, other Region, multi-Region, unknown) is a ValidationException; a KMS permission
the caller lacks surfaces as AccessDeniedException (a common error of every API).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kms_conformance.errors import InputError
from kms_conformance.kms import GRANT_OPERATIONS
from kms_conformance.kms.errors import AwsError
from kms_conformance.models.registry import Operations
from kms_conformance.rules import ServiceSpec, register_service, rule
from kms_conformance.scenarios import steps
from kms_conformance.setup import KeySetup, Setup
from kms_conformance.specs.access import access_reasons, expand_actions, key_for
from kms_conformance.strategies.mwaa import (
    MUTATORS,
    caller_examples,
    compliant_setups,
    environment_examples,
    key_form_examples,
    logs_examples,
    multi_region_examples,
    region_examples,
)
from kms_conformance.targets.base import Outcome, Target

DOC = "003_38db2e13c46896ae.txt"
SERVICE = "mwaa"

BOTO = "mwaa"

_S_INTRO = "암호화를 위한 고객 관리형 키 사용"
_S_SUPPORTED = "지원되는 항목"
_S_HOW = "작동 방식"
_S_GRANTS = "권한 부여 정책"
_S_KEYPOLICY = "고객 관리형 키에 대한 키 정책 연결"

def grant_operations(actions: Sequence[str]) -> tuple[str, ...]:
    """The sorted grant operations of a page action list (``kms:ReEncrypt*`` -> ReEncryptFrom, ReEncryptTo).

    >>> grant_operations(["kms:Decrypt", "kms:ReEncrypt*"])
    ('Decrypt', 'ReEncryptFrom', 'ReEncryptTo')
    """
    return tuple(sorted(op for op in expand_actions(list(actions)) if op in GRANT_OPERATIONS))


_BASE = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*")


@dataclass(frozen=True)
class GrantSpec:
    """One of the page's four grants: its name prefix (the environment name follows) and operations."""

    prefix: str
    operations: tuple[str, ...]
    purpose: str


#: The four grants of section "권한 부여 정책", in page order.
GRANTS: tuple[GrantSpec, ...] = (
    GrantSpec("mwaa-grant-for-env-mgmt-role-",
              grant_operations((*_BASE, "kms:CreateGrant", "kms:DescribeKey", "kms:RetireGrant")),
              "권한 1: 데이터 플레인 리소스를 생성하는 데 사용 (creating data plane resources)"),
    GrantSpec("mwaa-grant-for-lambda-exec-", grant_operations((*_BASE, "kms:DescribeKey", "kms:RetireGrant")),
              "권한 2: ControllerLambdaExecutionRole 액세스에 사용"),
    GrantSpec("mwaa-grant-for-cfn-mgmt-", grant_operations((*_BASE, "kms:DescribeKey")),
              "권한 3: CfnManagementLambdaExecutionRole 액세스에 사용 (page name has a leading space: defect)"),
    GrantSpec("mwaa-fargate-access-for-", grant_operations((*_BASE, "kms:DescribeKey", "kms:RetireGrant")),
              "권한 4: 백엔드 암호에 액세스하기 위한 Fargate 실행 역할에 사용"),
)

#: The actions of the page's CloudWatch Logs key-policy statement.
LOGS_ACTIONS: tuple[str, ...] = ("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                                 "kms:Describe*")
#: What CloudWatch Logs calls with ``aws:logs:arn`` in the encryption context (the operations of the
#: statement that carry an encryption context; DescribeKey carries none, so the statement's ArnLike
#: condition on ``kms:EncryptionContext:aws:logs:arn`` can never allow it).
LOGS_OPERATIONS: tuple[str, ...] = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
                                    "kms:GenerateDataKey")
#: LoggingConfiguration members and the log group suffix MWAA gives each (``airflow-<env>-<Type>``).
LOG_MODULES: Mapping[str, str] = {"DagProcessingLogs": "DAGProcessing", "SchedulerLogs": "Scheduler",
                                  "TaskLogs": "Task", "WebserverLogs": "WebServer", "WorkerLogs": "Worker"}

_ENV_NAME = re.compile(r"^[a-zA-Z][0-9a-zA-Z_-]{0,79}$")
_ROLE_ARN = re.compile(r"^arn:aws(-[a-z]+)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$")
_BUCKET_ARN = re.compile(r"^arn:aws(-[a-z]+)?:s3:::[a-z0-9.\-]+$")
_KEY_ARN = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):kms:([a-z0-9-]+):(\d{12}):key/([A-Za-z0-9-]+)$")
_ALIAS_ARN = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):kms:([a-z0-9-]+):(\d{12}):alias/.+$")


def airflow_principal(region: str) -> str:
    """``airflow.<region>.amazonaws.com``: the grantee and retiring principal of the four grants."""
    return f"airflow.{region}.amazonaws.com"


def logs_principal(region: str) -> str:
    return f"logs.{region}.amazonaws.com"


def enabled_logs(logging: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The enabled LoggingConfiguration modules; TaskLogs when no LoggingConfiguration is given
    (MWAA enables task logs at INFO by default: "Viewing Airflow logs in Amazon CloudWatch")."""
    if not logging:
        return ("TaskLogs",)
    return tuple(m for m in LOG_MODULES if isinstance(logging.get(m), Mapping) and logging[m].get("Enabled") is True)


def log_group_arn(partition: str, region: str, account: str, env: str, module: str) -> str:
    return f"arn:{partition}:logs:{region}:{account}:log-group:airflow-{env}-{LOG_MODULES[module]}"


# --- KmsKey forms (section "지원되는 항목") --------------------------------------------------------------

@dataclass(frozen=True)
class KmsKeyRef:
    """What a ``KmsKey`` value is: ``form`` id | arn | alias | alias-arn | invalid, with the ARN's parts."""

    value: str
    form: str
    region: str | None = None
    account: str | None = None
    key_id: str | None = None


def classify_kms_key(value: str) -> KmsKeyRef:
    """Classify a ``KmsKey`` value.

    >>> classify_kms_key("alias/my-key").form, classify_kms_key("1234abcd-12ab-34cd-56ef-1234567890ab").form
    ('alias', 'id')
    """
    m = _KEY_ARN.match(value)
    if m:
        return KmsKeyRef(value, "arn", m.group(2), m.group(3), m.group(4))
    m = _ALIAS_ARN.match(value)
    if m:
        return KmsKeyRef(value, "alias-arn", m.group(2), m.group(3))
    if value.startswith("alias/"):
        return KmsKeyRef(value, "alias")
    if re.fullmatch(r"(?:mrk-[0-9a-f]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})",
                    value):
        return KmsKeyRef(value, "id", key_id=value)
    return KmsKeyRef(value, "invalid")


# --- the request part of a setup ------------------------------------------------------------------

@dataclass(frozen=True)
class EnvironmentRequest:
    """The CreateEnvironment request of a setup (members as boto3 takes them)."""

    name: str
    kms_key: str | None
    execution_role: str
    logging: Mapping[str, Any] = field(default_factory=dict)

    def enabled_logs(self) -> tuple[str, ...]:
        return enabled_logs(self.logging)


def parse_request(setup: Setup) -> EnvironmentRequest:
    """Validate ``setup.request``: ``{"CreateEnvironment": {Name, ExecutionRoleArn, SourceBucketArn,
    DagS3Path, NetworkConfiguration, KmsKey?, LoggingConfiguration?}}``, the required members and types
    of the CreateEnvironment API reference."""
    base = "request.CreateEnvironment"
    for op in setup.request:
        if op != "CreateEnvironment":
            raise InputError(f"unknown operation {op!r}; MWAA setups hold CreateEnvironment", source=setup.source,
                             path=f"request.{op}")
    raw = setup.request.get("CreateEnvironment")
    if not isinstance(raw, Mapping):
        raise InputError("expected the CreateEnvironment parameters (an object)", source=setup.source, path=base)

    def string(member: str, pattern: re.Pattern[str] | None = None, required: bool = True) -> str | None:
        value = raw.get(member)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value:
            raise InputError(f"{member} is required: a non-empty string", source=setup.source, path=f"{base}.{member}")
        if pattern is not None and not pattern.match(value):
            raise InputError(f"{value!r} does not match {pattern.pattern}", source=setup.source,
                             path=f"{base}.{member}")
        return value

    name = string("Name", _ENV_NAME)
    role = string("ExecutionRoleArn", _ROLE_ARN)
    string("SourceBucketArn", _BUCKET_ARN)
    string("DagS3Path")
    kms_key = string("KmsKey", required=False)
    if kms_key is not None and classify_kms_key(kms_key).form == "invalid":
        raise InputError(f"KmsKey {kms_key!r} is neither a key id, a key ARN nor an alias", source=setup.source,
                         path=f"{base}.KmsKey")
    net = raw.get("NetworkConfiguration")
    if not isinstance(net, Mapping):
        raise InputError("NetworkConfiguration is required: {SubnetIds, SecurityGroupIds}", source=setup.source,
                         path=f"{base}.NetworkConfiguration")
    logging = raw.get("LoggingConfiguration", {})
    if not isinstance(logging, Mapping):
        raise InputError("LoggingConfiguration must be an object", source=setup.source,
                         path=f"{base}.LoggingConfiguration")
    for module, conf in logging.items():
        if module not in LOG_MODULES or not isinstance(conf, Mapping):
            raise InputError(f"unknown logging module {module!r}; one of {', '.join(LOG_MODULES)}",
                             source=setup.source, path=f"{base}.LoggingConfiguration.{module}")
    return EnvironmentRequest(str(name), kms_key, str(role), dict(logging))


def _with_key(setup: Setup) -> bool:
    return parse_request(setup).kms_key is not None


def _described_key(setup: Setup) -> KeySetup | None:
    req = parse_request(setup)
    if req.kms_key is None:
        return None
    found = key_for(setup, req.kms_key)
    if found is None:
        ref = classify_kms_key(req.kms_key)
        found = next((k for k in setup.keys if ref.key_id is not None and k.key_id == ref.key_id), None)
    return found


# --- rules -------------------------------------------------------------------------------------------

MWAA_01 = rule(
    "MWAA-01", "The customer managed key is in the same Region as the environment",
    service=SERVICE, doc=DOC, section=_S_INTRO,
    quote="고객 관리형 KMS 키는 Amazon MWAA 환경 인스턴스 및 워크플로용 리소스를 저장하는 Amazon S3 버킷과 "
          "동일한 리전에 생성해야 합니다.",
    operations=("mwaa:CreateEnvironment", "kms:CreateKey"),
)


@MWAA_01.config(applies=_with_key)
def check_same_region(setup: Setup) -> list[str]:
    """"The customer managed KMS key must be created in the same Region as the Amazon MWAA environment
    instance and the Amazon S3 bucket where you store resources for your workflows." The Region of a
    key ARN (or of the setup's key) must be the setup's Region. (A bucket ARN carries no Region, so
    the bucket half of the sentence is not decidable from the request.)"""
    req = parse_request(setup)
    assert req.kms_key is not None
    ref = classify_kms_key(req.kms_key)
    key = _described_key(setup)
    region = ref.region or (key.region if key is not None else None)
    if region is not None and region != setup.region:
        return [f"request.CreateEnvironment.KmsKey: key {req.kms_key} is in {region}, the environment in "
                f"{setup.region}; the key must be in the environment's Region"]
    return []


def environment_params(target: Target, name: str, kms_key: str | None, role: str,
                       logging: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """CreateEnvironment parameters as boto3 takes them, for ``name`` with ``kms_key``. The bucket and
    network are placeholders; against a real account set ``KMS_CONFORMANCE_MWAA_BUCKET_ARN``,
    ``KMS_CONFORMANCE_MWAA_SUBNETS`` and ``KMS_CONFORMANCE_MWAA_SECURITY_GROUPS`` (comma-separated) to
    ones that exist, or MWAA refuses every environment for reasons the page does not cover."""
    env = os.environ
    subnets = env.get("KMS_CONFORMANCE_MWAA_SUBNETS", "subnet-0a1b2c3d,subnet-4e5f6a7b").split(",")
    groups = env.get("KMS_CONFORMANCE_MWAA_SECURITY_GROUPS", "sg-0a1b2c3d").split(",")
    params: dict[str, Any] = {
        "Name": name, "ExecutionRoleArn": role,
        "SourceBucketArn": env.get("KMS_CONFORMANCE_MWAA_BUCKET_ARN", "arn:aws:s3:::kms-conformance-dags"),
        "DagS3Path": "dags", "NetworkConfiguration": {"SubnetIds": [s.strip() for s in subnets if s.strip()],
                                                      "SecurityGroupIds": [g.strip() for g in groups if g.strip()]},
        "LoggingConfiguration": dict(logging or {"TaskLogs": {"Enabled": True, "LogLevel": "INFO"}}),
    }
    if kms_key is not None:
        params["KmsKey"] = kms_key
    return params


def _env(target: Target, example: Mapping[str, Any]) -> tuple[str, str]:
    """A fresh environment name and an execution role for one example."""
    name = re.sub(r"[^0-9a-zA-Z_-]", "-", target.unique("Env" + str(example.get("stem", ""))))
    role = steps.new_role(target, "mwaa-exec", services=("airflow.amazonaws.com", "airflow-env.amazonaws.com"))
    return name, role


def _create(target: Target, params: Mapping[str, Any], principal: str | None = None) -> Outcome:
    return target.call(BOTO, "CreateEnvironment", params, principal=principal)


@MWAA_01.behavior_(examples=region_examples)
def scenario_same_region(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """CreateEnvironment with the key's ARN in the environment's Region succeeds; the same key ARN
    written with another Region names no key there and is refused (ValidationException)."""
    name, role = _env(target, example)
    arn = steps.new_key(target)["Arn"]
    if example["other_region"] is not None:
        other = example["other_region"] if example["other_region"] != target.region else "eu-west-1"
        arn = arn.replace(f":{target.region}:", f":{other}:", 1)
    return {"CreateEnvironment": _create(target, environment_params(target, name, arn, role)).code}


MWAA_02 = rule(
    "MWAA-02", "KmsKey is a key id or key ARN; aliases are not supported",
    service=SERVICE, doc=DOC, section=_S_SUPPORTED,
    quote="AWS KMS 키 ID 또는 ARN ... AWS KMS 키 별칭 아니요",
    operations=("mwaa:CreateEnvironment", "kms:CreateKey", "kms:CreateAlias"),
)


@MWAA_02.config(applies=_with_key)
def check_no_alias(setup: Setup) -> list[str]:
    """Supported features: "AWS KMS key identifier or ARN: Yes; AWS KMS key alias: No". (The
    CreateEnvironment API's KmsKey pattern admits alias forms; the page, not the pattern, governs.)
    The translated table lost the "Yes" (예) of the first row; only the two "아니요" (No) survive."""
    req = parse_request(setup)
    assert req.kms_key is not None
    ref = classify_kms_key(req.kms_key)
    if ref.form in ("alias", "alias-arn"):
        return [f"request.CreateEnvironment.KmsKey: {req.kms_key} is an alias; MWAA takes a key id or key ARN"]
    return []


@MWAA_02.behavior_(examples=key_form_examples)
def scenario_no_alias(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """CreateEnvironment with the key's id or ARN succeeds; with an alias name or alias ARN of the
    same key it is refused (ValidationException)."""
    name, role = _env(target, example)
    meta = steps.new_key(target)
    form = example["form"]
    ref = meta["Arn"] if form == "arn" else meta["KeyId"]
    if form in ("alias", "alias-arn"):
        alias = f"alias/{target.unique('mwaa')}"
        steps.must("kms:CreateAlias", steps.kms(target, "CreateAlias", {"AliasName": alias,
                                                                          "TargetKeyId": meta["KeyId"]}))
        ref = alias if form == "alias" else meta["Arn"].split(":key/")[0] + ":" + alias
    return {"CreateEnvironment": _create(target, environment_params(target, name, ref, role)).code}


MWAA_03 = rule(
    "MWAA-03", "Multi-Region keys are not supported",
    service=SERVICE, doc=DOC, section=_S_SUPPORTED,
    quote="AWS KMS 다중 리전 키 아니요",
    operations=("mwaa:CreateEnvironment", "kms:CreateKey"),
)


@MWAA_03.config(applies=_with_key)
def check_single_region_key(setup: Setup) -> list[str]:
    """Supported features: "AWS KMS multi-Region keys: No"."""
    req = parse_request(setup)
    assert req.kms_key is not None
    key = _described_key(setup)
    ref = classify_kms_key(req.kms_key)
    if (key is not None and key.multi_region) or (ref.key_id or "").startswith("mrk-"):
        return [f"request.CreateEnvironment.KmsKey: {req.kms_key} is a multi-Region key; MWAA does not support them"]
    return []


@MWAA_03.behavior_(examples=multi_region_examples)
def scenario_no_multi_region(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """CreateEnvironment with a multi-Region key is refused (ValidationException); with a
    single-Region key it succeeds."""
    name, role = _env(target, example)
    arn = steps.new_key(target, multi_region=example["multi_region"])["Arn"]
    return {"CreateEnvironment": _create(target, environment_params(target, name, arn, role)).code}


MWAA_04 = rule(
    "MWAA-04", "A key of another account is given by its ARN",
    service=SERVICE, doc=DOC, section=_S_INTRO,
    quote="지정하는 고객 관리형 키가 환경을 구성하는 데 사용하는 계정이 아닌 다른 계정에 있는 경우, "
          "크로스 계정 액세스를 위해 ARN을 이용하여 해당 키를 지정해 주어야 합니다.",
    operations=("mwaa:CreateEnvironment",),
)


@MWAA_04.config(applies=lambda s: _with_key(s) and _described_key(s) is not None)
def check_cross_account_arn(setup: Setup) -> list[str]:
    """"If the customer managed key you specify is in a different account from the one you use to
    configure the environment, you must specify the key using its ARN for cross-account access." A
    bare key id resolves in the caller's account only ("Key identifiers (KeyId)")."""
    req = parse_request(setup)
    key = _described_key(setup)
    assert req.kms_key is not None and key is not None
    if key.account != setup.account and classify_kms_key(req.kms_key).form != "arn":
        return [f"request.CreateEnvironment.KmsKey: key {key.arn} is in account {key.account}, the environment in "
                f"{setup.account}; give the key ARN, not {req.kms_key!r}"]
    return []


MWAA_05 = rule(
    "MWAA-05", "MWAA attaches four grants to the key, for airflow.<region>.amazonaws.com, with the page's operations",
    service=SERVICE, doc=DOC, section=_S_GRANTS,
    quote="Amazon MWAA는 사용자를 대신하여 고객 관리형 KMS 키에 다음과 같은 리소스 기반 정책 권한을 추가합니다.",
    operations=("mwaa:CreateEnvironment", "kms:ListGrants"),
)


def grant_facts(target: Target, key_arn: str, env: str) -> tuple[str, list[dict[str, Any]]]:
    """ListGrants on the key, as id-free facts: name (environment as ``<ENV>``), sorted operations,
    whether grantee and retiring principal are ``airflow.<region>.amazonaws.com``."""
    out = steps.kms(target, "ListGrants", {"KeyId": key_arn})
    if not out.ok:
        return out.code, []
    principal = airflow_principal(target.region)
    facts = [{"name": str(g.get("Name", "")).replace(env, "<ENV>"),
              "operations": sorted(g.get("Operations", [])),
              "grantee": g.get("GranteePrincipal") == principal,
              "retiring": g.get("RetiringPrincipal") == principal} for g in out.value.get("Grants", [])]
    return "OK", sorted(facts, key=lambda f: f["name"])


@MWAA_05.behavior_(examples=environment_examples)
def scenario_four_grants(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"When you create an Amazon MWAA environment and specify a customer managed KMS key, Amazon MWAA
    attaches the grant policies to your key", four of them (권한 1-4): mwaa-grant-for-env-mgmt-role-,
    mwaa-grant-for-lambda-exec-, mwaa-grant-for-cfn-mgmt- (leading space of the page dropped: a
    defect), mwaa-fargate-access-for- followed by the environment name; grantee and retiring principal
    ``airflow.<region>.amazonaws.com``; the operations as the page lists them, wildcards expanded."""
    name, role = _env(target, example)
    arn = steps.new_key(target)["Arn"]
    created = _create(target, environment_params(target, name, arn, role)).code
    code, grants = grant_facts(target, arn, name)
    return {"CreateEnvironment": created, "ListGrants": code, "grants": grants}


MWAA_06 = rule(
    "MWAA-06", "The grants are retired when the environment is deleted",
    service=SERVICE, doc=DOC, section=_S_HOW,
    quote="여기에는 환경을 삭제할 경우 권한 부여를 폐기하고, ...",
    operations=("mwaa:CreateEnvironment", "mwaa:DeleteEnvironment", "kms:ListGrants"),
)


@MWAA_06.behavior_(examples=environment_examples, lifecycle=True)
def scenario_grants_retired(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"Amazon MWAA creates additional grants on your behalf ... These include policies for retiring
    the grant if you delete your environment": after DeleteEnvironment no grant of the environment is
    left on the key. (Asynchronous on AWS: a real account may need a wait before ListGrants shows it.)"""
    name, role = _env(target, example)
    arn = steps.new_key(target)["Arn"]
    created = _create(target, environment_params(target, name, arn, role)).code
    before = len(grant_facts(target, arn, name)[1])
    deleted = target.call(BOTO, "DeleteEnvironment", {"Name": name}).code
    after = len(grant_facts(target, arn, name)[1])
    return {"CreateEnvironment": created, "grants_before": before, "DeleteEnvironment": deleted,
            "grants_after": after}


MWAA_07 = rule(
    "MWAA-07", "The principal creating the environment can let MWAA describe the key and create grants on it",
    service=SERVICE, doc=DOC, section=_S_HOW,
    quote="Amazon MWAA 환경을 생성하고 고객 관리형 KMS 키를 지정하면, Amazon MWAA는 사용자의 고객 관리형 KMS 키에 "
          "권한 부여 정책을 연결합니다.",
    operations=("mwaa:CreateEnvironment", "kms:CreateKey", "iam:CreateRole"),
)


def _grant_context(region: str, spec: GrantSpec) -> dict[str, str | list[str]]:
    return {"kms:GrantOperations": list(spec.operations), "kms:GranteePrincipal": airflow_principal(region),
            "kms:RetiringPrincipal": airflow_principal(region)}


@MWAA_07.config(applies=lambda s: _described_key(s) is not None)
def check_caller_key_permissions(setup: Setup) -> list[str]:
    """"When you create an environment and specify a customer managed key, Amazon MWAA attaches the
    grant policies to your key" and "creates additional grants on your behalf": MWAA acts as the
    principal creating the environment, through ``airflow.<region>.amazonaws.com``, so that principal
    must be allowed kms:DescribeKey and kms:CreateGrant (for each of the four grants) on the key. The
    page implies these permissions rather than listing them; the kit evaluates them with the KMS
    reference model."""
    key = _described_key(setup)
    assert key is not None
    reasons = access_reasons(setup, key, setup.caller, ["kms:DescribeKey"], via_service="airflow")
    for spec in GRANTS:
        reasons += access_reasons(setup, key, setup.caller, ["kms:CreateGrant"], via_service="airflow",
                                  context=_grant_context(setup.region, spec))
    return list(dict.fromkeys(reasons))


def caller_key_statement(principal: str, region: str, actions: Sequence[str] = ("kms:DescribeKey",
                                                                                 "kms:CreateGrant")) -> dict[str, Any]:
    """A key policy statement letting ``principal`` use the key through MWAA in ``region``."""
    return {"Sid": "Allow MWAA on behalf of the creator", "Effect": "Allow", "Principal": {"AWS": principal},
            "Action": list(actions), "Resource": "*",
            "Condition": {"StringEquals": {"kms:ViaService": f"airflow.{region}.amazonaws.com"}}}


@MWAA_07.behavior_(examples=caller_examples)
def scenario_caller_permissions(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """A role allowed kms:DescribeKey and kms:CreateGrant on the key through airflow.<region> creates
    the environment; without CreateGrant, or with the statement bound to another Region, it is refused
    (AccessDeniedException)."""
    name, exec_role = _env(target, example)
    user = steps.new_role(target, "mwaa-user", inline_policies={"mwaa": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["airflow:*", "iam:PassRole"], "Resource": "*"}]}})
    region = target.region
    if example["other_region"] is not None:
        region = example["other_region"] if example["other_region"] != target.region else "eu-west-1"
    actions = ("kms:DescribeKey", "kms:CreateGrant") if example["grant_action"] else ("kms:DescribeKey",)
    policy = steps.default_key_policy(target.account)
    policy["Statement"].append(caller_key_statement(user, region, actions))
    policy["Statement"].append(logs_statement(target.region, target.account))
    arn = steps.new_key(target, policy)["Arn"]
    out = _create(target, environment_params(target, name, arn, exec_role), principal=user)
    return {"CreateEnvironment": out.code}


MWAA_08 = rule(
    "MWAA-08", "The key policy lets CloudWatch Logs (logs.<region>.amazonaws.com) use the key for the "
               "environment's log groups",
    service=SERVICE, doc=DOC, section=_S_KEYPOLICY,
    quote="Amazon MWAA 환경에 사용한 고객 관리형 KMS 키가 아직 작동하도록 구성되지 않은 경우 "
          "암호화된 로그를 허용하도록 키 정책을 업데이트해야 합니다.",
    operations=("mwaa:CreateEnvironment", "mwaa:GetEnvironment", "kms:CreateKey"),
)


def logs_statement(region: str, account: str, arn_region: str | None = None) -> dict[str, Any]:
    """The page's CloudWatch Logs statement for ``region``, limited to the account's log groups
    (``arn:aws:logs:<region>:<account>:*``; the page's sample has ``*`` for the account)."""
    return {"Sid": "Allow CloudWatch Logs", "Effect": "Allow", "Principal": {"Service": logs_principal(region)},
            "Action": list(LOGS_ACTIONS), "Resource": "*",
            "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn":
                                      f"arn:aws:logs:{arn_region or region}:{account}:*"}}}


@MWAA_08.config(applies=lambda s: _described_key(s) is not None and bool(parse_request(s).enabled_logs()))
def check_logs_statement(setup: Setup) -> list[str]:
    """"If the customer managed KMS key you used for your environment is not already configured to work
    with CloudWatch, you must update the key policy to allow for encrypted CloudWatch Logs", with the
    sample statement: principal ``logs.<region>.amazonaws.com``, kms:Encrypt*, Decrypt*, ReEncrypt*,
    GenerateDataKey*, Describe*, ``ArnLike kms:EncryptionContext:aws:logs:arn arn:aws:logs:<region>:*:*``.
    Its effect is checked, not its text: CloudWatch Logs must be allowed each operation that carries
    the encryption context, for the ARN of each of the environment's log groups (``airflow-<env>-Task``...)."""
    req = parse_request(setup)
    key = _described_key(setup)
    assert key is not None
    partition = key.partition
    reasons = []
    for module in req.enabled_logs():
        arn = log_group_arn(partition, setup.region, setup.account, req.name, module)
        reasons += access_reasons(setup, key, logs_principal(setup.region), list(LOGS_OPERATIONS),
                                  context={"kms:EncryptionContext:aws:logs:arn": arn})
    return reasons


@MWAA_08.behavior_(examples=logs_examples)
def scenario_logs_statement(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """With the CloudWatch Logs statement the environment's encrypted log groups can be written and the
    environment does not fail; without it (or with it bound to another Region's log groups) CloudWatch
    Logs cannot use the key and the environment ends CREATE_FAILED."""
    name, role = _env(target, example)
    policy = steps.default_key_policy(target.account)
    if example["statement"] != "absent":
        other = example["other_region"] if example["other_region"] != target.region else "eu-west-1"
        arn_region = other if example["statement"] == "other-region" else None
        policy["Statement"].append(logs_statement(target.region, target.account, arn_region))
    arn = steps.new_key(target, policy)["Arn"]
    created = _create(target, environment_params(target, name, arn, role)).code
    got = target.call(BOTO, "GetEnvironment", {"Name": name})
    status = got.value.get("Environment", {}).get("Status") if got.ok else None
    return {"CreateEnvironment": created, "GetEnvironment": got.code, "failed": status == "CREATE_FAILED"}


# --- the service spec -----------------------------------------------------------------------------

register_service(ServiceSpec(name=SERVICE, compliant=compliant_setups, mutators=MUTATORS,
                             parse_request=parse_request))


# --- reference behaviour: the model handlers ----------------------------------------------------------

@dataclass(frozen=True)
class StoredEnvironment:
    name: str
    arn: str
    status: str
    kms_key: str | None
    execution_role: str
    grants: tuple[str, ...]
    params: Mapping[str, Any]


@dataclass
class MwaaState:
    """The service's state in ``world.services["mwaa"]``."""

    environments: dict[str, StoredEnvironment] = field(default_factory=dict)


def _state(world: Any) -> MwaaState:
    st = world.services.get(BOTO)
    if st is None:
        st = world.services[BOTO] = MwaaState()
    assert isinstance(st, MwaaState)
    return st


def _kms(world: Any, caller: str, operation: str, params: Mapping[str, Any], via: str | None) -> dict[str, Any]:
    from kms_conformance.kms import kms_call

    return kms_call(world, caller, operation, params, via_service=via)


def _invalid(message: str) -> AwsError:
    return AwsError("ValidationException", message)


def _authorize(world: Any, caller: str, action: str, name: str) -> None:
    from kms_conformance.policy import evaluate, make_request

    resource = f"arn:{world.partition}:airflow:{world.region}:{world.account}:environment/{name}"
    ev = evaluate(make_request(action, resource, caller), identity_policies=world.identity_policies(caller))
    if not ev.allowed:
        raise AwsError("AccessDeniedException", f"User: {caller} is not authorized to perform: {action} on "
                                                f"resource: {resource}")


def _resolve(world: Any, kms_key: str) -> Any:
    """The key a KmsKey names, refusing what the page does not support (MWAA-01/02/03)."""
    ref = classify_kms_key(kms_key)
    if ref.form in ("alias", "alias-arn"):
        raise _invalid(f"KmsKey {kms_key}: AWS KMS key aliases are not supported; give a key id or key ARN")
    if ref.form == "invalid":
        raise _invalid(f"KmsKey {kms_key} is not a key id or key ARN")
    if ref.region is not None and ref.region != world.region:
        raise _invalid(f"KmsKey {kms_key} is in {ref.region}; the key must be in the environment's Region "
                       f"{world.region}")
    try:
        key = world.resolve_key(kms_key, allow_alias=False)
    except AwsError:
        raise _invalid(f"KmsKey {kms_key} does not exist or is not accessible") from None
    if key.multi_region:
        raise _invalid(f"KmsKey {kms_key} is a multi-Region key; multi-Region keys are not supported")
    if not key.symmetric or key.key_usage != "ENCRYPT_DECRYPT":
        raise _invalid(f"KmsKey {kms_key} is not a symmetric encryption key")
    return key


def _retire(world: Any, key_arn: str, grant_ids: Sequence[str]) -> None:
    principal = airflow_principal(world.region)
    for gid in grant_ids:
        with contextlib.suppress(AwsError):  # already retired or revoked
            _kms(world, principal, "RetireGrant", {"KeyId": key_arn, "GrantId": gid}, None)


def _logs_can_encrypt(world: Any, key_arn: str, name: str, modules: Sequence[str]) -> bool:
    """Whether CloudWatch Logs can use the key for each enabled log group (MWAA-08)."""
    for module in modules:
        arn = log_group_arn(world.partition, world.region, world.account, name, module)
        try:
            _kms(world, logs_principal(world.region), "GenerateDataKey",
                 {"KeyId": key_arn, "KeySpec": "AES_256", "EncryptionContext": {"aws:logs:arn": arn}}, None)
        except AwsError:
            return False
    return True


#: The reference model's operations of this service (transitional: moving to kms_conformance.models).
OPERATIONS = Operations()


@OPERATIONS(BOTO, "CreateEnvironment")
def model_create_environment(world: Any, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """CreateEnvironment: required members; the KmsKey forms the page supports (MWAA-01/02/03); as the
    caller, through airflow.<region>.amazonaws.com, DescribeKey and the four grants (MWAA-05/07);
    CloudWatch Logs' use of the key for the enabled log groups (MWAA-08: CREATE_FAILED when refused)."""
    st = _state(world)
    name = params.get("Name")
    if not isinstance(name, str) or not _ENV_NAME.match(name):
        raise _invalid(f"Name {name!r} must match {_ENV_NAME.pattern}")
    for member, pattern in (("ExecutionRoleArn", _ROLE_ARN), ("SourceBucketArn", _BUCKET_ARN)):
        value = params.get(member)
        if not isinstance(value, str) or not pattern.match(value):
            raise _invalid(f"{member} {value!r} is missing or invalid")
    if not isinstance(params.get("DagS3Path"), str) or not isinstance(params.get("NetworkConfiguration"), Mapping):
        raise _invalid("DagS3Path and NetworkConfiguration are required")
    _authorize(world, caller, "airflow:CreateEnvironment", name)
    if name in st.environments:
        raise _invalid(f"Environment {name} already exists")
    logging = params.get("LoggingConfiguration") or {}
    modules = enabled_logs(logging if isinstance(logging, Mapping) else None)
    kms_key = params.get("KmsKey")
    grants: list[str] = []
    status = "AVAILABLE"
    key_arn = None
    if kms_key is not None:
        key = _resolve(world, str(kms_key))
        key_arn = str(key.arn)
        via = airflow_principal(world.region)
        try:
            _kms(world, caller, "DescribeKey", {"KeyId": key_arn}, via)
            for spec in GRANTS:
                out = _kms(world, caller, "CreateGrant", {
                    "KeyId": key_arn, "Name": spec.prefix + name, "GranteePrincipal": via, "RetiringPrincipal": via,
                    "Operations": list(spec.operations)}, via)
                grants.append(str(out["GrantId"]))
        except AwsError as exc:
            _retire(world, key_arn, grants)
            code = "AccessDeniedException" if exc.code == "AccessDeniedException" else "ValidationException"
            raise AwsError(code, f"Amazon MWAA cannot use the KMS key {key_arn}: {exc.message}") from None
        if modules and not _logs_can_encrypt(world, key_arn, name, modules):
            status = "CREATE_FAILED"
    arn = f"arn:{world.partition}:airflow:{world.region}:{world.account}:environment/{name}"
    st.environments[name] = StoredEnvironment(name=name, arn=arn, status=status, kms_key=key_arn,
                                              execution_role=str(params["ExecutionRoleArn"]), grants=tuple(grants),
                                              params=json.loads(json.dumps(dict(params), default=str)))
    return {"Arn": arn}


def _existing_environment(world: Any, caller: str, params: Mapping[str, Any], action: str) -> tuple[MwaaState, str]:
    """The service state and the environment ``params`` names (ResourceNotFoundException when there is
    none), once ``caller`` may do ``action`` on it."""
    st = _state(world)
    name = params.get("Name")
    if not isinstance(name, str) or name not in st.environments:
        raise AwsError("ResourceNotFoundException", f"Environment {name} not found")
    _authorize(world, caller, action, name)
    return st, name


@OPERATIONS(BOTO, "GetEnvironment")
def model_get_environment(world: Any, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    st, name = _existing_environment(world, caller, params, "airflow:GetEnvironment")
    env = st.environments[name]
    out: dict[str, Any] = {"Name": env.name, "Arn": env.arn, "Status": env.status,
                           "ExecutionRoleArn": env.execution_role}
    if env.kms_key is not None:
        out["KmsKey"] = env.kms_key
    return {"Environment": out}


@OPERATIONS(BOTO, "DeleteEnvironment")
def model_delete_environment(world: Any, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """DeleteEnvironment: the environment's grants are retired by their retiring principal (MWAA-06)."""
    st, name = _existing_environment(world, caller, params, "airflow:DeleteEnvironment")
    env = st.environments.pop(name)
    if env.kms_key is not None:
        _retire(world, env.kms_key, env.grants)
    return {}
