"""``kms-conformance report render|compare|matrix|repro``: render a report.json in another format; compare
two; show several side by side; write a finding's reproduction script."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from kms_conformance.errors import UsageError


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "report", help="render a report.json as html, md or junit; compare two reports",
        description="Work with report.json files (schema kms-conformance/report@2; @1 is read too). A file "
                    "named - is standard input (one report).")
    sub = p.add_subparsers(dest="report_command", metavar="ACTION")
    r = sub.add_parser("render", help="render a report.json as html, md, junit (or json)",
                       description="Render a report.json in another format; stdout unless -o.")
    r.add_argument("file", metavar="FILE", help="a report.json (-: standard input)")
    r.add_argument("--format", "-f", required=True, choices=("html", "md", "md-summary", "junit", "json"),
                   help="md: the full Markdown; md-summary: under 60,000 characters, for a CI step summary")
    r.add_argument("-o", "--output", metavar="OUT", help="write here (refuses to overwrite without --force)")
    r.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    r.set_defaults(func=render_main)
    c = sub.add_parser("compare", help="what changed between two reports; exit 1 on a regression",
                       description="Regressions (conformant -> nonconformant or error), fixes, newly unsupported, "
                                   "new and removed rules. Exit 1 on a regression, and when NEW is empty, "
                                   "incomplete, lacks (or skips) rules OLD tested, or either report holds a rule "
                                   "id twice; 2 when a report is malformed; 0 otherwise.")
    c.add_argument("old", metavar="OLD.json", help="the earlier report (-: standard input)")
    c.add_argument("new", metavar="NEW.json", help="the later report (-: standard input, if OLD is not)")
    c.add_argument("--json", action="store_true", help="print the comparison as JSON")
    c.add_argument("--allow-missing", action="store_true",
                   help="do not fail when NEW lacks or skips rules OLD tested (a deliberately narrower run)")
    c.add_argument("--allow-incomplete", action="store_true",
                   help="do not fail when NEW is marked incomplete (an interrupted run)")
    c.set_defaults(func=compare_main)
    m = sub.add_parser("matrix", help="several reports side by side (rule x report); shows, never gates",
                       description="One column per report, one row per rule whose verdicts differ (--all: every "
                                   "rule), then each report's totals, as Markdown. Exit 0 (report compare is the "
                                   "gate), 2 when a report is missing or unreadable.")
    m.add_argument("files", nargs="+", metavar="[LABEL=]REPORT.json",
                   help="a report.json, optionally labelled (default label: its folder's name); "
                        "-: standard input, once")
    m.add_argument("--all", action="store_true", help="every rule, not only those whose verdicts differ")
    m.add_argument("-o", "--output", metavar="OUT",
                   help="write here; OUT ending in .html: a page with every rule, differing rows highlighted, "
                        "cells linking to each report's report.html (refuses to overwrite without --force)")
    m.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    m.set_defaults(func=matrix_main)
    x = sub.add_parser("repro", help="a standalone boto3 script reproducing a finding",
                       description="Write the reproduction script of one finding of a nonconformant rule: the "
                                   "recorded calls, replayed with boto3 (under moto's mock_aws, or against "
                                   "an endpoint URL), asserting what the page says. stdout unless -o.")
    x.add_argument("file", metavar="REPORT.json", help="a report.json that records calls (report@2; -: standard input)")
    x.add_argument("rule", metavar="RULE", help="the rule id (KMS-03)")
    x.add_argument("--finding", type=int, default=1, metavar="N",
                   help="which finding of the rule, as the reports number them (default 1)")
    x.add_argument("--mode", choices=("moto", "endpoint"), default="moto",
                   help="moto: in process with mock_aws (default); endpoint: --endpoint-url / AWS_ENDPOINT_URL")
    x.add_argument("-o", "--output", metavar="FILE", help="write here (refuses to overwrite without --force)")
    x.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    x.set_defaults(func=repro_main)
    p.set_defaults(func=lambda _args: _usage(p))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def render_main(args: argparse.Namespace) -> int:
    from kms_conformance.inputs import check_output_file
    from kms_conformance.report import load_report, render, write_atomic

    report = load_report(args.file)
    text = render(report, args.format)
    if not args.output:
        sys.stdout.write(text)
        return 0
    out = Path(args.output)
    check_output_file(out, option="-o")
    if out.exists() and not args.force:
        raise UsageError(f"{out} exists; pass --force to overwrite it")
    write_atomic(out, text)
    print(f"wrote {out}", file=sys.stderr)
    return 0


def _one_standard_input(*files: str) -> None:
    """Standard input (``-``) holds one report: a second ``-`` would read it empty."""
    if sum(1 for f in files if f == "-") > 1:
        raise UsageError("- (standard input) can be given once: it holds one report")


def compare_main(args: argparse.Namespace) -> int:
    from kms_conformance.report import compare, format_comparison, load_report
    from kms_conformance.report.compare import gate_failures
    from kms_conformance.scrub import scrub_text, scrub_value

    _one_standard_input(args.old, args.new)
    old = load_report(args.old)
    new = load_report(args.new)
    comparison = compare(old, new)
    reasons = gate_failures(old, new, allow_missing=args.allow_missing, allow_incomplete=args.allow_incomplete)
    if args.json:  # everything printed passes the one scrubber: reports may hold what a target said
        data = {"old": args.old, "new": args.new, **comparison.to_dict(), "gate_failures": list(reasons)}
        print(json.dumps(scrub_value(data), indent=2))
    else:
        print(scrub_text(format_comparison(comparison, old, new)))
        for reason in reasons:
            print(scrub_text(f"gate: {reason}"))
    return 1 if comparison.regressed or reasons else 0


def matrix_main(args: argparse.Namespace) -> int:
    from kms_conformance.report import load_report
    from kms_conformance.report.matrix import Column, format_matrix

    labelled: list[tuple[str, str]] = []
    for spec in args.files:
        label, sep, path = spec.partition("=")
        labelled.append((label, path) if sep else (Path(spec).parent.name or spec, spec))
    _one_standard_input(*(path for _, path in labelled))
    columns = [Column(label, load_report(path)) for label, path in labelled]
    paths = [Path(path) for _, path in labelled]
    if not args.output:
        print(format_matrix(columns, every_rule=args.all), end="")
        return 0
    from kms_conformance.inputs import check_output_file
    from kms_conformance.report import write_atomic
    from kms_conformance.report.matrix_html import render_matrix_html

    out = Path(args.output)
    check_output_file(out, option="-o")
    if out.exists() and not args.force:
        raise UsageError(f"{out} exists; pass --force to overwrite it")
    if out.suffix.lower() in (".html", ".htm"):
        # each cell links to the rule in its report's HTML, next to its report.json, relative to OUT
        hrefs = [Path(os.path.relpath(p.resolve().parent, out.resolve().parent)).joinpath("report.html").as_posix()
                 for p in paths]
        text = render_matrix_html(columns, hrefs)
    else:
        text = format_matrix(columns, every_rule=args.all)
    write_atomic(out, text)
    print(f"wrote {out}", file=sys.stderr)
    return 0


def repro_main(args: argparse.Namespace) -> int:
    from kms_conformance import inputs
    from kms_conformance.errors import InputError
    from kms_conformance.report import report_from_json, write_atomic
    from kms_conformance.report.repro import ReproUnavailable, find_result, repro_script
    from kms_conformance.verdicts import Report, report_to_dict

    raw = inputs.load_json(args.file)  # read once: `-` (standard input) can be read only once
    report = report_from_json(raw, source=str(args.file))  # a readable report (InputError otherwise)
    if raw.get("schema") == "kms-conformance/report@1":
        raise InputError("a report@1 records no calls to reproduce: run the rule again with this kit "
                         "(report@2)", source=args.file, path="schema")
    # The JSON form of the rule's result alone (and the run's meta), not of every result of the run.
    data = report_to_dict(Report(report.meta, tuple(r for r in report.results
                                                    if r.rule_id.upper() == args.rule.upper())))
    try:
        result = find_result(data, args.rule)
        text = repro_script(result, args.finding - 1, mode=args.mode, meta=data["meta"])
    except ReproUnavailable as exc:
        raise InputError(str(exc), source=args.file) from None
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
