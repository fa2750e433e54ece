"""``kms-conformance run``: every selected rule against one target; writes the reports."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from kms_conformance.commands.retries import add_retry_options, check_retry_options
from kms_conformance.errors import UsageError

EPILOG = """\
exit status: 0 when every tested `must` rule is conformant or a known divergence (baseline),
1 otherwise (a nonconformant `must` rule or an error), 2 for bad usage or input, 130 when interrupted
(the partial report is still written, marked incomplete), 4 when the run's cleanup left resources
in a real account (target aws, an endpoint off loopback), whatever the verdicts: report.json's
meta.cleanup lists them, `kms-conformance sweep` removes them. On moto and loopback emulators what
cleanup left is listed, and does not change the status.

reports: report.json (+ junit.xml, report.md, report-summary.md, report.html) are written into --report-dir; a new run
replaces the previous run's report files there, and never deletes any other file but its own journal.

journal and --resume: report.partial.jsonl in --report-dir gets a line as each rule ends (the run's options
first), so a crash or SIGKILL loses no finished rule; it is removed once a complete report.json is written.
`run --resume` (with the --report-dir, or the --rules/--doc, of the run) continues from it: same options
(a different one is refused), finished rules kept, the rest run. --workers may change; --allow-account and
--force-production are not recorded: give them again.

Ctrl-C: the first stops the rules, cleans up and writes the report (incomplete, exit 130); a second stops the
cleanup and the report lists what it skipped (meta.cleanup). Workers end with the run, SIGKILL included.

selections and replays: a run of part of the catalogue (--rules or --doc selecting fewer rules than the
catalogue) writes into its own folder below reports/, so that it never replaces the full run's reports:
  --replay KMS-03 (or --rules KMS-03)   reports/replay-KMS-03/
  --rules AOSS-*,KMS-01                 reports/AOSS-all_KMS-01/
  --doc forecast                        reports/doc-forecast/
  --last-failed                         reruns the rules that were nonconformant or error in
                                        reports/report.json, into reports/last-failed/
An explicit --report-dir is used as given (with --last-failed: the folder whose report.json is read).
Such a run prints each finding in full: counterexample, expected vs observed, and the calls made.
"""


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "run", help="run the rules against a target and write conformance reports",
        description="Run every selected rule against one target (model, moto in-process, or aws: a real "
                    "account or any --endpoint-url such as a moto server or LocalStack), driven by Hypothesis.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--target", choices=("model", "moto", "aws", "localstack"), default="moto",
                   help="where to run (default moto); localstack starts LocalStack on a loopback port for the run")
    p.add_argument("--endpoint-url", help="with --target aws: any endpoint (moto server, LocalStack)")
    p.add_argument("--region", default="us-east-1", help="AWS region (default us-east-1)")
    p.add_argument("--profile", choices=("dev", "ci", "nightly", "sandbox"), default="dev",
                   help="how many examples per rule (default dev)")
    p.add_argument("--rules", default="", metavar="IDS", help="comma-separated rule ids or prefixes (AOSS-*)")
    p.add_argument("--doc", action="append", default=[], metavar="NAME",
                   help="only rules of this document (forecast, feature-store, opensearch-serverless, mwaa); "
                        "repeatable")
    p.add_argument("--seed", type=int, default=0, help="Hypothesis seed: same seed, same verdicts (default 0)")
    p.add_argument("--replay", metavar="RULE",
                   help="re-run one rule (the replay line of a report): same as --rules RULE, reports in "
                        "reports/replay-RULE/")
    p.add_argument("--last-failed", action="store_true",
                   help="re-run the rules nonconformant or in error in the last report.json of --report-dir; "
                        "reports in its last-failed/ folder")
    p.add_argument("--report-dir", type=Path, default=None,
                   help="where reports go (default reports/, a selection of rules reports/<selection>/)")
    p.add_argument("--baseline", type=Path, help="JSON file of accepted divergences")
    p.add_argument("--workers", type=int, default=1, help="run rules in N processes (default 1)")
    p.add_argument("-x", "--exitfirst", action="store_true",
                   help="stop at the first failing rule (a must rule nonconformant, or an error); the rules "
                        "not run are skipped and the report is marked incomplete")
    p.add_argument("--resume", action="store_true",
                   help="continue the run whose journal (report.partial.jsonl) is in the report folder: its "
                        "options, the rules it finished kept, the others run; see the epilog")
    p.add_argument("--localstack-python", metavar="PATH",
                   help="with --target localstack: the Python of a LocalStack install (default "
                        "$KMS_CONFORMANCE_LOCALSTACK, else `kms-conformance localstack install`'s)")
    aws = p.add_argument_group("aws target")
    aws.add_argument("--aws-profile", help="named profile of the AWS shared config")
    aws.add_argument("--role-arn", help="role to assume before the run")
    aws.add_argument("--allow-account", action="append", default=[], metavar="ID",
                     help="account id the run may write to (repeatable; also KMS_CONFORMANCE_ALLOW_ACCOUNTS); "
                          "loopback endpoints need none")
    aws.add_argument("--force-production", action="store_true",
                     help="run even when the account alias looks like production")
    aws.add_argument("--max-keys", type=int, metavar="N", help="cap on KMS keys the run may create")
    add_retry_options(aws)
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
    from kms_conformance.resources import new_run_id
    from kms_conformance.runner import RunOptions
    from kms_conformance.safety import allowed_accounts
    from kms_conformance.targets import TargetConfig, check_config

    if args.workers < 1:
        raise UsageError("--workers must be 1 or more")
    if args.max_keys is not None and args.max_keys < 0:
        raise UsageError("--max-keys must be zero or more")
    check_retry_options(args)
    if args.settle_seconds is not None and args.settle_seconds < 0:
        raise UsageError("--settle-seconds must be zero or more")
    if args.rate_limit is not None and args.rate_limit <= 0:
        raise UsageError("--rate-limit must be a positive number of calls per second")
    if args.endpoint_url and args.target != "aws":
        raise UsageError("--endpoint-url goes with --target aws")
    if args.endpoint_url is not None:
        from kms_conformance.safety import parse_endpoint

        parse_endpoint(args.endpoint_url)  # junk, user info, a backslash: one line, exit 2
    if args.localstack_python and args.target != "localstack":
        raise UsageError("--localstack-python goes with --target localstack")
    allow = frozenset(allowed_accounts(args.allow_account)) if args.target == "aws" else frozenset()
    config = TargetConfig(
        name=args.target, region=args.region, endpoint_url=args.endpoint_url, aws_profile=args.aws_profile,
        role_arn=args.role_arn, run_id=new_run_id("run"), allow_accounts=allow, force_production=args.force_production,
        max_keys=args.max_keys, retry_mode=args.retry_mode, max_attempts=args.max_attempts,
        rate_limit=args.rate_limit, dry_run=args.dry_run, settle_seconds=args.settle_seconds,
        permissions_boundary=args.permissions_boundary, localstack_python=args.localstack_python)
    check_config(config)
    rules, docs, report_dir = selection_from_args(args)
    return RunOptions(
        target=config, profile=args.profile, seed=args.seed, rules=rules, docs=docs,
        report_dir=report_dir, baseline=args.baseline, workers=args.workers,
        redact_account=args.redact_account, argv=argv, fail_fast=getattr(args, "exitfirst", False))


#: Where reports go when --report-dir is not given.
DEFAULT_REPORT_DIR = Path("reports")


def selection_from_args(args: argparse.Namespace) -> tuple[tuple[str, ...], tuple[str, ...], Path]:
    """The rule ids/patterns, the documents and the report folder of ``--rules``/``--doc``/``--replay``/
    ``--last-failed`` (see EPILOG): a selection of part of the catalogue writes below the default folder
    in a folder of its own, unless ``--report-dir`` names one."""
    from kms_conformance.rules import catalogue, select

    base = args.report_dir if args.report_dir is not None else DEFAULT_REPORT_DIR
    rules = tuple(r.strip() for r in args.rules.split(",") if r.strip())
    docs = tuple(d for d in args.doc if d.strip())
    if args.last_failed:
        if rules or docs or args.replay:
            raise UsageError("--last-failed takes its rules from the last report: no --rules, --doc or --replay")
        return last_failed_rules(base / "report.json"), (), base / "last-failed"
    if args.replay:
        if rules or docs:
            raise UsageError("--replay names one rule: no --rules or --doc with it")
        rule_id = args.replay.strip().upper()
        if not re.fullmatch(r"[A-Z0-9]+(?:-[A-Z0-9]+)+", rule_id):
            raise UsageError(f"--replay wants one rule id (KMS-03), got {args.replay!r}")
        rules = (rule_id,)
    try:
        pool = catalogue()
        chosen = select(pool, ids=rules, docs=docs)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.report_dir is not None or not (rules or docs) or len(chosen) == len(pool):
        return rules, docs, base
    return rules, docs, base / selection_slug(rules, docs)


def selection_slug(rules: tuple[str, ...], docs: tuple[str, ...]) -> str:
    """The folder name of a selection: ``replay-KMS-03`` for one rule id, else the ids and patterns
    (``*`` as ``all``) and ``doc-<name>`` joined by ``_``; long ones are cut and end in a digest.

    >>> selection_slug(("KMS-03",), ())
    'replay-KMS-03'
    >>> selection_slug(("aoss-*", "KMS-01"), ("forecast",))
    'AOSS-all_KMS-01_doc-forecast'
    """
    import hashlib

    ids = [r.strip().upper() for r in rules]
    if len(ids) == 1 and not docs and not any(ch in ids[0] for ch in "*?[!"):
        return f"replay-{ids[0]}"
    text = "_".join([i.replace("*", "all").replace("!", "not-") for i in ids] + [f"doc-{d.strip()}" for d in docs])
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "selection"
    if len(text) > 60:
        text = f"{text[:51]}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"
    return text


def last_failed_rules(report_path: Path) -> tuple[str, ...]:
    """The ids of the rules that failed (nonconformant or error) in ``report_path``, in its order,
    leaving out ids the catalogue no longer has; InputError/UsageError on a missing or bad report."""
    from kms_conformance.report import load_report
    from kms_conformance.rules import catalogue
    from kms_conformance.verdicts import Verdict

    if not report_path.is_file():
        raise UsageError(f"--last-failed: no report at {report_path} (run `kms-conformance run` first, "
                         "or name the folder with --report-dir)")
    report = load_report(report_path)
    known = {r.id for r in catalogue()}
    return tuple(r.rule_id for r in report.results
                 if r.verdict in (Verdict.NONCONFORMANT, Verdict.ERROR) and r.rule_id in known)


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
            what = "config self-check" if options.target.is_reference else "skipped: static rule"
            n = profile.max_examples if options.target.is_reference else 0
        else:
            n = profile.lifecycle_examples if rule.behavior.lifecycle else profile.max_examples
            what = "lifecycle scenario" if rule.behavior.lifecycle else "scenario"
        total += n
        ops = ", ".join(rule.operations) or "-"
        print(f"{rule.id:<14} {what:<20} up to {n:>3} examples  operations: {ops}")
    print(f"{len(rules)} rules, up to {total} examples (each runs on the target and on the model; a divergence "
          f"adds up to {profile.shrink_budget} shrink steps)")
    if any(r.behavior is None for r in rules) and not options.target.is_reference:
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
        print("public-principal guard: on unless the endpoint is a loopback moto or LocalStack: a generated key "
              "policy that allows Principal \"*\" (or {\"AWS\": \"*\"}) without a condition is never sent; the "
              "example is filtered out and the report's target notes count them")
    return 0


def write_report(report: Any, directory: Path) -> dict[str, Path]:
    """The four report files (kms_conformance.report.write_reports: atomic, report.json first)."""
    from kms_conformance.report import write_reports

    return dict(write_reports(report, directory))


def main(args: argparse.Namespace) -> int:
    from kms_conformance.inputs import check_output_dir
    from kms_conformance.interrupts import pressed
    from kms_conformance.journal import JOURNAL_NAME, Journal
    from kms_conformance.progress import Progress, summary_table
    from kms_conformance.runner import run, select_rules, utc_now
    from kms_conformance.targets.boto import TargetUnavailable

    invoked = os.path.basename(sys.argv[0]) in ("kms-conformance", "__main__.py")  # not when embedded (tests)
    resumed = resume_args(args) if getattr(args, "resume", False) else None
    options = options_from_args(args, tuple(sys.argv[1:]) if invoked else ())
    if args.last_failed and not options.rules:
        print(f"kms-conformance: nothing failed in {options.report_dir.parent / 'report.json'}; nothing to re-run")
        return 0
    if args.dry_run:
        return dry_run(options)
    check_output_dir(options.report_dir, option="--report-dir",
                     files=("report.json", "junit.xml", "report.md", "report-summary.md", "report.html", JOURNAL_NAME))
    selected = {r.id for r in select_rules(options)}
    if not selected:
        raise UsageError("no rule matches the selection (--rules/--doc); see `kms-conformance rules`")
    prior = resumed.results if resumed is not None else ()
    journal_path = options.report_dir / JOURNAL_NAME
    for result in prior:
        if result.rule_id not in selected:
            raise UsageError(f"--resume: {journal_path} holds rule {result.rule_id}, which the run's selection "
                             "does not (the catalogue changed?); start a new run")
    progress = Progress(len(selected) - len(prior), verbosity=getattr(args, "verbose", 0) - getattr(args, "quiet", 0))
    started = resumed.started if resumed is not None else utc_now()
    journal = (Journal.reopen(journal_path, resumed.end) if resumed is not None
               else Journal.create(journal_path, options=recorded_options(args), started=started))
    try:
        report = run(options, progress=progress, record=journal.record, prior=prior, started=started)
    except TargetUnavailable as exc:  # no credentials, endpoint unreachable: one line, never a traceback
        raise UsageError(f"cannot use target {options.target.name}: {exc}") from None
    finally:
        journal.close()
        if resumed is None and journal.recorded == 0 and sys.exc_info()[0] is not None:
            journal_path.unlink(missing_ok=True)  # the run never started: nothing to resume
    progress.finish()
    written = write_report(report, options.report_dir)
    if not report.meta.incomplete:  # every rule is in report.json: the journal has done its job
        journal_path.unlink(missing_ok=True)
    print(summary_table(report))
    if options.rules or options.docs:
        print_findings(report)
    for fmt, path in written.items():
        print(f"{fmt} report: {path}")
    if (report.meta.incomplete and not options.fail_fast) or pressed():
        print(f"kms-conformance: interrupted; the partial report is marked incomplete; `kms-conformance run "
              f"--resume{_folder_option(args, options)}` runs the rest", file=sys.stderr)
        return 130
    if left_in_account(report):
        return LEFT_IN_ACCOUNT
    return 1 if any(r.fails for r in report.results) else 0


#: The ``run`` options a journal's header records (argparse names) and ``--resume`` takes from it.
#: ``--allow-account`` and ``--force-production`` are permissions, not recorded: give them again.
RECORDED = ("target", "endpoint_url", "region", "profile", "rules", "doc", "seed", "replay", "baseline",
            "exitfirst", "localstack_python", "aws_profile", "role_arn", "max_keys", "retry_mode", "max_attempts",
            "rate_limit", "permissions_boundary", "settle_seconds", "redact_account", "workers")
#: Recorded options ``--resume`` lets the user change (how the run goes, not what it finds).
RESUME_MAY_CHANGE = ("workers",)
_TYPES: dict[str, tuple[type, ...]] = {
    "doc": (list,), "seed": (int,), "max_attempts": (int,), "workers": (int,), "max_keys": (int, type(None)),
    "rate_limit": (int, float, type(None)), "settle_seconds": (int, float, type(None)),
    "exitfirst": (bool,), "redact_account": (bool,), "target": (str,), "region": (str,), "profile": (str,),
    "rules": (str,), "retry_mode": (str,)}


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Path) else list(value) if isinstance(value, tuple) else value


def recorded_options(args: argparse.Namespace) -> dict[str, Any]:
    """The header of a new journal: the :data:`RECORDED` options as given (JSON values)."""
    return {dest: _plain(getattr(args, dest, None)) for dest in RECORDED}


def _run_parser() -> argparse.ArgumentParser:
    subparsers = argparse.ArgumentParser(add_help=False).add_subparsers()
    register(subparsers)
    parser: argparse.ArgumentParser = subparsers.choices["run"]
    return parser


def resume_args(args: argparse.Namespace) -> Any:
    """``--resume``: read the journal of the report folder the options name, check the options the
    user gave against the recorded ones (a conflict is exit 2, one line) and set the recorded ones
    on ``args``; returns the journal (:class:`kms_conformance.journal.Resumed`)."""
    from kms_conformance.errors import InputError
    from kms_conformance.journal import JOURNAL_NAME, read_journal

    if args.last_failed or args.dry_run:
        raise UsageError("--resume continues the run of a journal: no --last-failed or --dry-run with it")
    folder = selection_from_args(args)[2]
    path = folder / JOURNAL_NAME
    if not path.exists():
        raise UsageError(f"--resume: no journal at {path} (a run writes it into its report folder and removes "
                         "it once the report is complete; name the folder with --report-dir)")
    resumed = read_journal(path)
    actions = {a.dest: a for a in _run_parser()._actions}
    for dest in RECORDED:
        action = actions[dest]
        source = f"{path}:1"
        if dest not in resumed.options:
            raise InputError("the header does not record this option", source=source, path=f"options.{dest}")
        value: Any = resumed.options[dest]
        if not _recorded_value_ok(dest, value, action):
            raise InputError(f"not a value of {action.option_strings[0]}: {value!r}"[:200], source=source,
                             path=f"options.{dest}")
        given = _plain(getattr(args, dest, None))
        words = getattr(args, "cli_words", ())
        typed = any(w == o or w.startswith(f"{o}=") for w in words for o in action.option_strings)
        if not typed or given == value:
            setattr(args, dest, Path(value) if dest == "baseline" and value is not None else value)
        elif dest not in RESUME_MAY_CHANGE:
            raise UsageError(f"--resume: {action.option_strings[0]} {given} conflicts with the journal's "
                             f"{value!r} ({source}); resume with the run's own options, or start a new run")
    args.report_dir = folder  # where the journal is, whatever its selection
    return resumed


def _recorded_value_ok(dest: str, value: Any, action: argparse.Action) -> bool:
    wanted = _TYPES.get(dest, (str, type(None)))
    if not isinstance(value, wanted) or (isinstance(value, bool) and bool not in wanted):
        return False
    if action.choices is not None and value not in action.choices:
        return False
    return dest != "doc" or (isinstance(value, list) and all(isinstance(d, str) for d in value))


def _folder_option(args: argparse.Namespace, options: Any) -> str:
    return f" --report-dir {options.report_dir}" if args.report_dir is not None or options.rules or options.docs \
        else ""


#: The exit status of a run whose cleanup left resources in a real account.
LEFT_IN_ACCOUNT = 4


def left_in_account(report: Any) -> bool:
    """Whether the run's cleanup left something that outlives the run (see the epilog)."""
    from kms_conformance.resources import leftovers_outlive_run

    cleanup = report.meta.cleanup
    return bool(cleanup and cleanup.left) and leftovers_outlive_run(report.meta.target, report.meta.endpoint)


def print_findings(report: Any, out: Any = None) -> None:
    """Every finding of the report's nonconformant rules in full: counterexample, expected vs
    observed, the calls the target made (when the report has them) and the replay line."""
    from kms_conformance.verdicts import Verdict

    out = out if out is not None else sys.stdout
    for result in report.results:
        if result.verdict is not Verdict.NONCONFORMANT:
            continue
        findings = result.findings or (None,)
        print(f"\n{result.rule_id} nonconformant: {result.title}", file=out)
        for n, finding in enumerate(findings, 1):
            source = finding if finding is not None else result
            if finding is not None:
                print(f"  finding {n}/{len(findings)}: {finding.summary}", file=out)
            elif result.detail:
                print(f"  {result.detail}", file=out)
            for label in ("counterexample", "expected", "observed"):
                print(f"    {label}: {_json(getattr(source, label))}", file=out)
            calls = finding.calls if finding is not None else ()
            if calls:
                print("    calls:", file=out)
            for i, call in enumerate(calls, 1):
                who = call.principal or "admin"
                code = call.outcome.get("code", "?")
                wanted = f" (model: {call.expected.get('code')})" if call.expected else ""
                print(f"      {i}. [{call.role}] {call.service}:{call.operation} as {who} -> {code}{wanted}", file=out)
                print(f"         params: {_json(call.params)}", file=out)
            replay = source.replay or result.replay
            if replay:
                print(f"    replay: {replay}", file=out)


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)
