"""The pytest plugin of kms-conformance (entry point ``pytest11: kms_conformance``).

Installing the kit loads this module into every pytest run, so it is **inert unless asked**: at
import it needs only pytest and the standard library (the fixtures module is as light), it adds
its command-line options (seen in ``--help`` only) and its fixtures (which do nothing until a test
requests them), and nothing else. Everything else starts with ``--kms-conformance``:

* one pytest item per rule of the catalogue, node id ``kms-conformance::AOSS-06``, selectable
  with ``-k``, ``-m kms_conformance``, ``-x``, ``--lf``, by its node id on the command line
  (``pytest --kms-conformance "kms-conformance::AOSS-06"``, which is a failure's replay line), and
  run under pytest-xdist (``-n 2``);
* verdicts become outcomes: conformant passes; nonconformant fails with the explanation (rule,
  quote, expected, observed, counterexample, replay command); error is a pytest *error*;
  unsupported and skipped are *skipped* with the reason; a known divergence of the baseline is
  *xfailed* with its reason. Nothing but ``conformant`` is ever a pass;
* the run writes the same reports as ``kms-conformance run`` (``report.json``, ``junit.xml``,
  ``report.md``, ``report.html``) in ``--kms-report-dir``, merged across xdist workers (each
  worker hands its results to the controller through ``workeroutput``).

The Hypothesis settings profiles ``kms-dev``, ``kms-ci`` and ``kms-nightly`` (the runner's
``PROFILES``) are registered only when the plugin is active or ``--hypothesis-profile`` names one
of them: registering imports Hypothesis and the runner, which an unrelated test run must not pay
for. :func:`register_profiles` registers them on demand (in a ``conftest.py``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

# Fixtures for users' own tests; the module is as light as this one (see its docstring).
from kms_conformance.fixtures import (  # noqa: F401  (registered with the plugin by being in its namespace)
    ConfinedTarget,
    _kms_confined_target,
    _kms_target_live,
    assert_conformant,
    kms_enforce,
    kms_key,
    kms_principal,
    kms_record,
    kms_target,
    options_target_config,
)

if TYPE_CHECKING:
    from kms_conformance.rules import Rule
    from kms_conformance.runner import RunOptions
    from kms_conformance.targets.base import Target
    from kms_conformance.verdicts import Report, RuleResult

COLLECTOR_NAME = "kms-conformance"
MARKER = "kms_conformance"
ENFORCE_MARKER = "kms_enforce"
PLUGIN_NAME = "kms-conformance-session"
_WORKER_KEY = "kms_conformance_report"
TARGETS = ("model", "moto", "aws")
RUN_PROFILES = ("dev", "ci", "nightly", "sandbox")
HYPOTHESIS_PREFIX = "kms-"


def pytest_addoption(parser: pytest.Parser) -> None:
    """The options mirror ``kms-conformance run``; all are inert without ``--kms-conformance``
    (the target options also configure the ``kms_target`` fixture)."""
    group = parser.getgroup("kms-conformance", "kms-conformance: run the rule catalogue as tests")
    group.addoption("--kms-conformance", action="store_true", default=False,
                    help="collect one test per rule of the kms-conformance catalogue (node ids kms-conformance::ID)")
    group.addoption("--kms-target", choices=TARGETS, default="moto",
                    help="where the rules (and the kms_target fixture) run: model, moto (in-process, default, "
                         "as the CLI) or aws (any endpoint; real AWS only if allow-listed)")
    group.addoption("--kms-endpoint-url", default=None, help="endpoint of the aws target (a moto server, LocalStack)")
    group.addoption("--kms-region", default="us-east-1", help="region (default us-east-1)")
    group.addoption("--kms-aws-profile", default=None, help="named profile of the AWS shared config")
    group.addoption("--kms-profile", choices=RUN_PROFILES, default=None,
                    help="run profile (examples per rule): dev, ci, nightly; default: the one --hypothesis-profile "
                         "kms-* names, else dev")
    group.addoption("--kms-rules", action="append", default=[], metavar="IDS",
                    help="rule ids or prefixes (AOSS-06, MWAA-*), comma separated, repeatable")
    group.addoption("--kms-doc", action="append", default=[], metavar="DOC",
                    help="only the rules of this document (file name or short name), repeatable")
    group.addoption("--kms-seed", type=int, default=0, help="seed of the example generation (default 0)")
    group.addoption("--kms-report-dir", default="reports", help="where the reports go (default ./reports)")
    group.addoption("--kms-baseline", default=None, help="known divergences (baseline file)")
    group.addoption("--kms-allow-account", action="append", default=[], metavar="ID",
                    help="account id the aws target may write to (also KMS_CONFORMANCE_ALLOW_ACCOUNTS)")
    group.addoption("--kms-role-arn", default=None, help="role the aws target assumes before the run")
    group.addoption("--kms-max-keys", type=int, default=None, help="cap on KMS keys the run may create")
    group.addoption("--kms-permissions-boundary", default=None, metavar="POLICY_ARN",
                    help="managed policy set as the permissions boundary of every role the kit creates")
    group.addoption("--kms-retry-mode", choices=("standard", "adaptive"), default="standard",
                    help="botocore retry mode of the boto3 targets (default standard)")
    group.addoption("--kms-force-production", action="store_true", default=False,
                    help="write even to an account whose alias looks like production")
    group.addoption("--kms-enforce", action="store_true", default=False,
                    help="every test: KMS requests to moto in process are authorized by the kit's reference model "
                         "(as @pytest.mark.kms_enforce; the kms_enforce fixture)")


@pytest.hookimpl(tryfirst=True)  # before Hypothesis' own plugin loads --hypothesis-profile
def pytest_configure(config: pytest.Config) -> None:
    active = bool(config.getoption("kms_conformance"))
    hyp_profile = config.getoption("hypothesis_profile", None)
    if active or (isinstance(hyp_profile, str) and hyp_profile.startswith(HYPOTHESIS_PREFIX)):
        register_profiles()
    config.addinivalue_line("markers", f"{ENFORCE_MARKER}: KMS requests to moto in process are authorized by the "
                                       "kit's reference model (the kms_enforce fixture)")
    if not active:
        return
    _take_rule_node_ids(config)
    config.addinivalue_line("markers", f"{MARKER}: one rule of the kms-conformance catalogue (--kms-conformance)")
    config.pluginmanager.register(ConformanceSession(config), PLUGIN_NAME)


@pytest.fixture(autouse=True)
def _kms_enforce_when_asked(request: pytest.FixtureRequest) -> None:
    """Turns the ``kms_enforce`` fixture on for a test marked ``@pytest.mark.kms_enforce``, or for
    every test with ``--kms-enforce``; costs one marker lookup otherwise (imports nothing)."""
    if request.config.getoption("kms_enforce", False) or request.node.get_closest_marker(ENFORCE_MARKER):
        request.getfixturevalue("kms_enforce")


def register_profiles() -> None:
    """Register ``kms-dev``, ``kms-ci``, ``kms-nightly`` with Hypothesis, from the runner's PROFILES
    (examples per test, deadline, example database), for users' own ``@given`` tests."""
    from hypothesis import settings
    from kms_conformance.runner import PROFILES

    for name, profile in PROFILES.items():
        extra: dict[str, Any] = {} if profile.database else {"database": None}
        settings.register_profile(
            f"{HYPOTHESIS_PREFIX}{name}",
            max_examples=profile.max_examples,
            deadline=profile.deadline_ms,
            **extra,
        )


def _take_rule_node_ids(config: pytest.Config) -> None:
    """Rule node ids on the command line (``kms-conformance::KMS-03``) name no file, which pytest's
    collection would refuse: they are taken out of the arguments and select their rules as
    ``--kms-rules`` does (a run given only node ids collects no test file)."""
    prefix = f"{COLLECTOR_NAME}::"
    ids = [arg[len(prefix):] for arg in config.args if arg.startswith(prefix)]
    if not ids:
        return
    config.args[:] = [arg for arg in config.args if not arg.startswith(prefix)]
    config.option.kms_rules = [*config.getoption("kms_rules"), ",".join(ids)]


def rule_replay_line(rule_id: str, options: RunOptions) -> str:
    """The pytest command that re-runs one rule item exactly (same target, endpoint, region, profile
    and seed), naming it by its node id.

    >>> from kms_conformance.runner import RunOptions
    >>> from kms_conformance.targets import TargetConfig
    >>> rule_replay_line("KMS-03", RunOptions(target=TargetConfig(name="moto"), seed=4))
    'pytest --kms-conformance --kms-target moto --kms-seed 4 kms-conformance::KMS-03'
    """
    import shlex

    target = options.target
    parts = ["pytest", "--kms-conformance", "--kms-target", target.name, "--kms-seed", str(options.seed)]
    if options.profile != "dev":
        parts += ["--kms-profile", options.profile]
    if target.endpoint_url:
        parts += ["--kms-endpoint-url", target.endpoint_url]
    if target.region != "us-east-1":
        parts += ["--kms-region", target.region]
    return shlex.join([*parts, f"{COLLECTOR_NAME}::{rule_id}"])


def run_profile_name(config: pytest.Config) -> str:
    """``--kms-profile``, else the run profile a ``--hypothesis-profile kms-*`` names, else ``dev``."""
    explicit = config.getoption("kms_profile")
    if explicit:
        return str(explicit)
    hyp = config.getoption("hypothesis_profile", None)
    if isinstance(hyp, str) and hyp.startswith(HYPOTHESIS_PREFIX) and hyp[len(HYPOTHESIS_PREFIX):] in RUN_PROFILES:
        return hyp[len(HYPOTHESIS_PREFIX):]
    return "dev"


def _split(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def explain(result: RuleResult) -> str:
    """What a failing rule item shows: the same text as the junit report's failure body."""
    from kms_conformance.report.junit import failure_text

    first = result.detail.splitlines()[0] if result.detail else "the target differs from the reference model"
    return f"{result.rule_id} nonconformant: {first}\n\n" + failure_text(result)


def skip_reason(result: RuleResult) -> str:
    """Why a rule was not tested: ``unsupported: the target lacks mwaa:GetEnvironment (...)``."""
    from kms_conformance.verdicts import Verdict

    if result.verdict is Verdict.UNSUPPORTED:
        detail = result.detail or f"the target lacks {result.unsupported_operation or 'an operation'}"
        return f"unsupported: {detail}"
    return f"{result.verdict.value}: {result.detail}" if result.detail else result.verdict.value


class RuleFailed(Exception):
    """A nonconformant verdict (shown without a Python traceback: the explanation is the message)."""


class RuleCollector(pytest.Collector):
    """The virtual parent of the rule items (node id ``kms-conformance``); it has no file."""

    def collect(self) -> Iterator[pytest.Item | pytest.Collector]:  # pragma: no cover - items are made directly
        return iter(())


class RuleItem(pytest.Item):
    """One rule of the catalogue as a pytest test. The rule runs in ``setup`` (so that a verdict
    ``error`` is a pytest error, not a failure); ``runtest`` turns the verdict into the outcome."""

    def __init__(self, *, rule: Rule, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        from kms_conformance.rules import DOCS

        self.rule = rule
        self.result: RuleResult | None = None
        self.add_marker(MARKER)
        self.extra_keyword_matches.update(
            {rule.service, rule.severity, *rule.kinds, DOCS.get(rule.citation.doc, rule.citation.doc)})

    def _session(self) -> ConformanceSession:
        plugin = self.config.pluginmanager.get_plugin(PLUGIN_NAME)
        assert isinstance(plugin, ConformanceSession)
        return plugin

    def setup(self) -> None:
        from kms_conformance.verdicts import Verdict

        self.result = self._session().run_rule(self.rule)
        if self.result.verdict is Verdict.ERROR:
            replay = f"\nreplay: {self.result.replay}" if self.result.replay else ""
            pytest.fail(f"{self.rule.id} error (the kit or the environment failed; never counted as conformant): "
                        f"{self.result.detail}{replay}", pytrace=False)

    def runtest(self) -> None:
        from kms_conformance.report.summary import reason_text
        from kms_conformance.verdicts import Verdict

        result = self.result
        assert result is not None
        if result.verdict is Verdict.CONFORMANT:
            return
        if result.verdict is Verdict.NONCONFORMANT:
            if result.known is not None:
                pytest.xfail(reason_text(result))
            raise RuleFailed(explain(result))
        # unsupported, skipped: never a pass. The skip is reported at the item, not in this module.
        raise pytest.skip.Exception(f"{result.rule_id} {skip_reason(result)}", _use_item_location=True)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        """A nonconformant verdict is its explanation. A known divergence (``pytest.xfail``) is its reason:
        pytest asks for the failure's text before it turns the item into ``xfailed`` and drops the text,
        and its default formats the whole traceback, reading the source of every frame (0.3 s an item)."""
        if isinstance(excinfo.value, (RuleFailed, pytest.xfail.Exception)):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        """Where the rule is written: its scenario (or check) in the spec module."""
        import inspect

        fn = self.rule.behavior.scenario if self.rule.behavior is not None else self.rule.check
        try:
            code = inspect.unwrap(fn).__code__  # type: ignore[arg-type]
            return Path(code.co_filename), code.co_firstlineno - 1, f"{COLLECTOR_NAME}::{self.rule.id}"
        except (AttributeError, TypeError):
            return self.path, 0, f"{COLLECTOR_NAME}::{self.rule.id}"


class ConformanceSession:
    """The plugin's state for one pytest process (the controller, a worker, or a plain run)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.is_worker = hasattr(config, "workerinput")
        self.is_controller = False  # known at session start, once xdist has registered its scheduler
        from kms_conformance.resources import new_run_id

        # Each process (each xdist worker) has its own run id, tagged on what its target creates.
        self.run_id: str = new_run_id("pytest")
        self.started = _now()
        self.profile = run_profile_name(config)
        self.seed = int(config.getoption("kms_seed"))
        self.rules: tuple[Rule, ...] = ()
        self.results: list[RuleResult] = []
        self.worker_reports: list[dict[str, Any]] = []
        self.worker_crashed = False
        self.selected: list[str] | None = None  # ids of the rule items selected (after -k, -m, --lf)
        self.report_paths: dict[str, Path] = {}
        self.described: dict[str, Any] = {}
        self.account: str | None = None
        self._target: Target | None = None
        self._confined: ConfinedTarget | None = None
        self._reference: Target | None = None
        self._baseline: Any = None

    # -- session ---------------------------------------------------------------------------
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        from kms_conformance.errors import InputError, UsageError
        from kms_conformance.rules import catalogue, select

        self.is_controller = self.config.pluginmanager.has_plugin("dsession")
        try:
            self.rules = select(catalogue(), ids=_split(self.config.getoption("kms_rules")),
                                docs=_split(self.config.getoption("kms_doc")))
            baseline = self.config.getoption("kms_baseline")
            if baseline:
                from kms_conformance.baseline import load_baseline

                self._baseline = load_baseline(Path(baseline))
            if self.is_worker or self.config.option.collectonly:
                return
            # The safety checks (allow-list, production alias) run here, once, before any test: a
            # refusal stops the session with a usage error before anything is written.
            self._build_target()
        except (UsageError, InputError, ValueError) as exc:
            raise pytest.UsageError(f"kms-conformance: {exc}") from None
        except Exception as exc:  # the environment (no credentials, endpoint down): stop cleanly
            raise pytest.UsageError(f"kms-conformance: cannot reach the target: {type(exc).__name__}: {exc}") from None
        if self.is_controller:  # the workers build their own targets
            self._close_target()

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """xdist (controller): collect a worker's results."""
        data = getattr(node, "workeroutput", {}).get(_WORKER_KEY)
        if data:
            self.worker_reports.append(json.loads(data))
        if error:
            self.worker_crashed = True

    @pytest.hookimpl(tryfirst=True)  # before -k/-m deselection; inside --lf's wrapper
    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        collector = RuleCollector.from_parent(session, name=COLLECTOR_NAME, nodeid=COLLECTOR_NAME)
        items.extend(RuleItem.from_parent(collector, name=r.id, rule=r) for r in self.rules)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.selected = [item.rule.id for item in session.items if isinstance(item, RuleItem)]

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: Sequence[str]) -> None:
        """xdist (controller): how many rule items the run selected (the same on every worker)."""
        prefix = f"{COLLECTOR_NAME}::"
        self.selected = [nodeid[len(prefix):] for nodeid in ids if nodeid.startswith(prefix)]

    def pytest_report_header(self, config: pytest.Config) -> str:
        endpoint = config.getoption("kms_endpoint_url")
        return (f"kms-conformance: target {config.getoption('kms_target')}"
                + (f" at {endpoint}" if endpoint else "")
                + f", profile {self.profile}, seed {self.seed}, {len(self.rules)} rules, run id {self.run_id}")

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        from kms_conformance.runner import run_meta
        from kms_conformance.verdicts import Report, report_to_dict

        try:
            if self.is_worker:
                meta = run_meta(self.options(), describe=self.described, account=self.account, started=self.started,
                                incomplete=_interrupted(session, exitstatus))
                part = Report(meta=meta, results=tuple(self.results))
                self.config.workeroutput[_WORKER_KEY] = json.dumps(report_to_dict(part))  # type: ignore[attr-defined]
                return
            report = self._merged_report(session, exitstatus)
            if report is None:
                return
            from kms_conformance.report import write_reports

            self.report_paths = write_reports(report, Path(self.config.getoption("kms_report_dir")))
        finally:
            self._close_target()

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.report_paths:
            where = ", ".join(str(p) for p in self.report_paths.values())
            terminalreporter.write_line(f"kms-conformance: run {self.run_id}: reports written: {where}")

    # -- running one rule --------------------------------------------------------------------
    def _build_target(self) -> ConfinedTarget:
        """The process's target; on ``moto`` it answers only while a rule item runs (see
        :class:`~kms_conformance.fixtures.ConfinedTarget`): the user's own tests of the same session
        never run on the kit's moto, nor see what it created."""
        if self._confined is None:
            self._confined = ConfinedTarget(options_target_config(self.config, run_id=self.run_id))
            self._target = self._confined.target
            self.described = dict(self._target.describe())
            self.account = self._target.account
        return self._confined

    def _close_target(self) -> None:
        if self._confined is not None:
            confined, self._confined, self._target = self._confined, None, None
            confined.close()

    def _reference_target(self, target: Target) -> Target:
        if self._reference is None:
            from kms_conformance.targets.model import ModelTarget

            self._reference = ModelTarget(account=target.account, region=target.region)
        return self._reference

    def options(self) -> RunOptions:
        """The run's options as ``kms-conformance run`` would hold them (target, profile, seed, argv)."""
        from kms_conformance.runner import RunOptions

        return RunOptions(target=options_target_config(self.config, run_id=self.run_id), profile=self.profile,
                          seed=self.seed, argv=("pytest", *self.config.invocation_params.args))

    def replay_command(self, rule_id: str) -> str:
        """The rule item's node id in the pytest command that re-runs it (:func:`rule_replay_line`)."""
        return rule_replay_line(rule_id, self.options())

    def run_rule(self, rule: Rule) -> RuleResult:
        """Run one rule on this process's target; the raw result is kept for the reports, the one
        returned has the baseline applied (a known divergence is xfailed)."""
        from kms_conformance.rules import catalogue
        from kms_conformance.runner import PROFILES, run_rule, subject_index

        try:
            with self._build_target().live() as target:
                result = run_rule(rule, target, self._reference_target(target), profile=PROFILES[self.profile],
                                  seed=self.seed, replay=self.replay_command(rule.id),
                                  subjects=subject_index(catalogue()))
        except Exception as exc:  # run_rule turns failures into verdicts; building the target may fail
            result = _result(rule, "error", f"{type(exc).__name__}: {exc}", self.replay_command(rule.id))
        self.results.append(result)
        return self._with_baseline([result])[0][0]

    def _with_baseline(self, results: Sequence[RuleResult]) -> tuple[tuple[RuleResult, ...], tuple[str, ...]]:
        if not self._baseline:
            return tuple(results), ()
        from kms_conformance.baseline import apply_baseline

        return apply_baseline(results, self._baseline, str(self.config.getoption("kms_target")),
                              datetime.now(UTC).date())

    # -- the report ----------------------------------------------------------------------------
    def _merged_report(self, session: pytest.Session, exitstatus: int) -> Report | None:
        """This process's results plus every worker's, assembled as ``kms-conformance run`` assembles
        its own (:func:`kms_conformance.runner.assemble_report`: catalogue order, a selected rule
        without a result skipped as "not run" in a report marked incomplete, the baseline applied once
        over all of them, so that its notes about stale entries see the whole run)."""
        from kms_conformance.runner import assemble_report
        from kms_conformance.verdicts import report_from_dict

        results = list(self.results)
        describe: dict[str, Any] = dict(self.described)
        account = self.account
        incomplete = _interrupted(session, exitstatus) or self.worker_crashed
        for data in self.worker_reports:
            part = report_from_dict(data)
            results.extend(part.results)
            if not describe.get("version") and part.meta.target_version:
                describe = {"version": part.meta.target_version, "endpoint": part.meta.endpoint,
                            "notes": part.meta.target_notes}
                account = part.meta.account
            incomplete = incomplete or part.meta.incomplete
        if self.config.option.collectonly or not (results or self.selected):
            return None  # nothing ran: leave the previous reports alone
        wanted = {r.rule_id for r in results} | set(self.selected or ())
        return assemble_report(self.options(), [r for r in self.rules if r.id in wanted], results,
                               describe=describe, account=account, started=self.started,
                               baseline=self._baseline or (), incomplete=incomplete,
                               today=datetime.now(UTC).date())


def _interrupted(session: pytest.Session, exitstatus: int) -> bool:
    return int(exitstatus) == int(pytest.ExitCode.INTERRUPTED) or bool(session.shouldstop)


def _result(rule: Rule, verdict: str, detail: str, replay: str | None = None) -> RuleResult:
    from kms_conformance.verdicts import RuleResult, Verdict

    return RuleResult(rule_id=rule.id, title=rule.title, doc=rule.citation.doc, section=rule.citation.section,
                      quote=rule.citation.quote, quote_en=rule.citation.quote_en, group=rule.group,
                      severity=rule.severity, kind=tuple(rule.kinds),
                      verdict=Verdict(verdict), detail=detail, replay=replay)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


__all__ = ["assert_conformant", "register_profiles"]
