"""``kms-conformance rules``: the rule catalogue, as a table or as JSON."""

from __future__ import annotations

import argparse
import json
from typing import Any

from kms_conformance.errors import UsageError
from kms_conformance.rules import Rule


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "rules", help="list the rules (id, severity, kind, service, title)",
        description="List the rule catalogue: every normative statement of the documentation pages the kit "
                    "checks. --json prints id, title, doc, page (English title, URL, language), section, quote, "
                    "quote_en (the kit's English rendering of a translated page's quote), severity, kind and "
                    "operations.")
    p.add_argument("--doc", action="append", default=[], metavar="DOC",
                   help="only rules of this page: short name (forecast, mwaa, ...) or file name; repeatable")
    p.add_argument("--severity", choices=("must", "should"))
    p.add_argument("--kind", choices=("config", "behavior"))
    p.add_argument("--service", choices=("forecast", "feature-store", "opensearch-serverless", "mwaa", "kms"))
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    p.set_defaults(func=main)


def load_catalogue() -> tuple[Rule, ...]:
    """The whole catalogue. A spec module that cannot be imported is an incomplete installation: say
    which one, and fail (exit 2), rather than list or check a catalogue with rules silently missing."""
    from kms_conformance.rules import catalogue

    try:
        return catalogue()
    except ImportError as exc:
        raise UsageError(f"the rule catalogue cannot be loaded: {type(exc).__name__}: {exc}") from None


def table(rules: tuple[Rule, ...]) -> str:
    """The default listing: a plain-text table, one rule a line."""
    header = ("ID", "SEVERITY", "KIND", "SERVICE", "TITLE")
    rows = [(r.id, r.severity, "+".join(r.kinds), r.service, r.title) for r in rules]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row[:4], widths, strict=True)) + "  " + row[4]
             for row in [header, *rows]]
    return "\n".join(lines)


def sources(rules: tuple[Rule, ...]) -> str:
    """The pages the listed rules cite, each with its English title and URL (one a line)."""
    from kms_conformance.documents import cited_as

    docs = list(dict.fromkeys(r.citation.doc for r in rules))
    return "\n".join(["Sources:", *(f"  {cited_as(d)}" for d in docs)]) if docs else ""


def main(args: argparse.Namespace) -> int:
    from kms_conformance.rules import select

    try:
        rules = select(load_catalogue(), docs=args.doc, severity=args.severity, kind=args.kind,
                       service=args.service)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        print(json.dumps([r.summary() for r in rules], indent=2, ensure_ascii=False))
    else:
        print(table(rules))
        print(f"{len(rules)} rule(s)")
        if rules:
            print(sources(rules))
    return 0
