"""Every finding of a real run on moto reproduces with plain boto3.

One run of the kit on moto in process (seed 0, through :func:`kms_conformance.runner.run`, as
``kms-conformance run`` makes it) over the rules a first full run (profile ci) found nonconformant there
(:data:`RULES`: the full catalogue takes longer than this module may), with a lighter profile than ci
(:data:`PROFILE`) that reaches every one of those rules' findings on moto, checked below. Then, for every
finding of every nonconformant result: it recorded its calls, ``kms-conformance report repro`` writes its
script, and the script, executed in process as a user runs it (``__main__``, under the ``mock_aws`` it
sets up itself), fails with an ``AssertionError`` on moto and passes under ``model_backend`` (every boto3
call answered by the reference model). A finding no call shows is marked ``not reproducible standalone``
in its summary and refused by the command; the test asserts that marking instead. The run and its scripts
are made once per test run, by whichever xdist worker needs them first (:mod:`computed_once`).
"""

from __future__ import annotations

import contextlib
import io
import json
import runpy
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from computed_once import computed_once, run_root
from kms_conformance.cli import main as cli_main
from kms_conformance.runner import PROFILES, Profile, RunOptions, run
from kms_conformance.targets import TargetConfig
from kms_conformance.targets.model_backend import model_backend
from kms_conformance.targets.recording import NOT_REPRODUCIBLE
from kms_conformance.verdicts import report_to_dict

#: One run on moto and some seventy scripts (the longest module of the suite).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("repro-run")]  # one worker: see computed_once

#: The rules the kit's full run on moto (profile ci, seed 0) found nonconformant: the run's selection.
RULES = ("KMS-03", "KMS-04", "KMS-05", "KMS-06", "KMS-07", "KMS-08", "KMS-09", "KMS-11", "KMS-13", "KMS-14",
         "KMS-15", "KMS-16", "KMS-18", "KMS-19", "FS-01", "FS-02", "FS-03", "FS-04", "FS-06", "FS-07", "FS-10",
         "FS-12", "FS-13", "AOSS-01", "AOSS-02", "AOSS-04", "AOSS-06", "AOSS-07", "AOSS-09", "AOSS-11", "AOSS-13",
         "AOSS-14", "AOSS-15")
#: The run's profile: ci's, with 12 examples (3 for lifecycle rules) and 10 shrink steps, about 0.6x of its
#: time. On moto it reaches what ci reaches over :data:`RULES`: every rule nonconformant, as many findings
#: per rule, KMS-03's two (10 examples miss its Deny one). The tests below fail when a rule is not found
#: nonconformant or KMS-03 lacks one of its two.
PROFILE = Profile("suite-repro", max_examples=12, lifecycle_examples=3, deadline_ms=None, database=False,
                  shrink_budget=10)
#: Findings tested per rule (1..SLOTS); test_every_finding_has_a_slot fails when a rule has more.
SLOTS = 2


@dataclass(frozen=True)
class Run:
    """The report's JSON form, its file, and per (rule, finding number) the script ``report repro`` wrote
    or its one-line refusal."""

    report: Mapping[str, Any]
    path: Path
    scripts: Mapping[tuple[str, int], Path | str]

    def findings(self, rule_id: str) -> list[Mapping[str, Any]]:
        result = next(r for r in self.report["results"] if r["rule_id"] == rule_id)
        return list(result.get("findings") or ())


def _run_and_write_scripts(folder: Path) -> dict[str, Any]:
    """The run, its ``report.json`` and the scripts in ``folder``; the report as read back from that file,
    and per finding its script's file name or the command's one-line refusal."""
    options = RunOptions(target=TargetConfig(name="moto", run_id="test-repro-run"), profile=PROFILE.name, seed=0,
                         rules=RULES, report_dir=folder)
    path = folder / "report.json"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("kms_conformance.runner.PROFILES", {**PROFILES, PROFILE.name: PROFILE})
        report = run(options)
    path.write_text(json.dumps(report_to_dict(report), default=str))
    data = json.loads(path.read_text())
    scripts: list[tuple[str, int, str, str]] = []
    with contextlib.redirect_stderr(io.StringIO()) as err:
        for result in data["results"]:
            for number in range(1, len(result.get("findings") or ()) + 1):
                out = folder / f"repro_{result['rule_id']}_{number}.py"
                code = cli_main(["report", "repro", str(path), result["rule_id"], "--finding", str(number),
                                 "-o", str(out)])
                if code == 0:
                    scripts.append((result["rule_id"], number, "script", out.name))
                else:
                    scripts.append((result["rule_id"], number, "refused", err.getvalue().splitlines()[-1]))
    return {"report": data, "scripts": scripts}


@pytest.fixture(scope="module")
def moto_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The run, made once for the whole test run (under xdist, by whichever worker needs it first)."""
    value = computed_once(tmp_path_factory, "repro-run", _run_and_write_scripts)
    folder = run_root(tmp_path_factory) / "repro-run"
    scripts: dict[tuple[str, int], Path | str] = {
        (rule_id, number): folder / text if kind == "script" else text
        for rule_id, number, kind, text in value["scripts"]}
    return Run(value["report"], folder / "report.json", scripts)


def execute(script: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a script as ``python repro.py`` would, in process and in a fresh namespace; what it printed."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "unset")  # the script sets its own; monkeypatch restores the suite's
    with contextlib.redirect_stdout(io.StringIO()) as out:
        runpy.run_path(str(script), run_name="__main__")
    return out.getvalue()


def test_the_run_has_findings_and_every_finding_has_a_slot(moto_run: Run) -> None:
    verdicts = {r["rule_id"]: r["verdict"] for r in moto_run.report["results"]}
    assert set(verdicts) == set(RULES)
    # every selected rule is found nonconformant (PROFILE reaches what ci does): no slot is skipped for want
    # of a finding the selection promised
    assert {r for r, v in verdicts.items() if v != "nonconformant"} == set(), verdicts
    crowded = {r: len(moto_run.findings(r)) for r in RULES if len(moto_run.findings(r)) > SLOTS}
    assert not crowded, f"findings beyond the {SLOTS} tested per rule: {crowded} (raise SLOTS)"
    # nonconformant always with findings, and only then
    assert all((verdicts[r] == "nonconformant") == bool(moto_run.findings(r)) for r in RULES)


@pytest.mark.parametrize("number", range(1, SLOTS + 1))
@pytest.mark.parametrize("rule_id", RULES)
def test_finding_reproduces_with_plain_boto3(rule_id: str, number: int, moto_run: Run,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    findings = moto_run.findings(rule_id)
    if number > len(findings):
        verdict = next(r["verdict"] for r in moto_run.report["results"] if r["rule_id"] == rule_id)
        pytest.skip(f"{rule_id} is {verdict} on moto with {len(findings)} finding(s): no finding {number}")
    finding = findings[number - 1]
    assert finding["calls"], f"{rule_id} finding {number} recorded no calls"
    script = moto_run.scripts[rule_id, number]
    if NOT_REPRODUCIBLE in finding["summary"]:  # the report says so, and the command refuses it
        assert isinstance(script, str) and NOT_REPRODUCIBLE in script, script
        return
    assert isinstance(script, Path), f"report repro refused {rule_id} finding {number}: {script}"
    text = script.read_text()
    assert "import kms_conformance" not in text and "from kms_conformance" not in text  # boto3 and moto only
    with pytest.raises(AssertionError) as failed:
        execute(script, monkeypatch)
    message = str(failed.value)
    assert message.startswith(f"{rule_id} ("), f"{rule_id} finding {number} failed elsewhere: {message[:300]}"
    assert "the page says" in message or "which the page implies" in message
    assert "conforms" in execute_on_model(script, monkeypatch)


def execute_on_model(script: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The script with every boto3 call answered by the reference model."""
    with model_backend():
        return execute(script, monkeypatch)


def test_kms03_keeps_an_allow_not_enforced_apart_from_a_deny_ignored(moto_run: Run) -> None:
    kms03 = [f["signature"] for f in moto_run.findings("KMS-03")]
    assert any(s.endswith("[Allow]") for s in kms03) and any(s.endswith("[Deny]") for s in kms03), kms03
