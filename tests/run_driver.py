"""``kms-conformance run`` in a subprocess, on the moto target with its cleanup turned on, for the
tests of Ctrl-C, SIGKILL and cleanup reporting (tests/test_run_interrupts.py).

Usage: ``python tests/run_driver.py MODE MARKS -- RUN-ARGS...``. ``MODE`` is what each cleanup call
does: ``real`` (removes), ``block`` (touches ``MARKS/cleaning-<pid>`` once, then waits until a
Ctrl-C stops it) or ``fail-kms`` (KMS resources refuse to go, the rest is removed).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any


def install(mode: str, marks: Path) -> None:
    """Patch the runner's target factory (cleanup on) and the cleanup's remove calls (``mode``)."""
    import kms_conformance.runner as runner
    import kms_conformance.targets.boto as boto

    real_remove, real_make = boto.remove, runner.make_target

    def remove(clients: Any, kind: Any, ident: Any) -> None:
        if mode == "block":
            (marks / f"cleaning-{os.getpid()}").touch()
            time.sleep(3600)
        if mode == "fail-kms" and kind.service == "kms":
            raise RuntimeError("removal refused by the test")
        real_remove(clients, kind, ident)

    def make(config: Any) -> Any:
        target = real_make(config)
        target._cleanup = True  # moto in process cleans up nothing by default: on, as an account would
        return target

    boto.remove = remove
    runner.make_target = make


if __name__ == "__main__":
    install(sys.argv[1], Path(sys.argv[2]))
    from kms_conformance.cli import main

    sys.exit(main(sys.argv[4:]))
