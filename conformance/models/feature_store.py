"""Amazon SageMaker Feature Store as the reference model keeps it: feature groups, their records,
and what CreateFeatureGroup and the data plane ask of AWS KMS.

Source: ``001_33dc1ec0c5fdd4cf.txt`` (the Indonesian machine translation of "Using AWS KMS
permissions for Amazon SageMaker Feature Store") and the SageMaker API Reference (CreateFeatureGroup,
OnlineStoreSecurityConfig, S3StorageConfig; the runtime's PutRecord, GetRecord, DeleteRecord).

- **CreateFeatureGroup** with an online store key acts as the caller through SageMaker
  (``kms:ViaService`` ``sagemaker.<region>.amazonaws.com``): DescribeKey, CreateGrant (one grant
  per feature group, to ``sagemaker.amazonaws.com``), GenerateDataKey. With an offline store key,
  the ``RoleArn`` writes to S3 with SSE-KMS, so KMS sees GenerateDataKey from the role through S3
  (``s3.<region>.amazonaws.com``): a statement limited to SageMaker by ``kms:ViaService`` does not
  cover it. Only symmetric encryption keys are taken (ValidationException otherwise). A caller the
  model knows as a role must itself be allowed ``sagemaker:CreateFeatureGroup`` by its IAM policies.
- **DeleteFeatureGroup** retires the feature group's grant.
- **PutRecord, GetRecord, DeleteRecord** need the caller's IAM permission for the action, and,
  for an online store under a customer managed key, kms:Decrypt for the caller (through SageMaker)
  and the feature group's grant for the service; each failure is the runtime's AccessForbidden.

State lives in ``world.services["feature-store"]``; the handlers are registered in
:data:`OPERATIONS`. :func:`parse_request` reads the ``CreateFeatureGroup`` request of a setup.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kms_conformance.arns import is_aws_managed_key_ref, parse_role_arn
from kms_conformance.errors import InputError
from kms_conformance.kms import AwsError, Key, KmsRequest, World, authorize, kms_call
from kms_conformance.models.registry import Operations, accepts_then_fails
from kms_conformance.policy import evaluate, make_request
from kms_conformance.setup import Setup

#: The key of this service's state in ``World.services`` (and the setup's ``service``).
SERVICE = "feature-store"
#: boto3 service names of the control plane and the data plane.
SAGEMAKER = "sagemaker"
RUNTIME = "sagemaker-featurestore-runtime"
#: The grantee of the grant Feature Store creates for an online store.
SERVICE_PRINCIPAL = "sagemaker.amazonaws.com"
#: The operations of that grant.
GRANT_OPERATIONS = ("Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo", "GenerateDataKey", "DescribeKey")

_FG_NAME = re.compile(r"^[a-zA-Z0-9]([_-]*[a-zA-Z0-9]){0,63}$")
_S3_URI = re.compile(r"^(https|s3)://([^/]+)/?(.*)$")
_FEATURE_TYPES = ("Integral", "Fractional", "String")


# --- the request of a setup ----------------------------------------------------------------------


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
    ``S3StorageConfig.S3Uri`` and a ``RoleArn`` (an IAM role ARN); key references must be among the
    setup's keys, unless they name an AWS managed key (``alias/aws/...``). A malformed request is
    an :class:`~kms_conformance.errors.InputError` naming its JSON path."""
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
    _check_definitions(body, src, base)
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
    if role is not None and parse_role_arn(role) is None:
        raise InputError(f"RoleArn {role!r} is not an IAM role ARN", source=src, path=f"{base}.RoleArn")
    if offline and role is None:
        raise InputError("an offline store needs RoleArn (the role Feature Store writes to S3 as)", source=src,
                         path=f"{base}.RoleArn")
    return FeatureGroupRequest(name, online, offline, online_key, offline_key, role)


def _check_definitions(body: Mapping[str, Any], src: str, base: str) -> None:
    """FeatureDefinitions is a non-empty list of {FeatureName, FeatureType}, and it holds the
    record identifier and the event time features."""
    defs = body["FeatureDefinitions"]
    if not isinstance(defs, list) or not defs:
        raise InputError("FeatureDefinitions is a non-empty list", source=src, path=f"{base}.FeatureDefinitions")
    names = set()
    for i, d in enumerate(defs):
        d = _obj(d, src, f"{base}.FeatureDefinitions[{i}]")
        if not isinstance(d.get("FeatureName"), str) or d.get("FeatureType") not in _FEATURE_TYPES:
            raise InputError("a feature definition is {FeatureName, FeatureType: Integral|Fractional|String}",
                             source=src, path=f"{base}.FeatureDefinitions[{i}]")
        names.add(d["FeatureName"])
    for member in ("RecordIdentifierFeatureName", "EventTimeFeatureName"):
        if body[member] not in names:
            raise InputError(f"{member} {body[member]!r} is not among FeatureDefinitions", source=src,
                             path=f"{base}.{member}")


def _key_ref(setup: Setup, ref: Any, path: str) -> None:
    if ref is None:
        return
    if not isinstance(ref, str) or not ref:
        raise InputError("KmsKeyId is a key id, key ARN, alias name or alias ARN", source=setup.source, path=path)
    if ref.strip() and not is_aws_managed_key_ref(ref) and setup.find_key(ref) is None:
        raise InputError(f"the key {ref} is not among the setup's keys; add it (with its policy) under keys",
                         source=setup.source, path=path)


# --- state ---------------------------------------------------------------------------------------


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


def _via(region: str, service: str = SAGEMAKER) -> str:
    return f"{service}.{region}.amazonaws.com"


def _group_arn(world: World, name: str) -> str:
    return f"arn:{world.partition}:sagemaker:{world.region}:{world.account}:feature-group/{name.lower()}"


def _group(world: World, ref: Any) -> dict[str, Any]:
    name = str(ref).rsplit("/", 1)[-1] if isinstance(ref, str) else ""
    for key, group in _state(world).groups.items():
        if key == name or key.lower() == name:
            return group
    raise AwsError("ResourceNotFound", f"Feature group {ref} not found")


# --- what the service asks of IAM and KMS --------------------------------------------------------


def may_use_feature_store(world: World, caller: str, action: str, name: str, code: str) -> None:
    """The caller's own permission to use Feature Store (page 001, "Kebijakan kunci CMK yang
    dikelola pelanggan": a principal that may not use the service fails, even when the call to
    KMS comes from the service): the caller's IAM policies must allow ``action``
    (``sagemaker:CreateFeatureGroup``, ``sagemaker:PutRecord``...) on the feature group ("Policy
    evaluation logic"); refused with ``code`` (AccessDeniedException for the control plane, the
    runtime's AccessForbidden). A caller the model does not know as a role (a service principal) is
    not judged here."""
    if world.role_of(caller) is None:
        return
    decision = evaluate(make_request(action, _group_arn(world, name), caller),
                        identity_policies=world.identity_policies(caller))
    if not decision.allowed:
        raise AwsError(code, f"{caller} is not authorized to perform {action} on {_group_arn(world, name)} "
                             f"({decision.reason})")


def data_plane_access(world: World, caller: str, group: Mapping[str, Any]) -> None:
    """Access to an online store encrypted with a customer managed key (page 001, "Mengakses data di
    toko online Anda"): the caller needs kms:Decrypt (through SageMaker), and the service needs its
    grant ("Menggunakan hibah untuk mengotorisasi Toko Fitur": without it, Feature Store cannot
    protect and maintain the store). Both failures are the runtime's AccessForbidden."""
    if group["online_key"] is None:
        return
    key = world.resolve_key(group["online_key"])
    decision = authorize(KmsRequest(operation="Decrypt", caller=caller, key=key, via_service=_via(world.region)),
                         identity_policies=world.identity_policies(caller), grants=world.grants_of(key))
    if not decision.allowed:
        raise AwsError("AccessForbidden", f"{caller} may not call kms:Decrypt on {key.arn} ({decision.reason})")
    try:
        kms_call(world, SERVICE_PRINCIPAL, "GenerateDataKey", {"KeyId": key.arn, "KeySpec": "AES_256"})
    except AwsError as exc:
        raise AwsError("AccessForbidden", f"Feature Store cannot use {key.arn}: {exc.message}") from None


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


def _retire(world: World, key_arn: str, grant_id: str) -> None:
    kms_call(world, SERVICE_PRINCIPAL, "RetireGrant", {"KeyId": key_arn, "GrantId": grant_id})


def _protect_online_store(world: World, caller: str, key: Key, name: str) -> str:
    """What CreateFeatureGroup asks of KMS for an online store key, as the caller through SageMaker:
    DescribeKey, CreateGrant (to the service), GenerateDataKey; returns the grant id (the grant is
    retired again when GenerateDataKey fails)."""
    via = _via(world.region)
    _as(world, caller, "DescribeKey", {"KeyId": key.arn}, via, "the online store key")
    grant = _as(world, caller, "CreateGrant", {
        "KeyId": key.arn, "GranteePrincipal": SERVICE_PRINCIPAL, "RetiringPrincipal": SERVICE_PRINCIPAL,
        "Operations": list(GRANT_OPERATIONS), "Name": f"featurestore-{name}"}, via, "the online store key")
    grant_id = str(grant["GrantId"])
    try:
        _as(world, caller, "GenerateDataKey", {"KeyId": key.arn, "KeySpec": "AES_256"}, via, "the online store key")
    except AwsError:
        _retire(world, key.arn, grant_id)
        raise
    return grant_id


# --- control plane -------------------------------------------------------------------------------

#: The reference model's operations of this service.
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
    if offline_cfg is not None and world.role_of(str(role)) is None:
        raise _validation(f"RoleArn {role} is not a role of this account")
    arn = _group_arn(world, name)
    record = {k: v for k, v in params.items() if k != "Tags"}
    try:
        grant_id, online_key = _use_store_keys(world, caller, name, online_ref, offline_ref, role)
    except AwsError as exc:
        if not accepts_then_fails(world):
            raise
        # Accepted, then failed: DescribeFeatureGroup shows CreateFailed and the FailureReason.
        record.update({"FeatureGroupArn": arn, "FeatureGroupStatus": "CreateFailed",
                       "FailureReason": f"{exc.code}: {exc.message}"})
        state.groups[name] = {"describe": record, "grant": None, "online_key": None}
        return {"FeatureGroupArn": arn}
    record.update({"FeatureGroupArn": arn, "FeatureGroupStatus": "Created"})
    state.groups[name] = {"describe": record, "grant": grant_id,
                          "online_key": online_key.arn if online_key else None}
    return {"FeatureGroupArn": arn}


def _use_store_keys(world: World, caller: str, name: str, online_ref: Any, offline_ref: Any, role: Any
                    ) -> tuple[str | None, Key | None]:
    """What CreateFeatureGroup asks of KMS for the stores' keys (both symmetric; the online store's
    grant; the RoleArn's GenerateDataKey on the offline key through S3); returns the grant id and the
    online key. Raises the AwsError the call fails with (or, with :data:`ACCEPT_THEN_FAIL`, the
    failure reason of the group)."""
    online_key = _symmetric(world, online_ref, "OnlineStoreConfig.SecurityConfig") if online_ref else None
    offline_key = _symmetric(world, offline_ref, "OfflineStoreConfig.S3StorageConfig") if offline_ref else None
    grant_id = _protect_online_store(world, caller, online_key, name) if online_key is not None else None
    if offline_key is not None:
        try:
            _as(world, world.session_arn(str(role)), "GenerateDataKey",
                {"KeyId": offline_key.arn, "KeySpec": "AES_256"}, _via(world.region, "s3"),
                f"the role {role} writing the offline store with {offline_key.arn}")
        except AwsError as exc:
            if grant_id is not None and online_key is not None:
                _retire(world, online_key.arn, grant_id)
            raise _validation(exc.message) from None
    return grant_id, online_key


@OPERATIONS(SAGEMAKER, "DescribeFeatureGroup")
def _describe_feature_group(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    return dict(_group(world, params.get("FeatureGroupName"))["describe"])


@OPERATIONS(SAGEMAKER, "DeleteFeatureGroup")
def _delete_feature_group(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    group = _group(world, params.get("FeatureGroupName"))
    if group["grant"] is not None and group["grant"] in world.grants:
        _retire(world, group["online_key"], group["grant"])
    del _state(world).groups[group["describe"]["FeatureGroupName"]]
    return {}


# --- data plane ----------------------------------------------------------------------------------


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


__all__ = [
    "GRANT_OPERATIONS",
    "OPERATIONS",
    "RUNTIME",
    "SAGEMAKER",
    "SERVICE",
    "SERVICE_PRINCIPAL",
    "FeatureGroupRequest",
    "FeatureStoreState",
    "data_plane_access",
    "may_use_feature_store",
    "parse_request",
]
