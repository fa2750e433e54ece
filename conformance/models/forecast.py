"""Amazon Forecast as the reference model keeps it: dataset groups, datasets, predictors and what
follows them, and what an operation under a customer managed key asks of AWS KMS.

Source: ``004_1f23ff3028fec3c5.txt`` ("Data Protection in Amazon Forecast") and the Forecast API
Reference (CreateDataset, CreatePredictor, EncryptionConfig; botocore's forecast 2018-06-26 model).

- **CreateDataset** and **CreatePredictor** take an optional ``EncryptionConfig`` (``RoleArn``,
  ``KMSKeyArn``). With one, Forecast validates the caller's identity, assumes the role, calls
  DescribeKey and CreateGrant as that role through Forecast (``kms:ViaService``
  ``forecast.<region>.amazonaws.com``), uses the grant (GenerateDataKey, Decrypt) and retires it
  when the operation completes (:func:`use_customer_key`). Without one, no KMS call is made (the
  page: "Forecast uses the default service keys for encryption").
- **CreateDatasetImportJob** uses the dataset's configuration; **CreateForecast**,
  **CreateExplainability** and **CreatePredictorBacktestExportJob** use the predictor's (the page:
  "all subsequent operations ... will use the same configuration").

The model answers at once. Real Forecast runs these operations asynchronously (hours of training);
against a real account the later operations of a scenario need the resource to be ACTIVE, so
scenarios that go past the first operation are slow or inconclusive there. By default the model
refuses a CreateDataset or CreatePredictor whose role or key fails; with ``accept_then_fail``
(:class:`~kms_conformance.targets.model.ModelTarget`) it accepts it and the resource ends
``CREATE_FAILED``, as a creation failing after the call returned does (the caller's validation is
refused either way).

State lives in ``world.services["forecast"]``; the handlers are registered in :data:`OPERATIONS`.
:func:`parse_request` reads the CreateDataset / CreatePredictor requests of a setup.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kms_conformance.arns import parse_key_arn
from kms_conformance.errors import InputError
from kms_conformance.kms import AwsError, Key, KmsRequest, World, authorize, kms_call
from kms_conformance.models.cloudtrail import record
from kms_conformance.models.registry import Operations, accepts_then_fails
from kms_conformance.policy import evaluate_policy, make_request
from kms_conformance.setup import Setup

#: The boto3 service name, the key of this service's state in ``World.services`` and the setup's
#: ``service``.
SERVICE = "forecast"
#: The service principal Forecast assumes roles as and grants to ("AWS Internal" in the page's
#: CreateGrant CloudTrail event).
FORECAST_PRINCIPAL = "forecast.amazonaws.com"
#: What Forecast validates on the caller's identity (page 004, the Note under "Create a customer
#: managed key": "kms:Decrypt and kms:GenerateDataKey validation on the caller's identity").
CALLER_ACTIONS: tuple[str, ...] = ("kms:Decrypt", "kms:GenerateDataKey")
#: The operations of the grant Forecast creates (page 004, "How Amazon Forecast uses grants in AWS
#: KMS"; the CreateGrant CloudTrail event's ``operations``).
GRANT_OPERATIONS: tuple[str, ...] = ("Decrypt", "GenerateDataKey")
#: ``Domain`` and ``DatasetType`` of CreateDataset (Forecast API Reference).
DOMAINS = ("RETAIL", "CUSTOM", "INVENTORY_PLANNING", "EC2_CAPACITY", "WORK_FORCE", "WEB_TRAFFIC", "METRICS")
DATASET_TYPES = ("TARGET_TIME_SERIES", "RELATED_TIME_SERIES", "ITEM_METADATA")

#: A Forecast resource name: a letter, then letters, digits and ``_``, at most 63 characters.
_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]{0,62}$")
_REQUIRED: Mapping[str, tuple[str, ...]] = {
    "CreateDataset": ("DatasetName", "Domain", "DatasetType", "Schema"),
    "CreatePredictor": ("PredictorName", "ForecastHorizon", "InputDataConfig", "FeaturizationConfig"),
}


def via_service(region: str) -> str:
    """The ``kms:ViaService`` value of Forecast in ``region`` ("AWS KMS condition keys")."""
    return f"forecast.{region}.amazonaws.com"


# --- the request of a setup ----------------------------------------------------------------------


@dataclass(frozen=True)
class EncryptionConfig:
    """``EncryptionConfig`` of one request: the role Forecast assumes, the key, where it stands."""

    operation: str
    role_arn: str
    kms_key_arn: str
    path: str


@dataclass(frozen=True)
class ForecastRequest:
    """The parsed ``request`` of a Forecast setup: the operations given, their encryption
    configurations (None: Forecast's default service keys), and their tags."""

    operations: tuple[str, ...]
    configs: tuple[EncryptionConfig, ...]
    tags: tuple[tuple[str, str, str], ...] = ()  # (json path, key, value)


def parse_request(setup: Setup) -> ForecastRequest:
    """Validate ``setup.request``: ``{"CreateDataset": {...}, "CreatePredictor": {...}}`` in the
    Forecast API shape (botocore's forecast 2018-06-26 model: required members, ``EncryptionConfig``
    with both ``RoleArn`` and ``KMSKeyArn``). The key an ``EncryptionConfig`` names must be among the
    setup's keys (by key ARN, or by alias, so that a rule can report the alias). A malformed request
    is an :class:`~kms_conformance.errors.InputError` naming its JSON path."""
    src = setup.source
    req = setup.request
    ops = [op for op in req]
    if not ops:
        raise InputError("a Forecast setup needs request.CreateDataset and/or request.CreatePredictor",
                         source=src, path="request")
    for op in ops:
        if op not in _REQUIRED:
            raise InputError(f"unknown operation {op!r}; one of CreateDataset, CreatePredictor",
                             source=src, path=f"request.{op}")
    configs: list[EncryptionConfig] = []
    tags: list[tuple[str, str, str]] = []
    for op in ops:
        body = req[op]
        base = f"request.{op}"
        if not isinstance(body, Mapping):
            raise InputError("expected an object (the request parameters)", source=src, path=base)
        _check_members(op, body, src, base)
        tags.extend(_tags(body, src, base))
        if "EncryptionConfig" in body:
            configs.append(_encryption_config(setup, op, body["EncryptionConfig"], f"{base}.EncryptionConfig"))
    return ForecastRequest(tuple(ops), tuple(configs), tuple(tags))


def _check_members(op: str, body: Mapping[str, Any], src: str, base: str) -> None:
    for member in _REQUIRED[op]:
        if member not in body:
            raise InputError(f"{op} requires {member}", source=src, path=f"{base}.{member}")
    name_field = "DatasetName" if op == "CreateDataset" else "PredictorName"
    if not isinstance(body[name_field], str) or not _NAME.match(body[name_field]):
        raise InputError("a Forecast name is 1-63 letters, digits and _ starting with a letter",
                         source=src, path=f"{base}.{name_field}")
    if op == "CreateDataset":
        if body["Domain"] not in DOMAINS:
            raise InputError(f"Domain is one of {', '.join(DOMAINS)}", source=src, path=f"{base}.Domain")
        if body["DatasetType"] not in DATASET_TYPES:
            raise InputError(f"DatasetType is one of {', '.join(DATASET_TYPES)}", source=src,
                             path=f"{base}.DatasetType")


def _tags(body: Mapping[str, Any], src: str, base: str) -> list[tuple[str, str, str]]:
    raw_tags = body.get("Tags", [])
    if not isinstance(raw_tags, list):
        raise InputError("Tags is a list of {Key, Value}", source=src, path=f"{base}.Tags")
    out = []
    for i, tag in enumerate(raw_tags):
        if not isinstance(tag, Mapping) or not isinstance(tag.get("Key"), str) \
                or not isinstance(tag.get("Value"), str):
            raise InputError("a tag is {\"Key\": string, \"Value\": string}", source=src, path=f"{base}.Tags[{i}]")
        out.append((f"{base}.Tags[{i}]", tag["Key"], tag["Value"]))
    return out


def _encryption_config(setup: Setup, op: str, enc: Any, path: str) -> EncryptionConfig:
    src = setup.source
    if not isinstance(enc, Mapping):
        raise InputError("expected an object {RoleArn, KMSKeyArn}", source=src, path=path)
    for member in ("RoleArn", "KMSKeyArn"):
        if not isinstance(enc.get(member), str) or not enc[member]:
            raise InputError(f"EncryptionConfig requires {member} (a string)", source=src, path=f"{path}.{member}")
    unknown = sorted(set(enc) - {"RoleArn", "KMSKeyArn"})
    if unknown:
        raise InputError(f"unknown member(s) {', '.join(unknown)}", source=src, path=f"{path}.{unknown[0]}")
    if setup.find_key(enc["KMSKeyArn"]) is None:
        raise InputError(f"the key {enc['KMSKeyArn']} is not among the setup's keys; add it (with its policy) "
                         "under keys", source=src, path=f"{path}.KMSKeyArn")
    return EncryptionConfig(op, enc["RoleArn"], enc["KMSKeyArn"], path)


# --- state ---------------------------------------------------------------------------------------


@dataclass
class ForecastState:
    """Forecast's resources in one simulated account (``world.services["forecast"]``)."""

    dataset_groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    datasets: dict[str, dict[str, Any]] = field(default_factory=dict)
    predictors: dict[str, dict[str, Any]] = field(default_factory=dict)
    children: dict[str, dict[str, Any]] = field(default_factory=dict)  # forecasts, explainabilities, jobs


def _state(world: World) -> ForecastState:
    state = world.services.setdefault(SERVICE, ForecastState())
    assert isinstance(state, ForecastState)
    return state


def _arn(world: World, kind: str, name: str) -> str:
    return f"arn:{world.partition}:forecast:{world.region}:{world.account}:{kind}/{name}"


def _invalid(message: str) -> AwsError:
    return AwsError("InvalidInputException", message)


def _name(params: Mapping[str, Any], member: str) -> str:
    value = params.get(member)
    if not isinstance(value, str) or not _NAME.match(value):
        raise _invalid(f"{member} must match ^[a-zA-Z][a-zA-Z0-9_]*, at most 63 characters")
    return value


def _config(params: Mapping[str, Any]) -> dict[str, str] | None:
    enc = params.get("EncryptionConfig")
    if enc is None:
        return None
    if not isinstance(enc, Mapping) or not isinstance(enc.get("RoleArn"), str) \
            or not isinstance(enc.get("KMSKeyArn"), str):
        raise _invalid("EncryptionConfig requires RoleArn and KMSKeyArn")
    if parse_key_arn(enc["KMSKeyArn"]) is None:
        raise _invalid(f"KMSKeyArn {enc['KMSKeyArn']} is not a KMS key ARN (arn:aws:kms:...:key/...)")
    return {"RoleArn": enc["RoleArn"], "KMSKeyArn": enc["KMSKeyArn"]}


def _new(store: dict[str, dict[str, Any]], arn: str, record: dict[str, Any]) -> None:
    if arn in store:
        raise AwsError("ResourceAlreadyExistsException", f"{arn} already exists")
    store[arn] = record


def _find(store: Mapping[str, dict[str, Any]], arn: Any, what: str) -> dict[str, Any]:
    record = store.get(arn) if isinstance(arn, str) else None
    if record is None:
        raise AwsError("ResourceNotFoundException", f"No {what} with ARN {arn}")
    return record


def _active(record: dict[str, Any], member: str) -> dict[str, Any]:
    """``record`` when its Status is ACTIVE; a resource that is not (CREATE_FAILED) cannot be used
    (ResourceInUseException, the API's error for a resource not in a state that allows the operation)."""
    if record.get("Status") != "ACTIVE":
        raise AwsError("ResourceInUseException", f"{record[member]} is {record.get('Status')}, not ACTIVE")
    return record


# --- what Forecast does with a customer managed key ----------------------------------------------


def _kms(world: World, caller: str, operation: str, params: Mapping[str, Any], *, key_arn: str,
         via: str | None = None) -> dict[str, Any]:
    """One KMS request Forecast sends on the user's behalf, recorded in CloudTrail's event history
    (page 004, "Monitoring your encryption keys": "track requests that Forecast sends to AWS KMS")."""
    try:
        out = kms_call(world, caller, operation, params, via_service=via)
    except AwsError as exc:
        record(world, caller, operation, params, key_arn=key_arn, error=exc,
               read_only=operation == "DescribeKey")
        raise
    record(world, caller, operation, params, key_arn=key_arn, response=out,
           read_only=operation == "DescribeKey")
    return out


def _denied(exc: AwsError, what: str) -> AwsError:
    if exc.code == "AccessDeniedException":
        return AwsError("AccessDeniedException", f"Forecast cannot {what}: {exc.message}")
    return _invalid(f"Forecast cannot {what}: {exc.code}: {exc.message}")


def use_customer_key(world: World, caller: str, config: Mapping[str, str], purpose: str) -> None:
    """What Forecast does with a customer managed key for one operation (page 004):

    1. validates kms:Decrypt and kms:GenerateDataKey on the caller's identity (the Note), through
       Forecast, raising AccessDeniedException (:func:`validate_caller`);
    2. assumes the role of ``EncryptionConfig`` ("Forecast will assume that role"): the role must
       exist and trust forecast.amazonaws.com (InvalidInputException otherwise);
    3. as that role, through Forecast: DescribeKey ("allow Amazon Forecast to validate the key"),
       which must be a symmetric encryption key ("Create a customer managed key"), then CreateGrant
       of Decrypt and GenerateDataKey to Forecast ("Forecast assumes the role and does a create
       grant operation on your behalf");
    4. uses the grant: GenerateDataKey then Decrypt ("send Decrypt requests ... GenerateDataKey
       requests");
    5. retires the grant when done ("kms:RetireGrant - Retire all the grants ... after the
       operation is completed"). The grant names the role as retiring principal, which is what
       authorizes RetireGrant ("Retiring and revoking grants").

    Steps 2-5 are :func:`use_key_as_role`. Each KMS request is recorded in CloudTrail's event history
    (:mod:`kms_conformance.models.cloudtrail`), as the assumed-role session for DescribeKey, CreateGrant
    and RetireGrant (the page's samples) and as Forecast for the requests under its grant.
    """
    use_key_as_role(world, config, validate_caller(world, caller, config), purpose)


def validate_caller(world: World, caller: str, config: Mapping[str, str]) -> Key:
    """Step 1 of :func:`use_customer_key`: the key ``KMSKeyArn`` names (InvalidInputException when it
    names none) and the page's validation of kms:Decrypt and kms:GenerateDataKey on the caller's
    identity ("You will receive an AccessDeniedException in the event that the caller doesn't have the
    relevant permissions": the request itself is refused)."""
    via = via_service(world.region)
    try:
        key = world.resolve_key(config["KMSKeyArn"], allow_alias=False)
    except AwsError as exc:
        raise _invalid(f"KMSKeyArn {config['KMSKeyArn']}: {exc.message}") from None
    for action in CALLER_ACTIONS:
        operation = action.removeprefix("kms:")
        decision = authorize(
            KmsRequest(operation=operation, caller=caller, key=key, via_service=via),
            identity_policies=world.identity_policies(caller), grants=world.grants_of(key))
        if not decision.allowed:
            raise AwsError("AccessDeniedException",
                           f"the caller {caller} may not call kms:{operation} on {key.arn} ({decision.reason})")
    return key


def use_key_as_role(world: World, config: Mapping[str, str], key: Key, purpose: str) -> None:
    """Steps 2-5 of :func:`use_customer_key`: what Forecast does as the role of ``EncryptionConfig``."""
    via = via_service(world.region)
    role_arn = config["RoleArn"]
    role = world.roles.get(role_arn)
    if role is None:
        raise _invalid(f"RoleArn {role_arn} is not a role of this account")
    trust = evaluate_policy(role.trust, make_request("sts:AssumeRole", role.arn, FORECAST_PRINCIPAL),
                            check_principal=True)
    if not trust.allowed:
        raise _invalid(f"Forecast cannot assume {role_arn}: its trust policy does not allow {FORECAST_PRINCIPAL}")
    session = world.session_arn(role_arn)
    try:
        meta = _kms(world, session, "DescribeKey", {"KeyId": key.arn}, key_arn=key.arn, via=via)["KeyMetadata"]
    except AwsError as exc:
        raise _denied(exc, "describe the key") from None
    if meta.get("KeySpec", key.key_spec) != "SYMMETRIC_DEFAULT" or meta.get("KeyUsage") != "ENCRYPT_DECRYPT":
        raise _invalid(f"{key.arn} is not a symmetric encryption key (KeySpec {meta.get('KeySpec')})")
    try:
        grant = _kms(world, session, "CreateGrant", {
            "KeyId": key.arn, "GranteePrincipal": FORECAST_PRINCIPAL, "Operations": list(GRANT_OPERATIONS),
            "RetiringPrincipal": role_arn, "Name": f"forecast-{purpose}"}, key_arn=key.arn, via=via)
    except AwsError as exc:
        raise _denied(exc, "create a grant on the key") from None
    try:
        data_key = _kms(world, FORECAST_PRINCIPAL, "GenerateDataKey", {"KeyId": key.arn, "KeySpec": "AES_256"},
                        key_arn=key.arn)
        _kms(world, FORECAST_PRINCIPAL, "Decrypt", {"KeyId": key.arn, "CiphertextBlob": data_key["CiphertextBlob"]},
             key_arn=key.arn)
    except AwsError as exc:
        raise _denied(exc, "use its grant") from None
    finally:
        with contextlib.suppress(AwsError):  # when retiring fails the grant stays; ListGrants shows it
            _kms(world, session, "RetireGrant", {"KeyId": key.arn, "GrantId": grant["GrantId"]}, key_arn=key.arn,
                 via=via)


def _create_with_key(world: World, caller: str, config: Mapping[str, str] | None, purpose: str) -> str | None:
    """What a CreateDataset or CreatePredictor with ``config`` asks of AWS KMS (:func:`use_customer_key`).
    Returns None when the resource is created, or, with :data:`~kms_conformance.models.registry.ACCEPT_THEN_FAIL`,
    the failure reason of a request accepted and then failed: Forecast creates these resources
    asynchronously (their ``Status`` goes CREATE_PENDING, CREATE_IN_PROGRESS, then ACTIVE or
    CREATE_FAILED: Forecast API Reference, DescribeDataset, DescribePredictor), so what goes wrong with
    the role and the key may surface only in the status. The caller's validation stays a refusal: the
    page says the caller receives an AccessDeniedException."""
    if config is None:
        return None
    if not accepts_then_fails(world):
        use_customer_key(world, caller, config, purpose)
        return None
    key = validate_caller(world, caller, config)
    try:
        use_key_as_role(world, config, key, purpose)
    except AwsError as exc:
        return f"{exc.code}: {exc.message}"
    return None


# --- operations ----------------------------------------------------------------------------------

#: The reference model's Forecast operations.
OPERATIONS = Operations()


@OPERATIONS(SERVICE, "CreateDatasetGroup")
def _create_dataset_group(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    name = _name(params, "DatasetGroupName")
    if params.get("Domain") not in DOMAINS:
        raise _invalid(f"Domain must be one of {', '.join(DOMAINS)}")
    arn = _arn(world, "dataset-group", name)
    _new(_state(world).dataset_groups, arn, {"DatasetGroupArn": arn, "DatasetGroupName": name,
                                              "Domain": params["Domain"],
                                              "DatasetArns": list(params.get("DatasetArns", []))})
    return {"DatasetGroupArn": arn}


@OPERATIONS(SERVICE, "CreateDataset")
def _create_dataset(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    name = _name(params, "DatasetName")
    for member in ("Domain", "DatasetType", "Schema"):
        if member not in params:
            raise _invalid(f"{member} is required")
    arn = _arn(world, "dataset", name)
    if arn in _state(world).datasets:
        raise AwsError("ResourceAlreadyExistsException", f"{arn} already exists")
    config = _config(params)
    failure = _create_with_key(world, caller, config, f"dataset-{name}")
    # DescribeDataset has no member for a failure reason: a failed dataset shows only its Status.
    record = {"DatasetArn": arn, "DatasetName": name, "Domain": params["Domain"],
              "DatasetType": params["DatasetType"], "Schema": params["Schema"],
              "Status": "ACTIVE" if failure is None else "CREATE_FAILED"}
    if config is not None:
        record["EncryptionConfig"] = config
    _new(_state(world).datasets, arn, record)
    return {"DatasetArn": arn}


@OPERATIONS(SERVICE, "DescribeDataset")
def _describe_dataset(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    return dict(_find(_state(world).datasets, params.get("DatasetArn"), "dataset"))


@OPERATIONS(SERVICE, "CreateDatasetImportJob")
def _create_import_job(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """An import job uses its dataset's encryption configuration (page 004, "Encryption at Rest")."""
    name = _name(params, "DatasetImportJobName")
    dataset = _active(_find(_state(world).datasets, params.get("DatasetArn"), "dataset"), "DatasetArn")
    arn = _arn(world, "dataset-import-job", f"{dataset['DatasetName']}/{name}")
    if arn in _state(world).children:
        raise AwsError("ResourceAlreadyExistsException", f"{arn} already exists")
    if "EncryptionConfig" in dataset:
        use_customer_key(world, caller, dataset["EncryptionConfig"], f"import-{name}")
    _new(_state(world).children, arn, {"Arn": arn, "Status": "ACTIVE"})
    return {"DatasetImportJobArn": arn}


@OPERATIONS(SERVICE, "CreatePredictor")
def _create_predictor(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    name = _name(params, "PredictorName")
    for member in ("ForecastHorizon", "InputDataConfig", "FeaturizationConfig"):
        if member not in params:
            raise _invalid(f"{member} is required")
    group = params["InputDataConfig"].get("DatasetGroupArn") if isinstance(params["InputDataConfig"], Mapping) else None
    _find(_state(world).dataset_groups, group, "dataset group")
    arn = _arn(world, "predictor", name)
    if arn in _state(world).predictors:
        raise AwsError("ResourceAlreadyExistsException", f"{arn} already exists")
    config = _config(params)
    failure = _create_with_key(world, caller, config, f"predictor-{name}")
    record = {"PredictorArn": arn, "PredictorName": name, "ForecastHorizon": params["ForecastHorizon"],
              "InputDataConfig": params["InputDataConfig"], "FeaturizationConfig": params["FeaturizationConfig"],
              "Status": "ACTIVE" if failure is None else "CREATE_FAILED"}
    if failure is not None:
        record["Message"] = failure
    if config is not None:
        record["EncryptionConfig"] = config
    _new(_state(world).predictors, arn, record)
    return {"PredictorArn": arn}


@OPERATIONS(SERVICE, "DescribePredictor")
def _describe_predictor(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    return dict(_find(_state(world).predictors, params.get("PredictorArn"), "predictor"))


def _follow_up(world: World, caller: str, predictor_arn: Any, kind: str, name: str) -> str:
    """A predictor's follow-up: it uses the predictor's encryption configuration (page 004,
    "Encryption at Rest": "all subsequent operations ... will use the same configuration")."""
    predictor = _active(_find(_state(world).predictors, predictor_arn, "predictor"), "PredictorArn")
    arn = _arn(world, kind, f"{predictor['PredictorName']}/{name}" if kind.endswith("job") else name)
    if arn in _state(world).children:
        raise AwsError("ResourceAlreadyExistsException", f"{arn} already exists")
    if "EncryptionConfig" in predictor:
        use_customer_key(world, caller, predictor["EncryptionConfig"], f"{kind}-{name}")
    _new(_state(world).children, arn, {"Arn": arn, "Status": "ACTIVE"})
    return arn


@OPERATIONS(SERVICE, "CreateForecast")
def _create_forecast(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    name = _name(params, "ForecastName")
    return {"ForecastArn": _follow_up(world, caller, params.get("PredictorArn"), "forecast", name)}


@OPERATIONS(SERVICE, "CreateExplainability")
def _create_explainability(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    name = _name(params, "ExplainabilityName")
    if "ExplainabilityConfig" not in params:
        raise _invalid("ExplainabilityConfig is required")
    return {"ExplainabilityArn": _follow_up(world, caller, params.get("ResourceArn"), "explainability", name)}


@OPERATIONS(SERVICE, "CreatePredictorBacktestExportJob")
def _create_backtest_export(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    name = _name(params, "PredictorBacktestExportJobName")
    if "Destination" not in params:
        raise _invalid("Destination is required")
    arn = _follow_up(world, caller, params.get("PredictorArn"), "predictor-backtest-export-job", name)
    return {"PredictorBacktestExportJobArn": arn}


__all__ = [
    "CALLER_ACTIONS",
    "DATASET_TYPES",
    "DOMAINS",
    "FORECAST_PRINCIPAL",
    "GRANT_OPERATIONS",
    "OPERATIONS",
    "SERVICE",
    "EncryptionConfig",
    "ForecastRequest",
    "ForecastState",
    "parse_request",
    "use_customer_key",
    "use_key_as_role",
    "validate_caller",
    "via_service",
]
