"""How the kit marks what it creates in an account, so cleanup and ``sweep`` find it again.

DESIGN.md principle 5: every resource the kit creates carries the tags ``kms-conformance:run-id``
and ``kms-conformance:created`` (ISO 8601 UTC), or, where a resource takes no tags at creation
(OpenSearch Serverless security policies), a name that starts with :data:`NAME_PREFIX`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

RUN_TAG = "kms-conformance:run-id"
CREATED_TAG = "kms-conformance:created"
#: Name prefix of resources that cannot be tagged at creation. Lowercase, short: AOSS collection
#: names are 3-32 characters of [a-z0-9-].
NAME_PREFIX = "kmsc-"


def creation_tags(run_id: str, now: datetime | None = None) -> dict[str, str]:
    """The two tags, as a ``{key: value}`` mapping."""
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {RUN_TAG: run_id, CREATED_TAG: stamp}


def kms_tags(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """KMS's tag shape (``TagKey``/``TagValue``)."""
    return [{"TagKey": k, "TagValue": v} for k, v in tags.items()]


def iam_tags(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """IAM's tag shape (``Key``/``Value``)."""
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def created_at(tags: Mapping[str, str]) -> datetime | None:
    """When the kit created a resource, from its tags; None when the tag is missing or malformed."""
    raw = tags.get(CREATED_TAG)
    if not raw:
        return None
    try:
        return datetime.strptime(raw, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None
