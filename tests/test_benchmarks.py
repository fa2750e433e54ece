"""The batch benchmark runs as documented (small sizes, no timing asserted: the figures are the
benchmark's to print, never a test's to judge) and pairs each of the kit's rounds with one of the peer's."""

from __future__ import annotations

import contextlib
import io
import json

from benchmarks import bench_batch, gen_batch


def test_batch_benchmark_runs_without_the_peer() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert bench_batch.main(["--cases", "40", "--rounds", "1", "--no-peer"]) == 0
    text = out.getvalue()
    for row in ("kit whole process (simulate --batch):", "kit in process, fresh policies:",
                "kit in process, parsed once:"):
        assert row in text, text
    assert "peer" not in text.replace("--no-peer", "")  # nothing is said of a peer that was not run


def test_each_kit_round_is_followed_by_one_peer_round() -> None:
    lines = [json.dumps(c) for c in gen_batch.cases(20, seed=3)]
    calls: list[int] = []

    def peer_round() -> float:
        calls.append(len(calls))
        return 1000.0 + len(calls)

    kit, peer, decisions = bench_batch.kit_in_process(lines, bench_batch.fresh_lines(10, 3, 3), peer_round)
    assert len(kit) == 3 and all(rate > 0 for rate in kit)
    assert peer == [1001.0, 1002.0, 1003.0] and calls == [0, 1, 2]
    assert len(decisions) == 20 and set(decisions) <= {"Allowed", "ImplicitlyDenied", "ExplicitlyDenied"}
    assert bench_batch.kit_in_process(lines, bench_batch.fresh_lines(10, 3, 2))[1] == []
