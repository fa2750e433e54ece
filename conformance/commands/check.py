"""``kms-conformance check SETUP``: which documented rule a setup breaks, and why, before AWS does."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from kms_conformance.errors import UsageError


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "check", help="check a setup (key policies, grants, service request) against the documented rules",
        description="Check what you are about to send to AWS (a setup file: keys with their policies, identity "
                    "policies, grants and the service request) against every config rule of its service and of "
                    "KMS. Exit 0 when every must rule holds (violated should rules are warnings), 1 when one is "
                    "violated, 2 on bad input.")
    p.add_argument("setup", metavar="SETUP", help="setup file, JSON or YAML (see examples/<service>/setup.json)")
    p.add_argument("--service", help="the service, when the file does not say: forecast, feature-store, "
                                     "opensearch-serverless, mwaa")
    p.add_argument("--rules", default="", metavar="IDS", help="comma-separated rule ids or prefixes (AOSS-*)")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from kms_conformance.check import check_setup, format_findings, ok
    from kms_conformance.commands.rules import load_catalogue
    from kms_conformance.rules import select, services
    from kms_conformance.setup import load_setup

    setup = load_setup(args.setup, service=args.service)
    rules = load_catalogue()
    spec = services().get(setup.service)
    if spec is None:
        raise UsageError(f"no spec module registers the service {setup.service!r}; the installation is incomplete")
    spec.parse_request(setup)  # raises InputError naming the JSON path of a malformed request
    ids = [i for i in args.rules.split(",") if i.strip()]
    try:
        selected = select(rules, ids=ids)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    findings = check_setup(setup, selected)
    if ids and not findings:
        raise UsageError(f"none of the rules {args.rules} is a config rule of {setup.service} or kms")
    if args.json:
        print(json.dumps({"source": setup.source, "service": setup.service,
                          "findings": [f.to_dict() for f in findings], "ok": ok(findings)}, indent=2))
    else:
        color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
        print(f"{setup.source} ({setup.service})")
        print(format_findings(findings, color=color))
    return 0 if ok(findings) else 1
