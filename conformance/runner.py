"""Rules x target -> verdicts, driven by Hypothesis.

For a behaviour rule, Hypothesis draws examples from ``rule.behavior.examples()``; each example's
scenario runs on the reference model and on the target under test, and ``rule.behavior.compare``
says whether their facts differ. A difference is shrunk to a minimal counterexample, which the
verdict records with the expected and observed facts and a one-line replay command. The verdicts
(DESIGN.md, Words):

* ``conformant``: no example showed a difference;
* ``nonconformant``: the minimal example, expected vs observed facts, the replay command;
* ``unsupported``: the target lacks an operation the rule needs (named), never ``conformant``;
* ``error``: an exception in the kit, on the reference model (a model defect) or in the
  environment (credentials, connection, ``--max-keys``), with the exception type and message;
* ``skipped``: nothing to observe on this target (a config-only rule on moto/aws).

A config-only rule on the ``model`` target is checked against the spec itself: compliant setups of
the service's :class:`~kms_conformance.rules.ServiceSpec` must pass it and its mutator's setups must
fail it. Same seed, same verdicts: examples are drawn with ``@seed`` and no example database
(unless the profile turns one on), and shrinking is bounded by a count, not a clock.
"""

from __future__ import annotations

import base64
import concurrent.futures
import dataclasses
import multiprocessing
import multiprocessing.util
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from kms_conformance.rules import Rule
from kms_conformance.targets import TargetConfig, make_target
from kms_conformance.targets.base import Target, UnsupportedOperation
from kms_conformance.verdicts import Report, RuleResult, RunMeta, Verdict

STATIC_DETAIL = "static rule: checked by `kms-conformance check`, not observable on a target"


@dataclass(frozen=True)
class Profile:
    """How hard to try: examples per rule (fewer for lifecycle rules), a per-example deadline,
    whether Hypothesis's example database is used, and how many shrink steps a failure gets."""

    name: str
    max_examples: int
    lifecycle_examples: int
    deadline_ms: int | None
    database: bool
    shrink_budget: int = 100


PROFILES: Mapping[str, Profile] = {
    # dev: quick feedback while writing rules; the database replays earlier failures first.
    "dev": Profile("dev", max_examples=10, lifecycle_examples=3, deadline_ms=None, database=True, shrink_budget=50),
    # ci: deterministic (no database), moderate; the budget the issue sets is < 60 s on moto.
    "ci": Profile("ci", max_examples=25, lifecycle_examples=5, deadline_ms=None, database=False, shrink_budget=100),
    # nightly: wider search against sandbox accounts; a slow example is reported, not waited for.
    "nightly": Profile("nightly", max_examples=100, lifecycle_examples=20, deadline_ms=120_000, database=False,
                       shrink_budget=300),
    # sandbox: a real AWS account, where every example creates keys and roles (money) and waits for IAM
    # and KMS to settle (time): few examples, a short shrink; `run --dry-run --target aws` estimates it.
    "sandbox": Profile("sandbox", max_examples=3, lifecycle_examples=1, deadline_ms=None, database=False,
                       shrink_budget=20),
}


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


# -- JSON-safe values ---------------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    """A JSON-safe copy: bytes as base64 (``{"$bytes": ...}``), sets sorted, dataclasses as dicts."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes | bytearray):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        items = [jsonable(v) for v in value]
        return sorted(items, key=repr)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return repr(value)


def _describe_exc(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


# -- one behaviour rule -------------------------------------------------------------------------


class _Stop(BaseException):
    """Ends the Hypothesis run at once with a verdict that is not a divergence."""

    def __init__(self, verdict: Verdict, detail: str, operation: str | None = None) -> None:
        super().__init__(detail)
        self.verdict = verdict
        self.detail = detail
        self.operation = operation


class _Divergence(Exception):
    """The target's facts differ from the model's on one example (Hypothesis shrinks these)."""

    def __init__(self, diff: str) -> None:
        super().__init__(diff)
        self.diff = diff


@dataclass
class _State:
    examples: int = 0
    failures: int = 0
    last: tuple[Any, Any, Any, str] | None = None  # example, expected, observed, diff


def _settings(profile: Profile, max_examples: int) -> Any:
    from hypothesis import HealthCheck, Phase, Verbosity, settings
    from hypothesis.database import DirectoryBasedExampleDatabase

    database = DirectoryBasedExampleDatabase(".hypothesis/kms-conformance") if profile.database else None
    return settings(
        max_examples=max_examples,
        deadline=profile.deadline_ms,
        database=database,
        derandomize=False,
        phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        print_blob=False,
        report_multiple_bugs=False,
        verbosity=Verbosity.quiet,
    )


def _observe(rule: Rule, target: Target, example: Any) -> tuple[Mapping[str, Any], str | None]:
    """Run the scenario on the target: its facts (and None), or the failed setup step and why."""
    from kms_conformance.scenarios.steps import StepFailed

    assert rule.behavior is not None
    try:
        return dict(rule.behavior.scenario(target, example)), None
    except StepFailed as exc:  # what the target did: a setup step the model completes failed there
        failed = {"failed_step": exc.step, "error": exc.outcome.code, "message": exc.outcome.message}
        return failed, f"setup step {exc.step} failed on the target: {exc.outcome.code}: {exc.outcome.message}"
    except UnsupportedOperation as exc:
        raise _Stop(Verdict.UNSUPPORTED, f"the target lacks {exc.name}" + (f" ({exc.detail})" if exc.detail else ""),
                    operation=exc.name) from None
    except (KeyboardInterrupt, _Stop):
        raise
    except Exception as exc:  # the kit or the environment failed while talking to the target
        raise _Stop(Verdict.ERROR, f"exception while running on the target: {_describe_exc(exc)}") from None


def _expect(rule: Rule, reference: Target, example: Any) -> Mapping[str, Any]:
    """Run the scenario on the reference model; any failure there is a defect of the model."""
    assert rule.behavior is not None
    try:
        return dict(rule.behavior.scenario(reference, example))
    except (KeyboardInterrupt, _Stop):
        raise
    except UnsupportedOperation as exc:
        raise _Stop(Verdict.ERROR, f"reference model lacks {exc.name} (a model defect)") from None
    except Exception as exc:
        raise _Stop(Verdict.ERROR, f"reference model failed (a model defect): {_describe_exc(exc)}") from None


def _run_behavior(rule: Rule, target: Target, reference: Target, profile: Profile, seed: int) -> dict[str, Any]:
    from hypothesis import given
    from hypothesis import seed as hyp_seed
    from hypothesis.errors import DeadlineExceeded, Flaky, HypothesisException

    behavior = rule.behavior
    assert behavior is not None
    state = _State()
    n = profile.lifecycle_examples if behavior.lifecycle else profile.max_examples

    def check(example: Any) -> None:
        if state.failures > profile.shrink_budget:  # bounded shrink: keep the smallest failure so far
            raise _Stop(Verdict.NONCONFORMANT, "shrink budget spent")
        state.examples += 1
        expected = _expect(rule, reference, example)
        observed, step_failure = _observe(rule, target, example)
        try:
            diff = step_failure or behavior.compare(expected, observed)
        except Exception as exc:
            raise _Stop(Verdict.ERROR, f"the rule's compare failed: {_describe_exc(exc)}") from None
        if diff:
            state.failures += 1
            state.last = (example, expected, observed, diff)
            raise _Divergence(diff)

    check.__name__ = check.__qualname__ = f"rule_{rule.id.replace('-', '_')}"
    check._hypothesis_internal_add_digest = rule.id.encode()  # type: ignore[attr-defined]
    try:
        strategy = behavior.examples()
    except Exception as exc:
        return {"verdict": Verdict.ERROR, "detail": f"the rule's strategy failed: {_describe_exc(exc)}"}
    test = _settings(profile, n)(hyp_seed(seed)(given(strategy)(check)))
    try:
        test()
    except _Stop as stop:
        if stop.verdict is not Verdict.NONCONFORMANT:
            return {"verdict": stop.verdict, "detail": stop.detail, "unsupported_operation": stop.operation,
                    "examples": state.examples}
    except _Divergence:
        pass
    except (Flaky, DeadlineExceeded) as exc:
        if state.last is None:
            return {"verdict": Verdict.ERROR, "detail": f"{_describe_exc(exc)}"[:2000], "examples": state.examples}
        note = f" (Hypothesis: {type(exc).__name__}: the failure did not reproduce identically)"
        return _nonconformant(state, note)
    except HypothesisException as exc:
        return {"verdict": Verdict.ERROR, "detail": f"Hypothesis: {_describe_exc(exc)}"[:2000],
                "examples": state.examples}
    except BaseExceptionGroup as exc:  # several distinct failures: keep ours
        if state.last is None:
            return {"verdict": Verdict.ERROR, "detail": _describe_exc(exc), "examples": state.examples}
    except Exception as exc:  # e.g. the strategy raised while drawing an example: a kit defect
        return {"verdict": Verdict.ERROR, "detail": f"while generating examples: {_describe_exc(exc)}"[:2000],
                "examples": state.examples}
    if state.last is None:
        return {"verdict": Verdict.CONFORMANT, "examples": state.examples}
    return _nonconformant(state, "")


def _nonconformant(state: _State, note: str) -> dict[str, Any]:
    assert state.last is not None
    example, expected, observed, diff = state.last
    return {"verdict": Verdict.NONCONFORMANT, "examples": state.examples, "counterexample": jsonable(example),
            "expected": jsonable(expected), "observed": jsonable(observed), "detail": diff + note}


# -- one config-only rule (model target: the spec checked against itself) -------------------------


def _run_config(rule: Rule, profile: Profile, seed: int) -> dict[str, Any]:
    """Compliant setups must pass the rule; its mutator's setups must fail it."""
    from hypothesis import given
    from hypothesis import seed as hyp_seed
    from hypothesis import strategies as st
    from kms_conformance.rules import services
    from kms_conformance.setup import parse_setup

    assert rule.check is not None
    check_fn = rule.check
    specs = services()
    if rule.service == "kms":
        candidates = list(specs.values())
    elif rule.service in specs:
        candidates = [specs[rule.service]]
    else:
        return {"verdict": Verdict.ERROR, "detail": f"no ServiceSpec registered for service {rule.service!r}"}
    mutating = [s for s in candidates if rule.id in s.mutators]
    if rule.service != "kms" and not mutating:
        return {"verdict": Verdict.ERROR,
                "detail": f"the {rule.service} ServiceSpec has no mutator for {rule.id}: "
                          "the rule cannot be shown to fail"}
    if not candidates:
        return {"verdict": Verdict.SKIPPED, "detail": "no service registers compliant setups yet"}

    state: dict[str, Any] = {"examples": 0, "applicable": 0, "last": None}

    class _Broken(Exception):
        pass

    def parsed(raw: dict[str, Any], spec_name: str) -> Any:
        try:
            return parse_setup(raw, source=f"<{spec_name} strategy>")
        except Exception as exc:
            raise _Stop(Verdict.ERROR, f"{spec_name} strategy produced an unparsable setup: "
                                       f"{_describe_exc(exc)}") from None

    def checked(setup: Any) -> tuple[bool, list[str]]:
        try:
            applies = rule.applies is None or bool(rule.applies(setup))
            return applies, (list(check_fn(setup)) if applies else [])
        except Exception as exc:
            raise _Stop(Verdict.ERROR, f"the rule's check failed: {_describe_exc(exc)}") from None

    def compliant_case(spec_name: str, raw: dict[str, Any]) -> None:
        state["examples"] += 1
        applies, reasons = checked(parsed(raw, spec_name))
        if applies:
            state["applicable"] += 1
            if reasons:
                state["last"] = ({"compliant_setup": raw}, "holds", reasons,
                                 f"a compliant {spec_name} setup breaks the rule: {'; '.join(reasons)}")
                raise _Broken()

    def mutated_case(spec_name: str, raw: dict[str, Any]) -> None:
        state["examples"] += 1
        applies, reasons = checked(parsed(raw, spec_name))
        if not applies or not reasons:
            state["last"] = ({"mutated_setup": raw}, "violated", "not applicable" if not applies else "holds",
                             f"the {spec_name} mutator for {rule.id} produced a setup the rule accepts")
            raise _Broken()

    strategies = [st.tuples(st.just(("c", s.name)), s.compliant()) for s in candidates]
    strategies += [st.tuples(st.just(("m", s.name)), s.compliant()) for s in mutating]
    by_name = {s.name: s for s in mutating}

    def one(case: tuple[tuple[str, str], dict[str, Any]], data: Any) -> None:
        from hypothesis import reject
        from kms_conformance.strategies.mutators import NotApplicable

        (which, name), raw = case
        if which == "c":
            compliant_case(name, raw)
            return
        try:  # a mutator that does not fit this compliant setup says so: draw another setup
            mutated = data.draw(by_name[name].mutators[rule.id](raw), label="mutated setup")
        except NotApplicable:
            reject()
        mutated_case(name, mutated)

    one.__name__ = one.__qualname__ = f"config_{rule.id.replace('-', '_')}"
    one._hypothesis_internal_add_digest = rule.id.encode()  # type: ignore[attr-defined]
    test = _settings(profile, profile.max_examples)(hyp_seed(seed)(given(st.one_of(strategies), st.data())(one)))
    try:
        test()
    except _Stop as stop:
        return {"verdict": stop.verdict, "detail": stop.detail, "examples": state["examples"]}
    except _Broken:
        pass
    except Exception as exc:
        if state["last"] is None:
            return {"verdict": Verdict.ERROR, "detail": f"config self-check failed: {_describe_exc(exc)}"[:2000],
                    "examples": state["examples"]}
    if state["last"] is not None:
        example, expected, observed, diff = state["last"]
        return {"verdict": Verdict.NONCONFORMANT, "examples": state["examples"], "counterexample": jsonable(example),
                "expected": expected, "observed": jsonable(observed), "detail": diff}
    detail = "" if mutating else "no mutator registered: only compliant setups were checked"
    if not state["applicable"] and not mutating:
        return {"verdict": Verdict.SKIPPED, "examples": state["examples"],
                "detail": "no compliant setup of any service applies to this rule"}
    return {"verdict": Verdict.CONFORMANT, "examples": state["examples"], "detail": detail}


# -- run_rule / run --------------------------------------------------------------------------------


def _base_result(rule: Rule, verdict: Verdict, **extra: Any) -> RuleResult:
    return RuleResult(rule_id=rule.id, title=rule.title, doc=rule.citation.doc, section=rule.citation.section,
                      quote=rule.citation.quote, severity=rule.severity, kind=rule.kinds, verdict=verdict, **extra)


def run_rule(rule: Rule, target: Target, reference: Target, *, profile: Profile, seed: int,
             replay: str) -> RuleResult:
    """One rule on one target. Never raises (but ``KeyboardInterrupt``): failures become verdicts."""
    started = time.perf_counter()
    if rule.behavior is not None:
        outcome = _run_behavior(rule, target, reference, profile, seed)
    elif target.name == "model":
        outcome = _run_config(rule, profile, seed)
    else:
        outcome = {"verdict": Verdict.SKIPPED, "detail": STATIC_DETAIL}
    verdict = outcome.pop("verdict")
    outcome["detail"] = str(outcome.get("detail") or "")
    if verdict is Verdict.NONCONFORMANT:
        outcome["replay"] = replay
    return _base_result(rule, verdict, duration=round(time.perf_counter() - started, 4), **outcome)


def replay_command(rule_id: str, options: RunOptions) -> str:
    """The one line that re-runs a rule exactly: same seed, profile, target and endpoint."""
    parts = ["kms-conformance run", f"--rules {rule_id}", f"--seed {options.seed}",
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
                 reference: Callable[[Target], Target] | None = None) -> None:
        self.options = options
        self.profile = PROFILES[options.profile]
        self.target = build(options.target)
        try:
            self.reference: Target = (reference or _model_reference)(self.target)
        except BaseException:
            self.target.close()
            raise

    def run(self, rule: Rule) -> RuleResult:
        try:
            return run_rule(rule, self.target, self.reference, profile=self.profile, seed=self.options.seed,
                            replay=replay_command(rule.id, self.options))
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


_WORKER: dict[str, Any] = {}


def _worker_init(options: RunOptions, rules: Sequence[Rule], build: Callable[[TargetConfig], Target],
                 reference: Callable[[Target], Target] | None, key_counter: Any) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and cancels
    _WORKER["rules"] = {r.id: r for r in rules}
    try:
        _WORKER["session"] = _Session(options, build, reference)
    except Exception as exc:
        _WORKER["session_error"] = _describe_exc(exc)
    else:
        share = getattr(_WORKER["session"].target, "share_key_budget", None)
        if share is not None:  # --max-keys caps the whole run, not each worker
            share(key_counter)
        # Run when the worker process exits, after its last rule (the pool ends its workers itself).
        multiprocessing.util.Finalize(None, _worker_close, exitpriority=10)


def _worker_run(rule_id: str) -> RuleResult:
    rule = _WORKER["rules"][rule_id]
    if "session" not in _WORKER:
        return _error_result(rule, f"the worker could not build the target: {_WORKER.get('session_error')}")
    result: RuleResult = _WORKER["session"].run(rule)
    return result


def _worker_describe() -> tuple[dict[str, Any], str | None]:
    session = _WORKER.get("session")
    if session is None:
        return {}, None
    return dict(session.target.describe()), session.target.account


def _worker_close() -> None:
    session = _WORKER.pop("session", None)
    if session is not None:
        session.close()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _redact(value: Any, account: str) -> Any:
    if isinstance(value, str):
        return value.replace(account, "************")
    if isinstance(value, list):
        return [_redact(v, account) for v in value]
    if isinstance(value, dict):
        return {_redact(k, account): _redact(v, account) for k, v in value.items()}
    return value


def redact_results(results: Iterable[RuleResult], account: str) -> tuple[RuleResult, ...]:
    """Mask the account id everywhere in the results (``--redact-account``)."""
    out = []
    for r in results:
        out.append(dataclasses.replace(
            r, counterexample=_redact(r.counterexample, account), expected=_redact(r.expected, account),
            observed=_redact(r.observed, account), detail=_redact(r.detail, account)))
    return tuple(out)


def run(
    options: RunOptions,
    *,
    progress: Callable[[RuleResult], None] | None = None,
    catalogue: Sequence[Rule] | None = None,
    build_target: Callable[[TargetConfig], Target] | None = None,
    build_reference: Callable[[Target], Target] | None = None,
    today: date | None = None,
) -> Report:
    """Select the rules, build the target once, run every rule (in ``workers`` processes when > 1),
    apply the baseline and return the report. Ctrl-C returns the partial report, marked incomplete
    (the rules not run are ``skipped``). ``catalogue``, ``build_target`` and ``build_reference``
    replace the spec catalogue, :func:`make_target` and the reference model (tests)."""
    from kms_conformance import __version__
    from kms_conformance.baseline import apply_baseline, load_baseline
    from kms_conformance.errors import UsageError

    if options.profile not in PROFILES:
        raise UsageError(f"unknown profile {options.profile!r}; one of: {', '.join(PROFILES)}")
    if options.workers < 1:
        raise UsageError("--workers must be 1 or more")
    selected = select_rules(options, catalogue)
    entries = load_baseline(options.baseline) if options.baseline else ()
    build = build_target or make_target
    started = _now()
    results: dict[str, RuleResult] = {}
    incomplete = False

    def done(result: RuleResult) -> None:
        results[result.rule_id] = result
        if progress is not None:
            progress(result)

    describe: Mapping[str, Any] = {"name": options.target.name, "version": "", "endpoint": None}
    account: str | None = None
    if options.workers == 1 or len(selected) <= 1:
        session = _Session(options, build, build_reference)
        describe, account = session.target.describe(), session.target.account
        try:
            for rule in selected:
                done(session.run(rule))
        except KeyboardInterrupt:
            incomplete = True
        finally:
            session.close()
    else:
        ctx = multiprocessing.get_context("fork")
        pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=options.workers, mp_context=ctx, initializer=_worker_init,
            initargs=(options, selected, build, build_reference, ctx.Value("i", 0)))
        try:
            described, account = pool.submit(_worker_describe).result()
            describe = described or describe
            futures = {pool.submit(_worker_run, r.id): r for r in selected}
            for fut in concurrent.futures.as_completed(futures):
                try:
                    done(fut.result())
                except Exception as exc:  # a worker died
                    done(_error_result(futures[fut], f"worker process failed: {_describe_exc(exc)}"))
        except KeyboardInterrupt:
            incomplete = True
            pool.shutdown(wait=False, cancel_futures=True)
        finally:
            # Each worker closes its own target when it exits (see _worker_init): the aws target
            # cleans up what that worker created.
            if not incomplete:
                pool.shutdown(wait=True)
    ordered: list[RuleResult] = []
    for rule in selected:
        result = results.get(rule.id)
        if result is None:
            result = _base_result(rule, Verdict.SKIPPED, detail="not run: the run was interrupted")
        ordered.append(result)
    final, notes = apply_baseline(ordered, entries, options.target.name, today or date.today())
    if options.redact_account and account:
        final = redact_results(final, account)
    meta = RunMeta(
        kit_version=__version__,
        target=options.target.name,
        target_version=str(describe.get("version", "")),
        endpoint=describe.get("endpoint"),
        region=options.target.region,
        account=("************" if options.redact_account and account else account),
        seed=options.seed,
        profile=options.profile,
        started=started,
        finished=_now(),
        host=socket.gethostname(),
        incomplete=incomplete,
        argv=options.argv,
        baseline_notes=tuple(notes),
        target_notes=tuple(str(n) for n in describe.get("notes", ()) or ()),
    )
    return Report(meta=meta, results=tuple(final))


def new_run_id() -> str:
    """A short id for this run: tags, names and sweep find it again."""
    return f"{datetime.now(UTC).strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}-{os.getpid() % 1000}"
