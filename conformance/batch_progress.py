"""What ``kms-conformance simulate --batch`` shows while it works: the lines decided so far and
the rate, on standard error (the decisions go to standard output), only once a batch runs long
enough to leave its user waiting. Apart from :mod:`kms_conformance.progress` (what ``run`` shows),
which needs the report's values: a batch imports only this."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from typing import TextIO


class BatchProgress:
    """On a terminal, a counter rewritten every ``tty_every`` seconds; elsewhere (a log), a line every
    ``log_every`` seconds; nothing for a batch that ends before the first, so short batches and the
    scripts that run them see no output beyond the decisions. :meth:`finish` ends with the total
    when a counter or a line was shown. :meth:`__call__` is cheap enough to call often."""

    def __init__(self, stream: TextIO | None = None, *, tty: bool | None = None, tty_every: float = 1.0,
                 log_every: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        # Python sets sys.stderr to None when the process starts with it closed: then nothing is
        # shown (print(file=None) would write to standard output, among the decisions).
        self.stream: TextIO | None = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)()) if tty is None else tty
        self.every = math.inf if self.stream is None else tty_every if self.tty else log_every
        self.clock = clock
        self.start = clock()
        self.next = self.start + self.every
        self.shown = False

    def _text(self, lines: int, now: float) -> str:
        elapsed = now - self.start
        rate = f"{lines / elapsed:,.0f} lines/s" if elapsed > 0 else "-"
        return f"simulate: {lines:,} lines read, {elapsed:.1f} s ({rate})"

    def __call__(self, lines: int) -> None:
        """``lines`` lines have been read and decided (malformed and blank ones included)."""
        now = self.clock()
        if now < self.next:
            return
        self.next = now + self.every
        self.shown = True
        self._show(self._text(lines, now), end="")

    def _show(self, text: str, *, end: str) -> None:
        stream = self.stream
        assert stream is not None  # never due without a stream
        if self.tty:
            stream.write(f"\r{text}\x1b[K{end}")
            stream.flush()
        else:
            print(text, file=stream, flush=True)

    def finish(self, lines: int) -> None:
        """The batch ended after ``lines`` lines: the total, where progress was shown."""
        if not self.shown:
            return
        self._show(self._text(lines, self.clock()), end="\n")
