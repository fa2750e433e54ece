"""``kms-conformance run``: every selected rule against one target; writes the reports."""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Any

from kms_conformance.errors import UsageError

EPILOG = """\
exit status: 0 when every tested `must` rule is conformant or a known divergence (baseline),
1 otherwise (a nonconformant `must` rule or an error), 2 for bad usage or input, 130 when interrupted
(the partial report is still written, marked incomplete).

reports: report.json (+ junit.xml, report.md, report.html) are written into --report-dir; a new run
replaces the previous run's report files there, and never deletes any other file.
"""


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "run", help="run the rules against a target and write conformance reports",
        description="Run every selected rule against one target (model, moto in-process, or aws: a real "
                    "account or any --endpoint-url such as a moto server or LocalStack), driven by Hypothesis.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--target", choices=("model", "moto", "aws"), default="moto", help="where to run (default moto)")
    p.add_argument("--endpoint-url", help="with --target aws: any endpoint (moto server, LocalStack)")
    p.add_argument("--region", default="us-east-1", help="AWS region (default us-east-1)")
    p.add_argument("--profile", choices=("dev", "ci", "nightly", "sandbox"), default="dev",
                   help="how many examples per rule (default dev)")
    p.add_argument("--rules", default="", metavar="IDS", help="comma-separated rule ids or prefixes (AOSS-*)")
    p.add_argument("--doc", action="append", default=[], metavar="NAME",
                   help="only rules of this document (forecast, feature-store, opensearch-serverless, mwaa); "
                        "repeatable")
    p.add_argument("--seed", type=int, default=0, help="Hypothesis seed: same seed, same verdicts (default 0)")
    p.add_argument("--report-dir", type=Path, default=Path("reports"), help="where reports go (default reports/)")
    p.add_argument("--baseline", type=Path, help="JSON file of accepted divergences")
    p.add_argument("--workers", type=int, default=1, help="run rules in N processes (default 1)")
    aws = p.add_argument_group("aws target")
    aws.add_argument("--aws-profile", help="named profile of the AWS shared config")
    aws.add_argument("--role-arn", help="role to assume before the run")
    aws.add_argument("--allow-account", action="append", default=[], metavar="ID",
                     help="account id the run may write to (repeatable; also KMS_CONFORMANCE_ALLOW_ACCOUNTS); "
                          "loopback endpoints need none")
    aws.add_argument("--force-production", action="store_true",
                     help="run even when the account alias looks like production")
    aws.add_argument("--max-keys", type=int, metavar="N", help="cap on KMS keys the run may create")
    aws.add_argument("--retry-mode", choices=("standard", "adaptive"), default="standard",
                     help="botocore retry mode (default standard)")
    aws.add_argument("--max-attempts", type=int, default=5,
                     help="botocore attempts per call, the first included (default 5)")
    aws.add_argument("--rate-limit", type=float, metavar="CALLS_PER_SECOND", help="per-service call rate limit")
    aws.add_argument("--permissions-boundary", metavar="POLICY_ARN",
                     help="managed policy set as the permissions boundary of every role the run creates "
                          "(see examples/ci/sandbox-role-policy.json, which requires it)")
    aws.add_argument("--settle-seconds", type=float, metavar="S",
                     help="wait after a permission change before calling as a role: IAM and KMS are eventually "
                          "consistent (default 8 against AWS, 0 against a loopback endpoint)")
    aws.add_argument("--dry-run", action="store_true",
                     help="print the rules, their operations and the number of examples; create nothing")
    aws.add_argument("--redact-account", action="store_true", help="mask the account id in the report")
    p.set_defaults(func=main)


def options_from_args(args: argparse.Namespace, argv: tuple[str, ...] = ()) -> Any:
    from kms_conformance.runner import RunOptions, new_run_id
    from kms_conformance.safety import allowed_accounts
    from kms_conformance.targets import TargetConfig

    if args.workers < 1:
        raise UsageError("--workers must be 1 or more")
    if args.max_keys is not None and args.max_keys < 0:
        raise UsageError("--max-keys must be zero or more")
    if args.max_attempts < 1:
        raise UsageError("--max-attempts must be 1 or more")
    if args.permissions_boundary is not None and not re.fullmatch(
            r"arn:aws[a-z-]*:iam::\d{12}:policy/[\w+=,.@/-]+", args.permissions_boundary):
        raise UsageError(f"--permissions-boundary wants a managed policy ARN, got {args.permissions_boundary!r}")
    if args.settle_seconds is not None and args.settle_seconds < 0:
        raise UsageError("--settle-seconds must be zero or more")
    if args.rate_limit is not None and args.rate_limit <= 0:
        raise UsageError("--rate-limit must be a positive number of calls per second")
    if args.endpoint_url and args.target != "aws":
        raise UsageError("--endpoint-url goes with --target aws")
    allow = frozenset(allowed_accounts(args.allow_account)) if args.target == "aws" else frozenset()
    config = TargetConfig(
        name=args.target, region=args.region, endpoint_url=args.endpoint_url, aws_profile=args.aws_profile,
        role_arn=args.role_arn, run_id=new_run_id(), allow_accounts=allow, force_production=args.force_production,
        max_keys=args.max_keys, retry_mode=args.retry_mode, max_attempts=args.max_attempts,
        rate_limit=args.rate_limit, dry_run=args.dry_run, settle_seconds=args.settle_seconds,
        permissions_boundary=args.permissions_boundary)
    return RunOptions(
        target=config, profile=args.profile, seed=args.seed,
        rules=tuple(r for r in args.rules.split(",") if r.strip()), docs=tuple(args.doc),
        report_dir=args.report_dir, baseline=args.baseline, workers=args.workers,
        redact_account=args.redact_account, argv=argv)


def dry_run(options: Any) -> int:
    """What the run would do, without building the target."""
    from kms_conformance.runner import PROFILES, STATIC_DETAIL, select_rules
    from kms_conformance.safety import is_loopback
    from kms_conformance.targets import AWS_SETTLE_SECONDS

    rules = select_rules(options)
    profile = PROFILES[options.profile]
    total = 0
    print(f"dry run: target {options.target.name}, profile {profile.name}, seed {options.seed}; nothing is created")
    for rule in rules:
        if rule.behavior is None:
            what = "config self-check" if options.target.name == "model" else "skipped: static rule"
            n = profile.max_examples if options.target.name == "model" else 0
        else:
            n = profile.lifecycle_examples if rule.behavior.lifecycle else profile.max_examples
            what = "lifecycle scenario" if rule.behavior.lifecycle else "scenario"
        total += n
        ops = ", ".join(rule.operations) or "-"
        print(f"{rule.id:<14} {what:<20} up to {n:>3} examples  operations: {ops}")
    print(f"{len(rules)} rules, up to {total} examples (each runs on the target and on the model; a divergence "
          f"adds up to {profile.shrink_budget} shrink steps)")
    if any(r.behavior is None for r in rules) and options.target.name != "model":
        print(f"skipped rules: {STATIC_DETAIL}")
    if options.target.name == "aws":
        settle = options.target.settle_seconds
        settle = (0.0 if is_loopback(options.target.endpoint_url) else AWS_SETTLE_SECONDS) if settle is None else settle
        if settle:
            print(f"waiting: an example that changes permissions and then calls as a role waits {settle:g} s "
                  f"(--settle-seconds): up to about {total * settle / 60:.0f} min of waiting for {total} examples, "
                  "less with --workers")
        print("cost: each example creates its own keys and roles (keys are scheduled for deletion at the end); "
              "--max-keys caps the keys of the whole run")
    return 0


def write_report(report: Any, directory: Path) -> dict[str, Path]:
    """The four report files (kms_conformance.report.write_reports: atomic, report.json first)."""
    from kms_conformance.report import write_reports

    return dict(write_reports(report, directory))


def main(args: argparse.Namespace) -> int:
    from kms_conformance.progress import Progress, summary_table
    from kms_conformance.runner import run, select_rules
    from kms_conformance.targets.boto import TargetUnavailable

    invoked = os.path.basename(sys.argv[0]) in ("kms-conformance", "__main__.py")  # not when embedded (tests)
    options = options_from_args(args, tuple(sys.argv[1:]) if invoked else ())
    if args.dry_run:
        return dry_run(options)
    if options.report_dir.exists() and not options.report_dir.is_dir():
        raise UsageError(f"--report-dir {options.report_dir} is not a directory")
    total = len(select_rules(options))
    if total == 0:
        raise UsageError("no rule matches the selection (--rules/--doc); see `kms-conformance rules`")
    progress = Progress(total)
    try:
        report = run(options, progress=progress)
    except TargetUnavailable as exc:  # no credentials, endpoint unreachable: one line, never a traceback
        raise UsageError(f"cannot use target {options.target.name}: {exc}") from None
    progress.finish()
    written = write_report(report, options.report_dir)
    print(summary_table(report))
    for fmt, path in written.items():
        print(f"{fmt} report: {path}")
    if report.meta.incomplete:
        print("kms-conformance: interrupted; the partial report is marked incomplete", file=sys.stderr)
        return 130
    return 1 if any(r.fails for r in report.results) else 0
