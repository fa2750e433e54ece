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
    p.add_argument("--from", dest="from_", choices=("setup", "cloudformation", "terraform-plan"), default="setup",
                   help="what SETUP is: the kit's setup file (default), a CloudFormation template (YAML or JSON) or "
                        "a Terraform plan (terraform show -json PLANFILE)")
    p.add_argument("--parameter", action="append", metavar="NAME=VALUE",
                   help="a template parameter's value (repeat; --from cloudformation)")
    p.add_argument("--condition", action="append", metavar="NAME=true|false",
                   help="a template condition's value, instead of evaluating it (repeat; --from cloudformation)")
    p.add_argument("--account", help="the account a template or plan is deployed in (default 111122223333)")
    p.add_argument("--region", help="the region a template or plan is deployed in (default us-east-1)")
    p.add_argument("--caller", metavar="ARN", help="who sends the service request of a template or plan "
                                                   "(default arn:aws:iam::ACCOUNT:role/Admin)")
    p.add_argument("--rules", default="", metavar="IDS", help="comma-separated rule ids or prefixes (AOSS-*)")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.add_argument("--color", choices=("auto", "always", "never"), default=None,
                   help="colour the findings (default auto: a terminal and NO_COLOR unset; also a global option)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from kms_conformance.check import (
        check_setup,
        format_findings,
        format_warnings,
        nothing_checked,
        ok,
        policy_warnings,
    )
    from kms_conformance.commands.rules import load_catalogue
    from kms_conformance.errors import InputError
    from kms_conformance.progress import use_color
    from kms_conformance.rules import select, services
    from kms_conformance.setup_validate import load_checked_setup

    translation = _read_iac(args)
    setup = translation.setup if translation is not None else load_checked_setup(args.setup, service=args.service)
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
    empty = nothing_checked(setup, findings)
    if empty is not None:
        raise InputError(empty, source=setup.source)
    warnings = policy_warnings(setup)  # behaviour AWS does not document: reported, exit status unchanged
    if args.json:
        print(json.dumps({"source": setup.source, "service": setup.service,
                          "findings": [f.to_dict() for f in findings], "ok": ok(findings),
                          "warnings": list(warnings),
                          **({"from": args.from_, **translation.to_dict()} if translation is not None else {})},
                         indent=2))
    else:
        color = use_color(args.color or getattr(args, "global_color", None), sys.stdout)
        print(f"{setup.source} ({setup.service})")
        if translation is not None:
            for line in (*translation.assumptions, *(str(n) for n in translation.not_checked)):
                print(f"  {line}")
        print(format_findings(findings, color=color))
        if warnings:
            print(format_warnings(warnings, color=color))
    return 0 if ok(findings) else 1


def _read_iac(args: argparse.Namespace) -> Any:
    """The ``--from cloudformation|terraform-plan`` translation, or None for a setup file (which must not be
    a template or a plan)."""
    from kms_conformance import iac

    if args.from_ == "setup":
        given = [o for o, v in (("--parameter", args.parameter), ("--condition", args.condition),
                                ("--account", args.account), ("--region", args.region), ("--caller", args.caller)) if v]
        if given:
            raise UsageError(f"{', '.join(given)}: for --from cloudformation or terraform-plan (a setup file says its "
                             "own account, region and caller)")
        iac.refuse_iac(args.setup)
        return None
    common = {"account": args.account, "region": args.region, "caller": args.caller, "service": args.service}
    if args.from_ == "cloudformation":
        return iac.from_cloudformation(args.setup, parameters=iac.parse_assignments(args.parameter, "--parameter"),
                                       conditions=iac.parse_assignments(args.condition, "--condition",
                                                                        booleans=True), **common)
    if args.parameter or args.condition:
        raise UsageError("--parameter and --condition are for --from cloudformation")
    return iac.from_terraform_plan(args.setup, **common)
