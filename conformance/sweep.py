"""Find and remove what earlier runs left behind in an account (``kms-conformance sweep``).

A run cleans up in ``finally``; a run killed mid-way (SIGKILL, a lost CI runner) cannot. The sweep
finds the kit's resources by their tags (:mod:`kms_conformance.resources`) and removes those older
than ``--older-than`` hours, in the order AWS needs: the services' resources first (OpenSearch
Serverless collections, then the security policies that match them; SageMaker feature groups; MWAA
environments; Forecast dataset groups, then datasets), then KMS aliases and grants before their key,
which is scheduled for deletion with the shortest window KMS allows (7 days, "ScheduleKeyDeletion"),
and last IAM roles, inline policies before their role.

What it finds: tagged KMS keys, IAM roles, AOSS collections, feature groups and MWAA environments;
by name prefix and age, what takes no tags or is not tagged by the target: AOSS security policies
(``kmsc-...`` and the service's ``auto-kmsc-...``) and Forecast dataset groups and datasets (``kmsc_...``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from kms_conformance.resources import CREATED_TAG, NAME_PREFIX, RUN_TAG, created_at

#: The shortest pending window ScheduleKeyDeletion accepts ("ScheduleKeyDeletion", PendingWindowInDays 7-30).
KEY_DELETION_WINDOW_DAYS = 7


@dataclass(frozen=True)
class SweepAction:
    """One removal: what (``service``/``kind``/``ident``), why (run id, age), and the call that does it."""

    service: str
    kind: str
    ident: str
    run_id: str
    created: str

    def describe(self) -> str:
        return f"{self.service} {self.kind} {self.ident} (run {self.run_id}, created {self.created})"


ClientFactory = Callable[[str], Any]


def _old_enough(tags: dict[str, str], cutoff: datetime) -> bool:
    when = created_at(tags)
    return RUN_TAG in tags and when is not None and when <= cutoff


def _pages(client: Any, operation: str, key: str, **params: Any) -> Iterable[Any]:
    paginator = client.get_paginator(operation)
    for page in paginator.paginate(**params):
        yield from page.get(key, [])


def plan_sweep(clients: ClientFactory, *, older_than_hours: float, now: datetime | None = None) -> list[SweepAction]:
    """Every leftover older than the cutoff, in the order it must be removed: the services' resources
    first (they hold grants on, and name, the keys and roles), then KMS aliases, grants and keys,
    then IAM roles."""
    cutoff = (now or datetime.now(UTC)) - timedelta(hours=older_than_hours)
    actions: list[SweepAction] = []
    actions.extend(_plan_aoss(clients, cutoff))
    actions.extend(_plan_feature_groups(clients, cutoff))
    actions.extend(_plan_mwaa(clients, cutoff))
    actions.extend(_plan_forecast(clients, cutoff))
    actions.extend(_plan_kms(clients, cutoff))
    actions.extend(_plan_iam(clients, cutoff))
    return actions


def _plan_kms(clients: ClientFactory, cutoff: datetime) -> list[SweepAction]:
    """Tagged customer managed keys not yet pending deletion: their aliases and grants, then the key."""
    actions: list[SweepAction] = []
    kms = clients("kms")
    for key in _pages(kms, "list_keys", "Keys"):
        key_id = key["KeyId"]
        try:
            meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
            if meta.get("KeyManager") == "AWS" or meta.get("KeyState") == "PendingDeletion":
                continue
            tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key_id).get("Tags", [])}
        except Exception:  # a key we may not read is not ours to sweep
            continue
        if not _old_enough(tags, cutoff):
            continue
        run_id, created = tags[RUN_TAG], tags.get(CREATED_TAG, "")
        for alias in _pages(kms, "list_aliases", "Aliases", KeyId=key_id):
            actions.append(SweepAction("kms", "alias", alias["AliasName"], run_id, created))
        for grant in _pages(kms, "list_grants", "Grants", KeyId=key_id):
            actions.append(SweepAction("kms", "grant", f"{key_id}/{grant['GrantId']}", run_id, created))
        actions.append(SweepAction("kms", "key", key_id, run_id, created))
    return actions


def _plan_iam(clients: ClientFactory, cutoff: datetime) -> list[SweepAction]:
    """Tagged roles (their inline policies go with them, see :func:`_execute_one`)."""
    actions: list[SweepAction] = []
    iam = clients("iam")
    for role in _pages(iam, "list_roles", "Roles"):
        name = role["RoleName"]
        try:
            tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=name).get("Tags", [])}
        except Exception:
            continue
        if _old_enough(tags, cutoff):
            actions.append(SweepAction("iam", "role", name, tags[RUN_TAG], tags.get(CREATED_TAG, "")))
    return actions


def _stamp(value: Any) -> datetime | None:
    """A creation time as the APIs give it: a datetime (botocore's timestamps) or epoch milliseconds (AOSS)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, UTC)
    return None


def _aoss_policy_ours(name: str) -> bool:
    """The kit's encryption policies (``kmsc-...``) and those the service made for its collections
    (``auto-kmsc-...``, AOSS-11: an ``auto-<collection-name>`` policy, cut to 32 characters)."""
    return name.startswith(NAME_PREFIX) or name.startswith(f"auto-{NAME_PREFIX}")


def _plan_aoss(clients: ClientFactory, cutoff: datetime) -> list[SweepAction]:
    """Collections are tagged (the boto target tags CreateCollection); security policies take no tags,
    so they go by name prefix and age (``createdDate``). Collections before the policies that match
    them (DeleteSecurityPolicy refuses a policy a collection still uses)."""
    try:
        aoss = clients("opensearchserverless")
        collections = list(_aoss_pages(aoss, "list_collections", "collectionSummaries"))
    except Exception:  # the service is not offered at this endpoint
        return []
    actions = []
    for coll in collections:
        if coll.get("status") == "DELETING" or not coll.get("arn"):
            continue
        try:
            tags = {t["key"]: t["value"] for t in aoss.list_tags_for_resource(resourceArn=coll["arn"]).get("tags", [])}
        except Exception:
            continue
        if _old_enough(tags, cutoff):
            actions.append(SweepAction("opensearchserverless", "collection", coll["id"], tags[RUN_TAG],
                                       tags.get(CREATED_TAG, "")))
    for kind in ("encryption", "network"):
        try:
            policies = list(_aoss_pages(aoss, "list_security_policies", "securityPolicySummaries", type=kind))
        except Exception:
            continue
        for pol in policies:
            created = _stamp(pol.get("createdDate"))
            if _aoss_policy_ours(pol.get("name", "")) and (created is None or created <= cutoff):
                actions.append(SweepAction("opensearchserverless", f"{kind}-policy", pol["name"], "?",
                                           created.isoformat() if created else ""))
    return actions


def _aoss_pages(client: Any, operation: str, key: str, **params: Any) -> Iterable[Any]:
    """OpenSearch Serverless lists page by ``nextToken`` and botocore has no paginator for them."""
    token: str | None = None
    while True:
        page = getattr(client, operation)(**params, **({"nextToken": token} if token else {}))
        yield from page.get(key, [])
        token = page.get("nextToken")
        if not token:
            return


def _plan_feature_groups(clients: ClientFactory, cutoff: datetime) -> list[SweepAction]:
    """SageMaker feature groups the boto target tagged at CreateFeatureGroup (tags read by ListTags)."""
    try:
        sagemaker = clients("sagemaker")
        groups = list(_pages(sagemaker, "list_feature_groups", "FeatureGroupSummaries"))
    except Exception:  # not offered at this endpoint (moto has no ListFeatureGroups)
        return []
    actions = []
    for group in groups:
        if group.get("FeatureGroupStatus") == "Deleting":
            continue
        try:
            raw = sagemaker.list_tags(ResourceArn=group["FeatureGroupArn"]).get("Tags", [])
        except Exception:
            continue
        tags = {t["Key"]: t["Value"] for t in raw}
        if _old_enough(tags, cutoff):
            actions.append(SweepAction("sagemaker", "feature-group", group["FeatureGroupName"], tags[RUN_TAG],
                                       tags.get(CREATED_TAG, "")))
    return actions


def _plan_mwaa(clients: ClientFactory, cutoff: datetime) -> list[SweepAction]:
    """MWAA environments the boto target tagged at CreateEnvironment (tags read by GetEnvironment)."""
    try:
        mwaa = clients("mwaa")
        names = list(_pages(mwaa, "list_environments", "Environments"))
    except Exception:  # not offered at this endpoint (moto has no MWAA)
        return []
    actions = []
    for name in names:
        try:
            env = mwaa.get_environment(Name=name)["Environment"]
        except Exception:
            continue
        tags = dict(env.get("Tags") or {})
        if env.get("Status") != "DELETING" and _old_enough(tags, cutoff):
            actions.append(SweepAction("mwaa", "environment", name, tags[RUN_TAG], tags.get(CREATED_TAG, "")))
    return actions


#: Forecast names take no hyphen (``^[a-zA-Z][a-zA-Z0-9_]*``): the kit's start ``kmsc_``.
FORECAST_PREFIX = NAME_PREFIX.replace("-", "_")
#: What the sweep lists in Forecast, in removal order: DeleteResourceTree on a dataset group removes its
#: predictors, forecasts, explainabilities and export jobs, on a dataset its import jobs
#: ("DeleteResourceTree", Amazon Forecast API Reference). (list operation, list key, name, ARN, kind)
_FORECAST_KINDS: tuple[tuple[str, str, str, str, str], ...] = (
    ("list_dataset_groups", "DatasetGroups", "DatasetGroupName", "DatasetGroupArn", "dataset-group"),
    ("list_datasets", "Datasets", "DatasetName", "DatasetArn", "dataset"),
)


def _plan_forecast(clients: ClientFactory, cutoff: datetime) -> list[SweepAction]:
    """Forecast dataset groups and datasets by name prefix and ``CreationTime`` (the boto target does
    not tag Forecast resources); each kind is skipped quietly where the endpoint lacks it."""
    try:
        forecast = clients("forecast")
    except Exception:
        return []
    actions = []
    for operation, key, name_field, arn_field, kind in _FORECAST_KINDS:
        try:
            items = list(_pages(forecast, operation, key))
        except Exception:  # moto implements dataset groups only
            continue
        for item in items:
            created = _stamp(item.get("CreationTime"))
            if str(item.get(name_field, "")).startswith(FORECAST_PREFIX) and created is not None and created <= cutoff:
                actions.append(SweepAction("forecast", kind, item[arn_field], "?", created.isoformat()))
    return actions


def execute(clients: ClientFactory, actions: Iterable[SweepAction], *,
            report: Callable[[str], None] = print) -> int:
    """Carry out the plan; returns how many removals failed (each failure is reported, none stops it)."""
    failures = 0
    for action in actions:
        try:
            _execute_one(clients, action)
            report(f"removed {action.describe()}")
        except Exception as exc:
            failures += 1
            report(f"FAILED  {action.describe()}: {exc}")
    return failures


def _execute_one(clients: ClientFactory, action: SweepAction) -> None:
    if action.service == "kms":
        kms = clients("kms")
        if action.kind == "alias":
            kms.delete_alias(AliasName=action.ident)
        elif action.kind == "grant":
            key_id, grant_id = action.ident.split("/", 1)
            kms.revoke_grant(KeyId=key_id, GrantId=grant_id)
        else:
            kms.schedule_key_deletion(KeyId=action.ident, PendingWindowInDays=KEY_DELETION_WINDOW_DAYS)
    elif action.service == "iam":
        iam = clients("iam")
        for name in iam.list_role_policies(RoleName=action.ident).get("PolicyNames", []):
            iam.delete_role_policy(RoleName=action.ident, PolicyName=name)
        iam.delete_role(RoleName=action.ident)
    elif action.service == "sagemaker":
        clients("sagemaker").delete_feature_group(FeatureGroupName=action.ident)
    elif action.service == "mwaa":
        clients("mwaa").delete_environment(Name=action.ident)
    elif action.service == "forecast":
        clients("forecast").delete_resource_tree(ResourceArn=action.ident)
    elif action.kind == "collection":
        clients("opensearchserverless").delete_collection(id=action.ident)
    else:
        clients("opensearchserverless").delete_security_policy(name=action.ident, type=action.kind.split("-")[0])
