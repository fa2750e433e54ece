"""Hypothesis strategies for SageMaker Feature Store setups and scenarios (page 001_33dc1ec0c5fdd4cf.txt,
the Indonesian machine translation of "Security and access control" / "Using AWS KMS permissions for
Amazon SageMaker Feature Store").

- **setups** (:func:`feature_store_setups`): compliant setup dicts whose ``request`` holds
  ``CreateFeatureGroup`` exactly as ``boto3.client("sagemaker").create_feature_group`` takes it,
  with ``OnlineStoreConfig.SecurityConfig.KmsKeyId`` and/or ``OfflineStoreConfig.S3StorageConfig.KmsKeyId``.
- **scenario templates**: key policies with ``<<CALLER>>`` (the principal that creates the feature
  group and calls the data plane), ``<<ROLE>>`` (the ``RoleArn`` of CreateFeatureGroup),
  ``<<ACCOUNT>>`` and ``<<REGION>>`` placeholders.

The statements follow the page's sample key policy: the first statement's action list is the
intended set of the page's scrambled list (see ``REQUIRED_ACTIONS``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from kms_conformance.strategies.aws import account_ids, key_ids, regions
from kms_conformance.strategies.mutators import NotApplicable
from kms_conformance.strategies.policies import admin_statement

#: The actions of the first statement of the page's sample key policy (page 001, "Kebijakan kunci
#: CMK yang dikelola pelanggan").
SAMPLE_ACTIONS: tuple[str, ...] = (
    "kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant", "kms:RetireGrant", "kms:ReEncryptFrom",
    "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:ListAliases", "kms:ListGrants",
)
#: The sample gives kms:RevokeGrant to the key administrators only.
ADMIN_ACTION = "kms:RevokeGrant"
#: The permissions the principal choosing a customer managed key for the online store needs: the
#: page's list ("Minimal, DynamoDB memerlukan izin berikut"), scrambled by the translation, whose
#: intended set is the sample's ten actions plus kms:RevokeGrant. The SageMaker API Reference
#: (OnlineStoreSecurityConfig, KmsKeyId) lists the same eleven for the caller of CreateFeatureGroup.
REQUIRED_ACTIONS: tuple[str, ...] = (*SAMPLE_ACTIONS, ADMIN_ACTION)
#: What the model of CreateFeatureGroup exercises of REQUIRED_ACTIONS (as the caller, through SageMaker).
EXERCISED_ACTIONS: tuple[str, ...] = ("kms:DescribeKey", "kms:CreateGrant", "kms:GenerateDataKey")
#: The page's sample principals, which it says to replace ("ganti pengguna utama contoh").
SAMPLE_PRINCIPALS: tuple[str, ...] = (
    "arn:aws:iam::111122223333:user/featurestore-user",
    "arn:aws:iam::111122223333:role/featurestore-admin",
    "arn:aws:iam::123456789:root",
)
VIA_PATTERN = "sagemaker.*.amazonaws.com"


def caller_statement(caller: str, actions: Sequence[str] = REQUIRED_ACTIONS, *, via: bool = True
                     ) -> dict[str, Any]:
    """The first statement of the page's sample, for ``caller``, with the page's whole list of
    actions by default (the sample's ten plus kms:RevokeGrant: see ``REQUIRED_ACTIONS``).

    Example: ``{"Sid": "Allow access through Amazon SageMaker AI Feature Store ...", "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111122223333:role/fs-user"}, "Action": [...], "Resource": "*",
    "Condition": {"StringLike": {"kms:ViaService": "sagemaker.*.amazonaws.com"}}}``."""
    stmt: dict[str, Any] = {
        "Sid": "Allow access through Amazon SageMaker AI Feature Store for all principals in the account "
               "that are authorized to use Amazon SageMaker AI Feature Store",
        "Effect": "Allow", "Principal": {"AWS": caller}, "Action": list(actions), "Resource": "*"}
    if via:
        stmt["Condition"] = {"StringLike": {"kms:ViaService": VIA_PATTERN}}
    return stmt


#: The actions of the sample's administrators' statement ("akses hanya-baca ... dan izin untuk
#: mencabut hibah": read-only access and permission to revoke grants).
ADMIN_ACTIONS: tuple[str, ...] = ("kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant")


def admin_revoke_statement(admin: str) -> dict[str, Any]:
    """The second statement of the sample: read-only access and RevokeGrant for key administrators."""
    return {"Sid": "Allow administrators to view the customer managed key and revoke grants", "Effect": "Allow",
            "Principal": {"AWS": admin}, "Action": list(ADMIN_ACTIONS),
            "Resource": "*"}


def role_statement(role: str, actions: Sequence[str] = ("kms:GenerateDataKey", "kms:Decrypt"),
                   condition: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A statement for the ``RoleArn`` of CreateFeatureGroup on the offline store key ("RoLearn yang
    diteruskan ... harus memiliki izin ... kms:GenerateDataKey")."""
    stmt: dict[str, Any] = {"Sid": "Allow the Feature Store role to write the offline store", "Effect": "Allow",
                            "Principal": {"AWS": role}, "Action": list(actions), "Resource": "*"}
    if condition:
        stmt["Condition"] = dict(condition)
    return stmt


def key_policy_template(*, caller: bool = True, caller_actions: Sequence[str] = REQUIRED_ACTIONS, via: bool = True,
                        role: bool = True, role_actions: Sequence[str] = ("kms:GenerateDataKey", "kms:Decrypt"),
                        role_via: bool = False) -> dict[str, Any]:
    """A scenario key policy: account root, the caller's sample statement, the role's statement."""
    stmts = [admin_statement("<<ACCOUNT>>")]
    if caller:
        stmts.append(caller_statement("<<CALLER>>", caller_actions, via=via))
    if role:
        cond = {"StringLike": {"kms:ViaService": VIA_PATTERN}} if role_via else None
        stmts.append(role_statement("<<ROLE>>", role_actions, cond))
    return {"Version": "2012-10-17", "Statement": stmts}


# --- compliant setups ------------------------------------------------------------------------------

_FG_NAME = st.from_regex(r"[a-zA-Z0-9][a-zA-Z0-9-]{0,30}[a-zA-Z0-9]", fullmatch=True).filter(lambda n: "--" not in n)
_ROLE_NAME = st.from_regex(r"[A-Za-z][A-Za-z0-9_+=,.@-]{0,30}", fullmatch=True)


def feature_group_request(name: str, *, online_key: str | None, offline_key: str | None, role: str | None,
                          bucket: str = "kms-conformance-offline", online: bool = True, offline: bool = True
                          ) -> dict[str, Any]:
    """A CreateFeatureGroup request. Example: ``feature_group_request("fg", online_key=K, offline_key=K2,
    role=R)``."""
    req: dict[str, Any] = {
        "FeatureGroupName": name,
        "RecordIdentifierFeatureName": "record_id",
        "EventTimeFeatureName": "event_time",
        "FeatureDefinitions": [{"FeatureName": "record_id", "FeatureType": "String"},
                               {"FeatureName": "event_time", "FeatureType": "String"},
                               {"FeatureName": "value", "FeatureType": "Fractional"}],
    }
    if online:
        req["OnlineStoreConfig"] = {"EnableOnlineStore": True}
        if online_key is not None:
            req["OnlineStoreConfig"]["SecurityConfig"] = {"KmsKeyId": online_key}
    if offline:
        storage: dict[str, Any] = {"S3Uri": f"s3://{bucket}/{name}"}
        if offline_key is not None:
            storage["KmsKeyId"] = offline_key
        req["OfflineStoreConfig"] = {"S3StorageConfig": storage}
    if role is not None:
        req["RoleArn"] = role
    return req


@st.composite
def feature_store_setups(draw: st.DrawFn) -> dict[str, Any]:
    """A compliant Feature Store setup: an online store key whose policy has the page's sample
    statement for the caller (through SageMaker), an offline store key (a different one) that
    lets the RoleArn GenerateDataKey without a kms:ViaService condition, both symmetric.
    Sometimes only one of the stores."""
    account = draw(account_ids())
    region = draw(regions("aws"))
    caller_name, role_name = draw(st.lists(_ROLE_NAME, min_size=2, max_size=2, unique_by=str.lower))
    caller = f"arn:aws:iam::{account}:role/{caller_name}"
    role = f"arn:aws:iam::{account}:role/{role_name}"
    kind = draw(st.sampled_from(("both", "online", "offline")))
    keys: list[dict[str, Any]] = []
    identity: dict[str, list[dict[str, Any]]] = {}
    online_key = offline_key = None
    if kind in ("both", "online"):
        arn = f"arn:aws:kms:{region}:{account}:key/{draw(key_ids(multi_region=False))}"
        stmts = [admin_statement(account), caller_statement(caller)]
        if draw(st.booleans()):
            stmts.append(admin_revoke_statement(f"arn:aws:iam::{account}:role/{caller_name}-admin"))
        keys.append({"arn": arn, "keySpec": "SYMMETRIC_DEFAULT", "keyUsage": "ENCRYPT_DECRYPT",
                     "policy": {"Id": "key-policy-feature-store", "Version": "2012-10-17",
                                "Statement": draw(st.permutations(stmts))}})
        online_key = draw(st.sampled_from((arn, arn.split(":key/")[1])))
    if kind in ("both", "offline"):
        arn = f"arn:aws:kms:{region}:{account}:key/{draw(key_ids(multi_region=False))}"
        stmts = [admin_statement(account)]
        if draw(st.booleans()):
            stmts.append(role_statement(role))
        else:
            identity[role] = [{"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": arn}]}]
        keys.append({"arn": arn, "keySpec": "SYMMETRIC_DEFAULT", "keyUsage": "ENCRYPT_DECRYPT",
                     "policy": {"Version": "2012-10-17", "Statement": draw(st.permutations(stmts))}})
        offline_key = arn
    request = feature_group_request(draw(_FG_NAME), online_key=online_key, offline_key=offline_key,
                                    role=role, online=kind != "offline", offline=kind != "online")
    setup: dict[str, Any] = {"service": "feature-store", "account": account, "region": region, "caller": caller,
                             "keys": keys, "request": {"CreateFeatureGroup": request}}
    if identity:
        setup["identityPolicies"] = identity
    return setup


# --- mutators ---------------------------------------------------------------------------------------

def _fg(setup: Mapping[str, Any]) -> dict[str, Any]:
    return setup["request"]["CreateFeatureGroup"]


def _key_index(setup: Mapping[str, Any], ref: str | None) -> int | None:
    for i, key in enumerate(setup["keys"]):
        if ref is not None and (ref == key["arn"] or key["arn"].endswith("/" + ref)):
            return i
    return None


def online_key_index(setup: Mapping[str, Any]) -> int | None:
    """Index in ``keys`` of the online store key of a setup dict (None without one)."""
    ref = _fg(setup).get("OnlineStoreConfig", {}).get("SecurityConfig", {}).get("KmsKeyId")
    return _key_index(setup, ref)


def offline_key_index(setup: Mapping[str, Any]) -> int | None:
    """Index in ``keys`` of the offline store key of a setup dict (None without one)."""
    ref = _fg(setup).get("OfflineStoreConfig", {}).get("S3StorageConfig", {}).get("KmsKeyId")
    return _key_index(setup, ref)


def _deny(setup: Mapping[str, Any], index: int, principal: str, action: str) -> dict[str, Any]:
    new = copy.deepcopy(dict(setup))
    new["keys"][index]["policy"]["Statement"].append(
        {"Sid": "NearMissDeny", "Effect": "Deny", "Principal": {"AWS": principal}, "Action": action, "Resource": "*"})
    return new


def make_asymmetric(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """Break FS-03: one of the keys becomes asymmetric (or HMAC)."""
    specs = (("RSA_2048", "ENCRYPT_DECRYPT"), ("ECC_NIST_P256", "SIGN_VERIFY"), ("HMAC_256", "GENERATE_VERIFY_MAC"))
    indexes = [i for i in (online_key_index(setup), offline_key_index(setup)) if i is not None]

    def apply(choice: tuple[int, tuple[str, str]]) -> dict[str, Any]:
        new = copy.deepcopy(setup)
        new["keys"][choice[0]]["keySpec"], new["keys"][choice[0]]["keyUsage"] = choice[1]
        return new

    return st.tuples(st.sampled_from(indexes), st.sampled_from(specs)).map(apply)


def take_from_caller(setup: dict[str, Any], actions: Sequence[str] = REQUIRED_ACTIONS
                     ) -> SearchStrategy[dict[str, Any]]:
    """Break FS-04 (or FS-09 with ``["kms:Decrypt"]``): deny the caller one action on the online key."""
    index = online_key_index(setup)
    if index is None:
        raise NotApplicable("the setup has no online store key")
    return st.sampled_from(tuple(actions)).map(lambda a: _deny(setup, index, setup["caller"], a))


def swap_via_service(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """Break FS-05: the kms:ViaService value names another service than SageMaker."""
    index = online_key_index(setup)
    if index is None:
        raise NotApplicable("the setup has no online store key")

    def apply(service: str) -> dict[str, Any]:
        new = copy.deepcopy(setup)
        for stmt in new["keys"][index]["policy"]["Statement"]:
            for entries in stmt.get("Condition", {}).values():
                for k in list(entries):
                    if k.lower() == "kms:viaservice":
                        entries[k] = f"{service}.*.amazonaws.com"
        return new

    return st.sampled_from(("forecast", "dynamodb", "s3", "aoss", "airflow")).map(apply)


def share_online_key(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """Break FS-06: the offline store uses the online key, whose policy has the kms:ViaService
    condition (and the role a statement on it under that condition); without an online store key,
    the offline key gets a statement allowing the role kms:GenerateDataKey under that condition."""
    new = copy.deepcopy(setup)
    fg = _fg(new)
    via = {"StringLike": {"kms:ViaService": VIA_PATTERN}}
    index = online_key_index(setup)
    if index is None:
        offline = offline_key_index(setup)
        if offline is None:
            raise NotApplicable("the setup has no offline store key")
        stmt = role_statement(fg["RoleArn"], condition=via)
        stmt["Sid"] = "Allow the role only through SageMaker"
        new["keys"][offline]["policy"]["Statement"].append(stmt)
        return st.just(new)
    key = new["keys"][index]
    fg.setdefault("OfflineStoreConfig", {"S3StorageConfig": {
        "S3Uri": f"s3://kms-conformance-offline/{fg['FeatureGroupName']}"}})
    fg["OfflineStoreConfig"]["S3StorageConfig"]["KmsKeyId"] = key["arn"]
    key["policy"]["Statement"].append(role_statement(fg["RoleArn"], condition=via))
    return st.just(new)


def take_from_role(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """Break FS-10: deny the RoleArn kms:GenerateDataKey on the offline key."""
    index = offline_key_index(setup)
    if index is None:
        raise NotApplicable("the setup has no offline store key")
    return st.just(_deny(setup, index, _fg(setup)["RoleArn"], "kms:GenerateDataKey"))


def add_sample_principal(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """Break FS-11: the page's sample administrator or user left in a key policy."""
    def apply(choice: tuple[int, str]) -> dict[str, Any]:
        new = copy.deepcopy(setup)
        stmt = admin_revoke_statement(choice[1])
        stmt["Sid"] = "Sample statement left as it was"
        new["keys"][choice[0]]["policy"]["Statement"].append(stmt)
        return new

    return st.tuples(st.integers(0, len(setup["keys"]) - 1), st.sampled_from(SAMPLE_PRINCIPALS[:2])).map(apply)


# --- behaviour examples ------------------------------------------------------------------------------

def administrator_examples() -> SearchStrategy[dict[str, Any]]:
    """The actions of the sample's administrators' statement: as the page has them, with one of
    them missing, or with a use of the key added. Example: ``{"actions": ["kms:Describe*",
    "kms:Get*", "kms:List*", "kms:RevokeGrant", "kms:Encrypt"]}``."""
    missing = st.sampled_from(ADMIN_ACTIONS).map(lambda a: [x for x in ADMIN_ACTIONS if x != a])
    extra = st.sampled_from(("kms:Encrypt", "kms:*", "kms:Create*")).map(lambda a: [*ADMIN_ACTIONS, a])
    return st.fixed_dictionaries({"actions": st.one_of(st.just(list(ADMIN_ACTIONS)), missing, extra)})


def widen_administrator(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """Break FS-13: the administrators' statement (added to the first key's policy when there is
    none) gives the administrator more than read-only access and RevokeGrant, or loses a read
    action."""

    def apply(choice: tuple[str | None, str | None]) -> dict[str, Any]:
        new = copy.deepcopy(setup)
        key = new["keys"][0]
        stmts = key["policy"]["Statement"]
        mine = [s for s in stmts if s.get("Sid") == admin_revoke_statement("")["Sid"]]
        if not mine:
            prefix = key["arn"].split(":")[4]
            stmts.append(admin_revoke_statement(f"arn:aws:iam::{prefix}:role/kms-key-administrator"))
            mine = [stmts[-1]]
        drop, extra = choice
        for stmt in mine:
            stmt["Action"] = [a for a in stmt["Action"] if a != drop] + ([extra] if extra else [])
        return new

    widen: SearchStrategy[tuple[str | None, str | None]] = st.sampled_from(
        ("kms:Encrypt", "kms:Decrypt", "kms:*", "kms:ScheduleKeyDeletion")).map(lambda a: (None, a))
    narrow: SearchStrategy[tuple[str | None, str | None]] = st.sampled_from(ADMIN_ACTIONS[:3]).map(lambda a: (a, None))
    return st.one_of(widen, narrow).map(apply)


def default_examples() -> SearchStrategy[dict[str, Any]]:
    """A feature group without KmsKeyId: online, offline or both stores."""
    return st.fixed_dictionaries({"stores": st.sampled_from(("online", "offline", "both"))})


def two_key_examples() -> SearchStrategy[dict[str, Any]]:
    """Different keys for the online and offline stores, with the sample policies."""
    return st.just({"policy": key_policy_template()})


def symmetric_examples() -> SearchStrategy[dict[str, Any]]:
    """A key of some KeySpec for the online or the offline store."""
    specs = st.sampled_from((("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"), ("RSA_2048", "ENCRYPT_DECRYPT"),
                             ("RSA_4096", "ENCRYPT_DECRYPT")))
    return st.fixed_dictionaries({"store": st.sampled_from(("online", "offline")), "spec": specs,
                                  "policy": st.just(key_policy_template())})


#: The stores of the feature group of a rule about the online store key: online only, or online and
#: offline (the offline store without a KmsKeyId), so that a target which cannot create one of the two
#: shapes is still judged on the other.
ONLINE_STORES: tuple[str, ...] = ("online", "both")


def online_stores() -> SearchStrategy[str]:
    """``"online"`` or ``"both"`` (:data:`ONLINE_STORES`)."""
    return st.sampled_from(ONLINE_STORES)


def missing_action_example(missing: str | None, source: str, stores: str = "online") -> dict[str, Any]:
    """The caller's permissions from the key policy (``source="key_policy"``) or from an IAM policy
    (``"iam"``, delegated by the root statement), without ``missing`` (None: all of them), for a
    group with ``stores`` (:data:`ONLINE_STORES`)."""
    actions = [a for a in REQUIRED_ACTIONS if a != missing]
    if source == "key_policy":
        return {"missing": missing, "source": source, "stores": stores,
                "policy": key_policy_template(caller_actions=actions)}
    return {"missing": missing, "source": source, "stores": stores, "policy": key_policy_template(caller=False),
            "caller_policy": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": actions, "Resource": "*",
                 "Condition": {"StringLike": {"kms:ViaService": VIA_PATTERN}}}]}}


def missing_action_examples() -> SearchStrategy[dict[str, Any]]:
    """:func:`missing_action_example` with one exercised action missing (or none)."""
    return st.tuples(st.one_of(st.none(), st.sampled_from(EXERCISED_ACTIONS)),
                     st.sampled_from(("key_policy", "iam")), online_stores()).map(lambda t: missing_action_example(*t))


def via_service_examples() -> SearchStrategy[dict[str, Any]]:
    """The sample statement with or without its kms:ViaService condition."""
    return st.booleans().map(lambda via: {"via": via, "policy": key_policy_template(via=via)})


def shared_key_examples() -> SearchStrategy[dict[str, Any]]:
    """One key for both stores; its statements with or without the kms:ViaService condition."""
    return st.booleans().map(lambda via: {"via": via, "policy": key_policy_template(via=via, role_via=via)})


def grant_count_examples() -> SearchStrategy[dict[str, Any]]:
    """How many feature groups share one online store key, and their stores."""
    return st.tuples(st.integers(1, 3), online_stores()).map(
        lambda t: {"groups": t[0], "stores": t[1], "policy": key_policy_template()})


def revoke_examples() -> SearchStrategy[dict[str, Any]]:
    """Which data plane operation runs after the feature group's grant is revoked, and the group's stores."""
    return st.tuples(st.sampled_from(("PutRecord", "GetRecord", "DeleteRecord")), online_stores()).map(
        lambda t: {"operation": t[0], "stores": t[1], "policy": key_policy_template()})


def data_plane_examples() -> SearchStrategy[dict[str, Any]]:
    """A data plane operation by a principal with or without kms:Decrypt on the online key; the group's
    stores."""
    return st.tuples(st.sampled_from(("PutRecord", "GetRecord", "DeleteRecord")), st.booleans(), online_stores()).map(
        lambda t: {"operation": t[0], "decrypt": t[1], "stores": t[2], "policy": key_policy_template()})


def service_permission_examples() -> SearchStrategy[dict[str, Any]]:
    """The caller, named in the key policy's sample statement, with or without IAM permission to
    use Feature Store (``sagemaker:CreateFeatureGroup``); the group's stores."""
    return st.tuples(st.booleans(), online_stores()).map(
        lambda t: {"allowed": t[0], "stores": t[1], "policy": key_policy_template(role=False)})


def offline_role_examples() -> SearchStrategy[dict[str, Any]]:
    """The RoleArn with or without kms:GenerateDataKey on the offline store key."""
    return st.booleans().map(lambda ok: {"generate": ok, "policy": key_policy_template(
        role_actions=("kms:GenerateDataKey", "kms:Decrypt") if ok else ("kms:Decrypt",))})


__all__ = [
    "ADMIN_ACTION", "ADMIN_ACTIONS", "EXERCISED_ACTIONS", "ONLINE_STORES", "REQUIRED_ACTIONS", "SAMPLE_ACTIONS",
    "SAMPLE_PRINCIPALS",
    "VIA_PATTERN",
    "add_sample_principal", "admin_revoke_statement", "administrator_examples", "caller_statement",
    "data_plane_examples",
    "default_examples", "feature_group_request", "feature_store_setups", "grant_count_examples",
    "key_policy_template", "make_asymmetric", "missing_action_example", "missing_action_examples", "offline_key_index",
    "offline_role_examples", "online_key_index", "online_stores", "revoke_examples", "role_statement",
    "service_permission_examples",
    "share_online_key",
    "shared_key_examples", "swap_via_service", "symmetric_examples", "take_from_caller", "take_from_role",
    "two_key_examples", "via_service_examples", "widen_administrator",
]
