"""``kms-conformance report render|compare``: render a report.json in another format; compare two."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from kms_conformance.errors import UsageError


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "report", help="render a report.json as html, md or junit; compare two reports",
        description="Work with report.json files (schema kms-conformance/report@1).")
    sub = p.add_subparsers(dest="report_command", metavar="ACTION")
    r = sub.add_parser("render", help="render a report.json as html, md, junit (or json)",
                       description="Render a report.json in another format; stdout unless -o.")
    r.add_argument("file", metavar="FILE", help="a report.json")
    r.add_argument("--format", "-f", required=True, choices=("html", "md", "junit", "json"))
    r.add_argument("-o", "--output", metavar="OUT", help="write here (refuses to overwrite without --force)")
    r.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    r.set_defaults(func=render_main)
    c = sub.add_parser("compare", help="what changed between two reports; exit 1 on a regression",
                       description="Regressions (conformant -> nonconformant or error), fixes, newly unsupported, "
                                   "new and removed rules. Exit 1 on a regression, 0 otherwise.")
    c.add_argument("old", metavar="OLD.json")
    c.add_argument("new", metavar="NEW.json")
    c.add_argument("--json", action="store_true", help="print the comparison as JSON")
    c.set_defaults(func=compare_main)
    p.set_defaults(func=lambda _args: _usage(p))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def render_main(args: argparse.Namespace) -> int:
    from kms_conformance.report import load_report, render, write_atomic

    report = load_report(args.file)
    text = render(report, args.format)
    if not args.output:
        sys.stdout.write(text)
        return 0
    out = Path(args.output)
    if out.is_dir():
        raise UsageError(f"{out} is a directory; give a file name")
    if out.exists() and not args.force:
        raise UsageError(f"{out} exists; pass --force to overwrite it")
    write_atomic(out, text)
    print(f"wrote {out}", file=sys.stderr)
    return 0


def compare_main(args: argparse.Namespace) -> int:
    from kms_conformance.report import compare, format_comparison, load_report

    old = load_report(args.old)
    new = load_report(args.new)
    comparison = compare(old, new)
    if args.json:
        print(json.dumps({"old": args.old, "new": args.new, **comparison.to_dict()}, indent=2))
    else:
        print(format_comparison(comparison, old, new))
    return 1 if comparison.regressed else 0
