"""Amazon SageMaker Feature Store and AWS KMS, made executable.

Source: ``001_33dc1ec0c5fdd4cf.txt``, an Indonesian machine translation of the Feature Store page
"Security and access control" / "Using AWS KMS permissions for Amazon SageMaker Feature Store".
Rules quote the Indonesian text as it stands and give the English meaning. Translation artefacts:

- the title reads "Keamanan dan kontrol akses EMR Studio" (EMR Studio): the page is Feature Store's;
- the list of required permissions is scrambled ("kms: ", "kms: ", ``ListAliases ListGrants
  RevokeGrant`` trailing the list); the intended set is Encrypt, Decrypt, DescribeKey, CreateGrant,
  RetireGrant, ReEncryptFrom, ReEncryptTo, GenerateDataKey, ListAliases, ListGrants, RevokeGrant.
  FS-04 encodes all eleven for the principal, as the list says and as the SageMaker API Reference
  says of the caller of CreateFeatureGroup (OnlineStoreSecurityConfig, KmsKeyId). The page's own
  sample key policy disagrees with its list: it gives the principal the first ten and RevokeGrant
  to the key administrators only (the administrators' statement is KMS-18 in
  ``kms_conformance.specs.kms``); with the sample's root statement the principal can get RevokeGrant
  from an IAM policy;
- many sentences say "DynamoDB" where Feature Store is meant (the online store is kept in
  DynamoDB; the text was adapted from DynamoDB's page): read as Feature Store;
- "RoLearn" is ``RoleArn``; "sepertiPutRecord,,. GetRecord DeleteRecord" lists PutRecord, GetRecord,
  DeleteRecord; "kunci yang dikelola pelanggan yang AWS dimiliki untuk OnlineStore" is "an AWS owned
  key for the OnlineStore" (and "AWS managed key for the OfflineStore");
- the sample key policy's root principal ``arn:aws:iam::123456789:root`` has 9 digits, not 12.

Sentences not encoded (nothing a setup holds or a target's API shows decides them): the two
kinds of store and their use cases; cross-account and feature-group-level access control in
general; pricing ("Anda tidak membayar biaya bulanan ..."); "Anda memiliki kontrol penuh atas
kebijakan dan hibah" (informative); "DynamoDB menggunakan izin yang diberikan ketika melakukan
pemeliharaan sistem latar belakang" (background use of the grant, covered by FS-08 where
observable); CloudTrail monitoring; and the S3 bucket key cost note ("mengurangi biaya ... hingga
99 persen"), which concerns bucket configuration outside the setup. "tetapi hanya ketika bertindak atas
nama pengguna utama di akun yang memiliki izin untuk menggunakan DynamoDB" (the caller also needs IAM
permission to use Feature Store) is FS-12: the model evaluates the caller's IAM policies for
``sagemaker:CreateFeatureGroup`` and the data plane actions. Encoded once elsewhere: "Pengguna
utama ini tidak dapat memanggil operasi ini secara langsung" (no direct calls under kms:ViaService) is
KMS-11, and the administrators' RevokeGrant ("Memberikan administrator ... izin untuk mencabut hibah")
is KMS-18, both in ``kms_conformance.specs.kms``. The sentence-by-sentence disposition of the page is
docs/traceability/feature-store.md.

The reference behaviour (model handlers below): CreateFeatureGroup with an online store key acts
as the caller through SageMaker (``kms:ViaService`` ``sagemaker.<region>.amazonaws.com``):
DescribeKey, CreateGrant (one grant per feature group, to the service), GenerateDataKey. With an
offline store key, the ``RoleArn`` writes to S3 with SSE-KMS, so KMS sees GenerateDataKey from the
role through S3 (``s3.<region>.amazonaws.com``): a statement limited to SageMaker by
``kms:ViaService`` does not cover it, which is why the page forbids that condition for the offline
store. The data plane (PutRecord, GetRecord, DeleteRecord) needs kms:Decrypt for the caller and the
feature group's grant for the service.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kms_conformance.errors import InputError
from kms_conformance.kms import AwsError, Key, KmsRequest, World, authorize, kms_call
from kms_conformance.models.registry import Operations
from kms_conformance.policy import evaluate, make_request, wildcard_match
from kms_conformance.rules import ServiceSpec, register_service, rule
from kms_conformance.scenarios.steps import fill, new_key, new_role
from kms_conformance.setup import KeySetup, Setup
from kms_conformance.specs import access
from kms_conformance.strategies import feature_store as fss
from kms_conformance.targets.base import Outcome, Target

DOC = "001_33dc1ec0c5fdd4cf.txt"
SERVICE = "feature-store"

SAGEMAKER = "sagemaker"
RUNTIME = "sagemaker-featurestore-runtime"
#: The grantee of the grant Feature Store creates for an online store.
SERVICE_PRINCIPAL = "sagemaker.amazonaws.com"
GRANT_OPERATIONS = ("Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo", "GenerateDataKey", "DescribeKey")

_S_INTRO = "Keamanan dan kontrol akses EMR Studio"
_S_PERMS = "Menggunakan AWS KMS izin untuk Amazon SageMaker Feature Store"
_S_ALLOW = "Mengizinkan penggunaan kunci yang dikelola pelanggan"
_S_POLICY = "Kebijakan kunci CMK yang dikelola pelanggan"
_S_GRANTS = "Menggunakan hibah untuk mengotorisasi Toko Fitur"
_S_DATA = "Mengakses data di toko online Anda"

_FG_NAME = re.compile(r"^[a-zA-Z0-9]([_-]*[a-zA-Z0-9]){0,63}$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$")
_S3_URI = re.compile(r"^(https|s3)://([^/]+)/?(.*)$")


# --- the service request -------------------------------------------------------------------------


@dataclass(frozen=True)
class FeatureGroupRequest:
    """The parsed CreateFeatureGroup: the stores, their key references and the role."""

    name: str
    online: bool
    offline: bool
    online_key: str | None
    offline_key: str | None
    role_arn: str | None


def _obj(value: Any, src: str, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InputError("expected an object", source=src, path=path)
    return value


def parse_request(setup: Setup) -> FeatureGroupRequest:
    """Validate ``setup.request.CreateFeatureGroup`` against the SageMaker API shape (botocore's
    sagemaker 2017-07-24 model): required FeatureGroupName, RecordIdentifierFeatureName,
    EventTimeFeatureName, FeatureDefinitions; at least one store; ``OfflineStoreConfig`` needs
    ``S3StorageConfig.S3Uri`` and a ``RoleArn``; key references must be among the setup's keys."""
    src = setup.source
    unknown = sorted(set(setup.request) - {"CreateFeatureGroup"})
    if unknown:
        raise InputError(f"unknown operation {unknown[0]!r}; a Feature Store setup has request.CreateFeatureGroup",
                         source=src, path=f"request.{unknown[0]}")
    if "CreateFeatureGroup" not in setup.request:
        raise InputError("a Feature Store setup needs request.CreateFeatureGroup", source=src, path="request")
    base = "request.CreateFeatureGroup"
    body = _obj(setup.request["CreateFeatureGroup"], src, base)
    for member in ("FeatureGroupName", "RecordIdentifierFeatureName", "EventTimeFeatureName", "FeatureDefinitions"):
        if member not in body:
            raise InputError(f"CreateFeatureGroup requires {member}", source=src, path=f"{base}.{member}")
    name = body["FeatureGroupName"]
    if not isinstance(name, str) or not _FG_NAME.match(name):
        raise InputError("a feature group name is 1-64 letters, digits, - and _", source=src,
                         path=f"{base}.FeatureGroupName")
    defs = body["FeatureDefinitions"]
    if not isinstance(defs, list) or not defs:
        raise InputError("FeatureDefinitions is a non-empty list", source=src, path=f"{base}.FeatureDefinitions")
    names = set()
    for i, d in enumerate(defs):
        d = _obj(d, src, f"{base}.FeatureDefinitions[{i}]")
        if not isinstance(d.get("FeatureName"), str) or d.get("FeatureType") not in ("Integral", "Fractional",
                                                                                      "String"):
            raise InputError("a feature definition is {FeatureName, FeatureType: Integral|Fractional|String}",
                             source=src, path=f"{base}.FeatureDefinitions[{i}]")
        names.add(d["FeatureName"])
    for member in ("RecordIdentifierFeatureName", "EventTimeFeatureName"):
        if body[member] not in names:
            raise InputError(f"{member} {body[member]!r} is not among FeatureDefinitions", source=src,
                             path=f"{base}.{member}")
    online_key = offline_key = None
    online = offline = False
    if "OnlineStoreConfig" in body:
        cfg = _obj(body["OnlineStoreConfig"], src, f"{base}.OnlineStoreConfig")
        online = cfg.get("EnableOnlineStore") is True
        if "SecurityConfig" in cfg:
            sec = _obj(cfg["SecurityConfig"], src, f"{base}.OnlineStoreConfig.SecurityConfig")
            online_key = sec.get("KmsKeyId")
            _key_ref(setup, online_key, f"{base}.OnlineStoreConfig.SecurityConfig.KmsKeyId")
    if "OfflineStoreConfig" in body:
        cfg = _obj(body["OfflineStoreConfig"], src, f"{base}.OfflineStoreConfig")
        s3 = _obj(cfg.get("S3StorageConfig"), src, f"{base}.OfflineStoreConfig.S3StorageConfig")
        if not isinstance(s3.get("S3Uri"), str) or not _S3_URI.match(s3["S3Uri"]):
            raise InputError("S3Uri is s3://BUCKET/PREFIX", source=src,
                             path=f"{base}.OfflineStoreConfig.S3StorageConfig.S3Uri")
        offline = True
        offline_key = s3.get("KmsKeyId")
        _key_ref(setup, offline_key, f"{base}.OfflineStoreConfig.S3StorageConfig.KmsKeyId")
    if not online and not offline:
        raise InputError("enable the online store (OnlineStoreConfig.EnableOnlineStore) or give an "
                         "OfflineStoreConfig", source=src, path=base)
    role = body.get("RoleArn")
    if role is not None and (not isinstance(role, str) or not _ROLE_ARN.match(role)):
        raise InputError(f"RoleArn {role!r} is not an IAM role ARN", source=src, path=f"{base}.RoleArn")
    if offline and role is None:
        raise InputError("an offline store needs RoleArn (the role Feature Store writes to S3 as)", source=src,
                         path=f"{base}.RoleArn")
    return FeatureGroupRequest(name, online, offline, online_key, offline_key, role)


def _key_ref(setup: Setup, ref: Any, path: str) -> None:
    if ref is None:
        return
    if not isinstance(ref, str) or not ref:
        raise InputError("KmsKeyId is a key id, key ARN, alias name or alias ARN", source=setup.source, path=path)
    if access.is_customer_managed(ref) and setup.find_key(ref) is None:
        raise InputError(f"the key {ref} is not among the setup's keys; add it (with its policy) under keys",
                         source=setup.source, path=path)


def _online(setup: Setup) -> KeySetup | None:
    req = parse_request(setup)
    return setup.find_key(req.online_key) if req.online and req.online_key else None


def _offline(setup: Setup) -> KeySetup | None:
    req = parse_request(setup)
    return setup.find_key(req.offline_key) if req.offline and req.offline_key else None


def _via(region: str, service: str = SAGEMAKER) -> str:
    return f"{service}.{region}.amazonaws.com"


# --- the reference model of Feature Store ------------------------------------------------------------


@dataclass
class FeatureStoreState:
    """Feature groups of one simulated account (``world.services["feature-store"]``)."""

    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    records: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)


def _state(world: World) -> FeatureStoreState:
    state = world.services.setdefault(SERVICE, FeatureStoreState())
    assert isinstance(state, FeatureStoreState)
    return state


def _validation(message: str) -> AwsError:
    return AwsError("ValidationException", message)


def _symmetric(world: World, ref: str, store: str) -> Key:
    try:
        key = world.resolve_key(ref)
    except AwsError as exc:
        raise _validation(f"{store} KmsKeyId {ref}: {exc.message}") from None
    if key.key_spec != "SYMMETRIC_DEFAULT" or key.key_usage != "ENCRYPT_DECRYPT":
        raise _validation(f"{store} KmsKeyId {ref} is a {key.key_spec} key; Feature Store supports only symmetric "
                          "customer managed keys")
    return key


def _as(world: World, who: str, op: str, params: Mapping[str, Any], via: str, what: str) -> dict[str, Any]:
    try:
        return kms_call(world, who, op, params, via_service=via)
    except AwsError as exc:
        if exc.code == "AccessDeniedException":
            raise AwsError("AccessDeniedException", f"{what}: {exc.message}") from None
        raise _validation(f"{what}: {exc.code}: {exc.message}") from None


def _group_arn(world: World, name: str) -> str:
    return f"arn:{world.partition}:sagemaker:{world.region}:{world.account}:feature-group/{name.lower()}"


def may_use_feature_store(world: World, caller: str, action: str, name: str, code: str) -> None:
    """The caller's own permission to use Feature Store (page 001: "Jika pengguna utama yang
    disebutkan dalam pernyataan kebijakan tidak memiliki izin untuk menggunakan DynamoDB, panggilan
    gagal, bahkan ketika panggilan berasal dari layanan DynamoDB", FS-12): the caller's IAM policies
    must allow ``action`` (``sagemaker:CreateFeatureGroup``, ``sagemaker:PutRecord``...) on the
    feature group ("Policy evaluation logic"); refused with ``code`` (AccessDeniedException for the
    control plane, the runtime's AccessForbidden). A caller the model does not know as a role (a
    service principal) is not judged here."""
    if world.role_of(caller) is None:
        return
    decision = evaluate(make_request(action, _group_arn(world, name), caller),
                        identity_policies=world.identity_policies(caller))
    if not decision.allowed:
        raise AwsError(code, f"{caller} is not authorized to perform {action} on {_group_arn(world, name)} "
                             f"({decision.reason})")


#: The reference model's operations of this service (transitional: moving to kms_conformance.models).
OPERATIONS = Operations()


@OPERATIONS(SAGEMAKER, "CreateFeatureGroup")
def _create_feature_group(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    name = params.get("FeatureGroupName")
    if not isinstance(name, str) or not _FG_NAME.match(name):
        raise _validation("FeatureGroupName must match [a-zA-Z0-9]([_-]*[a-zA-Z0-9]){0,63}")
    may_use_feature_store(world, caller, "sagemaker:CreateFeatureGroup", name, "AccessDeniedException")
    defs = params.get("FeatureDefinitions")
    if not isinstance(defs, list) or not defs:
        raise _validation("FeatureDefinitions is required")
    names = {d.get("FeatureName") for d in defs if isinstance(d, Mapping)}
    for member in ("RecordIdentifierFeatureName", "EventTimeFeatureName"):
        if params.get(member) not in names:
            raise _validation(f"{member} must be one of the FeatureDefinitions")
    state = _state(world)
    if name in state.groups:
        raise AwsError("ResourceInUse", f"Feature group {name} already exists")
    online_cfg = params.get("OnlineStoreConfig") or {}
    offline_cfg = params.get("OfflineStoreConfig")
    online = bool(online_cfg.get("EnableOnlineStore"))
    if not online and offline_cfg is None:
        raise _validation("You must enable an online store or provide an OfflineStoreConfig")
    role = params.get("RoleArn")
    if offline_cfg is not None and not isinstance(role, str):
        raise _validation("RoleArn is required with an OfflineStoreConfig")
    online_ref = (online_cfg.get("SecurityConfig") or {}).get("KmsKeyId") if online else None
    offline_ref = ((offline_cfg or {}).get("S3StorageConfig") or {}).get("KmsKeyId")
    online_key = _symmetric(world, online_ref, "OnlineStoreConfig.SecurityConfig") if online_ref else None
    offline_key = _symmetric(world, offline_ref, "OfflineStoreConfig.S3StorageConfig") if offline_ref else None
    grant_id = None
    if online_key is not None:
        via = _via(world.region)
        _as(world, caller, "DescribeKey", {"KeyId": online_key.arn}, via, "the online store key")
        grant = _as(world, caller, "CreateGrant", {
            "KeyId": online_key.arn, "GranteePrincipal": SERVICE_PRINCIPAL, "RetiringPrincipal": SERVICE_PRINCIPAL,
            "Operations": list(GRANT_OPERATIONS), "Name": f"featurestore-{name}"}, via, "the online store key")
        grant_id = grant["GrantId"]
        try:
            _as(world, caller, "GenerateDataKey", {"KeyId": online_key.arn, "KeySpec": "AES_256"}, via,
                "the online store key")
        except AwsError:
            kms_call(world, SERVICE_PRINCIPAL, "RetireGrant", {"KeyId": online_key.arn, "GrantId": grant_id})
            raise
    if offline_cfg is not None:
        if world.role_of(str(role)) is None:
            raise _validation(f"RoleArn {role} is not a role of this account")
        if offline_key is not None:
            try:
                _as(world, world.session_arn(str(role)), "GenerateDataKey",
                    {"KeyId": offline_key.arn, "KeySpec": "AES_256"}, _via(world.region, "s3"),
                    f"the role {role} writing the offline store with {offline_key.arn}")
            except AwsError as exc:
                if grant_id is not None and online_key is not None:
                    kms_call(world, SERVICE_PRINCIPAL, "RetireGrant", {"KeyId": online_key.arn, "GrantId": grant_id})
                raise _validation(exc.message) from None
    arn = _group_arn(world, name)
    record = {k: v for k, v in params.items() if k != "Tags"}
    record.update({"FeatureGroupArn": arn, "FeatureGroupStatus": "Created"})
    state.groups[name] = {"describe": record, "grant": grant_id,
                          "online_key": online_key.arn if online_key else None}
    return {"FeatureGroupArn": arn}


def _group(world: World, ref: Any) -> dict[str, Any]:
    name = str(ref).rsplit("/", 1)[-1] if isinstance(ref, str) else ""
    for key, group in _state(world).groups.items():
        if key == name or key.lower() == name:
            return group
    raise AwsError("ResourceNotFound", f"Feature group {ref} not found")


@OPERATIONS(SAGEMAKER, "DescribeFeatureGroup")
def _describe_feature_group(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    return dict(_group(world, params.get("FeatureGroupName"))["describe"])


@OPERATIONS(SAGEMAKER, "DeleteFeatureGroup")
def _delete_feature_group(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    group = _group(world, params.get("FeatureGroupName"))
    if group["grant"] is not None and group["grant"] in world.grants:
        kms_call(world, SERVICE_PRINCIPAL, "RetireGrant", {"KeyId": group["online_key"], "GrantId": group["grant"]})
    del _state(world).groups[group["describe"]["FeatureGroupName"]]
    return {}


def data_plane_access(world: World, caller: str, group: Mapping[str, Any]) -> None:
    """Access to an online store encrypted with a customer managed key (page 001, "Mengakses data di
    toko online Anda"): the caller needs kms:Decrypt (through SageMaker), and the service needs its
    grant ("jika Anda mencabut hibah ... Toko Fitur tidak akan dapat melindungi dan memelihara
    toko"). Both failures are the runtime's AccessForbidden."""
    if group["online_key"] is None:
        return
    key = world.keys[group["online_key"].rsplit("/", 1)[1]]
    decision = authorize(KmsRequest(operation="Decrypt", caller=caller, key=key, via_service=_via(world.region)),
                         identity_policies=world.identity_policies(caller), grants=world.grants_of(key))
    if not decision.allowed:
        raise AwsError("AccessForbidden", f"{caller} may not call kms:Decrypt on {key.arn} ({decision.reason})")
    try:
        kms_call(world, SERVICE_PRINCIPAL, "GenerateDataKey", {"KeyId": key.arn, "KeySpec": "AES_256"})
    except AwsError as exc:
        raise AwsError("AccessForbidden", f"Feature Store cannot use {key.arn}: {exc.message}") from None


def _runtime_group(world: World, caller: str, params: Mapping[str, Any], operation: str) -> dict[str, Any]:
    group = _group(world, params.get("FeatureGroupName"))
    may_use_feature_store(world, caller, f"sagemaker:{operation}", group["describe"]["FeatureGroupName"],
                          "AccessForbidden")
    if not (group["describe"].get("OnlineStoreConfig") or {}).get("EnableOnlineStore"):
        raise AwsError("ValidationError", "the feature group has no online store")
    data_plane_access(world, caller, group)
    return group


@OPERATIONS(RUNTIME, "PutRecord")
def _put_record(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    group = _runtime_group(world, caller, params, "PutRecord")
    record = params.get("Record")
    if not isinstance(record, list) or not record:
        raise AwsError("ValidationError", "Record is a non-empty list of FeatureValue")
    ident = group["describe"]["RecordIdentifierFeatureName"]
    value = next((f.get("ValueAsString") for f in record if f.get("FeatureName") == ident), None)
    if value is None:
        raise AwsError("ValidationError", f"Record must hold {ident}")
    _state(world).records[(group["describe"]["FeatureGroupName"], str(value))] = list(record)
    return {}


@OPERATIONS(RUNTIME, "GetRecord")
def _get_record(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    group = _runtime_group(world, caller, params, "GetRecord")
    record = _state(world).records.get((group["describe"]["FeatureGroupName"],
                                        str(params.get("RecordIdentifierValueAsString"))))
    return {"Record": record} if record else {}


@OPERATIONS(RUNTIME, "DeleteRecord")
def _delete_record(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    group = _runtime_group(world, caller, params, "DeleteRecord")
    _state(world).records.pop((group["describe"]["FeatureGroupName"],
                               str(params.get("RecordIdentifierValueAsString"))), None)
    return {}


# --- scenario steps ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    """What a Feature Store scenario created."""

    caller: str
    role: str
    online_key: str | None
    offline_key: str | None
    values: Mapping[str, str]


_CALLER_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["sagemaker:*", "iam:PassRole"], "Resource": "*"}]}


def stage(target: Target, example: Mapping[str, Any], *, online: bool = True, offline: bool = True,
          shared: bool = False, online_spec: tuple[str, str] = ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"),
          offline_spec: tuple[str, str] = ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")) -> Stage:
    """Create the caller (sagemaker:* and iam:PassRole, plus the example's ``caller_policy``), the
    RoleArn (trusting sagemaker.amazonaws.com) and the keys (``shared``: one key for both stores),
    with the example's policy template."""
    inline: dict[str, Mapping[str, Any]] = {"sagemaker": _CALLER_POLICY}
    if example.get("caller_policy"):
        inline["kms"] = example["caller_policy"]
    caller = new_role(target, "fscaller", inline_policies=inline)
    role = new_role(target, "fsrole", services=[SERVICE_PRINCIPAL])
    values = {"ROLE": role, "CALLER": caller, "ACCOUNT": target.account, "REGION": target.region}
    policy = fill(example["policy"], values) if example.get("policy") is not None else None
    online_key = offline_key = None
    if online:
        online_key = str(new_key(target, policy, key_spec=online_spec[0], key_usage=online_spec[1])["Arn"])
    if offline:
        offline_key = online_key if shared and online_key else str(
            new_key(target, policy, key_spec=offline_spec[0], key_usage=offline_spec[1])["Arn"])
    return Stage(caller, role, online_key, offline_key, values)


def create_group(target: Target, st_: Stage, *, online: bool = True, offline: bool = True,
                 with_keys: bool = True) -> tuple[Outcome, str]:
    """CreateFeatureGroup as the caller; returns the outcome and the group's name."""
    name = target.unique("fsgroup")
    req = fss.feature_group_request(name, online_key=st_.online_key if with_keys else None,
                                    offline_key=st_.offline_key if with_keys else None,
                                    role=st_.role, online=online, offline=offline)
    return target.call(SAGEMAKER, "CreateFeatureGroup", req, principal=st_.caller), name


def data_plane(target: Target, operation: str, group: str, principal: str) -> Outcome:
    """PutRecord, GetRecord or DeleteRecord of record ``r1`` as ``principal``."""
    params: dict[str, Any] = {"FeatureGroupName": group}
    if operation == "PutRecord":
        params["Record"] = [{"FeatureName": "record_id", "ValueAsString": "r1"},
                            {"FeatureName": "event_time", "ValueAsString": "2024-01-01T00:00:00Z"},
                            {"FeatureName": "value", "ValueAsString": "1.5"}]
    elif operation == "GetRecord":
        params["RecordIdentifierValueAsString"] = "r1"
    else:
        params.update({"RecordIdentifierValueAsString": "r1", "EventTime": "2024-01-01T00:00:01Z"})
    return target.call(RUNTIME, operation, params, principal=principal)


def _service_grants(target: Target, key_arn: str | None) -> int | str:
    if key_arn is None:
        return 0
    out = target.call("kms", "ListGrants", {"KeyId": key_arn})
    return len(out.value.get("Grants", [])) if out.ok else out.code


# --- rules ---------------------------------------------------------------------------------------

FS_01 = rule(
    "FS-01", "Without a customer managed key the stores use AWS keys, with no extra authorization",
    service=SERVICE, doc=DOC, section=_S_INTRO,
    quote="Jika Anda tidak memberikan AWS KMS kunci maka kami memastikan bahwa data Anda dienkripsi di sisi server",
    operations=("sagemaker:CreateFeatureGroup", "sagemaker:DescribeFeatureGroup"),
)


@FS_01.behavior_(examples=fss.default_examples)
def default_keys(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"Jika Anda tidak memberikan AWS KMS kunci maka kami memastikan bahwa data Anda dienkripsi di
    sisi server menggunakan kunci yang AWS dimiliki atau AWS KMS kunci AWS terkelola" (if you provide
    no KMS key, your data is encrypted server side with an AWS owned or AWS managed key); "Toko Fitur
    tidak memerlukan otorisasi tambahan untuk menggunakan kunci KMS yang AWS dimiliki default" (no
    additional authorization for the default AWS owned key) and "Toko Fitur tidak memerlukan hibah,
    atau izin tambahan apa pun" (no grant or other permission); "Secara default, ia menggunakan kunci
    ... AWS dimiliki untuk OnlineStore dan kunci yang AWS dikelola ... untuk OfflineStore" (by default
    an AWS owned key for the online store and an AWS managed key for the offline store); "Jika kunci
    AWS KMS enkripsi tidak ditentukan, secara default kami mengenkripsi semua data saat istirahat
    menggunakan AWS KMS kunci" (the offline store's S3 location without a key is still encrypted).
    A caller without any KMS permission
    creates a feature group without KmsKeyId; DescribeFeatureGroup shows no KmsKeyId."""
    online = example["stores"] in ("online", "both")
    offline = example["stores"] in ("offline", "both")
    st_ = stage(target, {}, online=False, offline=False)
    out, name = create_group(target, st_, online=online, offline=offline, with_keys=False)
    facts: dict[str, Any] = {"create": out.code}
    if out.ok:
        described = target.call(SAGEMAKER, "DescribeFeatureGroup", {"FeatureGroupName": name}, principal=st_.caller)
        value = described.value
        facts["describe"] = described.code
        facts["kms_key_ids"] = [k for k in (
            ((value.get("OnlineStoreConfig") or {}).get("SecurityConfig") or {}).get("KmsKeyId"),
            ((value.get("OfflineStoreConfig") or {}).get("S3StorageConfig") or {}).get("KmsKeyId")) if k]
    return facts


FS_02 = rule(
    "FS-02", "The online and offline stores may use different customer managed keys",
    service=SERVICE, doc=DOC, section=_S_PERMS,
    quote="mereka dapat berbeda untuk setiap toko",
    operations=("sagemaker:CreateFeatureGroup", "sagemaker:DescribeFeatureGroup", "kms:ListGrants"),
)


@FS_02.behavior_(examples=fss.two_key_examples)
def separate_keys(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"Anda dapat memilih kunci yang dikelola pelanggan untuk Toko Fitur saat Anda membuat toko
    online atau offline, dan mereka dapat berbeda untuk setiap toko" (you can choose a customer
    managed key for the online or offline store, and they can differ per store). With two keys,
    each store keeps its own (OnlineStoreConfig.SecurityConfig.KmsKeyId,
    OfflineStoreConfig.S3StorageConfig.KmsKeyId), and the grant goes on the online key only ("Setiap
    hibah spesifik pada toko online": each grant is specific to the online store)."""
    st_ = stage(target, example)
    out, name = create_group(target, st_)
    facts: dict[str, Any] = {"create": out.code}
    if out.ok:
        value = target.call(SAGEMAKER, "DescribeFeatureGroup", {"FeatureGroupName": name}, principal=st_.caller).value
        facts["online_key_kept"] = ((value.get("OnlineStoreConfig") or {}).get("SecurityConfig") or {}).get(
            "KmsKeyId") == st_.online_key
        facts["offline_key_kept"] = ((value.get("OfflineStoreConfig") or {}).get("S3StorageConfig") or {}).get(
            "KmsKeyId") == st_.offline_key
        facts["grants_online"] = _service_grants(target, st_.online_key)
        facts["grants_offline"] = _service_grants(target, st_.offline_key)
    return facts


FS_03 = rule(
    "FS-03", "Only symmetric customer managed keys",
    service=SERVICE, doc=DOC, section=_S_PERMS,
    quote="Feature Store hanya mendukung kunci yang dikelola pelanggan simetris",
    operations=("kms:CreateKey", "sagemaker:CreateFeatureGroup"),
)


@FS_03.config(applies=lambda s: _online(s) is not None or _offline(s) is not None)
def keys_symmetric(setup: Setup) -> list[str]:
    """"Feature Store hanya mendukung kunci yang dikelola pelanggan simetris. Anda tidak dapat
    menggunakan kunci yang dikelola pelanggan asimetris untuk mengenkripsi data Anda di toko online
    atau offline Anda" (Feature Store supports only symmetric customer managed keys; you cannot use
    an asymmetric one for the online or offline store)."""
    reasons = []
    for store, key in (("OnlineStoreConfig.SecurityConfig.KmsKeyId", _online(setup)),
                       ("OfflineStoreConfig.S3StorageConfig.KmsKeyId", _offline(setup))):
        if key is not None and (key.key_spec != "SYMMETRIC_DEFAULT" or key.key_usage != "ENCRYPT_DECRYPT"):
            reasons.append(f"request.CreateFeatureGroup.{store} names {key.arn}, a {key.key_spec}/{key.key_usage} "
                           "key; Feature Store supports only symmetric encryption keys")
    return reasons


@FS_03.behavior_(examples=fss.symmetric_examples)
def asymmetric_refused(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """An asymmetric (RSA ENCRYPT_DECRYPT) key for either store makes CreateFeatureGroup fail with
    ValidationException; a symmetric one succeeds."""
    spec = tuple(example["spec"])
    sym = ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")
    st_ = stage(target, example, online_spec=spec if example["store"] == "online" else sym,
                offline_spec=spec if example["store"] == "offline" else sym)
    out, _ = create_group(target, st_)
    return {"create": out.code}


FS_04 = rule(
    "FS-04", "The principal choosing the online store key has the minimal permissions on it",
    service=SERVICE, doc=DOC, section=_S_POLICY,
    quote="Minimal, DynamoDB memerlukan izin berikut pada kunci yang dikelola pelanggan",
    operations=("sagemaker:CreateFeatureGroup", "kms:DescribeKey", "kms:CreateGrant", "kms:GenerateDataKey"),
)


def _online_applies(setup: Setup) -> bool:
    return _online(setup) is not None


@FS_04.config(applies=_online_applies)
def caller_minimal_permissions(setup: Setup) -> list[str]:
    """"Jika Anda menggunakan kunci yang dikelola pelanggan untuk melindungi toko online Anda,
    kebijakan pada kunci ... harus memberikan izin Toko Fitur untuk menggunakannya atas nama Anda"
    (the key's policy must let Feature Store use it on your behalf); "Pengguna utama tersebut ... harus
    memiliki izin pada kunci KMS ... Anda dapat memberikan izin ini dalam kebijakan kunci, kebijakan
    IAM, atau pemberian izin. Minimal, DynamoDB memerlukan izin berikut" (that principal needs, in the
    key policy, an IAM policy or a grant, at least these permissions). The list is scrambled by the
    translation; encoded: its intended eleven actions (Encrypt, Decrypt, DescribeKey, CreateGrant,
    RetireGrant, ReEncryptFrom, ReEncryptTo, GenerateDataKey, ListAliases, ListGrants, RevokeGrant)
    for ``caller`` through SageMaker, which is also what the SageMaker API Reference requires of the
    caller of CreateFeatureGroup (OnlineStoreSecurityConfig, KmsKeyId). Page defect: the page's
    sample policy gives that principal only the first ten, and RevokeGrant to the key administrators
    (KMS-18); the sample therefore satisfies this rule only with an IAM policy adding
    kms:RevokeGrant. (kms:ListAliases is not a key resource action: listed on a key it is evaluated
    as written.)"""
    key = _online(setup)
    assert key is not None
    return access.access_reasons(setup, key, setup.caller, list(fss.REQUIRED_ACTIONS), via_service=SAGEMAKER)


@FS_04.behavior_(examples=fss.missing_action_examples)
def minimal_permissions_needed(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """Without DescribeKey, CreateGrant or GenerateDataKey (the actions CreateFeatureGroup exercises),
    from the key policy or an IAM policy, CreateFeatureGroup fails with AccessDeniedException."""
    st_ = stage(target, example, offline=False)
    out, _ = create_group(target, st_, offline=False)
    return {"create": out.code}


FS_05 = rule(
    "FS-05", "kms:ViaService names SageMaker",
    service=SERVICE, doc=DOC, section=_S_POLICY,
    quote="Nilai untuk kms:ViaService seharusnyasagemaker.*.amazonaws.com",
    severity="should",
    operations=("sagemaker:CreateFeatureGroup",),
)


def _via_entries(key: KeySetup) -> list[tuple[Any, str, tuple[str, ...]]]:
    out = []
    for stmt in access.key_policy(key).statements:
        if stmt.effect != "Allow":
            continue
        for cond in stmt.conditions:
            if cond.key.lower() == "kms:viaservice":
                out.append((stmt, cond.operator, tuple(cond.values)))
    return out


def _has_via(setup: Setup) -> bool:
    key = _online(setup)
    return key is not None and bool(_via_entries(key))


@FS_05.config(applies=_has_via)
def via_service_is_sagemaker(setup: Setup) -> list[str]:
    """"Kunci kondisi kms:ViaService memungkinkan izin hanya ketika permintaan berasal dari DynamoDB
    atas nama pengguna utama ... Nilai untuk kms:ViaService seharusnya sagemaker.*.amazonaws.com"
    (the condition allows only requests from the service on the principal's behalf; its value
    should be ``sagemaker.*.amazonaws.com``; "DynamoDB" is a translation/adaptation artefact). A
    kms:ViaService condition on the online key should match ``sagemaker.<region>.amazonaws.com``."""
    key = _online(setup)
    assert key is not None
    want = _via(setup.region)
    reasons = []
    for stmt, operator, values in _via_entries(key):
        like = "like" in operator.lower()
        if not any(wildcard_match(v, want) if like else v == want for v in values):
            where = f"Statement[{stmt.index}]" + (f" (Sid {stmt.sid!r})" if stmt.sid else "")
            reasons.append(f"{key.arn} policy {where}: {operator} kms:ViaService {list(values)} does not match {want}")
    return reasons


FS_06 = rule(
    "FS-06", "No kms:ViaService condition on the offline store key",
    service=SERVICE, doc=DOC, section=_S_POLICY,
    quote="Kunci kms:ViaService kondisi hanya dapat digunakan untuk AWS KMS kunci yang dikelola pelanggan toko online",
    operations=("sagemaker:CreateFeatureGroup", "kms:GenerateDataKey"),
)


@FS_06.config(applies=lambda s: _offline(s) is not None)
def no_via_service_offline(setup: Setup) -> list[str]:
    """"Kunci kms:ViaService kondisi hanya dapat digunakan untuk AWS KMS kunci yang dikelola pelanggan
    toko online, dan tidak dapat digunakan untuk toko offline. Jika Anda menambahkan kondisi khusus
    ini ... dan menggunakan AWS KMS kunci yang sama untuk toko online dan offline, maka itu akan gagal
    operasi CreateFeatureGroup API" (the condition can only be used for the online store's key, not
    the offline store's; with it on one key used for both, CreateFeatureGroup fails) and "Kebijakan
    utama untuk toko online juga berfungsi untuk toko offline, hanya ketika kms:ViaService kondisinya
    tidak ditentukan" (the online store's key policy also works for the offline store only without
    the condition). Reported: each Allow statement of the offline key's policy that grants
    kms:GenerateDataKey (what the offline store needs) under a kms:ViaService condition."""
    key = _offline(setup)
    assert key is not None
    same = _online(setup) is key
    reasons = []
    for stmt, operator, values in _via_entries(key):
        if any(wildcard_match(a, "kms:GenerateDataKey", ignore_case=True) for a in stmt.action or ()):
            where = f"Statement[{stmt.index}]" + (f" (Sid {stmt.sid!r})" if stmt.sid else "")
            reasons.append(f"offline store key {key.arn} policy {where} allows kms:GenerateDataKey only under "
                           f"{operator} kms:ViaService {list(values)}"
                           + ("; the same key serves the online store, so CreateFeatureGroup fails" if same else ""))
    return reasons


@FS_06.behavior_(examples=fss.shared_key_examples)
def shared_key_with_via_service_fails(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """One key for both stores: with the kms:ViaService condition on its statements CreateFeatureGroup
    fails; without it, it succeeds."""
    st_ = stage(target, example, shared=True)
    out, _ = create_group(target, st_)
    return {"succeeded": out.ok}


FS_07 = rule(
    "FS-07", "One grant per feature group on a shared online store key",
    service=SERVICE, doc=DOC, section=_S_GRANTS,
    quote="akan ada hibah unik per FeatureGroup menggunakan kunci yang dikelola pelanggan yang sama",
    operations=("sagemaker:CreateFeatureGroup", "kms:ListGrants"),
)


@FS_07.behavior_(examples=fss.grant_count_examples)
def grant_per_group(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"Setiap hibah spesifik pada toko online. Jika akun menyertakan beberapa toko yang dienkripsi di
    bawah kunci yang dikelola pelanggan yang sama, akan ada hibah unik per FeatureGroup" (each grant
    is specific to an online store; several stores under one key have one grant per feature group).
    "Untuk melihat pemberian izin pada kunci KMS di akun Anda, gunakan operasi ListGrants"."""
    st_ = stage(target, example, offline=False)
    created = sum(create_group(target, st_, offline=False)[0].ok for _ in range(example["groups"]))
    return {"created": created, "grants": _service_grants(target, st_.online_key)}


FS_08 = rule(
    "FS-08", "Revoking the grant of an active online store breaks it",
    service=SERVICE, doc=DOC, section=_S_GRANTS,
    quote="jika Anda mencabut hibah di toko online terenkripsi yang aktif, Toko Fitur tidak akan dapat melindungi "
          "dan memelihara toko",
    operations=("sagemaker:CreateFeatureGroup", "kms:ListGrants", "kms:RevokeGrant",
                "sagemaker-featurestore-runtime:PutRecord"),
)


@FS_08.behavior_(examples=fss.revoke_examples, lifecycle=True)
def revoked_grant(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"Kebijakan kunci juga dapat memungkinkan akun untuk mencabut pemberian izin pada kunci KMS.
    Namun, jika Anda mencabut hibah di toko online terenkripsi yang aktif, Toko Fitur tidak akan
    dapat melindungi dan memelihara toko" (the key policy may let the account revoke grants; but if
    you revoke the grant of an active encrypted online store, Feature Store cannot protect and
    maintain it). The data plane operation succeeds before and fails after RevokeGrant (the fact is
    whether it succeeded; the model answers AccessForbidden)."""
    st_ = stage(target, example, offline=False)
    out, name = create_group(target, st_, offline=False)
    facts: dict[str, Any] = {"create": out.code}
    if not out.ok:
        return facts
    op = example["operation"]
    facts["before"] = data_plane(target, op, name, st_.caller).ok
    listed = target.call("kms", "ListGrants", {"KeyId": st_.online_key})
    grants = listed.value.get("Grants", []) if listed.ok else []
    facts["grants"] = len(grants) if listed.ok else listed.code
    for grant in grants:
        facts["RevokeGrant"] = target.call("kms", "RevokeGrant", {"KeyId": st_.online_key,
                                                                  "GrantId": grant["GrantId"]}).code
    facts["after"] = data_plane(target, op, name, st_.caller).ok
    return facts


FS_09 = rule(
    "FS-09", "Data plane callers need kms:Decrypt on the online store key",
    service=SERVICE, doc=DOC, section=_S_DATA,
    quote="Penelepon (baik pengguna atau peran) ke SEMUA DataPlane operasi (Put, Get, DeleteRecord) harus memiliki "
          "izin di bawah ini",
    operations=("sagemaker-featurestore-runtime:PutRecord", "sagemaker-featurestore-runtime:GetRecord",
                "sagemaker-featurestore-runtime:DeleteRecord", "kms:Decrypt"),
)


@FS_09.config(applies=_online_applies)
def data_plane_decrypt(setup: Setup) -> list[str]:
    """"Penelepon (baik pengguna atau peran) ke SEMUA DataPlane operasi (Put, Get, DeleteRecord) harus
    memiliki izin di bawah ini pada kunci yang dikelola pelanggan: "kms:Decrypt"" (the caller, user or
    role, of ALL data plane operations must have kms:Decrypt on the customer managed key). Checked
    for the setup's ``caller`` through SageMaker."""
    key = _online(setup)
    assert key is not None
    return [f"data plane caller: {r}" for r in
            access.access_reasons(setup, key, setup.caller, ["kms:Decrypt"], via_service=SAGEMAKER)]


@FS_09.behavior_(examples=fss.data_plane_examples)
def data_plane_needs_decrypt(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """A second principal calls PutRecord/GetRecord/DeleteRecord: with kms:Decrypt (an IAM policy,
    delegated by the key policy's root statement) it succeeds, without it the runtime answers
    AccessForbidden."""
    st_ = stage(target, example, offline=False)
    out, name = create_group(target, st_, offline=False)
    facts: dict[str, Any] = {"create": out.code}
    if not out.ok:
        return facts
    policies: dict[str, Mapping[str, Any]] = {"sagemaker": _CALLER_POLICY}
    if example["decrypt"]:
        policies["kms"] = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": st_.online_key}]}
    reader = new_role(target, "fsreader", inline_policies=policies)
    facts[example["operation"]] = data_plane(target, example["operation"], name, reader).code
    return facts


FS_10 = rule(
    "FS-10", "The RoleArn has kms:GenerateDataKey on the offline store key",
    service=SERVICE, doc=DOC, section=_S_ALLOW,
    quote="RoLearn yang diteruskan sebagai parameter createFeatureGroup harus memiliki izin di bawah ini untuk: "
          "OfflineStore KmsKeyId",
    operations=("sagemaker:CreateFeatureGroup", "kms:GenerateDataKey"),
)


@FS_10.config(applies=lambda s: _offline(s) is not None)
def role_generates_data_keys(setup: Setup) -> list[str]:
    """"RoLearn yang diteruskan sebagai parameter createFeatureGroup harus memiliki izin di bawah ini
    untuk: OfflineStore KmsKeyId "kms:GenerateDataKey"" (the RoleArn passed to CreateFeatureGroup
    must have kms:GenerateDataKey on the OfflineStore KmsKeyId; "RoLearn" is RoleArn). Evaluated as
    the role writing to S3 with SSE-KMS, so through S3 (kms:ViaService s3.<region>.amazonaws.com)."""
    key = _offline(setup)
    role = parse_request(setup).role_arn
    assert key is not None and role is not None
    return [f"request.CreateFeatureGroup.RoleArn: {r}" for r in
            access.access_reasons(setup, key, role, ["kms:GenerateDataKey"], via_service="s3")]


@FS_10.behavior_(examples=fss.offline_role_examples)
def role_needs_generate_data_key(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """Without kms:GenerateDataKey for the RoleArn on the offline key, CreateFeatureGroup fails."""
    st_ = stage(target, example, online=False)
    out, _ = create_group(target, st_, online=False)
    return {"succeeded": out.ok}


FS_11 = rule(
    "FS-11", "The sample key policy's principals are replaced",
    service=SERVICE, doc=DOC, section=_S_POLICY,
    quote="Sebelum menggunakan kebijakan kunci contoh, ganti pengguna utama contoh dengan pengguna utama aktual",
    operations=("kms:PutKeyPolicy",),
)


@FS_11.config(applies=lambda s: bool(s.keys))
def sample_principals_replaced(setup: Setup) -> list[str]:
    """"Sebelum menggunakan kebijakan kunci contoh, ganti pengguna utama contoh dengan pengguna utama
    aktual dari AWS Anda" (before using the example key policy, replace the example principals with
    actual principals of your AWS account). Severity ``must``: the sentence is an instruction, not a
    recommendation, and a key policy naming principals that do not exist is refused by AWS KMS
    (PutKeyPolicy: MalformedPolicyDocumentException, "Policy contains a statement with one or more
    invalid principals"). Page defect: the sample's root principal ``arn:aws:iam::123456789:root``
    has a 9-digit account id."""
    reasons = []
    for i, key in enumerate(setup.keys):
        for stmt in access.key_policy(key).statements:
            block = stmt.principal
            for value in (block.aws if block is not None else ()):
                if value in fss.SAMPLE_PRINCIPALS:
                    reasons.append(f"keys[{i}].policy Statement[{stmt.index}] still names the page's sample "
                                   f"principal {value}")
    return reasons


FS_12 = rule(
    "FS-12", "The principal must itself be allowed to use Feature Store",
    service=SERVICE, doc=DOC, section=_S_POLICY,
    quote="Jika pengguna utama yang disebutkan dalam pernyataan kebijakan tidak memiliki izin untuk menggunakan "
          "DynamoDB, panggilan gagal, bahkan ketika panggilan berasal dari layanan DynamoDB",
    operations=("iam:PutRolePolicy", "sagemaker:CreateFeatureGroup"),
)


@FS_12.behavior_(examples=fss.service_permission_examples)
def principal_needs_feature_store_permission(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"Memungkinkan DynamoDB untuk menggunakan kunci KMS ... tetapi hanya ketika bertindak atas nama
    pengguna utama di akun yang memiliki izin untuk menggunakan DynamoDB. Jika pengguna utama yang
    disebutkan dalam pernyataan kebijakan tidak memiliki izin untuk menggunakan DynamoDB, panggilan
    gagal, bahkan ketika panggilan berasal dari layanan DynamoDB" (the sample lets the service use
    the key only on behalf of principals allowed to use the service; if the principal the statement
    names may not use it, the call fails even though it would come from the service; "DynamoDB" is
    Feature Store here, an artefact of the page's DynamoDB origin). A caller whose key policy
    statement is the page's sample (all the KMS permissions, through SageMaker) but whose IAM
    policies do not allow ``sagemaker:CreateFeatureGroup`` gets AccessDeniedException; with it, the
    request succeeds. Config half: not encoded, since a setup's ``identityPolicies`` need not list the
    caller's SageMaker permissions."""
    inline: dict[str, Mapping[str, Any]] = {}
    if example["allowed"]:
        inline["sagemaker"] = _CALLER_POLICY
    else:
        inline["sagemaker"] = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["sagemaker:DescribeFeatureGroup", "iam:PassRole"], "Resource": "*"}]}
    caller = new_role(target, "fscaller", inline_policies=inline)
    role = new_role(target, "fsrole", services=[SERVICE_PRINCIPAL])
    values = {"ROLE": role, "CALLER": caller, "ACCOUNT": target.account, "REGION": target.region}
    key = str(new_key(target, fill(example["policy"], values))["Arn"])
    out, _ = create_group(target, Stage(caller, role, key, None, values), offline=False)
    return {"create": out.code}


SPEC = register_service(ServiceSpec(
    name=SERVICE,
    compliant=fss.feature_store_setups,
    mutators={
        "FS-03": fss.make_asymmetric,
        "FS-04": fss.take_from_caller,
        "FS-05": fss.swap_via_service,
        "FS-06": fss.share_online_key,
        "FS-09": lambda s: fss.take_from_caller(s, ["kms:Decrypt"]),
        "FS-10": fss.take_from_role,
        "FS-11": fss.add_sample_principal,
    },
    parse_request=parse_request,
))
