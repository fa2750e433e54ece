"""Same seed, same run: a rule's examples depend on (rule, seed, profile, target), not on how the process
that runs it was started.

Hypothesis mixes literals read from the source of every local module in ``sys.modules`` into its draws,
so ``python -m kms_conformance run`` (every command imported) and a program calling the run command
(fewer modules, others of its own) drew different examples from one seed: other example counts, names and
counterexamples for AOSS-06, AOSS-07 and AOSS-11 on moto, verdicts equal. The engine runs every rule
without that pool (:mod:`kms_conformance.engine.isolation`); these tests hold it to that.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import seed as hyp_seed
from hypothesis import strategies as st
from kms_conformance.commands import run as run_command
from kms_conformance.engine import isolation

from benchmarks.behaviour_snapshot import normalise

ROOT = Path(__file__).resolve().parents[1]
#: Rules whose example counts moved with the way a run was started.
RULES = "AOSS-06,AOSS-07"
RUN_ARGS = ("--target", "moto", "--profile", "ci", "--seed", "0", "--rules", RULES)


@contextlib.contextmanager
def local_module_with_constants(folder: Path, tag: str) -> Iterator[None]:
    """A module of this process's own, outside site-packages and the standard library, full of literals
    of the kinds the rules' strategies draw (short lower-case names, digits, collection patterns),
    imported for the block: what a program embedding the kit brings into ``sys.modules``. Hypothesis
    keeps the literals of a module it has seen for the rest of the process, so each test brings its own
    (``tag``, digits: new literals)."""
    words = [f"{a}{b}{tag}{n}" for a in "acmsxyz" for b in "cmsxyz" for n in ("", "0", "9")]
    body = "\n".join(f"W{i} = {w!r}" for i, w in enumerate(words))
    body += f"\nPATTERNS = ['collection/kmsc-c{tag}*', 'collection/a{tag}*', 'kmsc-{tag}', 'a-{tag}']\n"
    body += f"NUMBERS = [{tag}1, {tag}7, {tag}31]\n"
    name = f"kmsc_embedding_program_{tag}"
    (folder / f"{name}.py").write_text(body)
    sys.path.insert(0, str(folder))
    try:
        importlib.import_module(name)
        yield
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop(name, None)


def masked(report_path: Path) -> dict[str, Any]:
    """The report without what a target makes up per run (names, ids, dates, the run id):
    :func:`benchmarks.behaviour_snapshot.normalise`, the comparison the behaviour snapshots use."""
    return normalise(json.loads(report_path.read_text()))


def test_a_run_started_two_ways_finds_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``python -m kms_conformance run`` in a fresh process, and the run command called in this process
    after the global ``random`` was drawn from, other command modules were imported and a local module
    of literals joined ``sys.modules``: the same examples counts and the same findings."""
    started = subprocess.Popen([sys.executable, "-m", "kms_conformance", "run", *RUN_ARGS,
                                "--report-dir", str(tmp_path / "module")],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        state = random.getstate()
        random.seed(12345)
        for _ in range(100):
            random.random()
        monkeypatch.chdir(tmp_path)
        for name in ("check", "rules", "report", "sweep"):
            importlib.import_module(f"kms_conformance.commands.{name}")
        parser = argparse.ArgumentParser()
        run_command.register(parser.add_subparsers())
        args = parser.parse_args(["run", *RUN_ARGS, "--report-dir", str(tmp_path / "embedded")])
        args.cli_words = ()
        with local_module_with_constants(tmp_path, "1"), contextlib.redirect_stdout(io.StringIO()):
            status = args.func(args)
        random.setstate(state)
    finally:
        _, err = started.communicate(timeout=120)
    assert started.returncode == status == 1, err.decode()[-2000:]  # nonconformant must rules on moto
    embedded, module = masked(tmp_path / "embedded" / "report.json"), masked(tmp_path / "module" / "report.json")
    counts = [[(r["rule_id"], r["verdict"], r.get("examples")) for r in x["results"]] for x in (embedded, module)]
    assert counts[0] == counts[1]  # rule, verdict, examples first, for a readable failure
    assert embedded == module  # then everything: findings, their calls and outcomes, counterexamples


def drawn(seed: int) -> list[str]:
    """The first examples Hypothesis draws with ``seed`` from a text strategy, run as the engine runs a rule."""
    seen: list[str] = []

    @settings(max_examples=60, database=None, derandomize=False)
    @hyp_seed(seed)
    @given(st.text(alphabet="abcmsxyz0123456789-*/", max_size=8))
    def record(value: str) -> None:
        seen.append(value)

    with isolation.isolated():
        record()
    return seen


def test_examples_of_a_seed_ignore_the_local_modules_imported(tmp_path: Path) -> None:
    before = drawn(3)
    with local_module_with_constants(tmp_path, "2"):
        assert drawn(3) == before


def test_the_pool_is_emptied_while_isolated_and_restored_after(tmp_path: Path) -> None:
    """The installed Hypothesis has the pool in the form the engine replaces (an upgrade that moves it
    fails here first), the pool is empty inside (nested too) and Hypothesis's own state is back after."""
    from hypothesis.internal.conjecture import providers

    assert isolation.applies()
    original, cache = providers._get_local_constants, providers.CONSTANTS_CACHE
    with local_module_with_constants(tmp_path, "3"):
        assert len(providers._get_local_constants()) > 0
        with isolation.isolated():
            with isolation.isolated():
                assert len(providers._get_local_constants()) == 0
            assert len(providers._get_local_constants()) == 0
    assert providers._get_local_constants is original and providers.CONSTANTS_CACHE is cache
