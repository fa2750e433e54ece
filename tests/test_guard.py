"""The account guard cannot be bypassed, secrets do not leak, the regression gate cannot be fooled.

DESIGN.md principle 5. Every network test stays on 127.0.0.1: a moto server
(``moto.server.ThreadedMotoServer``) plays the target, and a tiny counting HTTP server on another
loopback port plays "elsewhere" (the host a bypass would reach): it must receive no request at all.
"""

from __future__ import annotations

import http.server
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from e2e_support import moto_server, plumbing_profile, served
from kms_conformance.cli import main as cli_main
from kms_conformance.errors import UsageError
from kms_conformance.report import write_reports
from kms_conformance.safety import guard_account, is_loopback, looks_like_production
from kms_conformance.scrub import scrub_text
from kms_conformance.verdicts import Report, Verdict
from report_samples import result, sample_report

AKIA = "AKIAKMSCONFGUARDTEST1"
SECRET_ASSIGNMENT = "aws_secret_access_key=kmsCONFguardSecretDoNotLeak0123"


class _Counter(http.server.BaseHTTPRequestHandler):
    hits: list[str]

    def _answer(self) -> None:
        from urllib.parse import parse_qs

        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        action = parse_qs(body).get("Action", [""])[0] or self.headers.get("X-Amz-Target", "")
        self.hits.append(f"{self.command} {self.path} {action}".strip())
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def elsewhere() -> Iterator[tuple[str, list[str]]]:
    """A counting HTTP server on 127.0.0.1: its URL and the requests it received."""
    hits: list[str] = []
    handler = type("Counter", (_Counter,), {"hits": hits})
    with served(http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits


@pytest.fixture
def moto_url() -> Iterator[str]:
    with moto_server("127.0.0.1") as url:
        yield url


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No endpoint, account or allow-list variable from the caller's environment; test credentials."""
    import os

    for name in list(os.environ):
        if name.startswith(("AWS_", "KMS_CONFORMANCE_ALLOW")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    return tmp_path


def _run(*args: str, report_dir: Path) -> int:
    return cli_main(["run", "--target", "aws", "--rules", "FORECAST-01", "--profile", "dev",
                     "--report-dir", str(report_dir), *args])


# -- 1. the endpoint is read as botocore reads it ------------------------------------------------


@pytest.mark.parametrize("url", [
    "https://kms.us-east-1.amazonaws.com\\@127.0.0.1:5000",
    "http://127.1\\@127.0.0.1:5123",
    "http://user:secret@127.0.0.1:5000",
    "http://kms.us-east-1.amazonaws.com@127.0.0.1:5000",
    "http://127.0.0.1:5000\\.amazonaws.com",
])
def test_an_endpoint_botocore_could_read_differently_is_refused(url: str) -> None:
    from kms_conformance.safety import parse_endpoint

    with pytest.raises(UsageError, match="--endpoint-url"):
        parse_endpoint(url)
    assert is_loopback(url) is False


@pytest.mark.parametrize("url", ["not a url", "ftp://127.0.0.1:21", "http://", "http://127.0.0.1:99999",
                                 "http://127.0.0.1:0", "127.0.0.1:5000", "http://127.0.0.1:5000/?x=1"])
def test_junk_endpoints_are_refused_in_one_line(url: str) -> None:
    from kms_conformance.safety import parse_endpoint

    with pytest.raises(UsageError) as info:
        parse_endpoint(url)
    assert "\n" not in str(info.value) and "--endpoint-url" in str(info.value)


@pytest.mark.parametrize(("url", "loopback"), [
    ("http://127.1:5000", True),  # read as the resolver reads it: 127.0.0.1
    ("http://0x7f.1:5000", True),
    ("http://2130706433:5000", True),
    ("http://[::1]:5000", True),
    ("http://localhost:4566", True),
    ("http://10.1:5000", False),
    ("https://kms.us-east-1.amazonaws.com", False),
    ("http://localhost.example.com:5000", False),
])
def test_loopback_is_decided_from_the_address_botocore_connects_to(url: str, loopback: bool) -> None:
    assert is_loopback(url) is loopback


def test_cli_backslash_endpoint_reaches_nowhere(elsewhere: tuple[str, list[str]], moto_url: str,
                                                clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other, hits = elsewhere
    sneaky = other + "\\@" + moto_url.removeprefix("http://")
    assert _run("--endpoint-url", sneaky, report_dir=clean_env / "r") == 2
    err = capsys.readouterr().err
    assert "--endpoint-url" in err and "Traceback" not in err
    assert hits == []
    assert not (clean_env / "r").exists()


def test_cli_junk_endpoint_is_one_line_and_exit_2(clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run("--endpoint-url", "not a url", report_dir=clean_env / "r") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not a url" in err


def test_cli_password_in_endpoint_is_refused_and_never_printed(clean_env: Path, moto_url: str,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    url = moto_url.replace("http://", "http://user:hunter2secret@")
    assert _run("--endpoint-url", url, report_dir=clean_env / "r") == 2
    out = capsys.readouterr()
    assert "hunter2secret" not in out.out + out.err


# -- 2. the account is established through the endpoint that writes ------------------------------


def test_sts_elsewhere_than_the_writes_is_refused(elsewhere: tuple[str, list[str]], moto_url: str,
                                                  clean_env: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """STS answers from the moto server (an allow-listed account); every other service would go elsewhere."""
    other, hits = elsewhere
    monkeypatch.setenv("AWS_ENDPOINT_URL", other)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", moto_url)
    assert _run("--allow-account", "123456789012", report_dir=clean_env / "r") == 2
    err = capsys.readouterr().err
    assert "AWS_ENDPOINT_URL_STS" in err
    assert hits == []


def test_a_per_service_endpoint_that_disagrees_with_endpoint_url_is_refused(
        elsewhere: tuple[str, list[str]], moto_url: str, clean_env: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    other, hits = elsewhere
    monkeypatch.setenv("AWS_ENDPOINT_URL_KMS", other)
    assert _run("--endpoint-url", moto_url, report_dir=clean_env / "r") == 2
    assert "AWS_ENDPOINT_URL_KMS" in capsys.readouterr().err
    assert hits == []


def test_a_services_section_endpoint_that_disagrees_is_refused(
        elsewhere: tuple[str, list[str]], moto_url: str, clean_env: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    other, hits = elsewhere
    config = clean_env / "config"
    config.write_text(f"[default]\nservices = split\n\n[services split]\nkms =\n  endpoint_url = {other}\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    assert _run("--endpoint-url", moto_url, report_dir=clean_env / "r") == 2
    assert "services" in capsys.readouterr().err
    assert hits == []


def test_every_client_is_checked_against_the_run_endpoint(moto_url: str, clean_env: Path) -> None:
    """A client whose endpoint differs from the one the account was checked on is never used."""
    from kms_conformance.targets import TargetConfig, make_target
    from kms_conformance.targets.boto import TargetUnavailable

    target: Any = make_target(TargetConfig(name="aws", endpoint_url=moto_url, run_id="g"))
    try:
        assert target.call("kms", "ListKeys", {}).ok
        target.endpoint_url = "http://127.0.0.1:9"  # what a client built now would not match
        target._clients.clear()
        with pytest.raises(TargetUnavailable, match="endpoint"):
            target.call("kms", "ListKeys", {})
    finally:
        target.endpoint_url = moto_url
        target.close()


# -- 3. loopback is exempt only for a proven emulator; production names ---------------------------


def test_loopback_that_is_not_an_emulator_needs_the_allow_list() -> None:
    ident = {"Account": "999999999999"}
    with pytest.raises(UsageError, match="not allow-listed"):
        guard_account(ident, allow_accounts=set(), endpoint_url="http://127.0.0.1:5000", emulator=None)
    guard_account(ident, allow_accounts=set(), endpoint_url="http://127.0.0.1:5000", emulator="moto")
    with pytest.raises(UsageError, match="not allow-listed"):  # an emulator that is not on loopback
        guard_account(ident, allow_accounts=set(), endpoint_url="http://10.0.0.1:5000", emulator="moto")


def test_emulator_proof(moto_url: str, elsewhere: tuple[str, list[str]]) -> None:
    from kms_conformance.safety import prove_emulator

    assert prove_emulator(moto_url) == "moto"
    other, hits = elsewhere
    assert prove_emulator(other) is None
    assert hits and all(h.startswith("GET ") for h in hits)  # harmless reads only
    assert prove_emulator("https://kms.us-east-1.amazonaws.com") is None  # never probed: not loopback


def test_cli_loopback_tunnel_without_emulator_is_refused(elsewhere: tuple[str, list[str]], clean_env: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """A loopback port that is not moto or LocalStack (an SSH tunnel to AWS): only the emulator probes
    (GET) and the identity call reach it; it is not exempt from the allow-list (test above)."""
    other, hits = elsewhere
    assert _run("--endpoint-url", other, report_dir=clean_env / "r") == 2
    assert "Traceback" not in capsys.readouterr().err
    assert "POST / GetCallerIdentity" in hits
    assert all(h.startswith("GET ") or h == "POST / GetCallerIdentity" for h in hits), hits


@pytest.mark.parametrize(("name", "prod"), [
    ("acme-prod", True), ("acme-prod1", True), ("prod2024", True), ("acmeProd", True), ("ACME_PROD", True),
    ("acmeprod", True), ("Production", True), ("prd_eu", True), ("live", True), ("acme-nonprod", True),
    ("sandbox", False), ("product-team-dev", False), ("reproduce", False), ("productivity", False),
    ("delivery", False), ("olive-dev", False),
])
def test_production_names(name: str, prod: bool) -> None:
    assert (looks_like_production([name]) is not None) is prod


# -- 4. no public key policy on a real account -----------------------------------------------------


def test_public_principal_policies_are_never_sent_to_a_guarded_target() -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from hypothesis.errors import UnsatisfiedAssumption
    from kms_conformance.scenarios.steps import default_key_policy, is_public_policy, new_key
    from kms_conformance.targets.model import ModelTarget
    from kms_conformance.targets.recording import RecordingTarget

    admin = default_key_policy(ModelTarget(region="us-east-1").account)["Statement"]
    public = {"Version": "2012-10-17", "Statement": [
        *admin, {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}]}
    public_aws = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "kms:*",
                                 "Resource": "*"}]}
    conditioned = {"Version": "2012-10-17", "Statement": [*admin, {"Effect": "Allow", "Principal": {"AWS": "*"},
                                                                   "Action": "kms:*",
                                  "Resource": "*",
                                  "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333"}}}]}
    denied = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*"}]}
    assert is_public_policy(public) and is_public_policy(public_aws)
    assert not is_public_policy(conditioned) and not is_public_policy(denied)

    class Guarded(ModelTarget):
        """Stands in for the aws target on a real account (BotoTarget's guard attributes)."""

        public_policy_guard = True
        public_policies_filtered = 0

        def filtered_public_policy(self) -> None:
            self.public_policies_filtered += 1

    model = ModelTarget(region="us-east-1")
    guarded = Guarded(region="us-east-1")
    assert new_key(model, public)["KeyId"]  # the reference model is not an account: no guard
    drawn: list[dict[str, Any]] = []
    refused: list[dict[str, Any]] = []

    # As the runner hands a target to a scenario: inside a property-based test, where the refusal is
    # Hypothesis's `reject` (that example is filtered out, another is drawn).
    @settings(max_examples=20, database=None, derandomize=True, suppress_health_check=[HealthCheck.filter_too_much])
    @given(st.sampled_from([public, public_aws, conditioned]))
    def scenario(policy: dict[str, Any]) -> None:
        drawn.append(policy)
        try:
            new_key(RecordingTarget(guarded), policy)
        except UnsatisfiedAssumption:
            refused.append(policy)
            raise

    scenario()
    assert public in refused and public_aws in refused and conditioned not in refused, drawn
    assert refused == [p for p in drawn if p is not conditioned]  # every public draw, and only those
    assert guarded.public_policies_filtered == len(refused)
    created = [k["KeyId"] for k in guarded.call("kms", "ListKeys", {}).value["Keys"]]
    assert len(created) == drawn.count(conditioned) >= 1  # only the conditioned policy was sent
    sent = {guarded.call("kms", "GetKeyPolicy", {"KeyId": k, "PolicyName": "default"}).value["Policy"]
            for k in created}
    assert {json.dumps(conditioned)} == sent, sent


def test_dry_run_says_the_public_principal_guard_is_on(capsys: pytest.CaptureFixture[str], clean_env: Path) -> None:
    assert cli_main(["run", "--target", "aws", "--dry-run", "--rules", "FORECAST-01"]) == 0
    assert "Principal" in capsys.readouterr().out


# -- 5. secrets by other routes --------------------------------------------------------------------


def test_password_in_an_endpoint_is_scrubbed_everywhere(tmp_path: Path) -> None:
    assert "hunter2" not in scrub_text("-> http://user:hunter2@127.0.0.1:5000/x")
    report = sample_report(endpoint="http://user:hunter2@127.0.0.1:5000",
                           target_version="botocore -> http://user:hunter2@127.0.0.1:5000")
    for path in write_reports(report, tmp_path).values():
        assert "hunter2" not in Path(path).read_text()


def _save(report: Report, path: Path) -> str:
    """Write ``report`` as the kit writes it (``write_reports``); the report.json's path, named ``path``."""
    written = write_reports(report, path.parent / (path.stem + "-dir"))
    Path(written["json"]).replace(path)
    return str(path)


def test_compare_output_is_scrubbed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = sample_report()
    leaky = tuple(replace(r, detail=f"{AKIA} {SECRET_ASSIGNMENT}") if r.rule_id == "FORECAST-01" else r
                  for r in old.results)
    new = Report(meta=old.meta, results=tuple(replace(r, verdict=Verdict.NONCONFORMANT) if r.rule_id == "FORECAST-01"
                                              else r for r in leaky))
    a, b = _save(old, tmp_path / "a.json"), _save(new, tmp_path / "b.json")
    for extra in ([], ["--json"]):
        assert cli_main(["report", "compare", a, b, *extra]) == 1
        out = capsys.readouterr()
        assert AKIA not in out.out + out.err and "kmsCONFguardSecretDoNotLeak" not in out.out + out.err


# -- 6. the regression gate -------------------------------------------------------------------------


def _gate(tmp_path: Path, new: Report, *extra: str) -> tuple[int, str]:
    a, b = _save(sample_report(), tmp_path / "old.json"), _save(new, tmp_path / "new.json")
    code = cli_main(["report", "compare", a, b, *extra])
    return code, b


def test_gate_fails_on_an_empty_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = _gate(tmp_path, replace(sample_report(), results=()))
    assert code == 1 and "missing" in capsys.readouterr().out


def test_gate_fails_on_an_incomplete_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = sample_report()
    skipped = tuple(replace(r, verdict=Verdict.SKIPPED, detail="interrupted") for r in old.results)
    code, _ = _gate(tmp_path, replace(sample_report(incomplete=True), results=skipped))
    assert code == 1 and "incomplete" in capsys.readouterr().out
    code, _ = _gate(tmp_path, sample_report(incomplete=True))
    assert code == 1
    assert _gate(tmp_path, sample_report(incomplete=True), "--allow-incomplete")[0] == 0


def test_gate_fails_on_renamed_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    renamed = tuple(replace(r, rule_id=r.rule_id + "X") for r in sample_report().results)
    code, _ = _gate(tmp_path, replace(sample_report(), results=renamed))
    assert code == 1 and "missing" in capsys.readouterr().out
    assert _gate(tmp_path, replace(sample_report(), results=renamed), "--allow-missing")[0] == 0


def test_gate_fails_on_duplicate_rule_ids(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dup = (result("FORECAST-01", Verdict.NONCONFORMANT, detail="x"), *sample_report().results)
    code, _ = _gate(tmp_path, replace(sample_report(), results=dup))
    assert code == 1 and "duplicate" in capsys.readouterr().out


def test_gate_exit_2_on_malformed_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = _save(sample_report(), tmp_path / "old.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "kms-conformance/report@1", "meta": {}')
    assert cli_main(["report", "compare", a, str(bad)]) == 2
    bad.write_text("[]")
    assert cli_main(["report", "compare", a, str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.json" in err and "Traceback" not in err


def test_gate_still_passes_an_unchanged_complete_report(tmp_path: Path) -> None:
    assert _gate(tmp_path, sample_report())[0] == 0


@pytest.mark.slow
def test_a_run_on_a_real_account_filters_public_policies_and_reports_the_count(
        moto_url: str, clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """KMS-03 generates ``Principal: "*"`` policies. Against an endpoint that is not a proven emulator
    (the moto server, its proof withheld: the real-account path) none of them reaches the account,
    and the report's target notes count what was filtered. A few examples suffice (the plumbing
    profile): the count must be positive, so some public policy was drawn and filtered."""
    import boto3
    from kms_conformance.runner import RunOptions, run
    from kms_conformance.scenarios.steps import is_public_policy
    from kms_conformance.targets import TargetConfig, make_target

    config = TargetConfig(name="aws", endpoint_url=moto_url, run_id="pub", settle_seconds=0.0,
                          allow_accounts=frozenset({"123456789012"}))
    report = run(RunOptions(target=config, profile=plumbing_profile(monkeypatch), rules=("KMS-03",)),
                 build_target=lambda cfg: make_target(cfg, prove=lambda url: None))
    notes = [n for n in report.meta.target_notes if n.startswith("public-principal guard:")]
    assert len(notes) == 1
    filtered = int(notes[0].split(":")[1].split()[0])
    assert filtered > 0, notes
    assert report.results[0].verdict is not Verdict.ERROR, report.results[0].detail
    kms = boto3.client("kms", endpoint_url=moto_url, region_name="us-east-1")
    for key in kms.list_keys()["Keys"]:
        policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
        assert not is_public_policy(policy), policy
