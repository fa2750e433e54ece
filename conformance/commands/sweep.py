"""``kms-conformance sweep``: remove leftovers of earlier runs (see :mod:`kms_conformance.sweep`)."""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from kms_conformance.commands.retries import add_retry_options, check_retry_options
from kms_conformance.errors import UsageError
from kms_conformance.resources import KEY_DELETION_WINDOW_DAYS


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "sweep", help="remove resources that earlier runs left behind (tagged kms-conformance:run-id)",
        description="Find the kit's leftovers (by tag, or by the kmsc- name prefix where there are no tags) and "
                    "remove them: OpenSearch Serverless collections and their kmsc-/auto-kmsc- security policies, "
                    "SageMaker feature groups, MWAA environments, Forecast dataset groups and datasets, then KMS "
                    f"aliases and grants, keys (scheduled for deletion, {KEY_DELETION_WINDOW_DAYS}-day window), "
                    "and IAM roles.")
    p.add_argument("--endpoint-url", help="any endpoint (a moto server, LocalStack); default: real AWS")
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--aws-profile", help="named profile of the AWS shared config")
    p.add_argument("--older-than", type=hours, default=6.0, metavar="HOURS",
                   help="only resources created at least this long ago (default 6; 0 = all)")
    p.add_argument("--dry-run", action="store_true", help="print what would be removed; remove nothing")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object: account, region, dry_run, actions (each with service, kind, id, "
                        "run_id, created), removed, failed, left, skipped, and kinds (per kind: planned, removed, "
                        "left with the error, skipped with why)")
    p.add_argument("--allow-account", action="append", default=[], metavar="ID",
                   help="account id the sweep may write to (also KMS_CONFORMANCE_ALLOW_ACCOUNTS); "
                        "loopback endpoints need none")
    p.add_argument("--force", action="store_true", help="sweep even an account whose alias looks like production")
    add_retry_options(p)
    p.set_defaults(func=main)


#: The oldest age ``--older-than`` takes: about 114 years, older than any AWS account.
MAX_HOURS = 1_000_000.0


def hours(text: str) -> float:
    """``--older-than``: a finite number of hours from 0 to :data:`MAX_HOURS` (nan, inf and 1e308
    are refused by argparse: one line, exit status 2)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of hours: {text[:40]!r}") from None
    if not math.isfinite(value) or not 0 <= value <= MAX_HOURS:
        raise argparse.ArgumentTypeError(f"hours go from 0 to {MAX_HOURS:g}, got {text[:40]!r}")
    return value


def main(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    check_retry_options(args)
    if args.endpoint_url is not None:
        from kms_conformance.safety import parse_endpoint

        parse_endpoint(args.endpoint_url)  # junk, user info, a backslash: one line, exit 2
    try:
        return _sweep(args)
    except (BotoCoreError, ClientError) as exc:  # no such profile, no credentials, endpoint unreachable
        where = args.endpoint_url or f"AWS ({args.region})"
        raise UsageError(f"cannot sweep {where}: {type(exc).__name__}: {exc}") from None


def _sweep(args: argparse.Namespace) -> int:
    import boto3
    from kms_conformance.safety import allowed_accounts, guard_account, prove_emulator
    from kms_conformance.sessions import share_loader
    from kms_conformance.sweep import Skipped, by_kind, execute, plan_sweep
    from kms_conformance.targets import TargetConfig, client_config

    session = share_loader(boto3.session.Session(profile_name=args.aws_profile, region_name=args.region))
    # the clients a run's target makes for the same endpoint: its retries, and no per-service endpoint
    # or host prefix taking a call anywhere else (kms_conformance.targets.client_config)
    config = client_config(TargetConfig(name="aws", region=args.region, endpoint_url=args.endpoint_url,
                                        retry_mode=args.retry_mode, max_attempts=args.max_attempts))
    cache: dict[str, Any] = {}

    def clients(service: str) -> Any:
        if service not in cache:
            make: Any = session.client  # boto3's overloads want a Literal service name
            cache[service] = make(service, endpoint_url=args.endpoint_url, config=config)
        return cache[service]

    identity = clients("sts").get_caller_identity()
    if not args.dry_run:
        guard_account(identity, allow_accounts=allowed_accounts(args.allow_account),
                      endpoint_url=args.endpoint_url, force=args.force,
                      account_aliases=_aliases(clients), emulator=prove_emulator(args.endpoint_url))
    skipped: list[Skipped] = []
    actions = plan_sweep(clients, older_than_hours=args.older_than, skipped=skipped)
    if args.json:
        left: list[dict[str, str]] = []
        failures = 0 if args.dry_run or not actions else execute(clients, actions, report=_quiet, left=left)
        print(json.dumps({"left": left, **{
            "account": identity.get("Account"), "region": args.region, "dry_run": bool(args.dry_run),
            "actions": [{"service": a.service, "kind": a.kind, "id": a.ident, "run_id": a.run_id,
                         "created": a.created} for a in actions],
            "removed": 0 if args.dry_run else len(actions) - failures, "failed": failures,
            "skipped": [{"kind": f"{s.service} {s.kind}", "id": s.ident, "run_id": s.run_id, "why": s.why}
                        for s in skipped],
            "kinds": by_kind(actions, left, skipped, dry_run=args.dry_run)}}, indent=2))
        return 1 if failures else 0
    for skip in skipped:
        print(f"skipped {skip.describe()}")
    if not actions:
        print(f"nothing to sweep in account {identity.get('Account')} ({args.region})")
        return 0
    if args.dry_run:
        for action in actions:
            print(f"would remove {action.describe()}")
        print(f"{len(actions)} resource(s) would be removed (dry run), {len(skipped)} skipped")
        return 0
    left = []
    failures = execute(clients, actions, left=left)
    for row in by_kind(actions, left, skipped):
        print(f"  {row['service']} {row['kind']}: {row['removed']} removed, {len(row['left'])} left, "
              f"{len(row['skipped'])} skipped")
    print(f"{len(actions) - failures} removed, {failures} failed, {len(skipped)} skipped",
          file=sys.stderr if failures else sys.stdout)
    return 1 if failures else 0


def _aliases(clients: Any) -> list[str]:
    try:
        return list(clients("iam").list_account_aliases().get("AccountAliases", []))
    except Exception:
        return []


def _quiet(_line: str) -> None:
    """--json: the removals are in the document, not printed line by line."""
