"""Find and remove what earlier runs left behind in an account (``kms-conformance sweep``).

A run cleans up in ``finally``; a run killed mid-way (SIGKILL, a lost CI runner) cannot. The sweep
finds the kit's resources by their tags (:mod:`conformance.resources`) and removes those older
than ``--older-than`` hours, in the order AWS needs: aliases and grants before their key, which is
scheduled for deletion with the shortest window KMS allows (7 days, "ScheduleKeyDeletion"),
inline policies before their role, collections before the security policies that match them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from conformance.resources import CREATED_TAG, NAME_PREFIX, RUN_TAG, created_at

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
    """Every leftover older than the cutoff, in the order it must be removed."""
    cutoff = (now or datetime.now(UTC)) - timedelta(hours=older_than_hours)
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
    iam = clients("iam")
    for role in _pages(iam, "list_roles", "Roles"):
        name = role["RoleName"]
        try:
            tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=name).get("Tags", [])}
        except Exception:
            continue
        if _old_enough(tags, cutoff):
            actions.append(SweepAction("iam", "role", name, tags[RUN_TAG], tags.get(CREATED_TAG, "")))
    actions.extend(_plan_aoss(clients, cutoff))
    return actions


def _plan_aoss(clients: ClientFactory, cutoff: datetime) -> list[SweepAction]:
    """Collections are tagged; security policies take no tags, so they go by name prefix and age."""
    try:
        aoss = clients("opensearchserverless")
        collections = aoss.list_collections().get("collectionSummaries", [])
    except Exception:  # the service is not offered at this endpoint
        return []
    actions = []
    for coll in collections:
        if not coll.get("name", "").startswith(NAME_PREFIX):
            continue
        actions.append(SweepAction("opensearchserverless", "collection", coll["id"], "?", ""))
    for kind in ("encryption", "network"):
        try:
            policies = aoss.list_security_policies(type=kind).get("securityPolicySummaries", [])
        except Exception:
            continue
        for pol in policies:
            created_ms = pol.get("createdDate")
            created = datetime.fromtimestamp(created_ms / 1000, UTC) if created_ms else None
            if pol.get("name", "").startswith(NAME_PREFIX) and (created is None or created <= cutoff):
                actions.append(SweepAction("opensearchserverless", f"{kind}-policy", pol["name"], "?",
                                           created.isoformat() if created else ""))
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
    elif action.kind == "collection":
        clients("opensearchserverless").delete_collection(id=action.ident)
    else:
        clients("opensearchserverless").delete_security_policy(name=action.ident, type=action.kind.split("-")[0])
