"""Find and remove what earlier runs left behind in an account (``kms-conformance sweep``).

A run cleans up in ``finally``; a run killed mid-way (SIGKILL, a lost CI runner) cannot. The sweep
finds the kit's resources as the table :data:`kms_conformance.resources.KINDS` says (by their run
tags, or, for what takes no tags, by name prefix and age) and removes those older than
``--older-than`` hours, in the table's order: the services' resources first (OpenSearch Serverless
collections, then the security policies that match them; SageMaker feature groups; MWAA
environments; Forecast dataset groups, then datasets), then KMS aliases and grants before their key,
which is scheduled for deletion with the shortest window KMS allows (7 days, "ScheduleKeyDeletion"),
and last IAM roles, their policies before them.

What it finds: the kit's tagged KMS keys, AOSS collections, feature groups, MWAA environments and
Forecast dataset groups and datasets, first by run tag through the Resource Groups Tagging API, then
by each kind's list call (where the endpoint's tagging API lacks the service); IAM roles by ListRoles
and their tags (IAM is not in the tagging API); by name prefix and age, what takes no tags or was not
tagged: AOSS security policies (``kmsc-...`` and the service's ``auto-kmsc-...``) and Forecast
resources (``kmsc_...``). A resource tagged with a run id but no creation time is as old as the run
the id names. What it reports, per kind (:func:`by_kind`): removed, left (with the error), skipped
(with why: created after the cutoff, or a finder the endpoint does not answer).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class Skipped:
    """A kind the sweep could not search (``ident`` empty), or one of the kit's resources it left on
    purpose (created after the cutoff), and why."""

    service: str
    kind: str
    ident: str
    run_id: str
    why: str

    def describe(self) -> str:
        what = f"{self.service} {self.kind}" + (f" {self.ident}" if self.ident else "")
        return f"{what} (run {self.run_id}): {self.why}" if self.run_id else f"{what}: {self.why}"


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


def _why(finder: Finder, client: Any, record: Any, item: Any, cutoff: datetime) -> tuple[str, str, bool] | None:
    """(run id, created, old enough) when the record is the kit's, else None. Tags without a call to
    read them are the record's, else the found item's (GetResources gives them with the ARN)."""
    if finder.tags is not None:
        read = finder.tags
        if read.operation:
            raw = call_operation(client, read.operation, {p: record[f] for p, f in read.params.items()}).get(read.key)
        else:
            raw = record.get(read.key) or (item.get(read.key) if isinstance(item, Mapping) else None)
        tags = read.shape.read(raw)
        when = created_at(tags)
        if RUN_TAG not in tags or when is None:
            return None
        return tags[RUN_TAG], tags.get(CREATED_TAG, "") or when.isoformat(), when <= cutoff
    created = _stamp(record.get(finder.created))
    name = str(record.get(finder.name, ""))
    if not name.startswith(finder.prefixes) or created is None:
        return None
    return "?", created.isoformat(), created <= cutoff


class _NotSearched(Exception):
    """An optional finder's list call failed: the endpoint lacks the service or the call."""


@dataclass
class _Plan:
    """What planning has gathered so far: the removals, what was skipped, and the resources already
    judged by an earlier finder (a resource two finders find is judged once: the first decides)."""

    cutoff: datetime
    actions: list[SweepAction] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    judged: set[tuple[str, str, tuple[tuple[str, str], ...]]] = field(default_factory=set)


def _read(clients: ClientFactory, kind: Kind, finder: Finder, item: Any,
          ident: dict[str, str]) -> Any:
    """The record an item is judged by (the item, or its ``detail`` read in full; None: not readable
    and no tags to judge it by); fills ``ident`` from the detail (``from_detail``)."""
    if finder.detail is None:
        return item
    operation, detail_params, key = finder.detail
    try:
        response = call_operation(clients(kind.service), operation, {p: ident[f] for p, f in detail_params.items()})
    except Exception:  # not readable in full: the tags alone say whether it is the kit's
        return {**item, **ident} if finder.tags is not None else None
    record = response[key] if key else response
    ident.update({name: str(record[source]) for name, source in finder.from_detail.items() if record.get(source)})
    return record


def _find(clients: ClientFactory, kind: Kind, finder: Finder, plan: _Plan,
          parent: tuple[Mapping[str, str], str, str] | None = None) -> list[SweepAction]:
    """The leftovers one finder finds, each preceded by those found within it (a key's aliases and
    grants); the kit's resources too young to sweep go to ``plan.skipped``."""
    try:
        client = clients(finder.service or kind.service)
        params = {**finder.params, **({p: parent[0][f] for p, f in finder.parent.items()} if parent else {})}
        items = list(_pages(client, finder, params))
    except Exception as exc:
        if finder.optional:  # the endpoint lacks the service or the call
            first = scrub_text(str(exc)).splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise _NotSearched(f"{finder.operation}: {first}") from None
        raise
    label = finder.label or kind.name
    actions: list[SweepAction] = []
    for item in items:
        ident = _ident(finder, item, parent[0] if parent else {})
        if parent is not None:
            why: tuple[str, str, bool] | None = (*parent[1:], True)
        else:
            try:
                record = _read(clients, kind, finder, item, ident)
                seen = (kind.service, kind.name, tuple((f, ident.get(f, "")) for f in kind.ident))
                if record is None or seen in plan.judged:
                    continue
                if any(record.get(f) in values for f, values in finder.skip.items()):
                    plan.judged.add(seen)  # already going
                    continue
                if any(not record.get(f) for f in finder.require):
                    continue
                why = _why(finder, clients(kind.service) if finder.tags and finder.tags.operation else client,
                           record, item, plan.cutoff)
            except Exception:  # a resource we may not read is not ours to sweep
                continue
            if why is not None:
                plan.judged.add(seen)
        if why is None:
            continue
        if not why[2]:
            plan.skipped.append(Skipped(kind.service, label, kind.show(ident), why[0],
                                        f"created {why[1]}, after the cutoff {plan.cutoff:%Y-%m-%dT%H:%M:%SZ}"))
            continue
        if parent is None:
            for child in KINDS:
                for inner in child.find:
                    if inner.within == kind.name and child.service == kind.service:
                        actions.extend(_find(clients, child, inner, plan, (ident, why[0], why[1])))
        actions.append(SweepAction(kind.service, label, kind.show(ident), why[0], why[1],
                                   tuple(ident.items()), kind.name))
    return actions


def plan_sweep(clients: ClientFactory, *, older_than_hours: float, now: datetime | None = None,
               skipped: list[Skipped] | None = None) -> list[SweepAction]:
    """Every leftover older than the cutoff, in the order it must be removed (the order of
    :data:`kms_conformance.resources.KINDS`). Each kind is looked for by run tag through the
    Resource Groups Tagging API, then by its own list call; a resource both find is judged once.
    Added to ``skipped``: the kit's resources created after the cutoff, and each kind some finder
    could not search, with the calls the endpoint did not answer (``id`` empty; "not searched" when
    no finder could)."""
    plan = _Plan((now or datetime.now(UTC)) - timedelta(hours=older_than_hours))
    for kind in KINDS:
        unsearched: dict[str, list[str]] = {}
        searched: dict[str, list[str]] = {}
        for finder in kind.find:
            if finder.within:
                continue
            label = finder.label or kind.name
            try:
                found = _find(clients, kind, finder, plan)
            except _NotSearched as exc:
                unsearched.setdefault(label, []).append(str(exc))
                continue
            searched.setdefault(label, []).append(finder.operation)
            plan.actions.extend(found)
        for label, whys in unsearched.items():
            done = f"searched by {', '.join(searched[label])} only" if label in searched else "not searched"
            plan.skipped.append(Skipped(kind.service, label, "", "",
                                        f"{done}: the endpoint does not answer " + "; ".join(whys)))
    if skipped is not None:
        skipped.extend(plan.skipped)
    return plan.actions


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


def by_kind(actions: Iterable[SweepAction], left: Iterable[Mapping[str, str]], skipped: Iterable[Skipped], *,
            dry_run: bool = False) -> list[dict[str, Any]]:
    """The sweep's outcome per kind, in the order the kinds were met (removals first, then the kinds
    only skipped): ``service``, ``kind``, ``planned`` (removals planned), ``removed`` (0 on a dry
    run), ``left`` (``{"id", "error"}`` of each removal that failed), ``skipped`` (``{"id", "run_id",
    "why"}``; ``id`` empty: the kind itself was not searched)."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}

    def row(service: str, kind: str) -> dict[str, Any]:
        return rows.setdefault((service, kind), {"service": service, "kind": kind, "planned": 0, "removed": 0,
                                                 "left": [], "skipped": []})

    failed = {(entry["kind"], entry["id"]): entry["error"] for entry in left}
    for action in actions:
        counts = row(action.service, action.kind)
        counts["planned"] += 1
        error = failed.get((f"{action.service} {action.kind}", action.ident))
        if error is not None:
            counts["left"].append({"id": action.ident, "error": error})
        elif not dry_run:
            counts["removed"] += 1
    for skip in skipped:
        row(skip.service, skip.kind)["skipped"].append({"id": skip.ident, "run_id": skip.run_id, "why": skip.why})
    return list(rows.values())
