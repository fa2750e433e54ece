"""A costly module fixture's value computed once per test run, whatever the number of xdist workers.

Under ``pytest -n 2`` a module-scoped fixture runs once in every worker that runs one of its tests.
:func:`computed_once` lets the first worker compute the value, in a folder every worker of the run
shares, and the others read what it wrote: the same JSON data and the same files, whichever worker
computed them. A module that uses it is also marked ``xdist_group``, so that under the suite's command
(``--dist loadgroup``) all its tests go to one worker, and the other never waits on the lock while the
value is computed (tens of seconds for the repro run) when it could run other tests.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


def run_root(factory: pytest.TempPathFactory) -> Path:
    """The temporary folder of this test run that every xdist worker sees: under xdist each worker's
    base folder is ``<run's folder>/popen-gwN``, so its parent; without xdist the base folder itself."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def computed_once(factory: pytest.TempPathFactory, name: str, compute: Callable[[Path], Any]) -> Any:
    """The JSON value ``compute(folder)`` returns, computed by one worker of the run.

    The first worker to take the lock ``<root>/<name>.lock`` clears ``<root>/<name>/``, calls
    ``compute`` with it (the files it writes there stay for every worker) and writes the value to
    ``<root>/<name>.json`` before it lets the lock go; a worker that waited for the lock reads that
    file. Every worker gets the value as read back from JSON, the one that computed it included.
    A worker whose ``compute`` raises, or which dies, leaves no value behind (the system drops a dead
    process's lock), so the next worker computes it again rather than waiting or reading half of it."""
    root = run_root(factory)
    folder = root / name
    done = root / f"{name}.json"
    with (root / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or when the process ends
        if not done.is_file():
            shutil.rmtree(folder, ignore_errors=True)  # what a failed attempt left
            folder.mkdir()
            partial = root / f"{name}.json.partial"
            partial.write_text(json.dumps(compute(folder)))
            partial.replace(done)
        return json.loads(done.read_text())
