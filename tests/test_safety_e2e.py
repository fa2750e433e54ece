"""DESIGN.md principle 5, end to end, against a moto server standing in for a sandbox account.

The account guard exempts loopback endpoints (a moto server on this machine needs no allow-list),
so the refusal tests reach the server through a non-loopback address of this machine: the same
code path a real account takes, with nothing injected. Where the machine has no such address the
refusal tests are skipped (and say so). moto's request recorder proves that nothing but the
read-only identity calls reached the server before a refusal.

Throttling: a botocore ``before-send`` hook answers the first calls with HTTP 400
ThrottlingException, as KMS does when a request quota is exceeded; the target's retry mode must
absorb them. And no report of any format may contain the credentials the run used.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from e2e_support import (
    READ_ONLY_BEFORE_GUARD,
    ROOT,
    cli,
    client,
    moto_server,
    non_loopback_address,
    recorded_operations,
    recording,
)
from kms_conformance.errors import UsageError
from kms_conformance.targets import TargetConfig, make_target

pytestmark = pytest.mark.slow
pytest_plugins = ["pytester"]

SANDBOX = "111122223333"
#: Distinctive fake credentials: a report that contains either of them leaks credentials.
SECRET = "kmsCONFsecretDoNotLeak/0123456789abcdefXYZ"
ACCESS_KEY = "AKIAKMSCONFLEAKTEST1"


@pytest.fixture
def lan_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A moto server reached through a non-loopback address; its caller is account 111122223333."""
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address: the refusal path cannot be reached honestly")
    monkeypatch.setenv("MOTO_ACCOUNT_ID", SANDBOX)  # read by the in-process server on every request
    with moto_server(address) as url:
        yield url


@pytest.fixture
def loop_url() -> Iterator[str]:
    with moto_server("127.0.0.1") as url:
        yield url


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KMS_CONFORMANCE_")}
    env.update(extra)
    return env


def _assert_nothing_written(url: str, ops: list[str]) -> None:
    assert "GetCallerIdentity" in ops, ops  # it did ask who it is...
    assert set(ops) <= READ_ONLY_BEFORE_GUARD, ops  # ...and nothing else
    assert client(url, "kms").list_keys()["Keys"] == []
    assert client(url, "iam").list_roles()["Roles"] == []


def test_cli_refuses_an_account_that_is_not_allow_listed(lan_url: str, tmp_path: Path) -> None:
    rec = tmp_path / "requests.jsonl"
    with recording(rec):
        out = cli("run", "--target", "aws", "--endpoint-url", lan_url, "--report-dir", str(tmp_path / "r"),
                  env=_env())
    assert out.returncode == 2, out.stderr
    assert (f"refusing to write to account {SANDBOX}: it is not allow-listed; pass --allow-account {SANDBOX}"
            in out.stderr)
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1
    _assert_nothing_written(lan_url, recorded_operations(rec))
    assert not (tmp_path / "r" / "report.json").exists()


def test_allow_listed_account_is_written_to(lan_url: str) -> None:
    target = make_target(TargetConfig(name="aws", endpoint_url=lan_url, run_id="e2e-allow",
                                      allow_accounts=frozenset({SANDBOX})))
    try:
        assert target.account == SANDBOX
        assert target.call("kms", "CreateKey", {"Description": "allowed"}).ok
    finally:
        target.close()
    # the target's cleanup scheduled the key it created for deletion
    keys = client(lan_url, "kms").list_keys()["Keys"]
    states = {client(lan_url, "kms").describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] for k in keys}
    assert states == {"PendingDeletion"}


def test_production_alias_is_refused_unless_forced(lan_url: str, tmp_path: Path) -> None:
    client(lan_url, "iam").create_account_alias(AccountAlias="acme-prod")
    rec = tmp_path / "requests.jsonl"
    with recording(rec):
        out = cli("run", "--target", "aws", "--endpoint-url", lan_url, "--allow-account", SANDBOX,
                  "--report-dir", str(tmp_path / "r"), env=_env())
    assert out.returncode == 2, out.stderr
    assert f"refusing to write to account {SANDBOX}: its alias 'acme-prod' looks like production" in out.stderr
    assert "--force-production" in out.stderr
    _assert_nothing_written(lan_url, recorded_operations(rec))
    # forced: the guard lets it through
    config = TargetConfig(name="aws", endpoint_url=lan_url, run_id="e2e-force", allow_accounts=frozenset({SANDBOX}),
                          force_production=True)
    target = make_target(config)
    target.close()
    with pytest.raises(UsageError, match="looks like production"):
        make_target(TargetConfig(name="aws", endpoint_url=lan_url, run_id="e2e", allow_accounts=frozenset({SANDBOX})))


def test_allow_list_from_the_environment(lan_url: str, tmp_path: Path) -> None:
    """``KMS_CONFORMANCE_ALLOW_ACCOUNTS`` allow-lists like ``--allow-account`` (a dry run writes nothing)."""
    other = cli("run", "--target", "aws", "--endpoint-url", lan_url, "--report-dir", str(tmp_path / "r"),
                env=_env(KMS_CONFORMANCE_ALLOW_ACCOUNTS="444455556666"))
    assert other.returncode == 2 and "not allow-listed" in other.stderr
    with pytest.raises(UsageError, match="not allow-listed"):
        make_target(TargetConfig(name="aws", endpoint_url=lan_url, run_id="e2e",
                                 allow_accounts=frozenset({"444455556666"})))


def test_loopback_endpoint_needs_no_allow_list(loop_url: str) -> None:
    target = make_target(TargetConfig(name="aws", endpoint_url=loop_url, run_id="e2e-loop"))
    try:
        assert target.call("kms", "CreateKey", {}).ok
    finally:
        target.close()


def test_pytest_plugin_refuses_like_the_cli(lan_url: str, pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user="def test_user():\n    pass\n")
    result = pytester.runpytest_subprocess("--kms-conformance", "--kms-target", "aws", "--kms-endpoint-url", lan_url,
                                           "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"refusing to write to account {SANDBOX}: it is not allow-listed" in result.stderr.str()
    assert client(lan_url, "kms").list_keys()["Keys"] == []


# -- throttling ------------------------------------------------------------------------------------

class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def _throttling_session(times: int, attempts: list[str]) -> Any:
    """A session factory whose clients get ``times`` ThrottlingExceptions on CreateKey, then pass."""
    from botocore.awsrequest import AWSResponse

    def hook(request: Any, **_: Any) -> Any:
        if request.headers.get("X-Amz-Target", b"") not in (b"TrentService.CreateKey", "TrentService.CreateKey"):
            return None
        attempts.append("CreateKey")
        if len(attempts) > times:
            return None
        body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
        return AWSResponse(request.url, 400, {"Content-Type": "application/x-amz-json-1.1"}, _Raw(body))

    def factory(**kwargs: Any) -> Any:
        session = boto3.session.Session(**kwargs)
        session.events.register("before-send.kms.CreateKey", hook)
        return session

    return factory


@pytest.fixture
def no_backoff_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore retries without waiting: its exponential backoff's delay and the adaptive mode's token
    bucket wait are zero (a throttled test otherwise sleeps 2-5 s, idle). What is retried, and how
    often, is botocore's own decision, unchanged."""
    from botocore.retries import bucket, standard

    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)
    monkeypatch.setattr(bucket.TokenBucket, "_sleep_amount", lambda self, amount: 0)


@pytest.mark.parametrize("mode", ["standard", "adaptive"])
def test_retry_mode_absorbs_throttling(loop_url: str, mode: str, no_backoff_waits: None) -> None:
    attempts: list[str] = []
    config = TargetConfig(name="aws", endpoint_url=loop_url, run_id="e2e-throttle", retry_mode=mode, max_attempts=5)
    target = make_target(config, session_factory=_throttling_session(2, attempts))
    try:
        out = target.call("kms", "CreateKey", {"Description": "throttled twice"})
    finally:
        target.close()
    assert out.ok, out
    assert attempts == ["CreateKey"] * 3  # two throttled attempts, retried, then the real call


def test_throttling_beyond_the_retries_is_an_environment_failure(loop_url: str, no_backoff_waits: None) -> None:
    """``max_attempts`` counts every attempt, the first included (botocore's ``total_max_attempts``):
    2 attempts, both throttled. Throttling is the environment, not the target's behaviour, so the
    target raises ``TargetUnavailable`` (the runner's ``error`` verdict), never an Outcome that a
    rule could compare as if KMS had answered."""
    from kms_conformance.targets.boto import TargetUnavailable

    attempts: list[str] = []
    config = TargetConfig(name="aws", endpoint_url=loop_url, run_id="e2e-throttle", max_attempts=2)
    target = make_target(config, session_factory=_throttling_session(5, attempts))
    try:
        with pytest.raises(TargetUnavailable, match="ThrottlingException"):
            target.call("kms", "CreateKey", {})
    finally:
        target.close()
    assert attempts == ["CreateKey"] * 2


# -- credentials never reach a report ----------------------------------------------------------------

_ACCESS_KEY_SHAPE = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b")


def _scan(directory: Path) -> list[str]:
    leaks = []
    files = sorted(p for p in directory.rglob("*") if p.is_file())
    assert {p.name for p in files} >= {"report.json", "junit.xml", "report.md", "report.html"}, files
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        leaks += [f"{path.name}: {needle}" for needle in (SECRET, ACCESS_KEY) if needle in text]
        leaks += [f"{path.name}: {m.group(0)}" for m in _ACCESS_KEY_SHAPE.finditer(text)]
    return leaks


#: A conformant rule and a nonconformant one on moto whose scenarios call as a role (the STS credentials of an
#: assumed role) and through grants: reports with findings and their recorded calls, written quickly.
CREDENTIAL_RULES = "KMS-07,KMS-10"


def test_no_report_contains_the_credentials(loop_url: str, tmp_path: Path, pytester: pytest.Pytester,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    env = _env(AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET)
    out = cli("run", "--target", "aws", "--endpoint-url", loop_url, "--rules", CREDENTIAL_RULES, "--report-dir",
              str(tmp_path / "cli"), env=env, cwd=ROOT)
    assert out.returncode in (0, 1), out.stderr
    assert _scan(tmp_path / "cli") == []
    # not vacuous: the scan read a finding's recorded calls
    results = json.loads((tmp_path / "cli" / "report.json").read_text())["results"]
    assert any(f.get("calls") for r in results for f in r.get("findings") or ()), results
    # the pytest plugin writes the same reports, also clean
    for key, value in (("AWS_ACCESS_KEY_ID", ACCESS_KEY), ("AWS_SECRET_ACCESS_KEY", SECRET)):
        monkeypatch.setenv(key, value)
    pytester.runpytest_subprocess("--kms-conformance", "--kms-target", "aws", "--kms-endpoint-url", loop_url,
                                  "--kms-rules", CREDENTIAL_RULES, "--kms-report-dir", str(tmp_path / "plugin"),
                                  "-p", "no:cacheprovider")
    assert _scan(tmp_path / "plugin") == []
