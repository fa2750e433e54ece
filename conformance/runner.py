"""Rules x target -> verdicts: the run's orchestration.

:func:`run` selects the rules (``--rules``/``--doc``), builds the target and its reference model once
per process (:class:`_Session`; ``--workers`` processes), runs each rule with :func:`run_rule`,
applies the baseline and assembles the report (:func:`assemble_report`, also the pytest plugin's).
How one rule is run is :mod:`kms_conformance.engine`: a behaviour rule explored and shrunk with
Hypothesis (:mod:`~kms_conformance.engine.behaviour`), a config-only rule on the reference target
checked against the spec itself (:mod:`~kms_conformance.engine.config`), how hard each profile
tries (:mod:`~kms_conformance.engine.profiles`). The verdicts (DESIGN.md, Words):

* ``conformant``: no example showed a difference;
* ``nonconformant``: every distinct divergence as a finding (its own minimal example, expected vs
  observed facts, the replay command, the target's calls for that example), the first one also in
  the result's own fields;
* ``inconclusive``: a stage or control step (``scenarios.steps.must`` / ``control``) that the
  reference model completed failed on the target, so the rule's subject was never observed; the
  result names the step and the rule whose subject that step is (``blocked_by``, see
  :func:`subject_index`), where the divergence is filed;
* ``unsupported``: the target lacks an operation the rule needs (named), never ``conformant``;
* ``error``: an exception in the kit, on the reference model (a model defect) or in the
  environment (credentials, connection, ``--max-keys``), with the exception type and message;
* ``skipped``: nothing to observe on this target (a config-only rule on moto/aws).

Same seed, same verdicts: examples are drawn with ``@seed`` and no example database (unless the
profile turns one on), and shrinking is bounded by a count, not a clock.
"""

from __future__ import annotations

import dataclasses
import socket
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from kms_conformance.baseline import BaselineEntry
from kms_conformance.engine.behaviour import FEATURE, MAX_BUDGETS, REPEATS_PER_EXAMPLE, run_behavior, subject_index
from kms_conformance.engine.config import run_config
from kms_conformance.engine.outcome import describe_exc as _describe_exc
from kms_conformance.engine.outcome import jsonable
from kms_conformance.engine.profiles import PROFILES, Profile
from kms_conformance.interrupts import raising
from kms_conformance.rules import Rule
from kms_conformance.targets import TargetConfig, make_target
from kms_conformance.targets.base import Target
from kms_conformance.verdicts import Finding, Report, RuleResult, RunMeta, Verdict

__all__ = [
    "FEATURE", "MAX_BUDGETS", "NOT_RUN", "PROFILES", "REPEATS_PER_EXAMPLE", "STATIC_DETAIL", "Profile",
    "RunOptions", "assemble_report", "jsonable", "make_target", "redact_results", "replay_command", "run",
    "run_meta", "run_rule", "select_rules", "subject_index", "utc_now",
]

STATIC_DETAIL = "static rule: checked by `kms-conformance check`, not observable on a target"


@dataclass(frozen=True)
class RunOptions:
    """Everything ``kms-conformance run`` decides."""

    target: TargetConfig
    profile: str = "dev"
    seed: int = 0
    rules: tuple[str, ...] = ()
    docs: tuple[str, ...] = ()
    report_dir: Path = Path("reports")
    baseline: Path | None = None
    workers: int = 1
    redact_account: bool = False
    argv: tuple[str, ...] = field(default_factory=tuple)
    #: ``run -x``: stop at the first rule that fails (after the baseline); the rest are ``skipped``
    fail_fast: bool = False


# -- run_rule / run --------------------------------------------------------------------------------


def _base_result(rule: Rule, verdict: Verdict, **extra: Any) -> RuleResult:
    return RuleResult(rule_id=rule.id, title=rule.title, doc=rule.citation.doc, section=rule.citation.section,
                      quote=rule.citation.quote, quote_en=rule.citation.quote_en, group=rule.group,
                      severity=rule.severity, kind=rule.kinds, verdict=verdict, **extra)


def run_rule(rule: Rule, target: Target, reference: Target, *, profile: Profile, seed: int,
             replay: str, subjects: Mapping[str, str] | None = None) -> RuleResult:
    """One rule on one target. Never raises (but ``KeyboardInterrupt``): failures become verdicts.
    ``subjects`` (:func:`subject_index` of the catalogue) names the rule an inconclusive verdict is
    blocked by."""
    started = time.perf_counter()
    if rule.behavior is not None:
        outcome = run_behavior(rule, target, reference, profile, seed, subjects)
    elif target.is_reference:
        outcome = run_config(rule, profile, seed)
    else:
        outcome = {"verdict": Verdict.SKIPPED, "detail": STATIC_DETAIL}
    verdict = outcome.pop("verdict")
    outcome["detail"] = str(outcome.get("detail") or "")
    if verdict is Verdict.NONCONFORMANT:
        outcome["replay"] = replay
        outcome["findings"] = tuple(dataclasses.replace(f, replay=replay) for f in outcome.get("findings", ()))
    return _base_result(rule, verdict, duration=round(time.perf_counter() - started, 4), **outcome)


def replay_command(rule_id: str, options: RunOptions) -> str:
    """The one line that re-runs a rule exactly: same seed, profile, target and endpoint. ``--replay``
    writes into its own folder (``reports/replay-RULE/``), never over the full run's reports, and
    prints the findings in full."""
    parts = ["kms-conformance run", f"--replay {rule_id}", f"--seed {options.seed}",
             f"--target {options.target.name}"]
    if options.profile != "dev":
        parts.append(f"--profile {options.profile}")
    if options.target.endpoint_url:
        parts.append(f"--endpoint-url {options.target.endpoint_url}")
    if options.target.region != "us-east-1":
        parts.append(f"--region {options.target.region}")
    return " ".join(parts)


def select_rules(options: RunOptions, catalogue: Sequence[Rule] | None = None) -> tuple[Rule, ...]:
    """The rules ``--rules``/``--doc`` select, in catalogue order (UsageError on an unknown id)."""
    from kms_conformance import rules as rules_mod
    from kms_conformance.errors import UsageError

    pool = tuple(catalogue) if catalogue is not None else rules_mod.catalogue()
    try:
        return rules_mod.select(pool, ids=options.rules, docs=options.docs)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _error_result(rule: Rule, detail: str) -> RuleResult:
    return _base_result(rule, Verdict.ERROR, detail=detail)


class _Session:
    """A target and its reference model, built once (per process)."""

    def __init__(self, options: RunOptions, build: Callable[[TargetConfig], Target],
                 reference: Callable[[Target], Target] | None = None,
                 subjects: Mapping[str, str] | None = None) -> None:
        self.options = options
        self.profile = PROFILES[options.profile]
        self.subjects = subjects
        self.target = build(options.target)
        try:
            self.reference: Target = (reference or _model_reference)(self.target)
        except BaseException:
            self.target.close()
            raise

    def run(self, rule: Rule) -> RuleResult:
        try:
            return run_rule(rule, self.target, self.reference, profile=self.profile, seed=self.options.seed,
                            replay=replay_command(rule.id, self.options), subjects=self.subjects)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # run_rule turns failures into verdicts; this is the last guard
            return _error_result(rule, f"the runner failed: {_describe_exc(exc)}")

    def close(self) -> None:
        self.target.close()


def _model_reference(target: Target) -> Target:
    """The reference model (one per run), simulating the target's account and region."""
    from kms_conformance.targets.model import ModelTarget

    return ModelTarget(account=target.account, region=target.region)


def utc_now() -> str:
    """Now, as report.json's ``started``/``finished`` write it."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _redact(value: Any, account: str) -> Any:
    if isinstance(value, str):
        return value.replace(account, "************")
    if isinstance(value, list):
        return [_redact(v, account) for v in value]
    if isinstance(value, dict):
        return {_redact(k, account): _redact(v, account) for k, v in value.items()}
    return value


def _redact_finding(finding: Finding, account: str) -> Finding:
    from kms_conformance.verdicts import Call

    calls = tuple(Call(**_redact(dataclasses.asdict(c), account)) for c in finding.calls)
    return dataclasses.replace(finding, summary=_redact(finding.summary, account),
                               signature=_redact(finding.signature, account),
                               counterexample=_redact(finding.counterexample, account),
                               expected=_redact(finding.expected, account),
                               observed=_redact(finding.observed, account), calls=calls)


def redact_results(results: Iterable[RuleResult], account: str) -> tuple[RuleResult, ...]:
    """Mask the account id everywhere in the results (``--redact-account``)."""
    out = []
    for r in results:
        out.append(dataclasses.replace(
            r, counterexample=_redact(r.counterexample, account), expected=_redact(r.expected, account),
            observed=_redact(r.observed, account), detail=_redact(r.detail, account),
            findings=tuple(_redact_finding(f, account) for f in r.findings)))
    return tuple(out)


#: The detail of a selected rule that has no result (the run was interrupted, a worker crashed).
NOT_RUN = "not run: the run was interrupted"


def run_meta(options: RunOptions, *, describe: Mapping[str, Any], account: str | None, started: str,
             incomplete: bool = False, baseline_notes: Sequence[str] = ()) -> RunMeta:
    """The metadata of a run of ``options`` on a target that describes itself as ``describe``
    (``Target.describe()``) in ``account`` (masked with ``redact_account``), finished now."""
    from kms_conformance import __version__

    return RunMeta(
        kit_version=__version__,
        target=options.target.name,
        target_version=str(describe.get("version", "")),
        endpoint=describe.get("endpoint") or options.target.endpoint_url,
        region=options.target.region,
        account=("************" if options.redact_account and account else account),
        seed=options.seed,
        profile=options.profile,
        started=started,
        finished=utc_now(),
        host=socket.gethostname(),
        incomplete=incomplete,
        argv=options.argv,
        baseline_notes=tuple(baseline_notes),
        target_notes=tuple(str(n) for n in describe.get("notes", ()) or ()),
        cleanup=describe.get("cleanup"),
    )


def assemble_report(options: RunOptions, selected: Sequence[Rule], results: Iterable[RuleResult], *,
                    describe: Mapping[str, Any], account: str | None, started: str,
                    baseline: Sequence[BaselineEntry] = (), incomplete: bool = False,
                    today: date | None = None) -> Report:
    """The report of a run: one result per selected rule, in the selection's order (a selected rule
    without a result is ``skipped``, :data:`NOT_RUN`, and the report incomplete; a result of a rule
    outside the selection comes last), the baseline applied once over all of them, the account masked
    with ``redact_account``, and :func:`run_meta`. :func:`run` and the pytest plugin (after merging
    its xdist workers' results) both build their report with it."""
    from kms_conformance.baseline import apply_baseline

    by_id = {r.rule_id: r for r in results}
    ordered: list[RuleResult] = []
    for rule in selected:
        result = by_id.pop(rule.id, None)
        if result is None:
            incomplete = True
            result = _base_result(rule, Verdict.SKIPPED, detail=NOT_RUN)
        ordered.append(result)
    ordered.extend(by_id.values())
    final, notes = apply_baseline(ordered, baseline, options.target.name, today or date.today())
    if options.redact_account and account:
        final = redact_results(final, account)
    meta = run_meta(options, describe=describe, account=account, started=started, incomplete=incomplete,
                    baseline_notes=notes)
    return Report(meta=meta, results=tuple(final))


def run(
    options: RunOptions,
    *,
    progress: Callable[[RuleResult], None] | None = None,
    catalogue: Sequence[Rule] | None = None,
    build_target: Callable[[TargetConfig], Target] | None = None,
    build_reference: Callable[[Target], Target] | None = None,
    today: date | None = None,
    record: Callable[[RuleResult], None] | None = None,
    prior: Sequence[RuleResult] = (),
    started: str | None = None,
) -> Report:
    """Select the rules, build the target once, run every rule (in ``workers`` processes when > 1,
    :mod:`kms_conformance.workers`), apply the baseline and return the report. Ctrl-C, and with
    ``fail_fast`` the first failing rule, return the partial report, marked incomplete (the rules not
    run are ``skipped``); a Ctrl-C during the cleanup stops it, and the report lists what it left
    (:mod:`kms_conformance.interrupts`). ``record`` gets each result as its rule ends (account masked
    with ``redact_account``; the journal, :mod:`kms_conformance.journal`); the rules of ``prior``
    (a resumed run's journaled results) are not run again, their results are the report's.
    ``catalogue``, ``build_target`` and ``build_reference`` replace the spec catalogue,
    :func:`make_target` and the reference model (tests)."""
    from kms_conformance.baseline import check_rule_ids, load_baseline
    from kms_conformance.errors import UsageError

    if options.profile not in PROFILES:
        raise UsageError(f"unknown profile {options.profile!r}; one of: {', '.join(PROFILES)}")
    if options.workers < 1:
        raise UsageError("--workers must be 1 or more")
    selected = select_rules(options, catalogue)
    from kms_conformance import rules as rules_mod

    every_rule = tuple(catalogue) if catalogue is not None else rules_mod.catalogue()
    subjects = subject_index(every_rule)
    entries = load_baseline(options.baseline) if options.baseline else ()
    check_rule_ids(entries, (r.id for r in every_rule), source=str(options.baseline))
    build = build_target or make_target
    started = started or utc_now()
    results: dict[str, RuleResult] = {r.rule_id: r for r in prior}
    todo = [rule for rule in selected if rule.id not in results]
    incomplete = False
    describe: Mapping[str, Any] = {"name": options.target.name, "version": "", "endpoint": None}
    account: str | None = None

    def done(result: RuleResult) -> bool:
        """Record ``result``; True when the run stops here (``fail_fast`` and a failing rule)."""
        results[result.rule_id] = result
        if record is not None:
            record(redact_results([result], account)[0] if options.redact_account and account else result)
        if progress is not None:
            progress(result)
        if not options.fail_fast:
            return False
        from kms_conformance.baseline import apply_baseline

        judged, _ = apply_baseline([result], entries, options.target.name, today or date.today())
        return any(r.fails for r in judged)

    def described(about: Mapping[str, Any], who: str | None) -> None:
        nonlocal describe, account
        describe, account = about or describe, who

    if todo and (options.workers == 1 or len(todo) <= 1):
        try:
            with raising():
                session = _Session(options, build, build_reference, subjects)
        except KeyboardInterrupt:  # before the target was built: a report with no rule run
            return assemble_report(options, selected, results.values(), describe=describe, account=account,
                                   started=started, baseline=entries, incomplete=True, today=today)
        described(session.target.describe(), session.target.account)
        try:
            with raising():
                for rule in todo:
                    if done(session.run(rule)):
                        break
        except KeyboardInterrupt:
            incomplete = True
        finally:
            try:
                with raising():  # a Ctrl-C here stops the cleanup; the target lists what it skipped
                    session.close()
            except KeyboardInterrupt:
                incomplete = True
            describe = session.target.describe()  # again, closed: what the run filtered, what cleanup left
    elif todo:
        from kms_conformance.workers import run_in_workers

        pooled = run_in_workers(
            todo, options.workers, make_session=lambda: _Session(options, build, build_reference, subjects),
            error_result=_error_result, done=done, described=described)
        describe, account, incomplete = pooled.describe or describe, pooled.account, pooled.interrupted
    return assemble_report(options, selected, results.values(), describe=describe, account=account,
                           started=started, baseline=entries, incomplete=incomplete, today=today)
