"""The pytest plugin: inert without ``--kms-conformance``; with it, one item per rule whose outcome
follows the verdict, the same reports as ``kms-conformance run``, merged across xdist workers.

The rule items are exercised on a small synthetic catalogue (``fake_spec.py`` below, swapped in
for the real spec modules by the pytester project's conftest) so that every verdict occurs on
purpose: a rule that holds, one that the moto target breaks, one the target cannot run, one that
crashes, and one that breaks but is a known divergence of the baseline. The runner, the moto
target, the reference model and the report writers are the real ones.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.slow  # each test runs pytest in a subprocess (a few seconds each)

FAKE_SPEC = '''
"""A synthetic catalogue for the plugin's tests (one rule per verdict)."""
from hypothesis import strategies as st

from kms_conformance.rules import rule

DOC = "002_c2442b383cdbec83.txt"


def _examples():
    return st.just({})


OK = rule("FAKE-01", "holds everywhere", service="kms", doc=DOC, section="S", quote="always holds",
          operations=("kms:CreateKey",))


@OK.behavior_(examples=_examples)
def _ok(target, example):
    out = target.call("kms", "CreateKey", {"Description": "fake"})
    return {"CreateKey": out.code}


BAD = rule("FAKE-02", "only the model does it", service="kms", doc=DOC, section="S", quote="the model only")


@BAD.behavior_(examples=_examples)
def _bad(target, example):
    return {"is_model": target.name == "model"}


UNSUP = rule("FAKE-03", "needs MWAA", service="mwaa", doc=DOC, section="S", quote="needs mwaa",
             operations=("mwaa:GetEnvironment",))


@UNSUP.behavior_(examples=_examples)
def _unsup(target, example):
    if target.name == "model":
        return {"GetEnvironment": "ResourceNotFoundException"}
    return {"GetEnvironment": target.call("mwaa", "GetEnvironment", {"Name": "kmsc-nope"}).code}


ERR = rule("FAKE-04", "crashes on the target", service="kms", doc=DOC, section="S", quote="crash")


@ERR.behavior_(examples=_examples)
def _err(target, example):
    if target.name != "model":
        raise RuntimeError("boom in the kit")
    return {"x": 1}


KNOWN = rule("FAKE-05", "known divergence", service="kms", doc=DOC, section="S", quote="known")


@KNOWN.behavior_(examples=_examples)
def _known(target, example):
    return {"is_model": target.name == "model"}
'''

FAKE_CONFTEST = '''
import kms_conformance.rules

kms_conformance.rules.SPEC_MODULES = ("fake_spec",)
'''

BASELINE = [{"rule": "FAKE-05", "target": "moto", "reason": "ticket KMSC-1: moto differs", "expires": "2099-01-01"}]

USER_TESTS = '''
def test_one():
    assert 1 + 1 == 2


def test_two():
    assert "kms"
'''

#: Modules an inert run must not import (the plugin's promise to everyone who installs the kit).
HEAVY = ("boto3", "botocore", "moto", "hypothesis", "kms_conformance.rules", "kms_conformance.runner",
         "kms_conformance.targets", "kms_conformance.report", "strategies")


def _fake_project(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(fake_spec=FAKE_SPEC)
    pytester.makeconftest(FAKE_CONFTEST)
    pytester.path.joinpath("baseline.json").write_text(json.dumps(BASELINE))


def _normalise(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        if line.startswith(("plugins:", "rootdir:", "cachedir:", "platform ")):
            continue  # pytest's header lists the installed plugins: not a line the plugin adds
        out.append(re.sub(r"\d+\.\d+s", "T", line))
    return out


# -- inert unless asked -------------------------------------------------------------------------

def test_import_is_cheap_and_imports_nothing_heavy() -> None:
    code = ("import sys, pytest; import kms_conformance.pytest_plugin; "
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_without_the_flag_a_run_is_unchanged(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    pytester.makeconftest(textwrap.dedent(f'''
        import sys
        def pytest_unconfigure(config):
            heavy = sorted(m for m in {HEAVY!r} if m in sys.modules)
            open("imported.txt", "w").write(repr(heavy))
    '''))
    with_plugin = pytester.runpytest_subprocess("-v", "-p", "no:cacheprovider")
    heavy_with = pytester.path.joinpath("imported.txt").read_text()
    without = pytester.runpytest_subprocess("-v", "-p", "no:cacheprovider", "-p", "no:kms_conformance")
    with_plugin.assert_outcomes(passed=2)
    assert _normalise(with_plugin.outlines) == _normalise(without.outlines)
    written = {p.name for p in pytester.path.iterdir()}
    assert not written & {"reports", ".hypothesis", ".pytest_cache", "junit.xml"}, written
    # hypothesis is installed and its own plugin may import it; the kit must not add anything else
    assert all(m in ("hypothesis",) for m in eval(heavy_with)), heavy_with


def test_options_and_fixtures_are_offered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--help")
    for option in ("--kms-conformance", "--kms-target", "--kms-endpoint-url", "--kms-region", "--kms-profile",
                   "--kms-rules", "--kms-doc", "--kms-seed", "--kms-report-dir", "--kms-baseline"):
        assert option in result.stdout.str()
    fixtures = pytester.runpytest_subprocess("--fixtures")
    for name in ("kms_target", "kms_key", "kms_principal"):
        assert name in fixtures.stdout.str()


# -- one item per rule, outcome per verdict --------------------------------------------------------

def test_items_follow_verdicts_and_reports_are_written(pytester: pytest.Pytester) -> None:
    _fake_project(pytester)
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess(
        "--kms-conformance", "--kms-target", "moto", "--kms-baseline", "baseline.json", "--kms-report-dir", "out",
        "-rA", "-p", "no:cacheprovider", "--junitxml", "junit-pytest.xml")
    text = result.stdout.str()
    result.assert_outcomes(passed=3, failed=1, skipped=1, errors=1, xfailed=1)  # 2 user tests + FAKE-01
    assert re.search(r"PASSED kms-conformance::FAKE-01", text)
    assert re.search(r"FAILED kms-conformance::FAKE-02", text)
    assert re.search(r"SKIPPED \[1\] fake_spec.py:\d+: FAKE-03 unsupported: the target lacks mwaa:GetEnvironment", text)
    assert re.search(r"ERROR kms-conformance::FAKE-04", text) and "boom in the kit" in text
    assert re.search(r"XFAIL kms-conformance::FAKE-05 - known divergence on moto: ticket KMSC-1", text)
    # the failure explains itself: rule, quote, expected vs observed, replay command
    assert '"the model only"' in text and "expected:" in text and "observed:" in text
    assert "replay: pytest --kms-conformance --kms-target moto --kms-seed 0 kms-conformance::FAKE-02" in text
    # the same reports as `kms-conformance run`
    report = json.loads(pytester.path.joinpath("out", "report.json").read_text())
    verdicts = {r["rule_id"]: r["verdict"] for r in report["results"]}
    assert verdicts == {"FAKE-01": "conformant", "FAKE-02": "nonconformant", "FAKE-03": "unsupported",
                        "FAKE-04": "error", "FAKE-05": "nonconformant"}
    assert report["results"][4]["known"]["reason"] == "ticket KMSC-1: moto differs"
    assert report["meta"]["target"] == "moto" and report["meta"]["incomplete"] is False
    for name in ("junit.xml", "report.md", "report.html"):
        assert pytester.path.joinpath("out", name).is_file(), name
    # pytest's own junit names the rule items by their node ids
    cases = {c.get("name") for c in ET.parse(pytester.path / "junit-pytest.xml").getroot().iter("testcase")}
    assert {"FAKE-01", "FAKE-02", "test_one"} <= cases


def test_a_known_divergence_is_its_reason_not_a_traceback() -> None:
    """``pytest.xfail`` in a rule item: pytest asks the item for the failure's text before it reports the
    item ``xfailed``; the item gives the reason, without formatting the kit's frames (pytest's default reads
    the source of each frame, which then is dropped)."""
    from typing import Any, cast

    from kms_conformance.pytest_plugin import RuleItem

    try:
        pytest.xfail("known divergence on moto: ticket KMSC-1")
    except pytest.xfail.Exception:
        info = pytest.ExceptionInfo.from_current()
    assert RuleItem.repr_failure(cast(Any, None), info) == "known divergence on moto: ticket KMSC-1"


def test_the_replay_line_is_a_node_id_that_reruns_the_rule(pytester: pytest.Pytester) -> None:
    """A failing rule item prints ``replay: pytest --kms-conformance ... kms-conformance::FAKE-02``: that
    line, run as printed (the test file beside it as well), runs the one rule item and the test file."""
    import shlex

    _fake_project(pytester)
    pytester.makepyfile(test_user=USER_TESTS)
    first = pytester.runpytest_subprocess("--kms-conformance", "--kms-target", "moto", "--kms-seed", "2", "-q",
                                          "-p", "no:cacheprovider", "--kms-report-dir", "full")
    found = re.search(r"replay: (pytest .*kms-conformance::FAKE-02)$", first.stdout.str(), re.MULTILINE)
    assert found, first.stdout.str()
    line = shlex.split(found.group(1))
    assert line == ["pytest", "--kms-conformance", "--kms-target", "moto", "--kms-seed", "2",
                    "kms-conformance::FAKE-02"]
    again = pytester.runpytest_subprocess(*line[1:], "-rA", "-p", "no:cacheprovider", "--kms-report-dir", "again")
    again.assert_outcomes(failed=1)
    assert re.search(r"FAILED kms-conformance::FAKE-02", again.stdout.str())
    report = json.loads(pytester.path.joinpath("again", "report.json").read_text())
    assert [r["rule_id"] for r in report["results"]] == ["FAKE-02"] and report["meta"]["seed"] == 2
    both = pytester.runpytest_subprocess(*line[1:], "test_user.py", "-q", "-p", "no:cacheprovider",
                                         "--kms-report-dir", "both")
    both.assert_outcomes(passed=2, failed=1)


def test_selection_with_k_x_markers_and_kms_rules(pytester: pytest.Pytester) -> None:
    _fake_project(pytester)
    pytester.makepyfile(test_user=USER_TESTS)
    ids = pytester.runpytest_subprocess("--kms-conformance", "--collect-only", "-q", "-m", "kms_conformance")
    collected = [line for line in ids.outlines if line.startswith("kms-conformance::")]
    assert collected == [f"kms-conformance::FAKE-0{i}" for i in range(1, 6)]
    only = pytester.runpytest_subprocess("--kms-conformance", "--kms-rules", "FAKE-01,FAKE-03", "-q",
                                         "--kms-report-dir", "sel", "test_user.py")
    only.assert_outcomes(passed=3, skipped=1)
    by_k = pytester.runpytest_subprocess("--kms-conformance", "-k", "FAKE-02 or FAKE-01", "-q",
                                         "--kms-report-dir", "k")
    by_k.assert_outcomes(passed=1, failed=1)
    report = json.loads(pytester.path.joinpath("k", "report.json").read_text())
    assert [r["rule_id"] for r in report["results"]] == ["FAKE-01", "FAKE-02"]
    stop = pytester.runpytest_subprocess("--kms-conformance", "-x", "-q", "--kms-report-dir", "x")
    stop.assert_outcomes(passed=3, failed=1)  # the user's two tests, FAKE-01, then FAKE-02 stops the run
    stopped = json.loads(pytester.path.joinpath("x", "report.json").read_text())
    assert stopped["meta"]["incomplete"] is True
    assert [(r["rule_id"], r["verdict"]) for r in stopped["results"]] == [
        ("FAKE-01", "conformant"), ("FAKE-02", "nonconformant"), ("FAKE-03", "skipped"), ("FAKE-04", "skipped"),
        ("FAKE-05", "skipped")]  # as `kms-conformance run` reports an interrupted run
    assert stopped["results"][2]["detail"] == "not run: the run was interrupted"
    assert not pytester.path.joinpath("reports").exists()  # --collect-only above wrote no report
    bad = pytester.runpytest_subprocess("--kms-conformance", "--kms-rules", "NOPE-99")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    assert "unknown rule id 'NOPE-99'" in bad.stderr.str()


def test_last_failed_reruns_only_the_failed_rule(pytester: pytest.Pytester) -> None:
    _fake_project(pytester)
    first = pytester.runpytest_subprocess("--kms-conformance", "-q", "-p", "cacheprovider",
                                          "--kms-rules", "FAKE-01,FAKE-02")
    first.assert_outcomes(passed=1, failed=1)
    again = pytester.runpytest_subprocess("--kms-conformance", "-q", "-p", "cacheprovider", "--lf",
                                          "--kms-rules", "FAKE-01,FAKE-02", "--kms-report-dir", "lf")
    again.assert_outcomes(failed=1, deselected=1)


def test_xdist_workers_results_are_merged(pytester: pytest.Pytester) -> None:
    _fake_project(pytester)
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("--kms-conformance", "-n", "2", "--kms-baseline", "baseline.json",
                                           "--kms-report-dir", "xd", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=1, skipped=1, errors=1, xfailed=1)
    report = json.loads(pytester.path.joinpath("xd", "report.json").read_text())
    assert [r["rule_id"] for r in report["results"]] == [f"FAKE-0{i}" for i in range(1, 6)]
    assert report["results"][4]["known"] is not None
    assert report["meta"]["target"] == "moto" and report["meta"]["incomplete"] is False


def test_hypothesis_profiles_are_registered_and_selectable(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_profile='''
        from hypothesis import given, settings, strategies as st

        def test_profile_is_loaded():
            assert settings.get_current_profile_name() == "kms-ci"

        @given(st.integers())
        def test_runs(n):
            assert isinstance(n, int)
    ''')
    result = pytester.runpytest_subprocess("--hypothesis-profile", "kms-ci", "-q")
    result.assert_outcomes(passed=2)
    from kms_conformance.runner import PROFILES

    check = pytester.makepyfile(test_values=f'''
        from hypothesis import settings

        def test_values():
            assert settings.get_profile("kms-nightly").max_examples == {PROFILES["nightly"].max_examples}
    ''')
    pytester.runpytest_subprocess(str(check), "--hypothesis-profile", "kms-nightly", "-q").assert_outcomes(passed=1)


def test_example_user_tests_pass(pytester: pytest.Pytester) -> None:
    example = Path(__file__).resolve().parents[1] / "examples" / "pytest" / "test_my_setup.py"
    pytester.makepyfile(test_my_setup=example.read_text())
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=len(re.findall(r"^def test_", example.read_text(), re.M)))


def test_plugin_and_cli_give_the_same_verdicts(pytester: pytest.Pytester) -> None:
    """The real catalogue's KMS rules on moto: ``pytest --kms-conformance -n 2`` and ``kms-conformance
    run`` agree rule by rule (same seed, same profile). Verdicts must be equal; which distinct
    findings a rule's exploration reaches may differ, since rules share the target's account and run in
    another order across xdist workers (a known limit), so findings are compared by presence only.
    The profile is the smallest without an example database (``sandbox``: a few examples per rule), so
    that neither run replays what the other stored; it still finds most KMS rules nonconformant on moto."""
    cli = subprocess.run([sys.executable, "-m", "kms_conformance", "run", "--target", "moto", "--rules", "KMS-*",
                          "--profile", "sandbox", "--report-dir", "cli"], capture_output=True, text=True,
                         cwd=pytester.path)
    assert cli.returncode in (0, 1), cli.stderr
    plugin = pytester.runpytest_subprocess("--kms-conformance", "--kms-rules", "KMS-*", "--kms-profile", "sandbox",
                                           "-n", "2", "--kms-report-dir", "plugin", "-p", "no:cacheprovider")
    assert plugin.ret in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)

    def verdicts(name: str) -> list[tuple[str, str, object]]:
        data = json.loads(pytester.path.joinpath(name, "report.json").read_text())
        return [(r["rule_id"], r["verdict"], bool(r.get("findings"))) for r in data["results"]]

    assert verdicts("plugin") == verdicts("cli")
    assert all(found for _, v, found in verdicts("cli") if v == "nonconformant")
    assert len(verdicts("cli")) >= 10
    assert {"conformant", "nonconformant"} <= {v for _, v, _ in verdicts("cli")}  # not a vacuous comparison
    outcomes = plugin.parseoutcomes()
    assert outcomes.get("failed", 0) == sum(1 for _, v, _ in verdicts("cli") if v == "nonconformant")


# -- fixtures and assert_conformant for users' own tests ---------------------------------------------

def test_fixtures_clean_up_what_they_create(pytester: pytest.Pytester) -> None:
    from e2e_support import client, moto_server

    pytester.makepyfile(test_uses_fixtures='''
        def test_key_and_role(kms_target, kms_key, kms_principal):
            policy = {"Version": "2012-10-17",
                      "Statement": [{"Effect": "Allow", "Action": "kms:DescribeKey", "Resource": "*"}]}
            role = kms_principal({"describe": policy})
            key = kms_key()
            assert kms_target.call("kms", "DescribeKey", {"KeyId": key}, principal=role).code == "OK"
    ''')
    with moto_server() as url:
        result = pytester.runpytest_subprocess("--kms-target", "aws", "--kms-endpoint-url", url, "-q",
                                               "-p", "no:cacheprovider")
        result.assert_outcomes(passed=1)
        kms = client(url, "kms")
        keys = kms.list_keys()["Keys"]
        assert len(keys) == 1
        assert kms.describe_key(KeyId=keys[0]["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
        assert client(url, "iam").list_roles()["Roles"] == []


def test_assert_conformant_fails_with_the_check_text(tmp_path: Path) -> None:
    import copy

    from kms_conformance.check import check_setup, format_findings
    from kms_conformance.fixtures import assert_conformant
    from kms_conformance.setup import parse_setup

    spec = Path(__file__).resolve().parents[1] / "examples" / "pytest" / "test_my_setup.py"
    namespace: dict[str, object] = {}
    exec(compile(spec.read_text(), str(spec), "exec"), namespace)
    good = namespace["COLLECTION_SETUP"]
    assert isinstance(good, dict)
    findings = assert_conformant(good)
    path = tmp_path / "setup.json"
    path.write_text(json.dumps(good))
    assert [f.status for f in assert_conformant(path)] == [f.status for f in findings]
    assert [f.status for f in assert_conformant(parse_setup(good))] == [f.status for f in findings]

    broken = copy.deepcopy(good)
    broken["keys"][0]["policy"]["Statement"][0]["Effect"] = "Deny"
    with pytest.raises(pytest.fail.Exception) as failed:
        assert_conformant(broken)
    assert str(failed.value) == format_findings(check_setup(parse_setup(broken, source="<assert_conformant>")))
    assert "FAIL" in str(failed.value)

    path.write_text(json.dumps({**good, "account": "12"}))
    with pytest.raises(pytest.fail.Exception, match=r"setup.json: account: an account id is 12 digits"):
        assert_conformant(path)


#: Quick rules (a second or two each over HTTP) whose scenarios create named roles, keys and grants.
COLLISION_RULES = "KMS-07,KMS-08,KMS-10,KMS-11"


def test_xdist_workers_share_one_account_without_collisions(pytester: pytest.Pytester) -> None:
    """Two workers against one moto server (the aws target): each has its own run id, so the names
    of the resources they create never collide, and each cleans up after itself. The rules
    (:data:`COLLISION_RULES`) each create roles, keys and grants by name, two per worker. The ``sandbox``
    profile (three examples, one per lifecycle rule) is enough: names are ``kmsc-<prefix>-<token>-<n>``
    with ``n`` counted per worker, and what a run creates lives until its end, so two workers sharing a
    token would collide at their first example."""
    from e2e_support import client, moto_server

    with moto_server() as url:
        result = pytester.runpytest_subprocess(
            "--kms-conformance", "--kms-target", "aws", "--kms-endpoint-url", url, "-n", "2",
            "--kms-rules", COLLISION_RULES, "--kms-profile", "sandbox", "--kms-report-dir", "aws",
            "-p", "no:cacheprovider")
        report = json.loads(pytester.path.joinpath("aws", "report.json").read_text())
        assert [r["rule_id"] for r in report["results"]] == COLLISION_RULES.split(",")
        assert not [r for r in report["results"] if r["verdict"] == "error"], result.stdout.str()[-3000:]
        # the same verdicts as one process (a collision would show as a failed setup step)
        single = pytester.runpytest_subprocess(
            "--kms-conformance", "--kms-target", "aws", "--kms-endpoint-url", url,
            "--kms-rules", COLLISION_RULES, "--kms-profile", "sandbox", "--kms-report-dir", "one",
            "-p", "no:cacheprovider")
        assert single.ret in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)
        alone = json.loads(pytester.path.joinpath("one", "report.json").read_text())
        # verdicts and the first finding's summary (how many further distinct findings the exploration
        # reaches depends on what else ran on the shared account first: not compared)
        def first(results: list[dict[str, object]]) -> list[tuple[str, str, str]]:
            return [(str(r["rule_id"]), str(r["verdict"]), str(r["detail"]).split(" (+")[0]) for r in results]

        assert first(report["results"]) == first(alone["results"])
        assert "setup step" not in json.dumps(report["results"])
        kms = client(url, "kms")
        # Keys are read from moto's backend, which this server shares (a key whose policy denies
        # DescribeKey, as moto enforces an explicit Deny on it, would hide from the API).
        from moto.kms.models import kms_backends

        backend = kms_backends["123456789012"]["us-east-1"]
        states = {backend.keys[k["KeyId"]].key_state for k in kms.list_keys()["Keys"]}
        assert states == {"PendingDeletion"}
        assert client(url, "iam").list_roles()["Roles"] == []
