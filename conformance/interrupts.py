"""Ctrl-C (SIGINT) during ``kms-conformance run``: never lose the report.

:func:`handled` installs the run command's handler for its whole length. Outside :func:`raising`
(reading the options, checking the report folder, writing the report) a Ctrl-C is only counted:
the run acts on it at the next :func:`raising`, which raises ``KeyboardInterrupt`` at its start.
Inside :func:`raising` (building the target, running the rules, cleaning up) every Ctrl-C raises
``KeyboardInterrupt`` at once. The runner enters :func:`raising` once for the rules and once for
the cleanup, so the first Ctrl-C stops the rules (cleanup still runs), a second one stops the
cleanup (what it skipped is listed in the report), and the report is always written.

Without :func:`handled` (the runner used as a library, in tests) :func:`raising` does nothing and
Python's own handler raises ``KeyboardInterrupt`` as usual. Signals are a main-thread affair:
elsewhere :func:`handled` installs nothing.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

__all__ = ["handled", "pressed", "raising", "redeliver"]


class _State:
    installed = False
    redelivered = False  # a Ctrl-C swallowed where Python cannot raise (a gc callback), delivered again
    deferring = True
    count = 0  # Ctrl-C received
    acted = 0  # of them, those already raised as KeyboardInterrupt


_STATE = _State()
#: How long after a swallowed Ctrl-C it is delivered again (the callback that swallowed it is over by then).
REDELIVER_SECONDS = 0.05


def _handler(signum: int, frame: FrameType | None) -> None:
    if _STATE.redelivered:
        _STATE.redelivered = False
    else:
        _STATE.count += 1
    if not _STATE.deferring:
        _STATE.acted = _STATE.count
        raise KeyboardInterrupt


@contextlib.contextmanager
def handled() -> Iterator[None]:
    """The run command's Ctrl-C handling, from its start to its last line (see the module)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous, hook = signal.getsignal(signal.SIGINT), sys.unraisablehook
    _STATE.installed, _STATE.deferring, _STATE.count, _STATE.acted = True, True, 0, 0
    signal.signal(signal.SIGINT, _handler)
    sys.unraisablehook = redeliver(hook, lambda: setattr(_STATE, "redelivered", True))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        sys.unraisablehook = hook
        _STATE.installed = False


def redeliver(hook: Callable[[Any], Any], before: Callable[[], None]) -> Callable[[Any], Any]:
    """An unraisable-exception hook: a ``KeyboardInterrupt`` raised where Python can only print it
    ("Exception ignored in": a garbage-collector callback, a finalizer) is not lost but delivered
    again as SIGINT (after ``before``) once the callback is over; anything else goes to ``hook``."""

    def on_unraisable(unraisable: Any) -> None:
        if unraisable.exc_type is not None and issubclass(unraisable.exc_type, KeyboardInterrupt):
            before()
            # from another thread, a moment later: raised here, it would be "ignored" again
            timer = threading.Timer(REDELIVER_SECONDS, os.kill, (os.getpid(), signal.SIGINT))
            timer.daemon = True
            timer.start()
            return
        hook(unraisable)

    return on_unraisable


@contextlib.contextmanager
def raising() -> Iterator[None]:
    """A stretch where Ctrl-C raises ``KeyboardInterrupt``; one counted before it raises at its start."""
    if not _STATE.installed or threading.current_thread() is not threading.main_thread():
        yield
        return
    _STATE.deferring = False
    try:
        if _STATE.count > _STATE.acted:
            _STATE.acted = _STATE.count
            raise KeyboardInterrupt
        yield
    finally:
        _STATE.deferring = True


def pressed() -> int:
    """How many times Ctrl-C was pressed since :func:`handled` began (0 without it)."""
    return _STATE.count if _STATE.installed else 0
