"""LocalStack on this machine: find or build its environment, start it on loopback, wait, stop it.

LocalStack's community runtime is the ``localstack-core`` distribution; it runs on the host (no
container) under Python 3.13. ``kms-conformance localstack install`` builds a pinned environment
with uv (:func:`install_commands`), resolving dependencies as of the release date: the newest
versions of some of them no longer work with that release. ``--target localstack`` starts it for
one run with :func:`running` and stops it afterwards.

The server is started with :data:`NO_NETWORK_ENV`: it listens on 127.0.0.1 only, runs no DNS
server, sends no analytics events and downloads no TLS certificate, so it reaches nothing outside
this machine.

Everything but :func:`running` and :func:`start` is a pure function or takes its side effects as
arguments (tests hand in fakes).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from kms_conformance.cache import cache_root

#: The LocalStack release the kit pins, and the date its dependencies are resolved as of.
DEFAULT_VERSION = "2026.3.0"
#: Release -> the ``--exclude-newer`` date uv resolves its dependencies at (its release date).
RELEASE_DATES: Mapping[str, str] = {"2026.3.0": "2026-03-25"}
#: The Python LocalStack's community runtime needs.
PYTHON_VERSION = "3.13"
#: An existing install's Python (``--localstack-python`` wins over it).
PYTHON_ENV = "KMS_CONFORMANCE_LOCALSTACK"
HOST = "127.0.0.1"
HEALTH_PATH = "/_localstack/health"
INFO_PATH = "/_localstack/info"
#: How long :func:`running` waits for the health endpoint (LocalStack takes about 15 s).
START_TIMEOUT = 90.0
#: How long a stopped LocalStack gets between SIGTERM and SIGKILL.
STOP_GRACE = 10.0

#: Keep LocalStack off the network: loopback listener (GATEWAY_LISTEN and LOCALSTACK_HOST get the
#: port), no DNS server, no analytics events, no certificate download.
NO_NETWORK_ENV: Mapping[str, str] = {
    "DISABLE_EVENTS": "1",
    "DNS_ADDRESS": "0",
    "SKIP_SSL_CERT_DOWNLOAD": "1",
}


class LocalStackError(Exception):
    """LocalStack cannot be found, installed or started; the message says why, in one line
    (plus the tail of its log when it failed to start)."""


# --- where things are -------------------------------------------------------------------------


def install_dir(version: str = DEFAULT_VERSION, environ: Mapping[str, str] | None = None) -> Path:
    """The cached environment of one release: ``<cache root>/localstack-<version>``."""
    return cache_root(environ) / f"localstack-{version}"


def venv_python(directory: Path) -> Path:
    """The interpreter of a virtual environment built by :func:`install_commands`."""
    return directory / "bin" / "python"


def resolve_python(explicit: str | None = None, environ: Mapping[str, str] | None = None,
                   version: str = DEFAULT_VERSION) -> Path:
    """The Python of the LocalStack install to start: ``--localstack-python``, else
    ``$KMS_CONFORMANCE_LOCALSTACK``, else the cached install of ``version``. Raises
    :class:`LocalStackError` when that file does not exist."""
    env = os.environ if environ is None else environ
    if explicit:
        origin, path = "--localstack-python", Path(explicit).expanduser()
    elif env.get(PYTHON_ENV):
        origin, path = PYTHON_ENV, Path(env[PYTHON_ENV]).expanduser()
    else:
        path = venv_python(install_dir(version, env))
        if not path.exists():
            raise LocalStackError(f"no LocalStack install at {install_dir(version, env)}: run "
                                  "`kms-conformance localstack install`, or pass --localstack-python")
        return path
    if not path.exists():
        raise LocalStackError(f"{origin}: {path} does not exist")
    return path


def python_minor(python: str, run: Callable[..., Any]) -> str | None:
    try:
        out = run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                  capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return str(out.stdout).strip() if out.returncode == 0 else None


def python_candidates(run: Callable[..., Any] = subprocess.run, which: Callable[[str], str | None] = shutil.which,
                      uv: str | None = None) -> list[str]:
    """Where a Python 3.13 may be, in order: ``pyenv prefix 3.13``, ``uv python find 3.13`` (never a
    download), ``python3.13`` on PATH. Nothing is checked yet."""
    found: list[str] = []
    pyenv = which("pyenv")
    if pyenv:
        try:
            out = run([pyenv, "prefix", PYTHON_VERSION], capture_output=True, text=True, timeout=30)
            if out.returncode == 0 and out.stdout.strip():
                found.append(str(Path(out.stdout.strip().splitlines()[0]) / "bin" / f"python{PYTHON_VERSION}"))
        except (OSError, subprocess.SubprocessError):
            pass
    if uv:
        try:
            out = run([uv, "python", "find", "--no-python-downloads", PYTHON_VERSION],
                      capture_output=True, text=True, timeout=30)
            if out.returncode == 0 and out.stdout.strip():
                found.append(out.stdout.strip().splitlines()[0])
        except (OSError, subprocess.SubprocessError):
            pass
    on_path = which(f"python{PYTHON_VERSION}")
    if on_path:
        found.append(on_path)
    return found


def find_python(run: Callable[..., Any] = subprocess.run, which: Callable[[str], str | None] = shutil.which,
                uv: str | None = None) -> str:
    """A Python 3.13 already on this machine (:func:`python_candidates`, the first that runs and says
    3.13). Raises :class:`LocalStackError` when there is none: the kit never downloads one."""
    for candidate in python_candidates(run, which, uv):
        if python_minor(candidate, run) == PYTHON_VERSION:
            return candidate
    raise LocalStackError(f"no Python {PYTHON_VERSION} found (tried pyenv, uv python find, python{PYTHON_VERSION} "
                          f"on PATH); install one (e.g. `pyenv install {PYTHON_VERSION}`) or pass --python")


def find_uv(which: Callable[[str], str | None] = shutil.which, executable: str = sys.executable) -> str | None:
    """uv beside the kit's interpreter (its venv), else on PATH; ``None`` when neither."""
    beside = Path(executable).parent / "uv"
    if beside.exists():
        return str(beside)
    return which("uv")


def install_commands(uv: str, python: str, directory: Path, version: str, exclude_newer: str) -> list[list[str]]:
    """The commands that build the environment: a venv on ``python``, then ``localstack-core[runtime]``
    with dependencies resolved as of ``exclude_newer`` (a date)."""
    return [
        [uv, "venv", "--allow-existing", "--no-python-downloads", "-p", python, str(directory)],
        [uv, "pip", "install", "-p", str(venv_python(directory)), "--exclude-newer", exclude_newer,
         f"localstack-core[runtime]=={version}"],
    ]


# --- starting and stopping --------------------------------------------------------------------


def free_port(host: str = HOST) -> int:
    """A TCP port nobody listens on at ``host`` now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def server_env(port: int, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """LocalStack's environment: ``base`` (default this process's) with :data:`NO_NETWORK_ENV` and the
    listener on ``127.0.0.1:port``."""
    env = dict(os.environ if base is None else base)
    env.update(NO_NETWORK_ENV)
    env["GATEWAY_LISTEN"] = f"{HOST}:{port}"
    env["LOCALSTACK_HOST"] = f"{HOST}:{port}"
    return env


def server_command(python: Path | str) -> list[str]:
    """The command line that runs LocalStack's runtime on the host."""
    return [str(python), "-m", "localstack.runtime.main"]


def endpoint_url(port: int) -> str:
    """The loopback endpoint boto3 talks to."""
    return f"http://{HOST}:{port}"


def fetch_json(url: str, timeout: float = 2.0) -> dict[str, Any] | None:
    """GET ``url`` and parse JSON; ``None`` when nothing answers, the status is not 200 or the body is
    not a JSON object."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # loopback http only
            if resp.status != 200:
                return None
            body = json.loads(resp.read().decode("utf-8"))
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return body if isinstance(body, dict) else None


#: The first wait between two health polls (:func:`wait_healthy`), in seconds.
FIRST_POLL = 0.05


def log_tail(path: Path | None, lines: int = 20) -> str:
    """The last ``lines`` lines of a log file ('' when there is none)."""
    if path is None or not path.exists():
        return ""
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def wait_healthy(url: str, *, timeout: float = START_TIMEOUT, alive: Callable[[], bool] = lambda: True,
                 log: Path | None = None, fetch: Callable[[str], dict[str, Any] | None] = fetch_json,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 poll: float = 0.5) -> dict[str, Any]:
    """Poll ``url + /_localstack/health`` until it answers JSON; returns that JSON. Raises
    :class:`LocalStackError` (with the log's tail) when ``alive()`` turns false or ``timeout`` passes.
    The waits between polls start at :data:`FIRST_POLL` and double up to ``poll``: a LocalStack that is
    up within a few tenths of a second is seen then, not half a second later."""
    deadline = clock() + timeout
    wait = min(FIRST_POLL, poll)
    while True:
        health = fetch(url + HEALTH_PATH)
        if health is not None:
            return health
        if not alive():
            raise LocalStackError(_with_tail(f"LocalStack exited before {url} answered", log))
        if clock() >= deadline:
            raise LocalStackError(_with_tail(f"LocalStack did not answer on {url}{HEALTH_PATH} within "
                                             f"{timeout:g} s", log))
        sleep(wait)
        wait = min(wait * 2, poll)


def _with_tail(message: str, log: Path | None) -> str:
    tail = log_tail(log)
    return f"{message}; log {log}:\n{tail}" if tail else message


def describe_version(health: Mapping[str, Any], info: Mapping[str, Any] | None = None) -> str:
    """``LocalStack <version> (<edition> edition)`` from ``/_localstack/info``, else ``/_localstack/health``.
    The community runtime started on the host reports its edition as ``unknown``: that is said as is,
    with what it is (only ``localstack-core``, the community distribution, runs that way).

    >>> describe_version({"version": "2026.3.0", "edition": "community"})
    'LocalStack 2026.3.0 (community edition)'
    >>> describe_version({"version": "2026.3.0", "edition": "unknown"})
    "LocalStack 2026.3.0 (community runtime, localstack-core; it reports edition 'unknown')"
    """
    source: Mapping[str, Any] = {**health, **(info or {})}
    version = str(source.get("version") or "unknown version")
    edition = str(source.get("edition") or "unknown")
    if edition == "unknown":
        return f"LocalStack {version} (community runtime, localstack-core; it reports edition 'unknown')"
    return f"LocalStack {version} ({edition} edition)"


@dataclass
class Server:
    """A LocalStack process this run started."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    health: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def endpoint_url(self) -> str:
        return endpoint_url(self.port)

    @property
    def version(self) -> str:
        return describe_version(self.health, self.info)

    def stop(self, grace: float = STOP_GRACE) -> None:
        """Stop the whole process group: SIGTERM, then SIGKILL after ``grace`` seconds. Idempotent."""
        stop_group(self.process, grace)


def stop_group(process: subprocess.Popen[bytes], grace: float = STOP_GRACE,
               killpg: Callable[[int, int], None] = os.killpg) -> None:
    """SIGTERM the process group led by ``process`` (started with ``start_new_session``), SIGKILL it
    when it has not exited after ``grace`` seconds; reap the leader."""
    if process.poll() is None:
        with suppress(ProcessLookupError):
            killpg(process.pid, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
    with suppress(ProcessLookupError, PermissionError):  # children of the group may outlive the leader
        killpg(process.pid, signal.SIGKILL)
    if process.poll() is None:
        process.wait()


def start(python: Path | str, *, port: int | None = None, timeout: float = START_TIMEOUT,
          log_dir: Path | None = None, popen: Callable[..., Any] = subprocess.Popen,
          wait: Callable[..., dict[str, Any]] = wait_healthy) -> Server:
    """Start LocalStack on ``127.0.0.1:port`` (a free one by default), wait for its health endpoint
    and return it running. On any failure (Ctrl-C included) the process group is stopped first."""
    port = free_port() if port is None else port
    log_dir = Path(tempfile.mkdtemp(prefix="kms-conformance-localstack-")) if log_dir is None else log_dir
    log = log_dir / "localstack.log"
    handle: TextIO = log.open("w", encoding="utf-8")
    try:
        process = popen(server_command(python), env=server_env(port), stdout=handle, stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL, cwd=str(log_dir), start_new_session=True)
    except OSError as exc:
        handle.close()
        raise LocalStackError(f"cannot start LocalStack with {python}: {exc}") from None
    handle.close()  # the child holds its own descriptor
    server = Server(process, port, log)
    try:
        server.health = wait(server.endpoint_url, timeout=timeout, alive=lambda: process.poll() is None, log=log)
        server.info = fetch_json(server.endpoint_url + INFO_PATH) or {}
    except BaseException:
        server.stop()
        raise
    return server


@contextmanager
def running(python: Path | str, *, port: int | None = None, timeout: float = START_TIMEOUT) -> Iterator[Server]:
    """``with running(python) as server:`` LocalStack for the block; stopped in ``finally``."""
    server = start(python, port=port, timeout=timeout)
    try:
        yield server
    finally:
        server.stop()


def argv_summary(argv: Sequence[str]) -> str:
    """A command line as printed by the install steps."""
    return " ".join(argv)
