"""Amazon Forecast: "Data Protection in Amazon Forecast", made executable.

Source: ``004_1f23ff3028fec3c5.txt`` (English; governs). ``000_e5ea019ba961ed74.txt`` is the same
page machine-translated into Korean; the rules cite 004 and note where 000 differs:

- 000 says "TLS 1.2가 필수이며 TLS 1.3을 권장합니다" (TLS 1.2 is required and TLS 1.3 recommended)
  where 004 says "We recommend TLS 1.2 or later" (000 follows a newer revision of the page).
- 000 garbles "KMSKeyArn" into "KeyArn KMS" and moves operation names to the end of their
  sentences ("... 작업에 사용됩니다. CreateDatasetImportJob"; "CreatePredictor 이 경우에도 ...",
  so that the CreatePredictor sentence loses its subject). The English reading is encoded.

Known defects of the page itself (recorded in the rules that touch them):

- the operation "CreatePredictorExplanability" does not exist: the API is ``CreateExplainability``
  (which takes a predictor or forecast ARN as ``ResourceArn``);
- the Note's statement uses curly quotes (``“AWS Invoking Identity”``, ``"kms:GenerateDataKey”``) and
  has an unbalanced closing brace; the minimal statement sample leaves ``region`` / ``key_ID``
  placeholders (a ``kms:ViaService`` of ``forecast.region.amazonaws.com`` never matches a request);
- the page asks for ``kms:RetireGrant`` "in the key policy", but "Retiring and revoking grants"
  (AWS KMS Developer Guide) says the grant itself determines who may retire it and the key policy
  permission is not effective for it (FORECAST-12).

Sentences not encoded, because nothing the kit receives or observes decides them (a setup holds
keys, policies, grants and the Forecast request; a target executes AWS API calls): the shared
responsibility model; the MFA, TLS, CloudTrail, Macie and FIPS endpoint recommendations of the
first section (account and client-side practices; of "protect AWS account credentials and set up
individual users", the part a setup shows, a caller that is not the root user, is FORECAST-17);
"If you provide a URL to an
external server..." (no URL in the requests); "For any data stored in your Amazon S3 bucket, data
is encrypted by the default Amazon S3 key" and "You can also use your own AWS KMS key" (S3 bucket
configuration, outside the setup); "Encryption in Transit and Processing" (TLS/HTTPS transport and
Forecast's internal processing are not observable through the API); "Monitoring your encryption
keys" (CloudTrail events are informative examples). The recommendation about names and tags is
encoded as FORECAST-15 for the part a setup shows (tags). Encoded once elsewhere, in
``kms_conformance.specs.kms``: "Every customer managed key must have exactly one key policy" (KMS-01), the
static half of "You can create a symmetric customer managed key" (KMS-15; FORECAST-09 is Forecast's
behaviour with another key), and the Region inside the sample's ``kms:ViaService`` value (KMS-12).
The Note's two halves are two rules: the caller must have kms:Decrypt and kms:GenerateDataKey
(FORECAST-13, by any means) and the key policy should name the invoking identity (FORECAST-16). The
sentence-by-sentence disposition of the page is docs/traceability/forecast.md.

The reference behaviour of Forecast (model handlers registered below) is synchronous: an operation
that uses a customer managed key validates the caller's identity, assumes the role passed in
``EncryptionConfig``, calls DescribeKey and CreateGrant as that role through Forecast
(``kms:ViaService`` ``forecast.<region>.amazonaws.com``), uses the grant (GenerateDataKey,
Decrypt) and retires it when the operation completes. Real Forecast runs these operations
asynchronously (hours of training); against a real account the later operations of a scenario
need the resource to be ACTIVE, so lifecycle rules are slow or inconclusive there.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from kms_conformance.errors import InputError
from kms_conformance.kms import AwsError, KmsRequest, World, authorize, kms_call
from kms_conformance.models.registry import Operations
from kms_conformance.policy import evaluate_policy, make_request
from kms_conformance.rules import ServiceSpec, register_service, rule
from kms_conformance.scenarios.steps import fill, must, new_key, new_role
from kms_conformance.setup import KeySetup, Setup
from kms_conformance.specs import access
from kms_conformance.strategies import forecast as fst
from kms_conformance.targets.base import Outcome, Target

DOC = "004_1f23ff3028fec3c5.txt"
SERVICE = "forecast"
#: The service principal Forecast assumes roles as and grants to ("AWS Internal" in the page's
#: CreateGrant CloudTrail event).
FORECAST_PRINCIPAL = "forecast.amazonaws.com"

_S_REST = "Encryption at Rest"
_S_GRANTS = "How Amazon Forecast uses grants in AWS KMS"
_S_KEY = "Create a customer managed key"
_S_PROTECT = "Data Protection in Amazon Forecast"

_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}$")
_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-zA-Z-]+$")
_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]{0,62}$")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_REQUIRED: Mapping[str, tuple[str, ...]] = {
    "CreateDataset": ("DatasetName", "Domain", "DatasetType", "Schema"),
    "CreatePredictor": ("PredictorName", "ForecastHorizon", "InputDataConfig", "FeaturizationConfig"),
}


# --- the service request -------------------------------------------------------------------------


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
    setup's keys (by key ARN, or by alias so that FORECAST-01 can report it)."""
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
        for member in _REQUIRED[op]:
            if member not in body:
                raise InputError(f"{op} requires {member}", source=src, path=f"{base}.{member}")
        name_field = "DatasetName" if op == "CreateDataset" else "PredictorName"
        if not isinstance(body[name_field], str) or not _NAME.match(body[name_field]):
            raise InputError("a Forecast name is 1-63 letters, digits and _ starting with a letter",
                             source=src, path=f"{base}.{name_field}")
        if op == "CreateDataset":
            if body["Domain"] not in fst.DOMAINS:
                raise InputError(f"Domain is one of {', '.join(fst.DOMAINS)}", source=src, path=f"{base}.Domain")
            if body["DatasetType"] not in fst.DATASET_TYPES:
                raise InputError(f"DatasetType is one of {', '.join(fst.DATASET_TYPES)}", source=src,
                                 path=f"{base}.DatasetType")
        raw_tags = body.get("Tags", [])
        if not isinstance(raw_tags, list):
            raise InputError("Tags is a list of {Key, Value}", source=src, path=f"{base}.Tags")
        for i, tag in enumerate(raw_tags):
            if not isinstance(tag, Mapping) or not isinstance(tag.get("Key"), str) \
                    or not isinstance(tag.get("Value"), str):
                raise InputError("a tag is {\"Key\": string, \"Value\": string}", source=src, path=f"{base}.Tags[{i}]")
            tags.append((f"{base}.Tags[{i}]", tag["Key"], tag["Value"]))
        if "EncryptionConfig" not in body:
            continue
        enc = body["EncryptionConfig"]
        path = f"{base}.EncryptionConfig"
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
        configs.append(EncryptionConfig(op, enc["RoleArn"], enc["KMSKeyArn"], path))
    return ForecastRequest(tuple(ops), tuple(configs), tuple(tags))


def _encrypted(setup: Setup) -> list[tuple[EncryptionConfig, KeySetup]]:
    out = []
    for cfg in parse_request(setup).configs:
        key = setup.find_key(cfg.kms_key_arn)
        assert key is not None  # parse_request guarantees it
        out.append((cfg, key))
    return out


def _pairs(setup: Setup) -> list[tuple[str, str, KeySetup]]:
    """(JSON paths of the EncryptionConfigs, role, key) for each distinct role and key of the
    request, so that one access problem shared by CreateDataset and CreatePredictor is one reason."""
    grouped: dict[tuple[str, str], tuple[list[str], KeySetup]] = {}
    for cfg, key in _encrypted(setup):
        grouped.setdefault((cfg.role_arn, key.arn), ([], key))[0].append(cfg.path)
    return [(", ".join(paths), role, key) for (role, _), (paths, key) in grouped.items()]


def _uses_customer_key(setup: Setup) -> bool:
    return bool(parse_request(setup).configs)


def _via(region: str) -> str:
    return f"forecast.{region}.amazonaws.com"


# --- the reference model of Forecast ------------------------------------------------------------


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
    if not _KEY_ARN.match(enc["KMSKeyArn"]):
        raise _invalid(f"KMSKeyArn {enc['KMSKeyArn']} is not a KMS key ARN (arn:aws:kms:...:key/...)")
    return {"RoleArn": enc["RoleArn"], "KMSKeyArn": enc["KMSKeyArn"]}


def _denied(exc: AwsError, what: str) -> AwsError:
    if exc.code == "AccessDeniedException":
        return AwsError("AccessDeniedException", f"Forecast cannot {what}: {exc.message}")
    return _invalid(f"Forecast cannot {what}: {exc.code}: {exc.message}")


def use_customer_key(world: World, caller: str, config: Mapping[str, str], purpose: str) -> None:
    """What Forecast does with a customer managed key for one operation (page 004):

    1. validates kms:Decrypt and kms:GenerateDataKey on the caller's identity (the Note), through
       Forecast, raising AccessDeniedException;
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
    """
    via = _via(world.region)
    try:
        key = world.resolve_key(config["KMSKeyArn"], allow_alias=False)
    except AwsError as exc:
        raise _invalid(f"KMSKeyArn {config['KMSKeyArn']}: {exc.message}") from None
    for operation in ("Decrypt", "GenerateDataKey"):
        decision = authorize(
            KmsRequest(operation=operation, caller=caller, key=key, via_service=via),
            identity_policies=world.identity_policies(caller), grants=world.grants_of(key))
        if not decision.allowed:
            raise AwsError("AccessDeniedException",
                           f"the caller {caller} may not call kms:{operation} on {key.arn} ({decision.reason})")
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
        meta = kms_call(world, session, "DescribeKey", {"KeyId": key.arn}, via_service=via)["KeyMetadata"]
    except AwsError as exc:
        raise _denied(exc, "describe the key") from None
    if meta.get("KeySpec", key.key_spec) != "SYMMETRIC_DEFAULT" or meta.get("KeyUsage") != "ENCRYPT_DECRYPT":
        raise _invalid(f"{key.arn} is not a symmetric encryption key (KeySpec {meta.get('KeySpec')})")
    try:
        grant = kms_call(world, session, "CreateGrant", {
            "KeyId": key.arn, "GranteePrincipal": FORECAST_PRINCIPAL, "Operations": list(fst.GRANT_OPERATIONS),
            "RetiringPrincipal": role_arn, "Name": f"forecast-{purpose}"}, via_service=via)
    except AwsError as exc:
        raise _denied(exc, "create a grant on the key") from None
    try:
        data_key = kms_call(world, FORECAST_PRINCIPAL, "GenerateDataKey", {"KeyId": key.arn, "KeySpec": "AES_256"})
        kms_call(world, FORECAST_PRINCIPAL, "Decrypt", {"KeyId": key.arn, "CiphertextBlob": data_key["CiphertextBlob"]})
    except AwsError as exc:
        raise _denied(exc, "use its grant") from None
    finally:
        with contextlib.suppress(AwsError):  # when retiring fails the grant stays; ListGrants shows it
            kms_call(world, session, "RetireGrant", {"KeyId": key.arn, "GrantId": grant["GrantId"]}, via_service=via)


def _new(store: dict[str, dict[str, Any]], arn: str, record: dict[str, Any]) -> None:
    if arn in store:
        raise AwsError("ResourceAlreadyExistsException", f"{arn} already exists")
    store[arn] = record


#: The reference model's operations of this service (transitional: moving to kms_conformance.models).
OPERATIONS = Operations()


@OPERATIONS("forecast", "CreateDatasetGroup")
def _create_dataset_group(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    name = _name(params, "DatasetGroupName")
    if params.get("Domain") not in fst.DOMAINS:
        raise _invalid(f"Domain must be one of {', '.join(fst.DOMAINS)}")
    arn = _arn(world, "dataset-group", name)
    _new(_state(world).dataset_groups, arn, {"DatasetGroupArn": arn, "DatasetGroupName": name,
                                              "Domain": params["Domain"],
                                              "DatasetArns": list(params.get("DatasetArns", []))})
    return {"DatasetGroupArn": arn}


@OPERATIONS("forecast", "CreateDataset")
def _create_dataset(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    name = _name(params, "DatasetName")
    for member in ("Domain", "DatasetType", "Schema"):
        if member not in params:
            raise _invalid(f"{member} is required")
    arn = _arn(world, "dataset", name)
    if arn in _state(world).datasets:
        raise AwsError("ResourceAlreadyExistsException", f"{arn} already exists")
    config = _config(params)
    if config is not None:
        use_customer_key(world, caller, config, f"dataset-{name}")
    record = {"DatasetArn": arn, "DatasetName": name, "Domain": params["Domain"],
              "DatasetType": params["DatasetType"], "Schema": params["Schema"], "Status": "ACTIVE"}
    if config is not None:
        record["EncryptionConfig"] = config
    _new(_state(world).datasets, arn, record)
    return {"DatasetArn": arn}


def _find(store: Mapping[str, dict[str, Any]], arn: Any, what: str) -> dict[str, Any]:
    record = store.get(arn) if isinstance(arn, str) else None
    if record is None:
        raise AwsError("ResourceNotFoundException", f"No {what} with ARN {arn}")
    return record


@OPERATIONS("forecast", "DescribeDataset")
def _describe_dataset(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    return dict(_find(_state(world).datasets, params.get("DatasetArn"), "dataset"))


@OPERATIONS("forecast", "CreateDatasetImportJob")
def _create_import_job(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    name = _name(params, "DatasetImportJobName")
    dataset = _find(_state(world).datasets, params.get("DatasetArn"), "dataset")
    arn = _arn(world, "dataset-import-job", f"{dataset['DatasetName']}/{name}")
    if arn in _state(world).children:
        raise AwsError("ResourceAlreadyExistsException", f"{arn} already exists")
    if "EncryptionConfig" in dataset:
        use_customer_key(world, caller, dataset["EncryptionConfig"], f"import-{name}")
    _new(_state(world).children, arn, {"Arn": arn, "Status": "ACTIVE"})
    return {"DatasetImportJobArn": arn}


@OPERATIONS("forecast", "CreatePredictor")
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
    if config is not None:
        use_customer_key(world, caller, config, f"predictor-{name}")
    record = {"PredictorArn": arn, "PredictorName": name, "ForecastHorizon": params["ForecastHorizon"],
              "InputDataConfig": params["InputDataConfig"], "FeaturizationConfig": params["FeaturizationConfig"],
              "Status": "ACTIVE"}
    if config is not None:
        record["EncryptionConfig"] = config
    _new(_state(world).predictors, arn, record)
    return {"PredictorArn": arn}


@OPERATIONS("forecast", "DescribePredictor")
def _describe_predictor(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    return dict(_find(_state(world).predictors, params.get("PredictorArn"), "predictor"))


def _follow_up(world: World, caller: str, predictor_arn: Any, kind: str, name: str) -> str:
    """A predictor's follow-up: it inherits the predictor's encryption configuration (FORECAST-05)."""
    predictor = _find(_state(world).predictors, predictor_arn, "predictor")
    arn = _arn(world, kind, f"{predictor['PredictorName']}/{name}" if kind.endswith("job") else name)
    if arn in _state(world).children:
        raise AwsError("ResourceAlreadyExistsException", f"{arn} already exists")
    if "EncryptionConfig" in predictor:
        use_customer_key(world, caller, predictor["EncryptionConfig"], f"{kind}-{name}")
    _new(_state(world).children, arn, {"Arn": arn, "Status": "ACTIVE"})
    return arn


@OPERATIONS("forecast", "CreateForecast")
def _create_forecast(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    name = _name(params, "ForecastName")
    return {"ForecastArn": _follow_up(world, caller, params.get("PredictorArn"), "forecast", name)}


@OPERATIONS("forecast", "CreateExplainability")
def _create_explainability(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    name = _name(params, "ExplainabilityName")
    if "ExplainabilityConfig" not in params:
        raise _invalid("ExplainabilityConfig is required")
    return {"ExplainabilityArn": _follow_up(world, caller, params.get("ResourceArn"), "explainability", name)}


@OPERATIONS("forecast", "CreatePredictorBacktestExportJob")
def _create_backtest_export(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    name = _name(params, "PredictorBacktestExportJobName")
    if "Destination" not in params:
        raise _invalid("Destination is required")
    arn = _follow_up(world, caller, params.get("PredictorArn"), "predictor-backtest-export-job", name)
    return {"PredictorBacktestExportJobArn": arn}


# --- scenario steps ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    """What a Forecast scenario created: the invoking identity, the role passed to Forecast, the key."""

    caller: str
    role: str
    key_arn: str
    values: Mapping[str, str]


_CALLER_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["forecast:*", "iam:PassRole"], "Resource": "*"}]}
_CALLER_KMS_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": list(fst.CALLER_ACTIONS), "Resource": "*"}]}


def stage(target: Target, example: Mapping[str, Any], *, trusts_forecast: bool = True,
          caller_kms: bool = False) -> Stage:
    """Create the caller (allowed forecast:* and iam:PassRole; KMS only when ``caller_kms``), the
    role passed to Forecast (trusting forecast.amazonaws.com when ``trusts_forecast``) and a key
    with the example's policy template filled in (the default key policy when it has none)."""
    inline: dict[str, Mapping[str, Any]] = {"forecast": _CALLER_POLICY}
    if caller_kms:
        inline["kms"] = _CALLER_KMS_POLICY
    caller = new_role(target, "fccaller", inline_policies=inline)
    role = new_role(target, "fcrole", services=[FORECAST_PRINCIPAL] if trusts_forecast else ())
    values = {"ROLE": role, "CALLER": caller, "ACCOUNT": target.account, "REGION": target.region}
    policy = example.get("policy")
    meta = new_key(target, fill(policy, values) if policy is not None else None,
                   key_spec=example.get("key_spec", "SYMMETRIC_DEFAULT"),
                   key_usage=example.get("key_usage", "ENCRYPT_DECRYPT"))
    key_arn = str(meta["Arn"])
    return Stage(caller, role, key_arn, {**values, "KEY_ARN": key_arn})


def _fname(target: Target, prefix: str) -> str:
    return target.unique(prefix).replace("-", "_")


def create_resource(target: Target, st_: Stage, kind: str, *, encrypted: bool = True) -> tuple[Outcome, str]:
    """CreateDataset or CreatePredictor (after a dataset group) as the caller, with the stage's
    EncryptionConfig when ``encrypted``; returns the outcome and the ARN member's value."""
    config = {"EncryptionConfig": {"RoleArn": st_.role, "KMSKeyArn": st_.key_arn}} if encrypted else {}
    if kind == "CreateDataset":
        out = target.call(SERVICE, "CreateDataset", {
            "DatasetName": _fname(target, "fcds"), "Domain": "RETAIL", "DatasetType": "TARGET_TIME_SERIES",
            "Schema": {"Attributes": [{"AttributeName": "item_id", "AttributeType": "string"},
                                      {"AttributeName": "timestamp", "AttributeType": "timestamp"},
                                      {"AttributeName": "demand", "AttributeType": "float"}]},
            **config}, principal=st_.caller)
        return out, str(out.value.get("DatasetArn", ""))
    group = must("forecast:CreateDatasetGroup", target.call(SERVICE, "CreateDatasetGroup", {
        "DatasetGroupName": _fname(target, "fcdg"), "Domain": "RETAIL"}, principal=st_.caller))
    out = target.call(SERVICE, "CreatePredictor", {
        "PredictorName": _fname(target, "fcpr"), "ForecastHorizon": 10,
        "AlgorithmArn": "arn:aws:forecast:::algorithm/Deep_AR_Plus",
        "InputDataConfig": {"DatasetGroupArn": group.value["DatasetGroupArn"]},
        "FeaturizationConfig": {"ForecastFrequency": "D"}, **config}, principal=st_.caller)
    return out, str(out.value.get("PredictorArn", ""))


def describe_resource(target: Target, st_: Stage, kind: str, arn: str) -> Outcome:
    """DescribeDataset or DescribePredictor (for ``kind`` CreateDataset or CreatePredictor) of
    ``arn``, as the caller."""
    op, member = ("DescribeDataset", "DatasetArn") if kind == "CreateDataset" else ("DescribePredictor", "PredictorArn")
    return target.call(SERVICE, op, {member: arn}, principal=st_.caller)


def follow_up(target: Target, st_: Stage, operation: str, predictor_arn: str) -> Outcome:
    """One of the operations that inherit the predictor's encryption configuration, as the caller."""
    name = _fname(target, "fcfu")
    params: dict[str, Any]
    if operation == "CreateForecast":
        params = {"ForecastName": name, "PredictorArn": predictor_arn}
    elif operation == "CreateExplainability":
        params = {"ExplainabilityName": name, "ResourceArn": predictor_arn,
                  "ExplainabilityConfig": {"TimeSeriesGranularity": "ALL", "TimePointGranularity": "ALL"}}
    else:
        params = {"PredictorBacktestExportJobName": name, "PredictorArn": predictor_arn,
                  "Destination": {"S3Config": {"Path": "s3://kms-conformance/backtest/", "RoleArn": st_.role}}}
    return target.call(SERVICE, operation, params, principal=st_.caller)


def remove_role_access(target: Target, st_: Stage, example: Mapping[str, Any]) -> Outcome:
    """"Remove the service's access to the customer managed key": put the key policy without the
    statements naming the role."""
    policy = fill(fst.without_role(example["policy"]), st_.values)
    return target.call("kms", "PutKeyPolicy", {"KeyId": st_.key_arn, "PolicyName": "default",
                                               "Policy": json.dumps(policy)})


def _grant_ops(target: Target, key_arn: str) -> list[list[str]] | str:
    out = target.call("kms", "ListGrants", {"KeyId": key_arn})
    if not out.ok:
        return out.code
    return sorted(sorted(g.get("Operations", [])) for g in out.value.get("Grants", []))


# --- rules: Encryption at Rest -----------------------------------------------------------------------

FORECAST_01 = rule(
    "FORECAST-01", "Encryption configuration is given on CreateDataset/CreatePredictor as a key ARN and a role",
    service=SERVICE, doc=DOC, section=_S_REST,
    quote="encryption configuration is provided during the CreateDataset and CreatePredictor operations",
    operations=("forecast:CreateDataset", "forecast:CreatePredictor", "forecast:DescribeDataset",
                "forecast:DescribePredictor"),
)


@FORECAST_01.config(applies=_uses_customer_key)
def encryption_config_names_key_and_role(setup: Setup) -> list[str]:
    """"In Amazon Forecast encryption configuration is provided during the CreateDataset and
    CreatePredictor operations" and "if you provide your key's KMSKeyArn and a RoleArn in the
    EncryptionConfig": ``KMSKeyArn`` is the key's ARN (the API's pattern ``arn:aws:kms:.*:key/.*``
    refuses alias names and alias ARNs) and ``RoleArn`` an IAM role ARN of the setup's own account
    ("EncryptionConfig", Amazon Forecast API Reference: "Passing a role across AWS accounts is not
    allowed ... InvalidInputException"; the page does not say so). The API Reference's own pattern
    for RoleArn (``arn:([a-z\\d-]+):forecast:.*``) is a defect of that reference: the member holds an
    IAM role ARN. (000 garbles KMSKeyArn into "KeyArn KMS".)"""
    reasons = []
    for cfg, key in _encrypted(setup):
        if not _KEY_ARN.match(cfg.kms_key_arn):
            reasons.append(f"{cfg.path}.KMSKeyArn is {cfg.kms_key_arn!r}, not a key ARN; EncryptionConfig takes "
                           f"the key's ARN ({key.arn}), not an alias")
        if not _ROLE_ARN.match(cfg.role_arn):
            reasons.append(f"{cfg.path}.RoleArn is {cfg.role_arn!r}, not an IAM role ARN "
                           "(arn:aws:iam::ACCOUNT:role/NAME)")
        elif cfg.role_arn.split(":")[4] != setup.account:
            reasons.append(f"{cfg.path}.RoleArn {cfg.role_arn} is a role of account {cfg.role_arn.split(':')[4]}, "
                           f"not of {setup.account}; Forecast refuses a role of another account "
                           "(InvalidInputException)")
    return reasons


@FORECAST_01.behavior_(examples=fst.encrypted_create_examples)
def encryption_config_is_kept(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """CreateDataset/CreatePredictor with ``EncryptionConfig`` succeeds and DescribeDataset /
    DescribePredictor returns the same configuration."""
    st_ = stage(target, example)
    out, arn = create_resource(target, st_, example["resource"])
    facts: dict[str, Any] = {"create": out.code}
    if out.ok:
        described = describe_resource(target, st_, example["resource"], arn)
        facts["describe"] = described.code
        facts["same_config"] = described.value.get("EncryptionConfig") == {"RoleArn": st_.role,
                                                                           "KMSKeyArn": st_.key_arn}
    return facts


FORECAST_02 = rule(
    "FORECAST-02", "CreateDatasetImportJob uses the dataset's key and role",
    service=SERVICE, doc=DOC, section=_S_REST,
    quote="your CMK and IAM Role for encryption at rest is used in the CreateDatasetImportJob operation",
    operations=("forecast:CreateDataset", "forecast:CreateDatasetImportJob", "kms:PutKeyPolicy"),
)


@FORECAST_02.behavior_(examples=fst.import_job_examples, lifecycle=True)
def import_job_uses_dataset_key(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"If encryption configuration is provided in the CreateDataset operation, your CMK and IAM Role
    for encryption at rest is used in the CreateDatasetImportJob operation": after the role loses
    its access to the key, an import job into an encrypted dataset fails with
    AccessDeniedException, while one into an unencrypted dataset still succeeds."""
    st_ = stage(target, example)
    out, dataset = create_resource(target, st_, "CreateDataset", encrypted=example["encrypted"])
    facts: dict[str, Any] = {"CreateDataset": out.code}
    if not out.ok:
        return facts
    if example["remove_access"]:
        facts["PutKeyPolicy"] = remove_role_access(target, st_, example).code
    job = target.call(SERVICE, "CreateDatasetImportJob", {
        "DatasetImportJobName": _fname(target, "fcij"), "DatasetArn": dataset,
        "DataSource": {"S3Config": {"Path": "s3://kms-conformance/data.csv", "RoleArn": st_.role}}},
        principal=st_.caller)
    facts["CreateDatasetImportJob"] = job.code
    return facts


FORECAST_03 = rule(
    "FORECAST-03", "Forecast assumes the role passed in EncryptionConfig",
    service=SERVICE, doc=DOC, section=_S_REST,
    quote="Forecast will assume that role and use the key to encrypt the dataset",
    operations=("iam:CreateRole", "forecast:CreateDataset", "forecast:CreatePredictor"),
)


@FORECAST_03.behavior_(examples=fst.trust_examples)
def forecast_assumes_role(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"Forecast will assume that role and use the key": a role that does not trust
    forecast.amazonaws.com cannot be assumed, so the request fails (the fact is whether it
    succeeded; the model answers InvalidInputException, the error the API documents for bad input)."""
    st_ = stage(target, example, trusts_forecast=example["trusts_forecast"])
    out, _ = create_resource(target, st_, example["resource"])
    return {"succeeded": out.ok}


FORECAST_04 = rule(
    "FORECAST-04", "Without EncryptionConfig Forecast uses its default service keys",
    service=SERVICE, doc=DOC, section=_S_REST,
    quote="If no configuration is provided, then Forecast uses the default service keys for encryption",
    operations=("forecast:CreateDataset", "forecast:CreatePredictor", "forecast:DescribeDataset",
                "forecast:DescribePredictor"),
)


@FORECAST_04.behavior_(examples=fst.default_key_examples)
def default_service_keys(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"If no configuration is provided, then Forecast uses the default service keys for
    encryption" and "if you do not provide an encryption configuration, then Forecast will use the
    default service encryption": without EncryptionConfig the request succeeds whether or not the
    caller has any KMS permission, and the resource has no EncryptionConfig."""
    st_ = stage(target, {}, caller_kms=example["caller_kms"])
    out, arn = create_resource(target, st_, example["resource"], encrypted=False)
    facts: dict[str, Any] = {"create": out.code}
    if out.ok:
        described = describe_resource(target, st_, example["resource"], arn)
        facts["describe"] = described.code
        facts["has_encryption_config"] = "EncryptionConfig" in described.value
    return facts


FORECAST_05 = rule(
    "FORECAST-05", "Operations on an encrypted predictor inherit its encryption configuration",
    service=SERVICE, doc=DOC, section=_S_REST,
    quote="all subsequent operations, such as CreatePredictorExplanability, CreateForecast and "
          "CreatePredictorBacktestExportJob, will use the same configuration",
    operations=("forecast:CreatePredictor", "forecast:CreateForecast", "forecast:CreateExplainability",
                "forecast:CreatePredictorBacktestExportJob", "kms:PutKeyPolicy"),
)


@FORECAST_05.behavior_(examples=fst.inheritance_examples, lifecycle=True)
def follow_ups_inherit_configuration(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"If you provide the EncryptionConfig information for the CreatePredictor operation, then all
    subsequent operations, such as CreatePredictorExplanability, CreateForecast and
    CreatePredictorBacktestExportJob, will use the same configuration": they go through the same
    role and key, so once the role's access is removed they fail with AccessDeniedException (and
    on an unencrypted predictor they do not depend on the key at all). Page defect: the operation
    is spelled "CreatePredictorExplanability"; the API is CreateExplainability."""
    st_ = stage(target, example)
    out, predictor = create_resource(target, st_, "CreatePredictor", encrypted=example["encrypted"])
    facts: dict[str, Any] = {"CreatePredictor": out.code}
    if not out.ok:
        return facts
    if example["remove_access"]:
        facts["PutKeyPolicy"] = remove_role_access(target, st_, example).code
    facts[example["follow_up"]] = follow_up(target, st_, example["follow_up"], predictor).code
    return facts


# --- rules: How Amazon Forecast uses grants in AWS KMS -------------------------------------------------

FORECAST_06 = rule(
    "FORECAST-06", "Forecast creates its grant as the role passed in EncryptionConfig",
    service=SERVICE, doc=DOC, section=_S_GRANTS,
    quote="Forecast creates a grant using the IAM role that is passed during EncryptionConfig",
    operations=("forecast:CreateDataset", "forecast:CreatePredictor", "kms:CreateGrant"),
)


@FORECAST_06.behavior_(examples=fst.grant_maker_examples)
def grant_created_as_role(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"Amazon Forecast requires a grant to use your customer managed key." "Forecast creates a grant
    using the IAM role that is passed during EncryptionConfig in the CreatePredictor or CreateDataset
    operation. Forecast assumes the role and does a create grant
    operation on your behalf": when only the caller (not the role) may create grants, the request
    fails with AccessDeniedException; when the role may, it succeeds."""
    st_ = stage(target, example)
    out, _ = create_resource(target, st_, example["resource"])
    return {"create": out.code}


FORECAST_07 = rule(
    "FORECAST-07", "Forecast's grant allows Decrypt and GenerateDataKey",
    service=SERVICE, doc=DOC, section=_S_GRANTS,
    quote="so that it can use your customer managed key to send Decrypt requests ... "
          "GenerateDataKey requests",
    operations=("forecast:CreateDataset", "forecast:CreatePredictor", "kms:CreateGrant"),
)


@FORECAST_07.behavior_(examples=fst.grant_operation_examples)
def grant_operations(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"Amazon Forecast requires the grant so that it can use your customer managed key to send
    Decrypt requests ... Forecast also uses the grant to send GenerateDataKey requests": the grant
    Forecast creates lists Decrypt and GenerateDataKey (the CreateGrant event's ``operations``), so
    a key policy that lets the role create only grants of other operations
    (``ForAllValues:StringEquals`` on ``kms:GrantOperations``) makes the request fail."""
    st_ = stage(target, example)
    out, _ = create_resource(target, st_, example["resource"])
    return {"create": out.code}


FORECAST_08 = rule(
    "FORECAST-08", "CreateForecast fails with AccessDeniedException once Forecast's access is revoked",
    service=SERVICE, doc=DOC, section=_S_GRANTS,
    quote="if you attempt to perform the CreateForecast operation on an encrypted predictor that Amazon "
          "Forecast can't access, then the operation will return an AccessDeniedException error",
    operations=("forecast:CreatePredictor", "forecast:CreateForecast", "kms:PutKeyPolicy", "kms:CreateGrant",
                "kms:RevokeGrant"),
)


@FORECAST_08.behavior_(examples=fst.revocation_examples, lifecycle=True)
def revoked_access_denies_create_forecast(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"You can revoke access to the grant, or remove the service's access to the customer managed
    key at any time. If you do, Amazon Forecast won't be able to access any of the data ... if you
    attempt to perform the CreateForecast operation on an encrypted predictor that Amazon Forecast
    can't access, then the operation will return an AccessDeniedException error."

    Two ways to take the access away: ``policy`` removes the role's key policy statement;
    ``grant`` revokes the grant that gave the role its access (its DescribeKey, CreateGrant,
    RetireGrant, Decrypt, GenerateDataKey). CreateForecast succeeds before and fails after."""
    st_ = stage(target, example)
    grant_id = None
    if example["how"] == "grant":
        made = must("kms:CreateGrant", target.call("kms", "CreateGrant", {
            "KeyId": st_.key_arn, "GranteePrincipal": st_.role,
            "Operations": ["DescribeKey", "CreateGrant", "RetireGrant", *fst.GRANT_OPERATIONS]}))
        grant_id = made.value["GrantId"]
    out, predictor = create_resource(target, st_, "CreatePredictor")
    facts: dict[str, Any] = {"CreatePredictor": out.code}
    if not out.ok:
        return facts
    facts["CreateForecast_before"] = follow_up(target, st_, "CreateForecast", predictor).code
    if grant_id is not None:
        facts["RevokeGrant"] = target.call("kms", "RevokeGrant", {"KeyId": st_.key_arn, "GrantId": grant_id}).code
    else:
        facts["PutKeyPolicy"] = remove_role_access(target, st_, example).code
    facts["CreateForecast_after"] = follow_up(target, st_, "CreateForecast", predictor).code
    return facts


# --- rules: Create a customer managed key ------------------------------------------------------------

FORECAST_09 = rule(
    "FORECAST-09", "The customer managed key is a symmetric encryption key",
    service=SERVICE, doc=DOC, section=_S_KEY,
    quote="You can create a symmetric customer managed key",
    operations=("kms:CreateKey", "forecast:CreateDataset", "forecast:CreatePredictor"),
)


@FORECAST_09.behavior_(examples=fst.symmetric_examples)
def asymmetric_key_refused(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"You can create a symmetric customer managed key by using the AWS Management Console or the
    AWS KMS API": Forecast's grant uses GenerateDataKey, which only symmetric encryption keys
    support ("GenerateDataKey", AWS KMS API Reference). The static half of this sentence (every
    key of a setup is symmetric) is KMS-15 in ``kms_conformance.specs.kms``; this rule is what Forecast
    does with another key: an asymmetric encryption key (RSA, ENCRYPT_DECRYPT) in EncryptionConfig
    makes the request fail; a symmetric one succeeds."""
    st_ = stage(target, example)
    out, _ = create_resource(target, st_, example["resource"])
    return {"succeeded": out.ok}


def _role_access_rule(rule_id: str, action: str, title: str, quote: str, why: str) -> Any:
    return rule(rule_id, title, service=SERVICE, doc=DOC, section=_S_KEY, quote=quote,
                operations=(f"kms:{action}", "forecast:CreateDataset", "forecast:CreatePredictor"), note=why)


def _role_reasons(setup: Setup, action: str) -> list[str]:
    return [f"RoleArn of {paths}: {reason}" for paths, role, key in _pairs(setup)
            for reason in access.access_reasons(setup, key, role, [action], via_service=SERVICE)]


FORECAST_10 = _role_access_rule(
    "FORECAST-10", "DescribeKey", "The key policy permits kms:DescribeKey for the role passed to Forecast",
    "kms:DescribeKey – Provides the customer managed key details that allow Amazon Forecast to validate the key",
    "")


@FORECAST_10.config(applies=_uses_customer_key)
def role_may_describe_key(setup: Setup) -> list[str]:
    """"To use your customer managed key with Amazon Forecast resources, the following API operations
    must be permitted in the key policy: kms:DescribeKey – Provides the customer managed key details
    that allow Amazon Forecast to validate the key." Evaluated for the role of EncryptionConfig,
    through Forecast (kms:ViaService), with the key policy and, as the page allows ("these can be
    added using IAM policies as well"), the role's IAM policies and the setup's grants."""
    return _role_reasons(setup, "kms:DescribeKey")


@FORECAST_10.behavior_(examples=lambda: fst.missing_action_examples(["kms:DescribeKey"], "role"))
def describe_key_needed(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """Without kms:DescribeKey for the role, CreateDataset/CreatePredictor fail with AccessDeniedException."""
    st_ = stage(target, example)
    out, _ = create_resource(target, st_, example["resource"])
    return {"create": out.code}


FORECAST_11 = _role_access_rule(
    "FORECAST-11", "CreateGrant", "The key policy permits kms:CreateGrant for the role passed to Forecast",
    "kms:CreateGrant – Adds a grant to a customer managed key", "")


@FORECAST_11.config(applies=_uses_customer_key)
def role_may_create_grant(setup: Setup) -> list[str]:
    """"kms:CreateGrant – Adds a grant to a customer managed key. ... This operation allows Amazon
    Forecast to call GenerateDataKey ... Also, the operation allows Amazon Forecast to call Decrypt".
    Evaluated for the role of EncryptionConfig through Forecast, as FORECAST-10."""
    return _role_reasons(setup, "kms:CreateGrant")


@FORECAST_11.behavior_(examples=lambda: fst.missing_action_examples(["kms:CreateGrant"], "role"))
def create_grant_needed(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """Without kms:CreateGrant for the role, CreateDataset/CreatePredictor fail with AccessDeniedException."""
    st_ = stage(target, example)
    out, _ = create_resource(target, st_, example["resource"])
    return {"create": out.code}


FORECAST_12 = _role_access_rule(
    "FORECAST-12", "RetireGrant", "The key policy permits kms:RetireGrant, and Forecast retires its grants",
    "kms:RetireGrant - Retire all the grants provided during CreateGrant operation after the operation is "
    "completed", "")


@FORECAST_12.config(applies=_uses_customer_key)
def role_may_retire_grant(setup: Setup) -> list[str]:
    """"kms:RetireGrant - Retire all the grants provided during CreateGrant operation after the
    operation is completed." The page's requirement is encoded as written (the role may call
    kms:RetireGrant through Forecast). AWS disagrees in part: "Retiring and revoking grants" (AWS KMS
    Developer Guide) says the grant determines who may retire it and kms:RetireGrant in a key policy
    alone is not effective; the behaviour half therefore checks only that the grants are retired."""
    return _role_reasons(setup, "kms:RetireGrant")


@FORECAST_12.behavior_(examples=lambda: fst.missing_action_examples(["kms:RetireGrant"], "role"))
def grants_retired_after_operation(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """After CreateDataset/CreatePredictor completes, no grant of Forecast's remains on the key
    (ListGrants), whether or not the key policy lists kms:RetireGrant (the grant names the role as
    its retiring principal)."""
    st_ = stage(target, example)
    out, _ = create_resource(target, st_, example["resource"])
    return {"create": out.code, "grants_left": _grant_ops(target, st_.key_arn)}


FORECAST_13 = rule(
    "FORECAST-13", "The caller may kms:Decrypt and kms:GenerateDataKey on the key",
    service=SERVICE, doc=DOC, section=_S_KEY,
    quote="Amazon Forecast performs kms:Decrypt and kms:GenerateDataKey validation on the caller's identity",
    operations=("forecast:CreateDataset", "forecast:CreatePredictor", "kms:Decrypt", "kms:GenerateDataKey"),
)


@FORECAST_13.config(applies=_uses_customer_key)
def caller_may_decrypt_and_generate(setup: Setup) -> list[str]:
    """"Amazon Forecast performs kms:Decrypt and kms:GenerateDataKey validation on the caller's
    identity. You will receive an AccessDeniedException in the event that the caller doesn't have the
    relevant permissions." The caller is the setup's ``caller``; the validation goes through
    Forecast (kms:ViaService); the permissions may come from the key policy, the caller's IAM
    policies (where the key policy delegates to the account) or a grant. The Note's next sentence,
    that the key policy itself should name the invoking identity, is the recommendation
    FORECAST-16. (The AccessDeniedException is the page's; Forecast's API Reference lists
    InvalidInputException, ResourceNotFoundException... for its operations, and AccessDeniedException
    is the common error of every AWS API.)"""
    keys = {key.arn: key for _, _, key in _pairs(setup)}
    return [f"caller: {reason}" for key in keys.values()
            for reason in access.access_reasons(setup, key, setup.caller, list(fst.CALLER_ACTIONS),
                                                via_service=SERVICE)]


@FORECAST_13.behavior_(examples=lambda: fst.missing_action_examples(list(fst.CALLER_ACTIONS), "caller"))
def caller_validation(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """A caller without kms:Decrypt or kms:GenerateDataKey gets AccessDeniedException."""
    st_ = stage(target, example)
    out, _ = create_resource(target, st_, example["resource"])
    return {"create": out.code}


FORECAST_14 = rule(
    "FORECAST-14", "The role's key permissions are limited to requests through Forecast",
    service=SERVICE, doc=DOC, section=_S_KEY,
    quote="The following are policy statement examples you can add for Amazon Forecast. These are the minimal "
          "permissions required",
    severity="should",
    operations=("kms:CreateGrant", "forecast:CreateDataset", "forecast:CreatePredictor"),
)


@FORECAST_14.config(applies=_uses_customer_key)
def role_only_through_forecast(setup: Setup) -> list[str]:
    """"The following are policy statement examples you can add for Amazon Forecast. These are the
    minimal permissions required": the sample restricts the role's DescribeKey, CreateGrant and
    RetireGrant with ``kms:ViaService`` ``forecast.region.amazonaws.com`` (and
    ``kms:CallerAccount``). Encoded as a recommendation: the role should not be able to call these
    directly, outside Forecast. (``kms:CallerAccount`` always equals the role's own account, so it
    cannot be told apart in a setup of one account.) Page defect: the sample keeps the placeholder
    ``region``; a statement with it never matches, which FORECAST-10..13 report."""
    reasons = []
    for paths, role, key in _pairs(setup):
        for action in fst.ROLE_ACTIONS:
            decision = access.evaluate_access(setup, key, role, action)
            if decision.allowed:
                reasons.append(f"RoleArn of {paths}: {role} may call {action} on {key.arn} directly, not "
                               f"only through {_via(setup.region)} ({decision.reason})")
    return reasons


@FORECAST_14.behavior_(examples=fst.via_service_examples)
def via_service_limits_role(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """With the sample's kms:ViaService condition the role's direct CreateGrant is denied while the
    same permission works through Forecast; without it the direct call succeeds."""
    st_ = stage(target, example)
    direct = target.call("kms", "CreateGrant", {"KeyId": st_.key_arn, "GranteePrincipal": st_.role,
                                                "Operations": ["Decrypt"]}, principal=st_.role)
    out, _ = create_resource(target, st_, example["resource"])
    return {"direct_CreateGrant": direct.code, "create": out.code}


FORECAST_15 = rule(
    "FORECAST-15", "No sensitive information in tags",
    service=SERVICE, doc=DOC, section=_S_PROTECT,
    quote="We strongly recommend that you never put confidential or sensitive information, such as your "
          "customers' email addresses, into tags or free-form fields such as a Name field",
    severity="should",
    operations=("forecast:CreateDataset", "forecast:CreatePredictor"),
)


@FORECAST_15.config
def no_email_in_tags(setup: Setup) -> list[str]:
    """"We strongly recommend that you never put confidential or sensitive information, such as your
    customers' email addresses, into tags or free-form fields such as a Name field." Decidable in a
    setup for what looks like an email address in a tag (Forecast names cannot hold ``@``)."""
    return [f"{path}: tag {key!r}={value!r} holds an email address; tags may be used in billing or diagnostic logs"
            for path, key, value in parse_request(setup).tags
            if _EMAIL.search(key) or _EMAIL.search(value)]


FORECAST_16 = rule(
    "FORECAST-16", "The key policy itself allows the invoking identity kms:Decrypt and kms:GenerateDataKey",
    service=SERVICE, doc=DOC, section=_S_KEY,
    quote="The key policy should also resemble the following code",
    severity="should",
    operations=("kms:Decrypt", "kms:GenerateDataKey"),
)


@FORECAST_16.config(applies=_uses_customer_key)
def key_policy_names_invoking_identity(setup: Setup) -> list[str]:
    """"The key policy should also resemble the following code: "Effect": "Allow", "Principal": {
    "AWS": "AWS Invoking Identity" }, "Action": [ "kms:Decrypt", "kms:GenerateDataKey" ], "Resource":
    "*" }". A recommendation (``should``), distinct from FORECAST-13 (the caller must have the two
    permissions by any means): here the key policy alone, without the caller's IAM policies or
    grants, allows the invoking identity both actions. Page defects: the sample statement opens
    without ``{``, uses curly quotes (``"AWS Invoking Identity"`` and ``"kms:GenerateDataKey"`` end in
    U+201D) and "AWS Invoking Identity" is a placeholder for the caller's ARN."""
    alone = replace(setup, identity_policies={}, grants=())
    keys = {key.arn: key for _, _, key in _pairs(setup)}
    return [f"key policy of {key.arn} alone: {reason} (the page recommends a key policy statement for the "
            "invoking identity)"
            for key in keys.values()
            for reason in access.access_reasons(alone, key, setup.caller, list(fst.CALLER_ACTIONS),
                                                via_service=SERVICE)]


FORECAST_17 = rule(
    "FORECAST-17", "The invoking identity is an individual IAM identity, not the account root user",
    service=SERVICE, doc=DOC, section=_S_PROTECT,
    quote="we recommend that you protect AWS account credentials and set up individual users with AWS IAM "
          "Identity Center (successor to AWS Single Sign-On) or AWS Identity and Access Management (IAM)",
    severity="should",
    operations=("forecast:CreateDataset", "forecast:CreatePredictor"),
)

_ROOT = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:root$")


@FORECAST_17.config
def caller_is_not_root(setup: Setup) -> list[str]:
    """"For data protection purposes, we recommend that you protect AWS account credentials and set
    up individual users with AWS IAM Identity Center ... or AWS Identity and Access Management (IAM).
    That way, each user is given only the permissions necessary to fulfill their job duties." The part
    a setup shows: the invoking identity (``caller``) is not the account's root user, whose
    credentials the recommendation protects and who cannot be limited to a job's permissions
    ("AWS account root user", IAM User Guide). The rest (MFA, credential storage) is outside the
    setup."""
    if _ROOT.match(setup.caller):
        return [f"caller is {setup.caller}, the account root user; send Forecast requests as an IAM user or role "
                "with only the permissions the job needs"]
    return []


# --- the service spec ------------------------------------------------------------------------------


def _mutators() -> dict[str, Any]:
    return {
        "FORECAST-01": fst.use_alias_arn,
        "FORECAST-10": lambda s: fst.take_from_role(s, "kms:DescribeKey"),
        "FORECAST-11": lambda s: fst.take_from_role(s, "kms:CreateGrant"),
        "FORECAST-12": lambda s: fst.take_from_role(s, "kms:RetireGrant"),
        "FORECAST-13": fst.take_from_caller,
        "FORECAST-14": fst.drop_via_service,
        "FORECAST-15": fst.add_email_tag,
        "FORECAST-16": fst.caller_only_in_iam,
        "FORECAST-17": fst.root_caller,
    }


SPEC = register_service(ServiceSpec(name=SERVICE, compliant=fst.forecast_setups, mutators=_mutators(),
                                    parse_request=parse_request))
