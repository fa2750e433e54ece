"""LocalStack as a target: command line and environment, port choice, health wait, teardown, the
install command's steps, and (slow) a smoke run of a few KMS rules against a real LocalStack.

The start/stop tests run a fake LocalStack: a ``localstack.runtime.main`` module put first on
PYTHONPATH, run by this interpreter, that serves ``/_localstack/health`` on ``GATEWAY_LISTEN`` and
starts a child process (so that stopping must reach the whole process group).
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import FakeClock, served
from kms_conformance.cache import CACHE_ENV
from kms_conformance.cli import main
from kms_conformance.targets import TargetConfig, make_target
from kms_conformance.targets import localstack as ls

FAKE_MAIN = '''
import http.server, json, os, subprocess, sys
mode = os.environ.get("FAKE_LOCALSTACK_MODE", "serve")
print("fake localstack starting", flush=True)
if mode == "crash":
    print("boom: cannot bind", flush=True)
    sys.exit(3)
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
with open(os.environ["FAKE_LOCALSTACK_CHILD"], "w") as f:
    f.write(str(child.pid))
if mode == "hang":
    import time; time.sleep(120)
host, port = os.environ["GATEWAY_LISTEN"].split(":")
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"version": "9.9.9", "edition": "community",
                           "env": {k: os.environ.get(k) for k in ("DISABLE_EVENTS", "DNS_ADDRESS",
                                   "SKIP_SSL_CERT_DOWNLOAD", "LOCALSTACK_HOST", "GATEWAY_LISTEN")}}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json"); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
http.server.HTTPServer((host, int(port)), H).serve_forever()
'''


@pytest.fixture
def fake_localstack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake ``localstack.runtime.main`` on PYTHONPATH; returns the file its child's pid is written to."""
    pkg = tmp_path / "fake" / "localstack" / "runtime"
    pkg.mkdir(parents=True)
    (pkg.parent / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "main.py").write_text(FAKE_MAIN)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "fake"))
    child = tmp_path / "child.pid"
    monkeypatch.setenv("FAKE_LOCALSTACK_CHILD", str(child))
    return child


def _gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:  # a zombie child of ours counts as gone once reaped
            if os.waitpid(pid, os.WNOHANG) != (0, 0):
                return True
        except ChildProcessError:
            pass
        if Path(f"/proc/{pid}/stat").exists() and Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
            return True
        time.sleep(0.1)
    return False


# --- environment and command line ----------------------------------------------------------------


def test_server_env_keeps_localstack_off_the_network() -> None:
    base = {"PATH": "/bin", "DNS_ADDRESS": "8.8.8.8", "DISABLE_EVENTS": "0", "GATEWAY_LISTEN": "0.0.0.0:4566"}
    env = ls.server_env(45123, base)
    assert env["GATEWAY_LISTEN"] == "127.0.0.1:45123"
    assert env["LOCALSTACK_HOST"] == "127.0.0.1:45123"
    assert env["DISABLE_EVENTS"] == "1"
    assert env["DNS_ADDRESS"] == "0"
    assert env["SKIP_SSL_CERT_DOWNLOAD"] == "1"
    assert env["PATH"] == "/bin"  # the rest of the environment is kept
    assert base["DNS_ADDRESS"] == "8.8.8.8"  # the caller's mapping is not modified


def test_server_command_runs_the_runtime_on_the_given_python() -> None:
    assert ls.server_command(Path("/x/bin/python")) == ["/x/bin/python", "-m", "localstack.runtime.main"]
    assert ls.endpoint_url(4566) == "http://127.0.0.1:4566"


def test_free_port_is_a_bindable_loopback_port() -> None:
    import socket

    port = ls.free_port()
    assert 1024 <= port <= 65535
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))  # nobody holds it


def test_install_commands_pin_the_release_and_its_date(tmp_path: Path) -> None:
    venv, pip = ls.install_commands("uv", "/py313", tmp_path / "ls", "2026.3.0", "2026-03-25")
    assert venv == ["uv", "venv", "--allow-existing", "--no-python-downloads", "-p", "/py313", str(tmp_path / "ls")]
    assert pip[:3] == ["uv", "pip", "install"]
    assert pip[pip.index("--exclude-newer") + 1] == "2026-03-25"
    assert pip[pip.index("-p") + 1] == str(tmp_path / "ls" / "bin" / "python")
    assert pip[-1] == "localstack-core[runtime]==2026.3.0"
    assert ls.RELEASE_DATES[ls.DEFAULT_VERSION] == "2026-03-25"


def test_cache_folder_and_python_resolution(tmp_path: Path) -> None:
    env = {CACHE_ENV: str(tmp_path / "cache")}
    assert ls.install_dir("1.2.3", env) == tmp_path / "cache" / "localstack-1.2.3"
    assert ls.install_dir("1.2.3", {}) == Path.home() / ".cache" / "kms-conformance" / "localstack-1.2.3"
    with pytest.raises(ls.LocalStackError, match="kms-conformance localstack install"):
        ls.resolve_python(None, env)
    python = ls.venv_python(ls.install_dir(ls.DEFAULT_VERSION, env))
    python.parent.mkdir(parents=True)
    python.write_text("")
    assert ls.resolve_python(None, env) == python
    other = tmp_path / "other-python"
    other.write_text("")
    assert ls.resolve_python(None, {**env, ls.PYTHON_ENV: str(other)}) == other
    assert ls.resolve_python(str(python), {**env, ls.PYTHON_ENV: str(other)}) == python  # the option wins
    with pytest.raises(ls.LocalStackError, match=r"--localstack-python: .*missing does not exist"):
        ls.resolve_python(str(tmp_path / "missing"), env)
    with pytest.raises(ls.LocalStackError, match=ls.PYTHON_ENV):
        ls.resolve_python(None, {ls.PYTHON_ENV: str(tmp_path / "missing")})


def test_find_python_uses_pyenv_and_never_downloads() -> None:
    calls: list[list[str]] = []

    def run(argv: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        calls.append(argv)
        if argv[1:] == ["prefix", "3.13"]:
            return subprocess.CompletedProcess(argv, 0, "/opt/py/3.13.0\n", "")
        if argv[0] == "/opt/py/3.13.0/bin/python3.13":
            return subprocess.CompletedProcess(argv, 0, "3.13\n", "")
        return subprocess.CompletedProcess(argv, 1, "", "")

    which = {"pyenv": "/usr/bin/pyenv"}.get
    assert ls.find_python(run, which, uv="uv") == "/opt/py/3.13.0/bin/python3.13"
    uv_calls = [c for c in calls if c[0] == "uv"]
    assert uv_calls and all("--no-python-downloads" in c for c in uv_calls)


def test_find_python_without_a_313_is_a_clear_error() -> None:
    def run(argv: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(argv, 0, "3.12\n", "")  # the one on PATH is 3.12

    with pytest.raises(ls.LocalStackError, match=r"no Python 3\.13 found"):
        ls.find_python(run, {"python3.13": "/usr/bin/python3.13"}.get, uv=None)


# --- the health wait ---------------------------------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    status = 503

    def do_GET(self) -> None:  # http.server's name
        self.send_response(self.status)
        self.end_headers()
        self.wfile.write(json.dumps({"version": "1", "edition": "community"}).encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[tuple[str, type[_Handler]]]:
    """A server on 127.0.0.1 whose status the test sets (``handler.status``)."""
    handler = type("H", (_Handler,), {"status": 503})
    with served(http.server.HTTPServer(("127.0.0.1", 0), handler)) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler


def test_wait_healthy_returns_the_health_json(http_server: tuple[str, type[_Handler]]) -> None:
    url, handler = http_server
    handler.status = 200
    assert ls.wait_healthy(url, timeout=5) == {"version": "1", "edition": "community"}


def test_wait_healthy_times_out_with_the_log_tail(http_server: tuple[str, type[_Handler]], tmp_path: Path) -> None:
    url, _ = http_server  # answers 503: up, not healthy
    log = tmp_path / "localstack.log"
    log.write_text("".join(f"line {i}\n" for i in range(40)))
    started = time.monotonic()
    with pytest.raises(ls.LocalStackError) as err:
        ls.wait_healthy(url, timeout=1.0, log=log, poll=0.1)
    assert time.monotonic() - started < 5
    message = str(err.value)
    assert "did not answer" in message and "within 1 s" in message
    assert "line 39" in message and "line 20" in message and "line 19" not in message  # the last 20 lines


def test_wait_healthy_polls_soon_then_every_poll_seconds() -> None:
    """The waits between polls double from FIRST_POLL up to ``poll``; the answer ends the wait."""
    fake = FakeClock()
    answers = iter([None] * 7 + [{"version": "1"}])
    assert ls.wait_healthy("http://127.0.0.1:9", timeout=60, fetch=lambda _url: next(answers),
                           clock=fake.clock, sleep=fake.sleep, poll=0.5) == {"version": "1"}
    assert fake.slept == [ls.FIRST_POLL, 0.1, 0.2, 0.4, 0.5, 0.5, 0.5]


def test_wait_healthy_stops_when_the_process_exits(tmp_path: Path) -> None:
    port = ls.free_port()  # nothing listens there
    with pytest.raises(ls.LocalStackError, match="exited before"):
        ls.wait_healthy(ls.endpoint_url(port), timeout=30, alive=lambda: False, poll=0.1)


# --- start and stop ------------------------------------------------------------------------------


def test_running_starts_with_the_no_network_env_and_stops_the_group(fake_localstack: Path) -> None:
    with ls.running(sys.executable, timeout=20) as server:
        assert server.endpoint_url.startswith("http://127.0.0.1:")
        seen = ls.fetch_json(server.endpoint_url + ls.HEALTH_PATH)
        assert seen is not None
        assert seen["env"] == {"DISABLE_EVENTS": "1", "DNS_ADDRESS": "0", "SKIP_SSL_CERT_DOWNLOAD": "1",
                               "LOCALSTACK_HOST": f"127.0.0.1:{server.port}",
                               "GATEWAY_LISTEN": f"127.0.0.1:{server.port}"}
        assert server.version == "LocalStack 9.9.9 (community edition)"
        leader, child = server.process.pid, int(fake_localstack.read_text())
    assert server.process.poll() is not None
    assert _gone(leader) and _gone(child)
    assert ls.fetch_json(server.endpoint_url + ls.HEALTH_PATH, timeout=0.5) is None


def test_start_stops_the_group_when_the_wait_fails(fake_localstack: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_LOCALSTACK_MODE", "hang")  # starts its child, never listens
    with pytest.raises(ls.LocalStackError, match="did not answer") as err:
        ls.start(sys.executable, timeout=3)
    assert "fake localstack starting" in str(err.value)  # the log's tail
    for _ in range(50):
        if fake_localstack.exists():
            break
        time.sleep(0.1)
    assert _gone(int(fake_localstack.read_text()))


def test_start_stops_the_group_on_ctrl_c(fake_localstack: Path) -> None:
    started: list[subprocess.Popen[bytes]] = []

    def popen(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        assert kwargs["start_new_session"] is True  # its own group: Ctrl-C reaches the kit, which stops it
        started.append(subprocess.Popen(*args, **kwargs))
        return started[0]

    def interrupted_wait(*_: Any, **__: Any) -> dict[str, Any]:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ls.start(sys.executable, popen=popen, wait=interrupted_wait)
    assert started[0].poll() is not None


def test_start_reports_a_crash_with_its_log(fake_localstack: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_LOCALSTACK_MODE", "crash")
    with pytest.raises(ls.LocalStackError, match="exited before") as err:
        ls.start(sys.executable, timeout=20)
    assert "boom: cannot bind" in str(err.value)


def test_stop_group_kills_a_process_that_ignores_sigterm() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, "
                             "signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"],
                            stdout=subprocess.PIPE, start_new_session=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
    started = time.monotonic()
    ls.stop_group(proc, grace=0.5)
    assert proc.returncode is not None and proc.returncode < 0
    assert time.monotonic() - started < 5
    ls.stop_group(proc, grace=0.5)  # again: nothing to do, no error


def test_describe_version_names_version_and_edition() -> None:
    assert ls.describe_version({"version": "1", "edition": "community"}, {"edition": "pro"}) == \
        "LocalStack 1 (pro edition)"
    assert ls.describe_version({}) == \
        "LocalStack unknown version (community runtime, localstack-core; it reports edition 'unknown')"


# --- the target and the commands ---------------------------------------------------------------


def test_make_target_stops_localstack_when_sts_fails(fake_localstack: Path) -> None:
    # the fake answers health, but not STS as boto3 expects it: the target is not built, LocalStack is stopped
    config = TargetConfig(name="localstack", localstack_python=sys.executable, max_attempts=1)
    from kms_conformance.targets.boto import TargetUnavailable

    with pytest.raises(TargetUnavailable, match="sts on LocalStack"):
        make_target(config)
    assert _gone(int(fake_localstack.read_text()))


def test_target_localstack_is_the_config_name() -> None:
    from kms_conformance.targets import TARGETS

    assert "localstack" in TARGETS
    assert not TargetConfig(name="localstack").is_reference


@pytest.mark.parametrize("argv, message", [
    (["--target", "moto", "--localstack-python", "/x"], "--localstack-python goes with --target localstack"),
    (["--target", "localstack", "--endpoint-url", "http://127.0.0.1:4566"], "--endpoint-url goes with --target aws"),
])
def test_run_option_misuse_is_one_line_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    assert main(["run", *argv, "--report-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_run_without_an_install_is_one_line_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status = main(["run", "--target", "localstack", "--rules", "KMS-01", "--localstack-python",
                   str(tmp_path / "missing"), "--report-dir", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert status == 2
    assert "cannot use target localstack: --localstack-python:" in err and "does not exist" in err
    assert len(err.strip().splitlines()) == 1


def test_install_without_python_313_exits_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    def none(**_: Any) -> str:
        raise ls.LocalStackError("no Python 3.13 found (tried pyenv, uv python find, python3.13 on PATH)")

    monkeypatch.setattr(ls, "find_python", none)
    monkeypatch.setattr(ls, "find_uv", lambda *a, **k: "uv")
    assert main(["localstack", "install", "--dir", str(tmp_path / "ls")]) == 2
    err = capsys.readouterr().err
    assert "no Python 3.13 found" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "ls").exists()


def test_install_of_an_unknown_release_wants_a_date(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["localstack", "install", "--version", "1.0.0", "--dir", str(tmp_path / "ls")]) == 2
    assert "--exclude-newer" in capsys.readouterr().err


def test_install_runs_the_steps_in_order(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                         tmp_path: Path) -> None:
    ran: list[list[str]] = []

    def run(argv: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        ran.append(list(argv))
        return subprocess.CompletedProcess(argv, 0, "2026.3.0\n", "")

    def run_and_make_venv(argv: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
        if argv[:2] == ["uv", "venv"]:
            (tmp_path / "ls" / "bin").mkdir(parents=True)
            (tmp_path / "ls" / "bin" / "python").write_text("")
        return run(argv, **kw)

    monkeypatch.setattr(subprocess, "run", run_and_make_venv)
    monkeypatch.setattr(ls, "find_python", lambda **_: "/py313")
    monkeypatch.setattr(ls, "find_uv", lambda *a, **k: "uv")
    assert main(["localstack", "install", "--dir", str(tmp_path / "ls")]) == 0
    assert [a[:2] for a in ran] == [["uv", "venv"], ["uv", "pip"], [str(tmp_path / "ls" / "bin" / "python"), "-c"]]
    out = capsys.readouterr().out
    assert "python 3.13: /py313" in out and "$ uv pip install" in out and "done in" in out
    ran.clear()  # a second install finds the release there and builds nothing
    assert main(["localstack", "install", "--dir", str(tmp_path / "ls")]) == 0
    assert [a[:2] for a in ran] == [[str(tmp_path / "ls" / "bin" / "python"), "-c"]]
    assert "already installed" in capsys.readouterr().out


def test_report_matrix_shows_reports_side_by_side(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kms_conformance.report import write_reports
    from kms_conformance.verdicts import Report, RuleResult, RunMeta, Verdict

    def report(target: str, verdicts: dict[str, str]) -> Report:
        meta = RunMeta(kit_version="0", target=target, target_version=f"{target} 1", endpoint=None, region="r",
                       account=None, seed=0, profile="ci", started="2026-01-01T00:00:00Z",
                       finished="2026-01-01T00:00:01Z")
        return Report(meta, tuple(RuleResult(r, "t", "kms", "s", "q", "must", ("behavior",), Verdict(v))
                                  for r, v in verdicts.items()))

    write_reports(report("moto", {"KMS-01": "conformant", "KMS-02": "nonconformant"}), tmp_path / "moto-5.2")
    write_reports(report("localstack", {"KMS-01": "conformant", "KMS-02": "conformant"}), tmp_path / "ls")
    assert main(["report", "matrix", str(tmp_path / "moto-5.2" / "report.json"),
                 f"LocalStack={tmp_path / 'ls' / 'report.json'}"]) == 0
    out = capsys.readouterr().out
    assert "| rule | moto-5.2 | LocalStack |" in out
    assert "| KMS-02 | nonconformant | conformant |" in out and "| KMS-01 |" not in out  # only differences
    assert "- LocalStack: target localstack (localstack 1), seed 0, profile ci: 2 conformant" in out
    assert main(["report", "matrix", "--all", str(tmp_path / "ls" / "report.json")]) == 0
    assert "| KMS-01 | conformant |" in capsys.readouterr().out
    assert main(["report", "matrix", str(tmp_path / "missing.json")]) == 2


# --- smoke: a real LocalStack -------------------------------------------------------------------


def _installed_python() -> Path | None:
    try:
        return ls.resolve_python()
    except ls.LocalStackError:
        return None


SMOKE_RULES = "KMS-01,KMS-02,KMS-07,KMS-10"


@pytest.mark.slow
def test_smoke_kms_rules_against_localstack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    python = _installed_python()
    if python is None:
        pytest.skip("no LocalStack install (run `kms-conformance localstack install`, or set "
                    f"{ls.PYTHON_ENV} to an install's python)")
    if ls.python_minor(str(python), subprocess.run) != ls.PYTHON_VERSION:
        pytest.skip(f"{python} is not a working Python {ls.PYTHON_VERSION}")
    # A smoke test: a key policy rule, the default policy, a grant's revocation, ListGrants.
    status = main(["run", "--target", "localstack", "--rules", SMOKE_RULES, "--profile", "ci", "--seed", "0",
                   "--max-attempts", "1", "--report-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert status in (0, 1), err
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["meta"]["target"] == "localstack"
    assert report["meta"]["target_version"].startswith("LocalStack ")
    assert report["meta"]["endpoint"].startswith("http://127.0.0.1:")
    verdicts = {r["rule_id"]: r["verdict"] for r in report["results"]}
    assert sorted(verdicts) == SMOKE_RULES.split(",")
    assert "error" not in verdicts.values(), verdicts
    assert "conformant" in verdicts.values()  # LocalStack is exercised, not just unsupported everywhere
    # the server is gone: nothing answers on its port any more
    assert ls.fetch_json(report["meta"]["endpoint"] + ls.HEALTH_PATH, timeout=0.5) is None
