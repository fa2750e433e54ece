"""Find and remove what earlier runs left behind in an account (``kms-conformance sweep``).

A run cleans up in ``finally``; a run killed mid-way (SIGKILL, a lost CI runner) cannot. The sweep
finds the kit's resources as the table :data:`kms_conformance.resources.KINDS` says (by their run
tags, or, for what takes no tags, by name prefix and age) and removes those older than
``--older-than`` hours, in the table's order: the services' resources first (OpenSearch Serverless
collections, then the security policies that match them; SageMaker feature groups; MWAA
environments; Forecast dataset groups, then datasets), then KMS aliases and grants before their key,
which is scheduled for deletion with the shortest window KMS allows (7 days, "ScheduleKeyDeletion"),
and last IAM roles, their policies before them.

What it finds: tagged KMS keys, IAM roles, AOSS collections, feature groups and MWAA environments;
by name prefix and age, what takes no tags or is not tagged by the target: AOSS security policies
(``kmsc-...`` and the service's ``auto-kmsc-...``) and Forecast dataset groups and datasets (``kmsc_...``).
A resource tagged with a run id but no creation time is as old as the run the id names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from kms_conformance.resources import (
    CREATED_TAG,
    KINDS,
    RUN_TAG,
    ClientFactory,
    Finder,
    Kind,
    call_operation,
    created_at,
    kind_named,
    remove,
)
from kms_conformance.scrub import scrub_text


@dataclass(frozen=True)
class SweepAction:
    """One removal: what (``service``/``kind``/``ident``, the identifier fields in ``fields``), why
    (run id, age), and the kind of the table that says how to remove it (``table_kind``)."""

    service: str
    kind: str
    ident: str
    run_id: str
    created: str
    fields: tuple[tuple[str, str], ...]
    table_kind: str

    def describe(self) -> str:
        return f"{self.service} {self.kind} {self.ident} (run {self.run_id}, created {self.created})"


def _pages(client: Any, finder: Finder, params: Mapping[str, Any]) -> Iterator[Any]:
    """The items of a list call: botocore's paginator, or ``nextToken`` where botocore has no
    paginator (OpenSearch Serverless)."""
    from botocore import xform_name

    if not finder.next_token:
        for page in client.get_paginator(xform_name(finder.operation)).paginate(**params):
            yield from page.get(finder.items, [])
        return
    token: str | None = None
    while True:
        page = call_operation(client, finder.operation, {**params, **({"nextToken": token} if token else {})})
        yield from page.get(finder.items, [])
        token = page.get("nextToken")
        if not token:
            return


def _stamp(value: Any) -> datetime | None:
    """A creation time as the APIs give it: a datetime (botocore's timestamps) or epoch milliseconds (AOSS)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, UTC)
    return None


def _ident(finder: Finder, item: Any, parent: Mapping[str, str]) -> dict[str, str]:
    ident = {}
    for name, source in finder.ident.items():
        if source.startswith("="):
            ident[name] = source[1:]
        elif source.startswith("parent."):
            ident[name] = parent[source[len("parent."):]]
        elif source.startswith("arn:"):
            ident[name] = str(item[source[len("arn:"):]]).rsplit("/", 1)[-1]
        else:
            ident[name] = str(item[source] if source else item)
    return ident


def _why(finder: Finder, client: Any, record: Any, cutoff: datetime) -> tuple[str, str] | None:
    """(run id, created) when the record is the kit's and old enough, else None."""
    if finder.tags is not None:
        read = finder.tags
        raw = (call_operation(client, read.operation, {p: record[f] for p, f in read.params.items()})
               if read.operation else record).get(read.key)
        tags = read.shape.read(raw)
        when = created_at(tags)
        if RUN_TAG not in tags or when is None or when > cutoff:
            return None
        return tags[RUN_TAG], tags.get(CREATED_TAG, "")
    created = _stamp(record.get(finder.created))
    name = str(record.get(finder.name, ""))
    if not name.startswith(finder.prefixes) or created is None or created > cutoff:
        return None
    return "?", created.isoformat()


def _find(clients: ClientFactory, kind: Kind, finder: Finder, cutoff: datetime,
          parent: tuple[Mapping[str, str], str, str] | None = None) -> list[SweepAction]:
    """The leftovers one finder finds, each preceded by those found within it (a key's aliases and grants)."""
    try:
        client = clients(finder.service or kind.service)
        params = {**finder.params, **({p: parent[0][f] for p, f in finder.parent.items()} if parent else {})}
        items = list(_pages(client, finder, params))
    except Exception:
        if finder.optional:  # the endpoint lacks the service or the call
            return []
        raise
    actions: list[SweepAction] = []
    for item in items:
        ident = _ident(finder, item, parent[0] if parent else {})
        if parent is not None:
            why: tuple[str, str] | None = parent[1:]
            record = item
        else:
            try:
                record = item
                if finder.detail is not None:
                    operation, detail_params, key = finder.detail
                    try:
                        record = call_operation(clients(kind.service), operation,
                                                {p: ident[f] for p, f in detail_params.items()})[key]
                    except Exception:  # not readable in full: the tags alone say whether it is the kit's
                        record = {**item, **ident} if finder.tags is not None else None
                    if record is None:
                        continue
                if any(record.get(f) in values for f, values in finder.skip.items()):
                    continue
                if any(not record.get(f) for f in finder.require):
                    continue
                why = _why(finder, clients(kind.service) if finder.tags and finder.tags.operation else client,
                           record, cutoff)
            except Exception:  # a resource we may not read is not ours to sweep
                continue
        if why is None:
            continue
        if parent is None:
            for child in KINDS:
                for inner in child.find:
                    if inner.within == kind.name and child.service == kind.service:
                        actions.extend(_find(clients, child, inner, cutoff, (ident, *why)))
        actions.append(SweepAction(kind.service, finder.label or kind.name, kind.show(ident), why[0], why[1],
                                   tuple(ident.items()), kind.name))
    return actions


def plan_sweep(clients: ClientFactory, *, older_than_hours: float, now: datetime | None = None) -> list[SweepAction]:
    """Every leftover older than the cutoff, in the order it must be removed (the order of
    :data:`kms_conformance.resources.KINDS`)."""
    cutoff = (now or datetime.now(UTC)) - timedelta(hours=older_than_hours)
    actions: list[SweepAction] = []
    seen: set[tuple[str, str, tuple[tuple[str, str], ...]]] = set()
    for kind in KINDS:
        for finder in kind.find:
            if not finder.within:
                for action in _find(clients, kind, finder, cutoff):  # a resource two finders find: once
                    if (action.service, action.table_kind, action.fields) not in seen:
                        seen.add((action.service, action.table_kind, action.fields))
                        actions.append(action)
    return actions


def execute(clients: ClientFactory, actions: Iterable[SweepAction], *,
            report: Callable[[str], None] = print, left: list[dict[str, str]] | None = None) -> int:
    """Carry out the plan; returns how many removals failed (each failure is reported, credentials
    scrubbed; none stops it), and adds each to ``left`` as ``{"kind", "id", "error"}``."""
    failures = 0
    for action in actions:
        try:
            remove(clients, kind_named(action.service, action.table_kind), dict(action.fields))
            report(f"removed {action.describe()}")
        except Exception as exc:
            failures += 1
            error = scrub_text(str(exc))
            report(f"FAILED  {action.describe()}: {error}")
            if left is not None:
                left.append({"kind": f"{action.service} {action.kind}", "id": action.ident, "error": error})
    return failures
