"""``run --workers N``: the rules run in N forked processes, each with its own target.

* Each worker builds its session (target and reference model) once, runs the rules it is handed,
  and cleans up what its target created when it exits; what that cleanup removed and left is
  written to a file of the run's scratch folder, and :func:`run_in_workers` adds up every worker's
  (``meta.cleanup`` of the report).
* Workers die with their parent, even on SIGKILL of the parent: ``prctl(PR_SET_PDEATHSIG, SIGKILL)``
  on Linux, and a watchdog thread that ends the worker once its parent is gone (elsewhere, or when
  the parent died before the worker started). What such a worker created carries the run's tags
  (``kms-conformance sweep`` removes it).
* Ctrl-C: a worker ignores it between rules (the parent decides). Its first Ctrl-C makes the parent
  stop handing out rules and pass the signal on, which stops the rule each worker is running; the
  workers then clean up and exit. A Ctrl-C while they clean up is passed on too and stops the
  cleanup (what it skipped is listed); a worker that has not ended :data:`GRACE_SECONDS` later is
  killed, and the report's target notes say that its cleanup is unknown. Whatever happens, no
  worker outlives :func:`run_in_workers`.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import json
import multiprocessing
import multiprocessing.util
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from kms_conformance.engine.outcome import describe_exc
from kms_conformance.interrupts import raising, redeliver
from kms_conformance.rules import Rule
from kms_conformance.verdicts import Cleanup, Leftover, RuleResult, cleanup_from_dict

__all__ = ["GRACE_SECONDS", "PoolRun", "run_in_workers"]

#: How long workers get to end after a second Ctrl-C before they are killed.
GRACE_SECONDS = 10.0
#: How often a worker's watchdog looks for its parent.
WATCHDOG_SECONDS = 0.5
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>

_WORKER: dict[str, Any] = {}


@dataclass(frozen=True)
class PoolRun:
    """What the workers said about their target (``Target.describe()`` plus every worker's cleanup
    added up in ``cleanup``) and its account, and whether a Ctrl-C cut the run short."""

    describe: Mapping[str, Any]
    account: str | None
    interrupted: bool


# -- in the worker -----------------------------------------------------------------------------------


def die_with_parent(parent: int) -> None:
    """End this process when ``parent`` (the process that forked it) ends, however it ends."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl: nobody waits for this worker
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(WATCHDOG_SECONDS)
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="kmsc-parent-watchdog", daemon=True).start()


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    if _WORKER.get("busy") and not _WORKER.get("stopping"):  # in a rule or the cleanup: stop it, once
        _WORKER["stopping"] = True
        raise KeyboardInterrupt


def _init(make_session: Callable[[], Any], rules: Mapping[str, Rule], error_result: Callable[[Rule, str], RuleResult],
          key_counter: Any, stop: Any, folder: str, parent: int) -> None:
    die_with_parent(parent)
    signal.signal(signal.SIGINT, _on_sigint)
    sys.unraisablehook = redeliver(sys.unraisablehook, lambda: _WORKER.update(stopping=False))
    _WORKER.update(rules=rules, error_result=error_result, stop=stop, folder=folder)
    try:
        _WORKER["session"] = make_session()
    except Exception as exc:
        _WORKER["session_error"] = describe_exc(exc)
    else:
        share = getattr(_WORKER["session"].target, "share_key_budget", None)
        if share is not None:  # --max-keys caps the whole run, not each worker
            share(key_counter)
    # Run when the worker process exits, after its last rule (the pool ends its workers itself).
    multiprocessing.util.Finalize(None, _close, exitpriority=10)


def _run(rule_id: str) -> RuleResult | None:
    """One rule's result; None when the run was stopped before or while it ran."""
    rule = _WORKER["rules"][rule_id]
    if "session" not in _WORKER:
        result: RuleResult = _WORKER["error_result"](rule, "the worker could not build the target: "
                                                           f"{_WORKER.get('session_error')}")
        return result
    _WORKER.update(busy=True, stopping=False)
    try:
        if _WORKER["stop"].is_set():
            return None
        result = _WORKER["session"].run(rule)
        return result
    except KeyboardInterrupt:
        return None
    finally:
        _WORKER["busy"] = False


def _describe() -> tuple[dict[str, Any], str | None]:
    session = _WORKER.get("session")
    if session is None:
        return {}, None
    return dict(session.target.describe()), session.target.account


def _close() -> None:
    """Close the target (its cleanup), then leave what the cleanup did where the parent reads it."""
    session = _WORKER.pop("session", None)
    cleanup: Cleanup | None = None
    if session is not None:
        _WORKER.update(busy=True, stopping=False)
        try:
            session.close()
        except KeyboardInterrupt:
            pass  # the target listed what the cleanup skipped
        finally:
            _WORKER["busy"] = False
        cleanup = session.target.describe().get("cleanup")
    path = Path(_WORKER["folder"]) / f"{os.getpid()}.json"
    with contextlib.suppress(OSError):
        path.write_text(json.dumps({"cleanup": dataclasses.asdict(cleanup) if cleanup is not None else None}))


# -- in the parent -----------------------------------------------------------------------------------


def run_in_workers(rules: Sequence[Rule], workers: int, *, make_session: Callable[[], Any],
                   error_result: Callable[[Rule, str], RuleResult], done: Callable[[RuleResult], bool],
                   described: Callable[[Mapping[str, Any], str | None], None]) -> PoolRun:
    """Run ``rules`` in ``workers`` forked processes. ``make_session`` builds a worker's session (with
    ``run(rule)``, ``close()`` and ``target``); ``done`` takes each result as it comes (True: stop
    handing out rules, e.g. ``-x``); ``described`` gets the target's description and account as
    soon as the first worker has built it."""
    ctx = multiprocessing.get_context("fork")
    stop = ctx.Event()
    folder = tempfile.mkdtemp(prefix="kmsc-workers-")
    pool = concurrent.futures.ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_init,
        initargs=(make_session, {r.id: r for r in rules}, error_result, ctx.Value("i", 0), stop, folder, os.getpid()))
    processes: dict[int, Any] = {}
    futures: dict[concurrent.futures.Future[Any], Rule] = {}
    describe: Mapping[str, Any] = {}
    account: str | None = None
    interrupted = False
    seen: set[str] = set()
    try:
        try:
            with raising():
                first = pool.submit(_describe)
                processes = dict(pool._processes or {})  # forked by now: kept to end them whatever happens
                describe, account = first.result()
                described(describe, account)
                futures = {pool.submit(_run, r.id): r for r in rules}
                for fut in concurrent.futures.as_completed(futures):
                    result = _outcome(fut, futures[fut], error_result)
                    if result is not None:
                        seen.add(result.rule_id)
                        if done(result):
                            stop.set()
                            break
        except KeyboardInterrupt:
            interrupted = True
            stop.set()
            _signal(processes, signal.SIGINT)
        try:
            with raising():  # the running rules end, then each worker cleans up as it exits
                pool.shutdown(wait=True, cancel_futures=True)
        except KeyboardInterrupt:  # a Ctrl-C while they finish or clean up: stop the cleanup
            interrupted = True
            _signal(processes, signal.SIGINT)
            _join(processes, GRACE_SECONDS)
        for fut, rule in futures.items():  # rules that ended while the run was stopping
            result = _outcome(fut, rule, error_result) if fut.done() and not fut.cancelled() else None
            if result is not None and result.rule_id not in seen:
                done(result)
    finally:
        processes = processes or dict(pool._processes or {})
        killed = _end(processes)
        pool.shutdown(wait=False, cancel_futures=True)
        cleanup, unreported = _collect(Path(folder), processes)
        shutil.rmtree(folder, ignore_errors=True)
    merged = dict(describe)
    if cleanup is not None:
        merged["cleanup"] = cleanup
    if unreported or killed:
        merged["notes"] = [*merged.get("notes", ()), f"{max(unreported, killed)} worker process(es) ended before "
                           "reporting their cleanup: what they created is not listed (`kms-conformance sweep` "
                           "finds it by tag)"]
    return PoolRun(describe=merged, account=account, interrupted=interrupted)


def _outcome(fut: concurrent.futures.Future[Any], rule: Rule,
             error_result: Callable[[Rule, str], RuleResult]) -> RuleResult | None:
    exc = fut.exception()
    if isinstance(exc, KeyboardInterrupt):
        return None  # stopped by Ctrl-C: not run
    if exc is not None:  # the worker died
        return error_result(rule, f"worker process failed: {describe_exc(exc)}")
    result: RuleResult | None = fut.result()
    return result


def _signal(processes: Mapping[int, Any], signum: int) -> None:
    for process in processes.values():
        if process.is_alive() and process.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signum)


def _join(processes: Mapping[int, Any], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    for process in processes.values():
        process.join(max(0.0, deadline - time.monotonic()))


def _end(processes: Mapping[int, Any]) -> int:
    """Terminate, then kill, every worker still alive; how many there were."""
    alive = [p for p in processes.values() if p.is_alive()]
    for process in alive:
        process.terminate()
    _join({p.pid: p for p in alive}, 2.0)
    for process in alive:
        if process.is_alive():
            process.kill()
            process.join()
    return len(alive)


def _collect(folder: Path, processes: Mapping[int, Any]) -> tuple[Cleanup | None, int]:
    """Every worker's cleanup added up (None: no worker's target cleans up), and how many workers
    left no word of theirs."""
    removed, any_cleanup, unreported = 0, False, 0
    left: list[Leftover] = []
    for pid in processes:
        try:
            raw = json.loads((folder / f"{pid}.json").read_text())["cleanup"]
        except (OSError, ValueError, KeyError, TypeError):
            unreported += 1
            continue
        cleanup = cleanup_from_dict(raw)
        if cleanup is not None:
            any_cleanup = True
            removed += cleanup.removed
            left.extend(cleanup.left)
    return (Cleanup(removed=removed, left=tuple(left)) if any_cleanup else None), unreported
