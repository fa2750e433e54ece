"""Reports: report.json (schema, round trip, load errors), junit.xml, report.md, report.html,
atomic writes, credentials scrubbed from every format, incomplete runs marked in every format."""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import fields, replace
from pathlib import Path

import pytest
from kms_conformance.errors import InputError
from kms_conformance.report import FILES, load_report, render, write_reports
from kms_conformance.report.markdown import LIMIT
from kms_conformance.report.schema import report_schema, validate_report_dict
from kms_conformance.scrub import REDACTED, scrub_text
from kms_conformance.verdicts import Report, RuleResult, RunMeta, Verdict, report_to_dict
from report_samples import FORECAST, result, sample_report

FORMATS = ("json", "junit", "md", "md-summary", "html")


# --- report.json and its schema -------------------------------------------------------------------

def test_json_round_trip() -> None:
    report = sample_report()
    data = json.loads(render(report, "json"))
    assert data["schema"] == "kms-conformance/report@2"
    assert validate_report_dict(data) == []
    assert data["summary"]["coverage"] == {"tested": 4, "of": 7}
    assert data["summary"]["divergence"] == {"nonconformant": 2, "of_tested": 4}


def test_load_report_reads_what_write_reports_wrote(tmp_path: Path) -> None:
    report = sample_report()
    paths = write_reports(report, tmp_path)
    assert set(paths) == set(FORMATS)
    assert load_report(paths["json"]) == report


def test_schema_documents_every_field_of_the_values() -> None:
    defs = report_schema()["$defs"]
    assert set(defs["result"]["properties"]) == {f.name for f in fields(RuleResult)}
    assert set(defs["meta"]["properties"]) == {f.name for f in fields(RunMeta)}
    assert set(defs["verdict"]["enum"]) == {v.value for v in Verdict}
    assert set(report_schema()["properties"]["summary"]["$ref"].split("/")[-1:]) == {"summary"}
    assert set(defs["summary"]["properties"]) == set(report_to_dict(sample_report())["summary"])


def test_schema_is_valid_and_names_the_path_of_each_problem() -> None:
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(dict(report_schema()))
    good = report_to_dict(sample_report(incomplete=True, finished=None, endpoint="http://127.0.0.1:5000"))
    assert validate_report_dict(good) == []
    bad_docs = [
        ({**good, "schema": "other"}, "schema", "expected one of 'kms-conformance/report@2'"),
        ({**good, "results": [{**good["results"][0], "verdict": "passed"}]}, "results[0].verdict", "expected one of"),
        ({**good, "results": [{**good["results"][0], "examples": -1}]}, "results[0].examples", "at least 0"),
        ({**good, "meta": {**good["meta"], "seed": "42"}}, "meta.seed", "expected integer, got string"),
        ({**good, "meta": {**good["meta"], "incomplete": 1}}, "meta.incomplete", "expected boolean, got integer"),
        ({**good, "results": [{**good["results"][0], "extra": 1}]}, "results[0].extra", "unknown field"),
        ({k: v for k, v in good.items() if k != "meta"}, "meta", "required field is missing"),
        ([1, 2], "$", "expected object, got array"),
    ]
    for bad, path, what in bad_docs:
        problems = validate_report_dict(bad)
        assert problems and problems[0][0] == path and what in problems[0][1], (path, problems)


@pytest.mark.parametrize(("mutate", "path"), [
    (lambda d: d["results"][1].__setitem__("verdict", "passed"), "results[1].verdict"),
    (lambda d: d["meta"].__setitem__("seed", "x"), "meta.seed"),
    (lambda d: d["results"][0].pop("rule_id"), "results[0].rule_id"),
    (lambda d: d["results"][2].__setitem__("known", {"rule": "x"}), "results[2].known"),
    (lambda d: d.__setitem__("results", {}), "results"),
])
def test_load_report_names_file_and_json_path(tmp_path: Path, mutate, path: str) -> None:  # type: ignore[no-untyped-def]
    data = report_to_dict(sample_report())
    mutate(data)
    f = tmp_path / "broken.json"
    f.write_text(json.dumps(data))
    with pytest.raises(InputError) as info:
        load_report(f)
    assert info.value.source == str(f)
    assert info.value.path == path
    assert str(f) in str(info.value) and path in str(info.value)


def test_load_report_malformed_json_and_wrong_schema(tmp_path: Path) -> None:
    f = tmp_path / "r.json"
    f.write_text('{"schema": ')
    with pytest.raises(InputError, match="not valid JSON") as info:
        load_report(f)
    assert info.value.source == str(f)
    f.write_text(json.dumps({**report_to_dict(sample_report()), "schema": "kms-conformance/report@9"}))
    with pytest.raises(InputError, match="report@9") as info:
        load_report(f)
    assert info.value.path == "schema"
    f.write_text("[1, 2]")
    with pytest.raises(InputError, match="expected object"):
        load_report(f)
    with pytest.raises(InputError, match="no such file"):
        load_report(tmp_path / "missing.json")


# --- atomic writes ---------------------------------------------------------------------------------

def test_write_reports_writes_json_first_and_leaves_no_temp_files(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    order: list[str] = []
    real_replace = os.replace

    def spy(src: str, dst: str) -> None:
        assert Path(src).parent == Path(dst).parent  # the temp file lives in the same directory
        order.append(Path(dst).name)
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    write_reports(sample_report(), tmp_path / "out", formats=("html", "md", "json"))
    assert order == ["report.json", "report.html", "report.md"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["report.html", "report.json", "report.md"]


def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_reports(sample_report(), tmp_path, formats=("json",))
    before = (tmp_path / "report.json").read_text()

    def boom(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        write_reports(sample_report(seed=7), tmp_path, formats=("json",))
    assert (tmp_path / "report.json").read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="pdf"):
        write_reports(sample_report(), tmp_path, formats=("pdf",))
    with pytest.raises(ValueError, match="pdf"):
        render(sample_report(), "pdf")
    assert list(tmp_path.iterdir()) == []


# --- credentials never reach a report ---------------------------------------------------------------

SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD6" + "Zm9vYmFy" * 30
PLAIN = "hunter2-not-base64-shaped"


def planted_report() -> Report:
    r = sample_report(argv=("kms-conformance", "run", "--aws-secret-access-key", SECRET_KEY),
                      baseline_notes=(f"aws_session_token={SESSION_TOKEN}",))
    results = list(r.results)
    results[1] = replace(results[1], detail=f"env: AWS_SECRET_ACCESS_KEY={SECRET_KEY} AWS_ACCESS_KEY_ID={ACCESS_KEY}",
                         counterexample={"Credentials": {"SecretAccessKey": SECRET_KEY, "SessionToken": SESSION_TOKEN},
                                         "aws_secret_access_key": PLAIN, "nested": [f"token {SESSION_TOKEN}"]},
                         observed={"message": f"secret_access_key: {PLAIN}"})
    results[5] = replace(results[5], detail=f"boto3 said {SECRET_KEY}")
    return replace(r, results=tuple(results))


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_planted_secret_in_any_format(fmt: str) -> None:
    text = render(planted_report(), fmt)
    for secret in (SECRET_KEY, ACCESS_KEY, SESSION_TOKEN, SESSION_TOKEN[:60], PLAIN):
        assert secret not in text, f"{fmt} leaks {secret[:12]}..."
    assert REDACTED in text


def test_no_planted_secret_in_written_files(tmp_path: Path) -> None:
    write_reports(planted_report(), tmp_path)
    for name in FILES.values():
        text = (tmp_path / name).read_text()
        for secret in (SECRET_KEY, ACCESS_KEY, SESSION_TOKEN[:60], PLAIN):
            assert secret not in text, name


def test_scrub_leaves_ordinary_values_alone() -> None:
    ordinary = [
        "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws:iam::123456789012:role/service-role/AmazonForecastAccessRole",
        "da39a3ee5e6b4b0d3255bfef95601890afd80709",  # a 40-digit hex digest
        "kms-conformance run --target moto --rules FORECAST-02 --seed 42",
        "CreatePredictor: expected 'AccessDeniedException', observed 'OK'",
    ]
    for text in ordinary:
        assert scrub_text(text) == text
    assert scrub_text(f"key {SECRET_KEY}.") == f"key {REDACTED}."
    assert scrub_text(f'"SecretAccessKey": "{PLAIN}"') == f'"SecretAccessKey": "{REDACTED}"'


def test_scrub_removes_the_environments_own_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    odd = "not-shaped-like-a-key:but secret"
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", odd)
    report = sample_report(host=f"runner {odd}")
    for fmt in FORMATS:
        assert odd not in render(report, fmt), fmt
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")  # too short to be a secret: ordinary words survive
    assert scrub_text("testing the target") == "testing the target"


# --- incomplete runs ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_incomplete_run_is_marked_in_every_format(fmt: str) -> None:
    complete = render(sample_report(), fmt)
    incomplete = render(sample_report(incomplete=True, finished=None), fmt)
    if fmt == "json":
        assert json.loads(incomplete)["meta"]["incomplete"] is True
        assert json.loads(complete)["meta"]["incomplete"] is False
    else:
        assert "INCOMPLETE RUN" in incomplete
        assert "INCOMPLETE RUN" not in complete


def test_incomplete_run_is_never_green_in_junit() -> None:
    passing = Report(meta=sample_report().meta, results=(result("FORECAST-01", Verdict.CONFORMANT),))
    root = ET.fromstring(render(replace(passing, meta=replace(passing.meta, incomplete=True)), "junit"))
    assert root.get("errors") == "1"
    assert ET.fromstring(render(passing, "junit")).get("errors") == "0"


# --- junit.xml ---------------------------------------------------------------------------------------

def _cases(xml: str) -> dict[str, ET.Element]:
    root = ET.fromstring(xml)
    return {c.get("name", "").split()[0]: c for c in root.iter("testcase")}


def test_junit_one_testcase_per_rule_with_the_right_outcome() -> None:
    report = sample_report()
    xml = render(report, "junit")
    root = ET.fromstring(xml)
    suite = root.find("testsuite")
    assert suite is not None
    cases = _cases(xml)
    assert set(cases) == {r.rule_id for r in report.results}
    assert list(cases["FORECAST-01"]) == []  # the only passes are the conformant rules
    assert list(cases["AOSS-01"]) == []
    failure = cases["FORECAST-02"].find("failure")
    assert failure is not None and failure.text is not None
    for piece in ("AccessDeniedException", '"CreatePredictor": "OK"', "KeyPolicy",
                  "replay: kms-conformance run --target moto --rules FORECAST-02 --seed 42",
                  "the sentence FORECAST-02 encodes"):
        assert piece in failure.text
    error = cases["MWAA-02"].find("error")
    assert error is not None and "KeyError" in (error.get("message") or "")
    for rule_id, reason in (("AOSS-02", "moto does not enforce key policies"),
                            ("MWAA-01", "mwaa:CreateEnvironment"), ("MWAA-03", "not selected")):
        skipped = cases[rule_id].find("skipped")
        assert skipped is not None, rule_id
        assert reason in (skipped.get("message") or ""), rule_id
        assert cases[rule_id].find("failure") is None
    counts = (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped"))
    assert counts == ("7", "1", "1", "3")
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["target"] == "moto" and props["seed"] == "42" and props["incomplete"] == "false"


def test_junit_escapes_and_strips_control_characters() -> None:
    nasty = 'a <b> & "c" \x00\x1b end'
    report = Report(meta=sample_report().meta, results=(
        result("FORECAST-09", Verdict.NONCONFORMANT, title=nasty, detail=nasty, observed={"x": nasty}),))
    root = ET.fromstring(render(report, "junit"))  # parses: well-formed
    case = next(root.iter("testcase"))
    assert 'a <b> & "c"' in (case.get("name") or "")


# --- report.md ---------------------------------------------------------------------------------------

def test_markdown_summary_failures_table_and_details() -> None:
    md = render(sample_report(), "md")
    first = md.splitlines()[0]
    assert first.startswith("## kms-conformance: FAILED on moto 5.2.5")
    assert "coverage: 4 of 7 rules tested (57%); not tested: 1 unsupported, 1 error, 1 skipped" in md
    assert "divergence: 2 of 4 tested rules nonconformant (50%), 1 of them known divergences" in md
    table = [line for line in md.splitlines() if line.startswith("| FORECAST-02 |")]
    assert len(table) == 1 and "kms-conformance run --target moto --rules FORECAST-02 --seed 42" in table[0]
    assert not any(line.startswith("| AOSS-02 | should") for line in md.splitlines())  # known: not a failure row
    assert "<details><summary>FORECAST-02 [must] title of FORECAST-02</summary>" in md
    assert "### Known divergences (1)" in md and "### Errors (1)" in md


def test_markdown_passing_run() -> None:
    report = Report(meta=sample_report().meta, results=(result("FORECAST-01", Verdict.CONFORMANT),))
    md = render(report, "md")
    assert md.startswith("## kms-conformance: PASSED")
    assert "Nonconformant" not in md


def test_markdown_escapes_table_cells_and_html() -> None:
    report = Report(meta=sample_report().meta, results=(
        result("FORECAST-09", Verdict.NONCONFORMANT, section="a | b", expected={"k": "<script>x</script>"},
               observed="```", detail="```\nbreak out", replay="run | tee"),))
    md = render(report, "md")
    row = next(line for line in md.splitlines() if line.startswith("| FORECAST-09"))
    assert row.count("|") - row.count("\\|") == 8  # the | inside cells are escaped (7 columns)
    assert "<script>" not in row and "&lt;script&gt;" in row
    assert "<script>" not in md.split("```")[0]  # outside code blocks HTML is escaped
    assert "````\n```\nbreak out\n````" in md  # the fence is longer than any backtick run inside


def test_markdown_fits_a_pull_request_comment() -> None:
    results = tuple(result(f"FORECAST-{i:02d}", Verdict.NONCONFORMANT, counterexample={"p": "x y " * 800},
                           replay=f"kms-conformance run --rules FORECAST-{i:02d}") for i in range(80))
    md = render(Report(meta=sample_report().meta, results=results), "md")
    assert len(md) < 65_536 and len(md) < LIMIT + 5_000
    assert "more not shown" in md
    assert md.count("| FORECAST-") == 80  # the table lists every failure even when the details are cut


# --- report.html -------------------------------------------------------------------------------------

def test_html_is_self_contained_and_filterable() -> None:
    page = render(sample_report(), "html")
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"<link|\ssrc=|@import|url\(", page, re.IGNORECASE)
    # links go to the page's own entries or to the AWS page a rule cites; nothing is loaded from anywhere
    assert all(h.startswith(("#", "https://docs.aws.amazon.com/")) for h in re.findall(r'href="([^"]*)"', page))
    assert page.count("<script>") == 1
    for element in ('id="f-verdict"', 'id="f-doc"', 'id="f-text"'):
        assert element in page
    assert f'<option value="{FORECAST}">forecast ({FORECAST})</option>' in page
    for rule_id, key in (("FORECAST-02", "nonconformant"), ("AOSS-02", "known"), ("MWAA-01", "unsupported")):
        assert f'data-verdict="{key}" data-doc="' in page and f'id="{rule_id}"' in page
    assert page.count('<section class="doc">') == 3  # one per page of documentation
    assert "the sentence FORECAST-02 encodes" in page and "KeyPolicy" in page


def test_html_escapes_everything_it_prints() -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    report = Report(meta=sample_report(host=evil).meta, results=(
        result("FORECAST-09", Verdict.NONCONFORMANT, title=evil, quote=evil, section=evil, detail=evil,
               counterexample={evil: evil}, replay=evil),))
    page = render(report, "html")
    assert "<script>alert" not in page and "<img" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)" in page
    assert page.count("<script>") == 1


_DOM_SHIM = r"""
const fs = require('fs');
const page = fs.readFileSync(process.argv[2], 'utf8');
const script = page.split('<script>')[1].split('</script>')[0];
const rules = [], sections = [];
const sectionRe = /<section class="doc">([\s\S]*?)<\/section>/g;
let m;
while ((m = sectionRe.exec(page))) {
  const section = {hidden: false, rules: []};
  const ruleRe = new RegExp('<article class="[^"]*" data-verdict="([^"]*)" data-doc="([^"]*)" ' +
                            'data-failing="([^"]*)" id="([^"]*)">([\\s\\S]*?)</article>', 'g');
  let r;
  while ((r = ruleRe.exec(m[1]))) {
    const el = {id: r[4], hidden: false, attrs: {'data-verdict': r[1], 'data-doc': r[2], 'data-failing': r[3]},
                textContent: r[5].replace(/<[^>]*>/g, ''), getAttribute(n) { return this.attrs[n]; }};
    section.rules.push(el); rules.push(el);
  }
  section.querySelector = () => section.rules.find(e => !e.hidden) || null;
  sections.push(section);
}
const listeners = [];
const control = () => ({value: '', addEventListener(_, f) { listeners.push(f); }});
const controls = {'f-verdict': control(), 'f-doc': control(), 'f-text': control(), 'f-count': {textContent: ''}};
global.document = {getElementById: id => controls[id],
                   querySelectorAll: sel => sel === '.rule' ? rules : sel === 'section.doc' ? sections : []};
global.location = {hash: process.argv[4] || '', pathname: '/report.html', search: ''};
global.history = {replaceState(_s, _t, url) { location.hash = url.startsWith('#') ? url : ''; }};
global.window = {addEventListener() {}};
eval(script);
const shown = () => rules.filter(e => !e.hidden).map(e => e.id).join(',') + '|' +
                    sections.filter(s => !s.hidden).length;
const out = [shown()];
controls['f-verdict'].value = 'nonconformant'; listeners[0](); out.push(shown());
controls['f-verdict'].value = ''; controls['f-doc'].value = process.argv[3]; listeners[0](); out.push(shown());
controls['f-doc'].value = ''; controls['f-text'].value = 'MOTO DOES NOT'; listeners[0](); out.push(shown());
out.push(controls['f-count'].textContent);
controls['f-text'].value = ''; controls['f-verdict'].value = 'failing'; listeners[0](); out.push(shown());
out.push(location.hash);
console.log(out.join('\n'));
"""


def test_html_filters_work(tmp_path: Path) -> None:
    """Runs the page's inline script under node with a minimal DOM stand-in (skipped without node)."""
    import shutil
    import subprocess

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    page = tmp_path / "report.html"
    page.write_text(render(sample_report(), "html"))
    shim = tmp_path / "shim.js"
    shim.write_text(_DOM_SHIM)
    aoss = "002_c2442b383cdbec83.txt"
    out = subprocess.run([node, str(shim), str(page), aoss], capture_output=True, text=True, timeout=30, check=True)
    # failing rules first in each page's list, passing ones (folded) last
    assert out.stdout.splitlines() == [
        "FORECAST-02,FORECAST-01,AOSS-02,AOSS-01,MWAA-02,MWAA-01,MWAA-03|3",
        "FORECAST-02|1",  # the known divergence AOSS-02 is filed under "known", not "nonconformant"
        "AOSS-02,AOSS-01|1",
        "AOSS-02|1",
        "1 shown",
        "FORECAST-02,MWAA-02|2",  # failing: nonconformant (not known) and errors
        "#filter=failing",  # the filter is kept in the URL fragment
    ]
    # a fragment given on load sets the filter
    out = subprocess.run([node, str(shim), str(page), aoss, "#filter=failing"], capture_output=True, text=True,
                         timeout=30, check=True)
    assert out.stdout.splitlines()[0] == "FORECAST-02,MWAA-02|2"


def test_a_run_that_tested_nothing_is_not_a_pass() -> None:
    report = Report(meta=sample_report().meta, results=(
        result("MWAA-01", Verdict.UNSUPPORTED, unsupported_operation="mwaa:CreateEnvironment"),
        result("MWAA-03", Verdict.SKIPPED)))
    assert render(report, "md").startswith("## kms-conformance: NOTHING TESTED on moto 5.2.5")
    assert "coverage: 0 of 2 rules tested (0%)" in render(report, "md")
    assert "NOTHING TESTED" in render(report, "html")
    root = ET.fromstring(render(report, "junit"))
    assert [c.find("skipped") is not None for c in root.iter("testcase")] == [True, True]


def test_written_files_get_the_usual_mode_not_mkstemps_0600(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    try:
        paths = write_reports(sample_report(), tmp_path)
    finally:
        os.umask(mask)
    for path in paths.values():
        assert path.stat().st_mode & 0o777 == 0o644, path


# --- schema @2: inconclusive verdicts, findings and their calls ----------------------------------

def findings_report() -> Report:
    from kms_conformance.verdicts import Call, Finding, Inconclusive

    decrypt = Call(service="kms", operation="Decrypt", params={"CiphertextBlob": {"base64": "AAE="}},
                   principal="arn:aws:iam::123456789012:role/r", role="subject",
                   outcome={"code": "OK", "message": ""}, response={"KeyId": "k"},
                   expected={"code": "AccessDeniedException"})
    create = Call(service="kms", operation="CreateKey", params={"Policy": "{}"}, principal=None, role="stage",
                  outcome={"code": "OK", "message": ""}, response={"KeyMetadata": {"KeyId": "k"}})
    allow = Finding(signature='call: "AccessDeniedException" vs "OK" [Allow]', summary="Allow not enforced",
                    counterexample={"effect": "Allow"}, expected={"call": "AccessDeniedException"},
                    observed={"call": "OK"}, replay="kms-conformance run --rules KMS-03", calls=(create, decrypt))
    deny = replace(allow, signature='call: "AccessDeniedException" vs "OK" [Deny]', summary="Deny ignored",
                   counterexample={"effect": "Deny"})
    base = sample_report()
    nc = replace(result("KMS-03", Verdict.NONCONFORMANT), counterexample={"effect": "Allow"},
                 expected={"call": "AccessDeniedException"}, observed={"call": "OK"}, findings=(allow, deny),
                 replay="kms-conformance run --rules KMS-03")
    inc = replace(result("FS-08", Verdict.INCONCLUSIVE), detail="blocked",
                  inconclusive=Inconclusive(step="sagemaker:CreateFeatureGroup", expected="OK",
                                            observed="InternalFailure", message="boom", blocked_by="FS-01"))
    return replace(base, results=(*base.results, nc, inc))


def test_schema_2_round_trip_with_findings_calls_and_inconclusive(tmp_path: Path) -> None:
    report = findings_report()
    data = json.loads(render(report, "json"))
    assert data["schema"] == "kms-conformance/report@2"
    assert validate_report_dict(data) == []
    assert data["summary"]["counts"]["inconclusive"] == 1
    assert data["summary"]["coverage"]["tested"] == 5  # inconclusive is not tested
    kms03 = next(r for r in data["results"] if r["rule_id"] == "KMS-03")
    assert [f["summary"] for f in kms03["findings"]] == ["Allow not enforced", "Deny ignored"]
    assert "expected" not in kms03["findings"][0]["calls"][0]  # a stage call has no expected
    assert kms03["findings"][0]["calls"][1]["expected"] == {"code": "AccessDeniedException"}
    fs08 = next(r for r in data["results"] if r["rule_id"] == "FS-08")
    assert fs08["inconclusive"]["blocked_by"] == "FS-01"
    path = write_reports(report, tmp_path, ["json"])["json"]
    assert load_report(path) == report
    assert not next(r for r in report.results if r.rule_id == "FS-08").fails


def test_schema_1_report_is_still_read_and_compared_with_a_schema_2_one(tmp_path: Path) -> None:
    from kms_conformance.report import compare

    old = json.loads(render(sample_report(), "json"))
    old["schema"] = "kms-conformance/report@1"
    for r in old["results"]:
        r.pop("findings"), r.pop("inconclusive")
    old["summary"]["counts"].pop("inconclusive")
    (tmp_path / "old.json").write_text(json.dumps(old))
    read = load_report(tmp_path / "old.json")
    assert all(r.findings == () and r.inconclusive is None for r in read.results)
    new = findings_report()
    comparison = compare(read, new)
    assert [c.rule_id for c in comparison.new_rules] == ["KMS-03", "FS-08"]
    assert not comparison.regressed


def test_findings_and_inconclusive_in_every_format() -> None:
    report = findings_report()
    md, html_text, junit = render(report, "md"), render(report, "html"), render(report, "junit")
    for text in (md, html_text, junit):
        assert "Allow not enforced" in text and "Deny ignored" in text
    assert "Finding 2 of 2" in md and "-   -> AccessDeniedException  (reference model)" in md
    assert "inconclusive: sagemaker:CreateFeatureGroup answered InternalFailure (reference model: OK); " \
           "blocked by FS-01" in md
    assert '<span class="del">' in html_text and "Finding 1 of 2" in html_text
    case = next(c for name, c in _cases(junit).items() if name.startswith("FS-08"))
    assert case.find("skipped") is not None and case.find("failure") is None
    assert "1 inconclusive" in md


def test_run_summary_table_lists_inconclusive_rules_and_what_blocked_them() -> None:
    from kms_conformance.progress import summary_table

    table = summary_table(findings_report())
    assert any(line.split() == ["inconclusive", "1"] for line in table.splitlines())
    assert "  FS-08: sagemaker:CreateFeatureGroup InternalFailure (reference model: OK), blocked by FS-01" in table
