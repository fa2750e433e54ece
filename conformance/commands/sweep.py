"""``kms-conformance sweep``: remove leftovers of earlier runs (see :mod:`kms_conformance.sweep`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kms_conformance.errors import UsageError


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "sweep", help="remove resources that earlier runs left behind (tagged kms-conformance:run-id)",
        description="Find the kit's leftovers (by tag, or by the kmsc- name prefix where there are no tags) and "
                    "remove them: OpenSearch Serverless collections and their kmsc-/auto-kmsc- security policies, "
                    "SageMaker feature groups, MWAA environments, Forecast dataset groups and datasets, then KMS "
                    "aliases and grants, keys (scheduled for deletion, 7-day window), and IAM roles.")
    p.add_argument("--endpoint-url", help="any endpoint (a moto server, LocalStack); default: real AWS")
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--aws-profile", help="named profile of the AWS shared config")
    p.add_argument("--older-than", type=float, default=6.0, metavar="HOURS",
                   help="only resources created at least this long ago (default 6; 0 = all)")
    p.add_argument("--dry-run", action="store_true", help="print what would be removed; remove nothing")
    p.add_argument("--allow-account", action="append", default=[], metavar="ID",
                   help="account id the sweep may write to (also KMS_CONFORMANCE_ALLOW_ACCOUNTS); "
                        "loopback endpoints need none")
    p.add_argument("--force", action="store_true", help="sweep even an account whose alias looks like production")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    import boto3
    from kms_conformance.safety import allowed_accounts, guard_account
    from kms_conformance.sweep import execute, plan_sweep

    if args.older_than < 0:
        raise UsageError("--older-than must be zero or more hours")
    session = boto3.session.Session(profile_name=args.aws_profile, region_name=args.region)
    cache: dict[str, Any] = {}

    def clients(service: str) -> Any:
        if service not in cache:
            make: Any = session.client  # boto3's overloads want a Literal service name
            cache[service] = make(service, endpoint_url=args.endpoint_url)
        return cache[service]

    identity = clients("sts").get_caller_identity()
    if not args.dry_run:
        guard_account(identity, allow_accounts=allowed_accounts(args.allow_account),
                      endpoint_url=args.endpoint_url, force=args.force,
                      account_aliases=_aliases(clients))
    actions = plan_sweep(clients, older_than_hours=args.older_than)
    if not actions:
        print(f"nothing to sweep in account {identity.get('Account')} ({args.region})")
        return 0
    if args.dry_run:
        for action in actions:
            print(f"would remove {action.describe()}")
        print(f"{len(actions)} resource(s) would be removed (dry run)")
        return 0
    failures = execute(clients, actions)
    print(f"{len(actions) - failures} removed, {failures} failed", file=sys.stderr if failures else sys.stdout)
    return 1 if failures else 0


def _aliases(clients: Any) -> list[str]:
    try:
        return list(clients("iam").list_account_aliases().get("AccountAliases", []))
    except Exception:
        return []
