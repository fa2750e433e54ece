"""Feature Store staging: the principals and keys a Feature Store rule needs, a feature group made
with them, and the calls that read what the service did (page ``001_33dc1ec0c5fdd4cf.txt``).

A scenario has a **caller** (the principal that creates the feature group and calls the data
plane; allowed ``sagemaker:*`` and ``iam:PassRole``), a **role** (the ``RoleArn`` of
CreateFeatureGroup, trusting ``sagemaker.amazonaws.com``) and up to two keys whose policy is the
example's template, filled with their ARNs (``<<CALLER>>``, ``<<ROLE>>``, ``<<ACCOUNT>>``,
``<<REGION>>``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kms_conformance.models.feature_store import RUNTIME, SAGEMAKER, SERVICE_PRINCIPAL
from kms_conformance.scenarios.steps import Settled, control, fill, kms, must, new_key, new_role, settle
from kms_conformance.strategies import feature_store as fss
from kms_conformance.strategies.policies import admin_statement
from kms_conformance.targets.base import Outcome, Target

#: The caller's permission to use Feature Store and to pass the role to it.
CALLER_POLICY: Mapping[str, Any] = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["sagemaker:*", "iam:PassRole"], "Resource": "*"}]}
_SYMMETRIC = ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")


@dataclass(frozen=True)
class Stage:
    """What a Feature Store scenario created."""

    caller: str
    role: str
    online_key: str | None
    offline_key: str | None
    values: Mapping[str, str]


def stage(target: Target, example: Mapping[str, Any], *, online: bool = True, offline: bool = True,
          shared: bool = False, online_spec: tuple[str, str] = _SYMMETRIC,
          offline_spec: tuple[str, str] = _SYMMETRIC,
          feature_store_policy: Mapping[str, Any] = CALLER_POLICY) -> Stage:
    """Create the caller (``feature_store_policy``, plus the example's ``caller_policy`` as its KMS
    policy), the RoleArn (trusting sagemaker.amazonaws.com) and the keys (``shared``: one key for
    both stores), with the example's ``policy`` template (the default key policy without one)."""
    inline: dict[str, Mapping[str, Any]] = {"sagemaker": feature_store_policy}
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


def new_reader(target: Target, key_arn: str | None, *, decrypt: bool) -> str:
    """A second principal for the data plane: allowed to use Feature Store and, with ``decrypt``,
    kms:Decrypt on ``key_arn`` by an IAM policy (which counts where the key policy delegates to the
    account). Returns its ARN."""
    policies: dict[str, Mapping[str, Any]] = {"sagemaker": CALLER_POLICY}
    if decrypt:
        policies["kms"] = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key_arn}]}
    return new_role(target, "fsreader", inline_policies=policies)


def create_group(target: Target, st_: Stage, *, online: bool = True, offline: bool = True,
                 with_keys: bool = True) -> tuple[Outcome, str]:
    """CreateFeatureGroup as the caller; returns the outcome and the group's name."""
    name = target.unique("fsgroup")
    req = fss.feature_group_request(name, online_key=st_.online_key if with_keys else None,
                                    offline_key=st_.offline_key if with_keys else None,
                                    role=st_.role, online=online, offline=offline)
    return target.call(SAGEMAKER, "CreateFeatureGroup", req, principal=st_.caller), name


#: The step name of CreateFeatureGroup: the subject of FS-01 (a group made without a customer managed
#: key), a stage or control step of the rules that need a group to observe something else.
CREATE_STEP = "sagemaker:CreateFeatureGroup"


def staged_group(target: Target, st_: Stage, *, online: bool = True, offline: bool = True) -> str:
    """CreateFeatureGroup with the stage's keys as a stage step (:func:`must`): the group a rule about
    grants or the data plane works on. A target that cannot create it leaves the rule ``inconclusive``,
    blocked by FS-01. Returns the group's name."""
    out, name = create_group(target, st_, online=online, offline=offline)
    must(CREATE_STEP, out)
    return name


def can_create(target: Target, st_: Stage, *, online: bool = True, offline: bool = True) -> None:
    """A control step for the rules whose subject is CreateFeatureGroup refused for want of a KMS
    permission: the same stores without any KmsKeyId, created by the target's administrator, must be
    accepted. When the target cannot create such a group at all, a refusal says nothing about the key
    and the rule is ``inconclusive`` (blocked by FS-01)."""
    name = target.unique("fsgroup")
    req = fss.feature_group_request(name, online_key=None, offline_key=None, role=st_.role,
                                    online=online, offline=offline)
    control(CREATE_STEP, target.call(SAGEMAKER, "CreateFeatureGroup", req))


#: DescribeFeatureGroup's FeatureGroupStatus once creation is over ("FeatureGroupSummary", SageMaker
#: API Reference: Creating | Created | CreateFailed | Deleting | DeleteFailed).
CREATED, CREATE_FAILED = ("Created",), ("CreateFailed",)


def created_group(target: Target, st_: Stage, *, online: bool = True, offline: bool = True,
                  with_keys: bool = True) -> tuple[Settled, str]:
    """CreateFeatureGroup as the caller, reduced to one fact: ``fails`` when it is refused or when the
    group ends ``CreateFailed`` (its FailureReason in ``detail``), ``OK`` when it ends ``Created``."""
    out, name = create_group(target, st_, online=online, offline=offline, with_keys=with_keys)

    def status(described: Mapping[str, Any]) -> tuple[str | None, str]:
        return described.get("FeatureGroupStatus"), str(described.get("FailureReason") or "")

    return settle(out, lambda: describe_group(target, name, st_.caller), status,
                  done=CREATED, failed=CREATE_FAILED), name


def describe_group(target: Target, name: str, principal: str) -> Outcome:
    """DescribeFeatureGroup of ``name`` as ``principal``."""
    return target.call(SAGEMAKER, "DescribeFeatureGroup", {"FeatureGroupName": name}, principal=principal)


def store_keys(described: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The KmsKeyId of the online store (``OnlineStoreConfig.SecurityConfig``) and of the offline
    store (``OfflineStoreConfig.S3StorageConfig``) in a DescribeFeatureGroup response.

    >>> store_keys({"OnlineStoreConfig": {"SecurityConfig": {"KmsKeyId": "k1"}}})
    ('k1', None)
    """
    online = ((described.get("OnlineStoreConfig") or {}).get("SecurityConfig") or {}).get("KmsKeyId")
    offline = ((described.get("OfflineStoreConfig") or {}).get("S3StorageConfig") or {}).get("KmsKeyId")
    return online, offline


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


#: What a key administrator of page 001's sample does with the key, in order: read (DescribeKey,
#: GetKeyPolicy, ListGrants, ListAliases), use (Encrypt) and revoke a grant (RevokeGrant).
ADMIN_CALLS = ("DescribeKey", "GetKeyPolicy", "ListGrants", "ListAliases", "Encrypt", "RevokeGrant")


def administrator_calls(target: Target, actions: list[str]) -> dict[str, str]:
    """A key whose policy is the account statement plus the sample's administrators' statement for
    a fresh role, with ``actions``; a grant on it (made by the target's administrator); then each of
    :data:`ADMIN_CALLS` as that role. Returns the outcome code of each call."""
    admin = new_role(target, "fsadmin")
    grantee = new_role(target, "fsgrantee")
    values = {"ACCOUNT": target.account, "REGION": target.region}
    statement = {**fss.admin_revoke_statement(admin), "Action": list(actions)}
    policy = {"Version": "2012-10-17", "Statement": [admin_statement(target.account), statement]}
    key = str(new_key(target, fill(policy, values))["Arn"])
    grant = must("kms:CreateGrant", kms(target, "CreateGrant", {"KeyId": key, "GranteePrincipal": grantee,
                                                                "Operations": ["Decrypt"]}))
    params: dict[str, dict[str, Any]] = {
        "DescribeKey": {"KeyId": key}, "GetKeyPolicy": {"KeyId": key, "PolicyName": "default"},
        "ListGrants": {"KeyId": key}, "ListAliases": {"KeyId": key},
        "Encrypt": {"KeyId": key, "Plaintext": b"kms-conformance"},
        "RevokeGrant": {"KeyId": key, "GrantId": str(grant.value.get("GrantId", ""))}}
    return {call: kms(target, call, params[call], admin).code for call in ADMIN_CALLS}


def grant_count(target: Target, key_arn: str | None) -> int | str:
    """How many grants ListGrants reports on ``key_arn`` (0 without a key; its error code when it
    fails)."""
    if key_arn is None:
        return 0
    out = target.call("kms", "ListGrants", {"KeyId": key_arn})
    return len(out.value.get("Grants", [])) if out.ok else out.code


__all__ = [
    "ADMIN_CALLS",
    "CALLER_POLICY",
    "CREATE_STEP",
    "Stage",
    "administrator_calls",
    "can_create",
    "create_group",
    "created_group",
    "data_plane",
    "describe_group",
    "grant_count",
    "new_reader",
    "stage",
    "staged_group",
    "store_keys",
]
