"""The agreement check against the peer: its rewrites of generated cases, and its verdict (exit 1 and
the cases written out when an IAM principal's case is decided apart), with the peer replaced by a
stand-in (no node needed)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from benchmarks import bench_agreement, bench_batch, gen_batch


def _statements(case: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for p, _ in bench_agreement._policies(case) for s in bench_agreement._statements(p)]


def test_rich_cases_use_the_elements_the_generator_does_not_write() -> None:
    rng = random.Random(0)
    plain = list(gen_batch.cases(200, 0))
    rich = [bench_agreement.enrich(c, rng) for c in plain]
    found = {k for c in rich for s in _statements(c) for k in ("NotAction", "NotResource", "NotPrincipal") if k in s}
    assert found == {"NotAction", "NotResource", "NotPrincipal"}
    assert any("${aws:PrincipalAccount}" in json.dumps(s.get("Resource")) for c in rich for s in _statements(c))
    assert not any("NotAction" in s or "NotPrincipal" in s for c in plain for s in _statements(c))
    assert all("grants" not in c for c in rich)


def test_the_rewrite_for_the_peer_resolves_variables_and_names_the_account() -> None:
    arn = "arn:aws:iam::111122223333:user/u1"
    case = {"request": {"action": "s3:GetObject", "resource": "arn:aws:s3:::111122223333-data/k", "principal": arn},
            "resourcePolicy": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Deny", "NotPrincipal": {"AWS": arn}, "Action": "s3:*", "Resource": "*"}]},
            "identityPolicies": [{"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::${aws:PrincipalAccount}-*"}]}]}
    read = bench_agreement.as_the_peer_reads(case)
    assert read["identityPolicies"][0]["Statement"][0]["Resource"] == "arn:aws:s3:::111122223333-*"
    assert read["resourcePolicy"]["Statement"][0]["NotPrincipal"] == {
        "AWS": [arn, "arn:aws:iam::111122223333:root"]}
    assert case["resourcePolicy"]["Statement"][0]["NotPrincipal"] == {"AWS": arn}  # the case itself is left alone


def test_resolving_the_variables_leaves_the_kits_decisions_as_they_were(tmp_path: Path) -> None:
    rng = random.Random(3)
    cases = [bench_agreement.enrich(c, rng) for c in gen_batch.cases(300, 3)]
    for c in cases:  # the NotPrincipal rewrite makes other policies: keep to the variables here
        for stmt in _statements(c):
            if "NotPrincipal" in stmt:
                stmt["Principal"] = stmt.pop("NotPrincipal")
    written = bench_agreement._write(cases, tmp_path / "a.jsonl")
    read = bench_agreement._write([bench_agreement.as_the_peer_reads(c) for c in cases], tmp_path / "b.jsonl")
    with_account = [line for line in read.read_text().splitlines()
                    if json.loads(line)["request"]["principal"].startswith("arn:")]
    assert "${aws:PrincipalAccount}" in written.read_text()
    assert with_account and not any("${aws:PrincipalAccount}" in line for line in with_account)
    assert bench_batch.kit_decisions(read) == bench_batch.kit_decisions(written)


@pytest.mark.parametrize("differ", [False, True])
def test_an_iam_principals_case_decided_apart_fails_the_check(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], differ: bool) -> None:
    monkeypatch.setattr(bench_batch, "peer_folder", lambda: tmp_path)

    def stand_in(cases: Path, folder: Path) -> list[str]:
        decisions = bench_batch.kit_decisions(cases)
        lines = cases.read_text().splitlines()
        if differ:  # the first IAM principal's case, decided otherwise
            first = next(i for i, line in enumerate(lines)
                         if bench_agreement._caller(line) == "IAM principal")
            decisions[first] = "Allowed" if decisions[first] != "Allowed" else "ImplicitlyDenied"
        return decisions

    monkeypatch.setattr(bench_batch, "peer_core_decisions", stand_in)
    out = tmp_path / "apart.jsonl"
    status = bench_agreement.main(["--cases", "40", "--rich", "--out", str(out)])
    text = capsys.readouterr().out
    assert text.count("apart:") == 3
    if differ:
        assert status == 1 and "1 case(s) of IAM principals decided apart" in text
        assert len(out.read_text().splitlines()) == 1
    else:
        assert status == 0 and not out.exists() and "IAM principal" not in text


def test_without_node_the_check_says_so_and_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench_batch, "peer_folder", lambda: None)
    assert bench_agreement.main(["--cases", "5"]) == 0
