"""The batch, enforce, strategies and suite benchmarks run as documented (small sizes, no timing asserted: the
figures are the benchmark's to print, never a test's to judge); the batch benchmark pairs each of the kit's
rounds with one of the peer's, the enforce benchmark each plain measurement with an enforced one (the
first of the two alternating); the suite benchmark runs each side's own copy and only when named."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

import benchmarks
from benchmarks import __main__ as benchmarks_main
from benchmarks import bench_batch, bench_enforce, bench_strategies, bench_suite, gen_batch


def test_batch_benchmark_runs_without_the_peer() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert bench_batch.main(["--cases", "40", "--rounds", "1", "--no-peer"]) == 0
    text = out.getvalue()
    for row in ("kit whole process (simulate --batch):", "kit in process, fresh policies:",
                "cases/s on decoded cases (run_case)", "kit in process, parsed once:"):
        assert row in text, text
    assert "peer" not in text.replace("--no-peer", "")  # nothing is said of a peer that was not run


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="the peak is read from /proc")
def test_the_peak_memory_is_the_batch_process_own(tmp_path: Path) -> None:
    """The kernel's ``ru_maxrss`` of a child counts the launching process's memory too; this process holds
    far more than a ``simulate --batch`` of a few lines (a pytest process with the kit, moto and
    Hypothesis), so a peak near its own would be that count, not the batch's."""
    import resource

    cases = tmp_path / "cases.jsonl"
    gen_batch.write(str(cases), 5, 0)
    ballast = bytearray(200 * 1024 * 1024)  # this process's peak now exceeds 200 MB, whatever it was
    ballast[::4096] = b"x" * len(ballast[::4096])
    seconds, peak = bench_batch._run_kit(cases)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    del ballast
    assert seconds > 0 and peak is not None
    assert 10 < peak < 150 < own, (peak, own)


def test_each_kit_round_is_followed_by_one_peer_round() -> None:
    lines = [json.dumps(c) for c in gen_batch.cases(20, seed=3)]
    calls: list[int] = []

    def peer_round() -> tuple[float, float]:
        calls.append(len(calls))
        return 1000.0 + len(calls), 2000.0 + len(calls)

    decoded = [[json.loads(x) for x in batch] for batch in bench_batch.fresh_lines(10, 3, 3, offset=500)]
    rounds = bench_batch.kit_in_process(lines, bench_batch.fresh_lines(10, 3, 3), decoded, peer_round)
    assert len(rounds.kit_lines) == len(rounds.kit_decoded) == 3
    assert all(rate > 0 for rate in rounds.kit_lines + rounds.kit_decoded)
    assert rounds.peer_lines == [1001.0, 1002.0, 1003.0] and rounds.peer_decoded == [2001.0, 2002.0, 2003.0]
    assert calls == [0, 1, 2]
    alone = bench_batch.kit_in_process(lines, bench_batch.fresh_lines(10, 3, 2))
    assert alone.peer_lines == alone.peer_decoded == alone.kit_decoded == [] and len(alone.kit_lines) == 2


def test_the_enforce_benchmark_pairs_the_modes_and_alternates_the_first() -> None:
    order: list[str] = []
    mode = ["plain"]

    class Enforcer:
        last_decision = type("Decision", (), {"allowed": True})()

    @contextlib.contextmanager
    def enforced_mode() -> Any:
        mode[0] = "enforced"
        try:
            yield Enforcer()
        finally:
            mode[0] = "plain"

    def call() -> None:
        order.append(mode[0])

    plain, enforced = bench_enforce.measure_pairs(call, 2, 4, enforced_mode)
    assert order == ["plain"] * 2 + ["enforced"] * 4 + ["plain"] * 4 + ["enforced"] * 4 + ["plain"] * 2
    assert len(plain) == len(enforced) == 4
    assert benchmarks.paired_ratios([3.0, 4.0, 1.5], [2.0, 4.0, 1.0]) == [1.0, 1.5, 1.5]
    assert benchmarks.ratio_summary([3.0, 4.0, 1.5], [2.0, 4.0, 1.0], "repeats") == "1.50x (repeats 1.00-1.50x)"


def test_the_enforce_benchmark_prints_the_paired_ratio(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):  # main sets them when absent: undone after
        monkeypatch.setenv(name, "testing")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert bench_enforce.main(["--calls", "3", "--repeats", "2"]) == 0
    text = out.getvalue()
    assert "enforced/plain, paired: " in text and "(repeats " in text and "ratio of the medians: " in text


def test_the_agreement_with_the_peer_is_counted_on_the_same_cases_and_by_caller(tmp_path: Path) -> None:
    """The kit decides the peer's own (grant-less) cases; the cases are written again with the kit's
    whole evaluation context; the cases decided apart are counted by the kind of caller."""
    assert bench_batch.caller_kind("arn:aws:iam::111122223333:root") == "root user"
    assert bench_batch.caller_kind("111122223333") == "root user"
    assert bench_batch.caller_kind("forecast.amazonaws.com") == "service principal"
    assert bench_batch.caller_kind("arn:aws:sts::111122223333:assumed-role/R/s") == "IAM principal"
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(json.dumps(c) + "\n" for c in gen_batch.cases(30, seed=4)))
    decisions = bench_batch.kit_decisions(cases)
    assert len(decisions) == 30 and set(decisions) <= {"Allowed", "ImplicitlyDenied", "ExplicitlyDenied"}
    given = bench_batch.with_evaluation_context(cases, tmp_path / "context.jsonl")
    written = [json.loads(x) for x in given.read_text().splitlines()]
    kms = [c["request"] for c in written
           if c["request"]["action"].startswith("kms:") and c["request"]["principal"].startswith("arn:")]
    assert kms and all("kms:calleraccount" in r["context"] for r in kms)
    assert bench_batch.kit_decisions(given) == decisions  # the kit decides its own context as the request
    principals = [json.loads(x)["request"]["principal"] for x in cases.read_text().splitlines()]
    other = [("Allowed" if d != "Allowed" else "ImplicitlyDenied") if bench_batch.caller_kind(p) == "root user" else d
             for p, d in zip(principals, decisions, strict=True)]
    roots = sum(bench_batch.caller_kind(p) == "root user" for p in principals)
    assert bench_batch.apart_by_caller(cases, decisions, other) == (f"root user {roots}" if roots else "none")
    assert bench_batch.apart_by_caller(cases, decisions, decisions) == "none"
    refused = tmp_path / "refused.jsonl"  # a line the kit refuses is an "error", as the peer's runners write
    refused.write_text(json.dumps({"request": {"action": "s3:GetObject", "resource": "arn:aws:s3:::b/k",
                                               "principal": "111122223333"},
                                   "resourcePolicy": {"Statement": [{"Effect": "Allow", "Action": "*",
                                                                     "Resource": "*"}]}}) + "\n")
    assert bench_batch.kit_decisions(refused) == ["error"]


def test_the_decoded_rounds_are_other_cases_than_the_text_rounds() -> None:
    """Each round's decoded cases are generated apart from its text lines: run on the same cases, the
    second loop would find the first one's condition entries and matchers in the memo caches."""
    text = bench_batch.fresh_lines(30, 0, 2)
    decoded = bench_batch.fresh_lines(30, 0, 2, offset=500)
    assert not set(text[0]) & set(decoded[0]) and not set(text[1]) & set(decoded[1])


def test_strategies_benchmark_compares_reused_and_fresh_objects() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert bench_strategies.main(["--examples", "3", "--rounds", "2"]) == 0
    lines = [line for line in out.getvalue().splitlines() if "examples/s" in line]
    assert [line.split()[0] for line in lines] == list(bench_strategies.STRATEGIES), lines
    assert all("reused" in line and "fresh" in line and "x (rounds" in line for line in lines)


def test_suite_benchmark_runs_each_sides_copy_and_only_when_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two rounds of one small test file (``-n 0``: the suite's command, its workers turned off), this
    working tree against HEAD: each run is of its own copy (the test file below reports which
    ``kms_conformance`` it imported), and the rounds alternate which side goes first."""
    if subprocess.run(["git", "-C", str(bench_suite.ROOT), "rev-parse", "HEAD"], capture_output=True).returncode:
        pytest.skip("not a git checkout: the suite benchmark compares with a commit")
    probe = "tests/test_suite_bench_probe.py"
    body = ("import os, kms_conformance\n\ndef test_where():\n    print(kms_conformance.__file__)\n"
            "    assert 'kms-conformance-bench-suite-' in kms_conformance.__file__\n"
            "    assert os.path.isfile(os.path.join(os.environ['KMS_CONFORMANCE_DOCS'], 'README.md'))\n")
    seen: list[str] = []
    run_suite = bench_suite.run_suite

    def recorded(folder, pytest_args, docs):  # type: ignore[no-untyped-def]
        (folder / probe).write_text(body)  # in each copy only: the repository is left as it is
        timing = run_suite(folder, pytest_args, docs)
        seen.append(f"{folder.name} {timing.status}")
        return timing

    monkeypatch.setattr(bench_suite, "run_suite", recorded)
    # the pages named relative to where the benchmark starts, as the README's command names them
    monkeypatch.setenv("KMS_CONFORMANCE_DOCS", os.path.relpath(os.environ["KMS_CONFORMANCE_DOCS"]))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = bench_suite.main(["--against", "HEAD", "--rounds", "2", "--pytest-args", f"{probe} -n 0"])
    text = out.getvalue()
    assert status == 0, text
    assert seen == ["base 0", "this 0", "this 0", "base 0"], seen
    assert "this / base: median" in text and text.count("1 passed") == 4, text
    assert benchmarks_main.only_when_named("suite") and not benchmarks_main.only_when_named("strategies")
