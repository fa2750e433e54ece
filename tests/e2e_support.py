"""Shared helpers of the end-to-end safety tests: a moto server, the kit's CLI in a subprocess, and
moto's request recorder (which requests reached the server, in order)."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import boto3

ROOT = Path(__file__).resolve().parents[1]
#: The only operations the kit may send before the account guard has said yes.
READ_ONLY_BEFORE_GUARD = frozenset({"GetCallerIdentity", "ListAccountAliases"})


def non_loopback_address() -> str | None:
    """An IPv4 address of this machine that is not loopback (no packet is sent: a UDP socket's
    ``connect`` only picks the outgoing interface), or None when there is none."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect(("192.0.2.1", 9))
            address = str(sock.getsockname()[0])
    except OSError:
        return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


#: How often a test's moto server looks whether it was asked to stop (Werkzeug's default, 0.5 s, made
#: each stop wait up to half a second: about 15 s of the suite's time, spent idle).
STOP_POLL_SECONDS = 0.02


def started_moto_server(address: str = "127.0.0.1") -> Any:
    """moto's own threaded server (``moto.server.ThreadedMotoServer``: its WSGI application and request
    handler), started on ``address`` and a free port, whose serving loop polls for a stop every
    :data:`STOP_POLL_SECONDS`. Stop it with ``.stop()``."""
    from moto.server import ThreadedMotoServer
    from werkzeug.serving import make_server

    class QuickStop(ThreadedMotoServer):
        def _server_entry(self) -> None:
            from moto.moto_server.werkzeug_app import (
                DomainDispatcherApplication,
                MotoRequestHandler,
                create_backend_app,
            )

            self._server = make_server(self._ip_address, self._port, DomainDispatcherApplication(create_backend_app),
                                       threaded=True, request_handler=MotoRequestHandler)
            self._server_ready_event.set()
            self._server.serve_forever(poll_interval=STOP_POLL_SECONDS)

    server = QuickStop(ip_address=address, port=0, verbose=False)
    server.start()
    return server


@contextmanager
def served(server: Any) -> Iterator[Any]:
    """A ``socketserver`` server (``http.server.HTTPServer``, a Werkzeug server) serving in a daemon thread
    for the block, polling for its stop every :data:`STOP_POLL_SECONDS` (``serve_forever``'s default,
    0.5 s, is what each ``shutdown`` then waits); shut down and closed after. Yields the server."""
    import threading

    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": STOP_POLL_SECONDS}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@contextmanager
def moto_speedups() -> Iterator[None]:
    """What a test's moto server (in this process) holds while it serves; none of it changes an answer:

    - the two speed-ups the kit's moto target applies in process (``kms_conformance.targets``): each
      key's private key made when first used, not an RSA key pair at every CreateKey (12 s of the
      suite's CPU, for keys no test signed with); the method names of a response class remembered;
    - moto's list of its own service modules read once: moto's server lists its package folder at
      every request whose host is not a service's (``127.0.0.1:port``), a seventh of its time per
      request."""
    import moto.backends as backends
    from kms_conformance.targets import _patch_moto_dispatch, _patch_moto_keys

    undo_keys, _note = _patch_moto_keys()
    undo_dispatch = _patch_moto_dispatch()
    listing = backends.list_of_moto_modules
    modules = tuple(listing())
    backends.list_of_moto_modules = lambda: modules
    try:
        yield
    finally:
        backends.list_of_moto_modules = listing
        undo_dispatch()
        undo_keys()


@contextmanager
def moto_server(address: str = "127.0.0.1") -> Iterator[str]:
    """A moto server in this process, on ``address`` and a free port, with :func:`moto_speedups`; yields
    its URL. moto's state lives in the process, shared by every server: it is reset first, so each test
    starts empty."""
    import urllib.request

    with moto_speedups():
        server = started_moto_server(address)
        try:
            _host, port = server.get_host_and_port()
            url = f"http://{address}:{port}"
            urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"),
                                   timeout=30).close()
            yield url
        finally:
            server.stop()


class FakeClock:
    """A monotonic clock and a ``sleep`` that advances it instead of waiting, for code that takes both
    (``clock=fake.clock, sleep=fake.sleep``); ``slept`` lists every sleep asked for."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def client(url: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def cli(*args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None,
        timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``kms-conformance ARGS`` in a subprocess (the installed console script's module)."""
    return subprocess.run([sys.executable, "-m", "kms_conformance", *args], capture_output=True, text=True,
                          env=dict(env if env is not None else os.environ), cwd=cwd, timeout=timeout)


def recorded_operations(path: Path) -> list[str]:
    """The operation of every request moto's recorder wrote to ``path`` (JSON protocols name it in
    ``X-Amz-Target``; the query protocol of IAM and STS in the ``Action`` form field)."""
    if not path.exists():
        return []
    ops = []
    for line in path.read_text().splitlines():
        entry = json.loads(line)
        target = entry["headers"].get("X-Amz-Target")
        if target:
            ops.append(target.rsplit(".", 1)[-1])
            continue
        body = entry.get("body") or ""
        if entry.get("body_encoded"):
            body = base64.b64decode(body).decode("utf-8", "replace")
        action = parse_qs(body).get("Action")
        ops.append(action[0] if action else f"{entry['method']} {entry['url']}")
    return ops


@contextmanager
def recording(path: Path) -> Iterator[None]:
    """Record every request the in-process moto server receives into ``path``."""
    from moto.moto_api import recorder

    previous = recorder._location
    recorder._location = str(path)
    recorder.start_recording()
    try:
        yield
    finally:
        recorder.stop_recording()
        recorder._location = previous


#: The profile of the suite's end-to-end runs that check plumbing (what reaches the account, what a
#: report holds, what cleanup leaves), not the search: two examples per rule (one per lifecycle rule)
#: and a three-step shrink. Every scenario step runs, and over the catalogue on moto (seed 0) 25 rules
#: of KMS, Feature Store and OpenSearch Serverless are found nonconformant (32 with four examples and
#: five shrink steps, which took 1.7 times as long); each test asserts that what it needs occurred.
#: Offered to in-process runs by :func:`plumbing_profile`.
PLUMBING_PROFILE = "suite-plumbing"


def plumbing_profile(monkeypatch: Any) -> str:
    """Offer :data:`PLUMBING_PROFILE` to :func:`kms_conformance.runner.run` in this process (for the
    test's duration, through ``monkeypatch``); returns its name for ``RunOptions(profile=...)``."""
    import kms_conformance.runner as runner

    profile = runner.Profile(PLUMBING_PROFILE, max_examples=2, lifecycle_examples=1, deadline_ms=None,
                             database=False, shrink_budget=3)
    monkeypatch.setattr(runner, "PROFILES", {**runner.PROFILES, PLUMBING_PROFILE: profile})
    return PLUMBING_PROFILE
