"""Amazon MWAA in the reference model: environments encrypted with a customer managed key.

The reference behaviour of ``003_38db2e13c46896ae.txt`` ("Using customer managed keys for
encryption", Amazon MWAA User Guide, Korean): the four grants of section "권한 부여 정책" (Grant
policies), the CloudWatch Logs statement of "고객 관리형 키에 대한 키 정책 연결" (Attaching key policies to
a customer managed key), the ``KmsKey`` forms of "지원되는 항목" (Supported features), the parsing of a
setup's CreateEnvironment request, and the CreateEnvironment, GetEnvironment and DeleteEnvironment
handlers with their state in ``world.services["mwaa"]``.

The page lists grant operations as IAM actions with wildcards (``kms:ReEncrypt*``,
``kms:GenerateDataKey*``); a grant's Operations take no wildcards, so each pattern becomes the grant
operations it matches (ReEncryptFrom, ReEncryptTo; GenerateDataKey, GenerateDataKeyWithoutPlaintext,
GenerateDataKeyPair, GenerateDataKeyPairWithoutPlaintext). Grant 3's name is written with a leading
space, which a grant name cannot hold (CreateGrant: ``^[a-zA-Z0-9:/_-]+$``): its name here is
``mwaa-grant-for-cfn-mgmt-<environment name>``.

Error codes the page does not give come from the CreateEnvironment API reference: an unusable
``KmsKey`` (alias, other Region, multi-Region, unknown) is a ValidationException; a KMS permission
the caller lacks surfaces as AccessDeniedException (a common error of every API).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kms_conformance.arns import is_key_id, parse_alias_arn, parse_bucket_arn, parse_key_arn, parse_role_arn
from kms_conformance.errors import InputError
from kms_conformance.kms import GRANT_OPERATIONS, Key, World, identity_allows, kms_call
from kms_conformance.kms.errors import AwsError
from kms_conformance.models.registry import Operations, accepts_then_fails
from kms_conformance.policy import expand_kms_actions
from kms_conformance.setup import Setup

#: The boto3 name of the service.
BOTO = "mwaa"

_ENV_NAME = re.compile(r"^[a-zA-Z][0-9a-zA-Z_-]{0,79}$")


def grant_operations(actions: Sequence[str]) -> tuple[str, ...]:
    """The sorted grant operations of a page action list (``kms:ReEncrypt*`` -> ReEncryptFrom, ReEncryptTo).

    >>> grant_operations(["kms:Decrypt", "kms:ReEncrypt*"])
    ('Decrypt', 'ReEncryptFrom', 'ReEncryptTo')
    """
    names = {matched.split(":", 1)[1] for action in actions for matched in expand_kms_actions(action)}
    return tuple(sorted(name for name in names if name in GRANT_OPERATIONS))


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


def airflow_principal(region: str) -> str:
    """``airflow.<region>.amazonaws.com``: the grantee and retiring principal of the four grants
    (the page writes ``airflow.region}.amazonaws.com``, with a stray brace)."""
    return f"airflow.{region}.amazonaws.com"


def logs_principal(region: str) -> str:
    """``logs.<region>.amazonaws.com``: the principal of the page's CloudWatch Logs statement."""
    return f"logs.{region}.amazonaws.com"


def enabled_logs(logging: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The enabled LoggingConfiguration modules; TaskLogs when no LoggingConfiguration is given
    (MWAA enables task logs at INFO by default: "Viewing Airflow logs in Amazon CloudWatch")."""
    if not logging:
        return ("TaskLogs",)
    return tuple(m for m in LOG_MODULES if isinstance(logging.get(m), Mapping) and logging[m].get("Enabled") is True)


def log_group_arn(partition: str, region: str, account: str, env: str, module: str) -> str:
    """The ARN of the log group MWAA writes ``module`` of environment ``env`` to."""
    return f"arn:{partition}:logs:{region}:{account}:log-group:airflow-{env}-{LOG_MODULES[module]}"


# --- key policy statements (sections "작동 방식" and "고객 관리형 키에 대한 키 정책 연결") -------------------

def caller_key_statement(principal: str, region: str, actions: Sequence[str] = ("kms:DescribeKey",
                                                                                 "kms:CreateGrant")) -> dict[str, Any]:
    """A key policy statement letting ``principal`` use the key through MWAA in ``region``."""
    return {"Sid": "Allow MWAA on behalf of the creator", "Effect": "Allow", "Principal": {"AWS": principal},
            "Action": list(actions), "Resource": "*",
            "Condition": {"StringEquals": {"kms:ViaService": airflow_principal(region)}}}


def logs_statement(region: str, account: str, arn_region: str | None = None) -> dict[str, Any]:
    """The page's CloudWatch Logs statement for ``region``, limited to the account's log groups
    (``arn:aws:logs:<region>:<account>:*``; the page's sample has ``*`` for the account)."""
    return {"Sid": "Allow CloudWatch Logs", "Effect": "Allow", "Principal": {"Service": logs_principal(region)},
            "Action": list(LOGS_ACTIONS), "Resource": "*",
            "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn":
                                      f"arn:aws:logs:{arn_region or region}:{account}:*"}}}


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
    key = parse_key_arn(value)
    if key is not None:
        return KmsKeyRef(value, "arn", key.region, key.account, key.resource_id)
    alias = parse_alias_arn(value)
    if alias is not None:
        return KmsKeyRef(value, "alias-arn", alias.region, alias.account)
    if value.startswith("alias/"):
        return KmsKeyRef(value, "alias")
    if is_key_id(value):
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


def _is_env_name(value: str) -> bool:
    return bool(_ENV_NAME.match(value))


def _is_role_arn(value: str) -> bool:
    return parse_role_arn(value) is not None


def _is_bucket_arn(value: str) -> bool:
    return parse_bucket_arn(value) is not None


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

    def string(member: str, valid: Callable[[str], bool] | None = None, form: str = "",
               required: bool = True) -> str | None:
        value = raw.get(member)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value:
            raise InputError(f"{member} is required: a non-empty string", source=setup.source, path=f"{base}.{member}")
        if valid is not None and not valid(value):
            raise InputError(f"{value!r} is not {form}", source=setup.source, path=f"{base}.{member}")
        return value

    name = string("Name", _is_env_name, f"an environment name ({_ENV_NAME.pattern})")
    role = string("ExecutionRoleArn", _is_role_arn, "an IAM role ARN (arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME)")
    string("SourceBucketArn", _is_bucket_arn, "an S3 bucket ARN (arn:PARTITION:s3:::BUCKET)")
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


# --- state and handlers --------------------------------------------------------------------------

@dataclass(frozen=True)
class StoredEnvironment:
    """One environment as the model keeps it: its key (as a key ARN) and the ids of its grants."""

    name: str
    arn: str
    status: str
    kms_key: str | None
    execution_role: str
    grants: tuple[str, ...]
    params: Mapping[str, Any]
    #: GetEnvironment's ``LastUpdate.Error`` of an environment that ended CREATE_FAILED (``ErrorCode``,
    #: ``ErrorMessage``); None otherwise.
    error: Mapping[str, str] | None = None


@dataclass
class MwaaState:
    """The service's state in ``world.services["mwaa"]``."""

    environments: dict[str, StoredEnvironment] = field(default_factory=dict)


def _state(world: World) -> MwaaState:
    st = world.services.get(BOTO)
    if st is None:
        st = world.services[BOTO] = MwaaState()
    assert isinstance(st, MwaaState)
    return st


def _invalid(message: str) -> AwsError:
    return AwsError("ValidationException", message)


def _environment_arn(world: World, name: str) -> str:
    return f"arn:{world.partition}:airflow:{world.region}:{world.account}:environment/{name}"


def _authorize(world: World, caller: str, action: str, name: str) -> None:
    resource = _environment_arn(world, name)
    if not identity_allows(world, caller, action, resource):
        raise AwsError("AccessDeniedException", f"User: {caller} is not authorized to perform: {action} on "
                                                f"resource: {resource}")


def _resolve(world: World, kms_key: str) -> Key:
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


def _retire(world: World, key_arn: str, grant_ids: Sequence[str]) -> None:
    principal = airflow_principal(world.region)
    for gid in grant_ids:
        with contextlib.suppress(AwsError):  # already retired or revoked
            kms_call(world, principal, "RetireGrant", {"KeyId": key_arn, "GrantId": gid})


def _logs_error(world: World, key_arn: str, name: str, modules: Sequence[str]) -> dict[str, str] | None:
    """None when CloudWatch Logs can use the key for each enabled log group (MWAA-08), else the
    environment's ``LastUpdate.Error``."""
    for module in modules:
        arn = log_group_arn(world.partition, world.region, world.account, name, module)
        try:
            kms_call(world, logs_principal(world.region), "GenerateDataKey",
                     {"KeyId": key_arn, "KeySpec": "AES_256", "EncryptionContext": {"aws:logs:arn": arn}})
        except AwsError as exc:
            return {"ErrorCode": exc.code, "ErrorMessage": f"CloudWatch Logs cannot use the KMS key {key_arn} for "
                                                          f"{arn}: {exc.message}"}
    return None


#: The reference model's MWAA operations.
OPERATIONS = Operations()


@OPERATIONS(BOTO, "CreateEnvironment")
def create_environment(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """CreateEnvironment: required members; the KmsKey forms the page supports (MWAA-01/02/03); as the
    caller, through airflow.<region>.amazonaws.com, DescribeKey and the four grants (MWAA-05/07);
    CloudWatch Logs' use of the key for the enabled log groups (MWAA-08: CREATE_FAILED when refused).
    MWAA creates an environment asynchronously (GetEnvironment's Status goes CREATING, then AVAILABLE or
    CREATE_FAILED with ``LastUpdate.Error``: MWAA API Reference): by default the model refuses the call
    when the caller's DescribeKey or CreateGrant fails; with
    :data:`~kms_conformance.models.registry.ACCEPT_THEN_FAIL` it accepts it and the environment ends
    CREATE_FAILED with the failure as its ``LastUpdate.Error``."""
    st = _state(world)
    name = params.get("Name")
    if not isinstance(name, str) or not _ENV_NAME.match(name):
        raise _invalid(f"Name {name!r} must match {_ENV_NAME.pattern}")
    if parse_role_arn(params.get("ExecutionRoleArn")) is None:
        raise _invalid(f"ExecutionRoleArn {params.get('ExecutionRoleArn')!r} is missing or invalid")
    if parse_bucket_arn(params.get("SourceBucketArn")) is None:
        raise _invalid(f"SourceBucketArn {params.get('SourceBucketArn')!r} is missing or invalid")
    if not isinstance(params.get("DagS3Path"), str) or not isinstance(params.get("NetworkConfiguration"), Mapping):
        raise _invalid("DagS3Path and NetworkConfiguration are required")
    _authorize(world, caller, "airflow:CreateEnvironment", name)
    if name in st.environments:
        raise _invalid(f"Environment {name} already exists")
    logging = params.get("LoggingConfiguration") or {}
    modules = enabled_logs(logging if isinstance(logging, Mapping) else None)
    kms_key = params.get("KmsKey")
    grants: list[str] = []
    error: dict[str, str] | None = None
    key_arn = None
    if kms_key is not None:
        key = _resolve(world, str(kms_key))
        key_arn = str(key.arn)
        via = airflow_principal(world.region)
        try:
            kms_call(world, caller, "DescribeKey", {"KeyId": key_arn}, via_service=via)
            for spec in GRANTS:
                out = kms_call(world, caller, "CreateGrant", {
                    "KeyId": key_arn, "Name": spec.prefix + name, "GranteePrincipal": via, "RetiringPrincipal": via,
                    "Operations": list(spec.operations)}, via_service=via)
                grants.append(str(out["GrantId"]))
        except AwsError as exc:
            _retire(world, key_arn, grants)
            grants = []
            code = "AccessDeniedException" if exc.code == "AccessDeniedException" else "ValidationException"
            failure = AwsError(code, f"Amazon MWAA cannot use the KMS key {key_arn}: {exc.message}")
            if not accepts_then_fails(world):
                raise failure from None
            error = {"ErrorCode": failure.code, "ErrorMessage": failure.message}
        if error is None and modules:
            error = _logs_error(world, key_arn, name, modules)
    arn = _environment_arn(world, name)
    st.environments[name] = StoredEnvironment(name=name, arn=arn, status="AVAILABLE" if error is None else
                                              "CREATE_FAILED", kms_key=key_arn,
                                              execution_role=str(params["ExecutionRoleArn"]), grants=tuple(grants),
                                              params=json.loads(json.dumps(dict(params), default=str)), error=error)
    return {"Arn": arn}


def _existing_environment(world: World, caller: str, params: Mapping[str, Any], action: str) -> tuple[MwaaState, str]:
    """The service state and the environment ``params`` names (ResourceNotFoundException when there is
    none), once ``caller`` may do ``action`` on it."""
    st = _state(world)
    name = params.get("Name")
    if not isinstance(name, str) or name not in st.environments:
        raise AwsError("ResourceNotFoundException", f"Environment {name} not found")
    _authorize(world, caller, action, name)
    return st, name


@OPERATIONS(BOTO, "GetEnvironment")
def get_environment(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """GetEnvironment: name, ARN, status (CREATE_FAILED when CloudWatch Logs, or with accept-then-fail
    the caller, could not use the key; then ``LastUpdate.Error`` says why), execution role and KmsKey
    (as the key ARN)."""
    st, name = _existing_environment(world, caller, params, "airflow:GetEnvironment")
    env = st.environments[name]
    out: dict[str, Any] = {"Name": env.name, "Arn": env.arn, "Status": env.status,
                           "ExecutionRoleArn": env.execution_role}
    if env.kms_key is not None:
        out["KmsKey"] = env.kms_key
    if env.error is not None:
        out["LastUpdate"] = {"Status": "FAILED", "Error": dict(env.error)}
    return {"Environment": out}


@OPERATIONS(BOTO, "DeleteEnvironment")
def delete_environment(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """DeleteEnvironment: the environment's grants are retired by their retiring principal (MWAA-06)."""
    st, name = _existing_environment(world, caller, params, "airflow:DeleteEnvironment")
    env = st.environments.pop(name)
    if env.kms_key is not None:
        _retire(world, env.kms_key, env.grants)
    return {}


__all__ = [
    "BOTO",
    "GRANTS",
    "LOGS_ACTIONS",
    "LOGS_OPERATIONS",
    "LOG_MODULES",
    "OPERATIONS",
    "EnvironmentRequest",
    "GrantSpec",
    "KmsKeyRef",
    "MwaaState",
    "StoredEnvironment",
    "airflow_principal",
    "caller_key_statement",
    "classify_kms_key",
    "enabled_logs",
    "grant_operations",
    "log_group_arn",
    "logs_principal",
    "logs_statement",
    "parse_request",
]
