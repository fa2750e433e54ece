"""Hostile input at every command: exit status 2 and one line on stderr, never a traceback, a hang
or a silent pass.

The CLI runs in process (``kms_conformance.cli.main``) with stdout and stderr captured; a hang
(a named pipe opened for reading) is turned into a failure by an alarm. Hypothesis draws the
input; the suite's profile (tests/conftest.py) derandomizes it on CI, and ``max_examples`` keeps
each test to a few seconds.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kms_conformance.cli import main
from kms_conformance.inputs import MAX_DEPTH, MAX_ERROR_CHARS

ROOT = Path(__file__).resolve().parent.parent
SETUP = json.loads((ROOT / "examples" / "forecast" / "setup.json").read_text(encoding="utf-8"))
KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
REQUEST = {"action": "kms:Decrypt", "resource": KEY, "principal": "arn:aws:iam::111122223333:role/R",
           "context": {}}
POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*",
     "Resource": "*", "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333"}}}]}

FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])


@contextlib.contextmanager
def alarm(seconds: int) -> Iterator[None]:
    """Fail, instead of hanging, when the body takes longer than ``seconds``."""
    def expired(*_: Any) -> None:
        raise TimeoutError(f"the command did not return within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def invoke(argv: list[str], stdin: bytes = b"") -> tuple[int, str, str]:
    """``kms-conformance ARGV``: (status, stdout, stderr), SystemExit caught."""
    out, err = io.StringIO(), io.StringIO()
    fake_in = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    saved = sys.stdout, sys.stderr, sys.stdin
    sys.stdout, sys.stderr, sys.stdin = out, err, fake_in
    try:
        with alarm(60):
            try:
                status = main(argv)
            except SystemExit as exc:
                status = exc.code if isinstance(exc.code, int) else 2
    finally:
        sys.stdout, sys.stderr, sys.stdin = saved
    return status, out.getvalue(), err.getvalue()


def refused(argv: list[str], stdin: bytes = b"") -> str:
    """Run ``argv``; assert exit 2, exactly one short line on stderr, no traceback; return the line."""
    status, out, err = invoke(argv, stdin)
    assert "Traceback (most recent call last)" not in out + err, err[-2000:]
    assert status == 2, (argv[:3], status, err[-500:])
    lines = err.splitlines()
    assert len(lines) == 1, lines[:5]
    assert len(lines[0]) <= 2 * MAX_ERROR_CHARS + 40, len(lines[0])
    return lines[0]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no pyproject.toml of the kit's own checkout read as defaults


# -- what a file may hold ----------------------------------------------------------------------------


def nested(depth: int, kind: str) -> str:
    if kind == "list":
        return "[" * depth + "]" * depth
    return '{"a": ' * depth + "1" + "}" * depth


def nested_yaml(depth: int) -> str:
    return "".join("  " * i + "a:\n" for i in range(depth)) + "  " * depth + "b: 1\n"


# Past MAX_DEPTH, and past the interpreter's recursion limit (1000) where a parser would overflow. Every
# YAML reader (check reads a .json file as a CloudFormation template too) refuses such a text before
# PyYAML's pure-Python loader sees it (tests/test_iac_cloudformation.py).
deep_json = st.builds(nested, st.one_of(st.integers(MAX_DEPTH + 1, 200), st.integers(990, 1100)),
                      st.sampled_from(["list", "object"]))


@st.composite
def non_utf8(draw: st.DrawFn, doc: Any) -> bytes:
    """A valid document with one byte that cannot start or continue UTF-8 inserted somewhere."""
    data = json.dumps(doc).encode()
    at = draw(st.integers(0, len(data)))
    return data[:at] + bytes([draw(st.sampled_from([0x80, 0xC0, 0xFE, 0xFF]))]) + data[at:]


def paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            found += paths(value, (*prefix, i))
    return found


def replaced(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = json.loads(json.dumps(doc))
    node = copy
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return copy


def other_type(value: Any) -> st.SearchStrategy[Any]:
    """A JSON value of a different type than ``value``."""
    options: list[st.SearchStrategy[Any]] = []
    if not isinstance(value, list):
        options.append(st.lists(st.integers(), max_size=3))
    if not isinstance(value, dict):
        options.append(st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
    if not isinstance(value, str):
        options.append(st.text(max_size=5))
    if isinstance(value, bool) or not isinstance(value, int):
        options.append(st.integers(-(2**70), 2**70))
    options.append(st.none() if value is not None else st.booleans())
    return st.one_of(options)


@st.composite
def wrong_type(draw: st.DrawFn, doc: Any) -> Any:
    path = draw(st.sampled_from(paths(doc)[1:]))
    node = doc
    for part in path:
        node = node[part]
    return replaced(doc, path, draw(other_type(node)))


def write(tmp: Path, name: str, content: str | bytes) -> str:
    path = tmp / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return str(path)


# -- every reader: deep nesting, bad bytes, named pipes, folders --------------------------------------

READERS = {
    "check": lambda f: ["check", f],
    "check-yaml": lambda f: ["check", f],
    "check-cloudformation": lambda f: ["check", "--from", "cloudformation", f],
    "check-terraform": lambda f: ["check", "--from", "terraform-plan", f],
    "simulate-request": lambda f: ["simulate", "--request", f],
    "simulate-policy": lambda f: ["simulate", "--request", "REQ", "--resource-policy", f],
    "report-render": lambda f: ["report", "render", f, "-f", "md"],
    "report-compare": lambda f: ["report", "compare", f, f],
    "baseline": lambda f: ["run", "--target", "model", "--rules", "KMS-01", "--baseline", f],
}


def argv_for(reader: str, tmp: Path, file: str) -> list[str]:
    argv = READERS[reader](file)
    if "REQ" in argv:
        argv[argv.index("REQ")] = write(tmp, "request.json", json.dumps(REQUEST))
    return argv


@pytest.mark.parametrize("reader", sorted(READERS))
@settings(FUZZ, max_examples=10)
@given(text=deep_json)
def test_deep_nesting_is_refused(reader: str, text: str, tmp_path: Path) -> None:
    suffix = ".yaml" if reader == "check-yaml" else ".json"
    line = refused(argv_for(reader, tmp_path, write(tmp_path, "deep" + suffix, text)))
    assert f"nested deeper than {MAX_DEPTH}" in line


@pytest.mark.parametrize("reader", ["check-yaml", "check-cloudformation"])
def test_deep_yaml_is_refused(reader: str, tmp_path: Path) -> None:
    line = refused(argv_for(reader, tmp_path, write(tmp_path, "deep.yaml", nested_yaml(1200))))
    assert "nested deeper than" in line


@pytest.mark.parametrize("reader", sorted(READERS))
@FUZZ
@given(data=st.data())
def test_bytes_that_are_not_utf8_are_refused(reader: str, data: st.DataObject, tmp_path: Path) -> None:
    blob = data.draw(non_utf8(SETUP if reader.startswith("check") else POLICY))
    line = refused(argv_for(reader, tmp_path, write(tmp_path, "bad.json", blob)))
    assert "not UTF-8" in line and "offset" in line


@pytest.mark.parametrize("reader", [*sorted(READERS), "simulate-batch"])
@pytest.mark.parametrize("kind", ["fifo", "dir"])
def test_what_is_not_a_regular_file_is_refused(reader: str, kind: str, tmp_path: Path) -> None:
    path = tmp_path / "thing.json"
    if kind == "fifo":
        os.mkfifo(path)  # no writer: opening it for reading would block for ever
    else:
        path.mkdir()
    argv = ["simulate", "--batch", str(path)] if reader == "simulate-batch" else argv_for(reader, tmp_path, str(path))
    line = refused(argv)
    assert "directory" in line or "not a regular file" in line


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_huge_value_is_cut_in_the_error_line(reader: str, tmp_path: Path) -> None:
    line = refused(argv_for(reader, tmp_path, write(tmp_path, "huge.json", '"' + "x" * 2_000_000)))
    assert "…" in line or len(line) < MAX_ERROR_CHARS


# -- wrong types at random JSON paths: never a traceback, never an internal error -------------------


def judged(argv: list[str]) -> tuple[int, str]:
    status, out, err = invoke(argv)
    assert "Traceback (most recent call last)" not in out + err, err[-2000:]
    assert "internal error" not in err, err[-500:]
    assert status in (0, 1, 2), (status, err[-500:])
    if status == 2:
        assert len(err.splitlines()) == 1, err.splitlines()[:5]
    return status, err


SERVICES = ("forecast", "feature-store", "opensearch-serverless", "mwaa")


@pytest.mark.parametrize("service", SERVICES)
@FUZZ
@given(data=st.data())
def test_setup_with_a_wrong_type_somewhere(service: str, data: st.DataObject, tmp_path: Path) -> None:
    setup = json.loads((ROOT / "examples" / service / "setup.json").read_text(encoding="utf-8"))
    doc = data.draw(wrong_type(setup))
    judged(["check", write(tmp_path, "setup.json", json.dumps(doc))])


@pytest.mark.parametrize("operator", ["1", "[StringEquals]", "{a: 1}", "null", "true"])
def test_yaml_condition_operator_that_is_not_a_string(operator: str, tmp_path: Path) -> None:
    import yaml

    doc = json.loads(json.dumps(SETUP))
    statement = doc["keys"][0]["policy"]["Statement"][0]
    text = yaml.safe_dump(doc).replace("Statement:", "Statement:", 1)
    statement["Condition"] = {"__OP__": {"kms:CallerAccount": "111122223333"}}
    text = yaml.safe_dump(doc).replace("__OP__", "? " + operator if operator.startswith(("[", "{")) else operator)
    status, err = judged(["check", write(tmp_path, "setup.yaml", text)])
    assert status == 2, err


@FUZZ
@given(data=st.data())
def test_simulate_with_a_wrong_type_somewhere(data: st.DataObject, tmp_path: Path) -> None:
    request = data.draw(wrong_type(REQUEST))
    policy = data.draw(wrong_type(POLICY))
    judged(["simulate", "--request", write(tmp_path, "r.json", json.dumps(request)),
            "--resource-policy", write(tmp_path, "p.json", json.dumps(policy))])


@FUZZ
@given(data=st.data())
def test_report_with_a_wrong_type_somewhere(data: st.DataObject, tmp_path: Path) -> None:
    from kms_conformance.verdicts import report_to_dict
    from report_samples import sample_report

    doc = data.draw(wrong_type(report_to_dict(sample_report())))
    judged(["report", "render", write(tmp_path, "report.json", json.dumps(doc)), "-f", "md"])


def test_simulate_batch_keeps_going_past_bad_bytes(tmp_path: Path) -> None:
    good = json.dumps({"request": REQUEST, "resourcePolicy": POLICY}).encode()
    batch = write(tmp_path, "cases.jsonl", good + b"\n" + b'{"request": "\xff"}\n' + good + b"\n")
    status, out, err = invoke(["simulate", "--batch", batch])
    assert status == 2 and "Traceback" not in err and len(err.splitlines()) == 1
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["line"] for line in lines] == [1, 2, 3]
    assert "not UTF-8" in lines[1]["error"] and "error" not in lines[2]


# -- options: regions, endpoints, numbers, rule patterns ---------------------------------------------

bad_regions = st.one_of(st.sampled_from(["bad region!", "us-fake-9", "", "US-EAST-1", "us-east-1 ", "a" * 5000]),
                        st.text(max_size=30).filter(lambda r: r not in ("us-east-1", "eu-west-1")))


@FUZZ
@given(region=bad_regions)
def test_bad_regions_are_refused_before_anything_runs(region: str) -> None:
    from kms_conformance.regions import known_regions

    if region in known_regions():
        return
    refused(["run", "--target", "model", "--dry-run", "--region", region])
    refused(["sweep", "--dry-run", "--endpoint-url", "http://127.0.0.1:9", "--region", region])


@pytest.mark.parametrize("url", ["junk", "ftp://x", "http://", "http://user:pw@127.0.0.1:9", "http://h:99999",
                                 "http://" + "h" * 5000])
def test_bad_endpoints_are_refused(url: str) -> None:
    refused(["sweep", "--dry-run", "--endpoint-url", url])
    refused(["run", "--target", "aws", "--dry-run", "--endpoint-url", url])


@pytest.mark.parametrize("hours", ["nan", "inf", "-inf", "1e308", "-1", "x", ""])
def test_bad_ages_are_refused(hours: str) -> None:
    refused(["sweep", "--dry-run", "--older-than", hours])


def test_unreachable_endpoint_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    line = refused(["sweep", "--dry-run", "--endpoint-url", "http://127.0.0.1:9"])
    assert "cannot sweep" in line


def test_missing_aws_profile_is_one_line() -> None:
    assert "profile" in refused(["sweep", "--dry-run", "--aws-profile", "no-such-profile-kmsc"]).lower()


@FUZZ
@given(rules=st.one_of(st.sampled_from(["NOPE-01", "!NOPE-*", "ZZ*", "!", "KMS-01,!NOPE-01", "[", "?" * 40]),
                       st.text(alphabet="!*?[]-,ABZ019", min_size=1, max_size=12)))
def test_rule_selections_matching_nothing_are_refused(rules: str) -> None:
    status, out, err = invoke(["run", "--target", "model", "--dry-run", "--rules", rules])
    assert "Traceback" not in err and status in (0, 2), (status, err)
    if status == 2:
        assert len(err.splitlines()) == 1
    else:  # an accepted selection selected something
        assert "rules, up to" in out


@pytest.mark.parametrize("number", [["--workers", "0"], ["--seed", "x"], ["--max-attempts", "0"],
                                    ["--settle-seconds", "-1"], ["--rate-limit", "0"]])
def test_bad_numbers_of_run_are_refused(number: list[str]) -> None:
    refused(["run", "--target", "model", "--dry-run", *number])


def test_unknown_command_and_option_are_one_line() -> None:
    refused(["nope"])
    refused(["run", "--nope"])
    refused(["rules", "--doc", "no-such-page"])
