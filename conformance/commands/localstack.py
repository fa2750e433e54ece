"""``kms-conformance localstack install``: build the pinned LocalStack environment the
``localstack`` target starts (see :mod:`kms_conformance.targets.localstack`)."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from kms_conformance.errors import UsageError

EPILOG = """\
The environment is a virtual environment on a Python 3.13 already on this machine (pyenv,
`uv python find`, python3.13 on PATH; never downloaded), with localstack-core[runtime] installed by
uv and its dependencies resolved as of the release date (newer ones break the release at start).
uv is taken from the kit's environment or PATH, and installed into the kit's environment with pip
when missing.

default folder: $KMS_CONFORMANCE_CACHE/localstack-<version>, else ~/.cache/kms-conformance/localstack-<version>.
`kms-conformance run --target localstack` then finds it (or pass --localstack-python, or set
KMS_CONFORMANCE_LOCALSTACK to its bin/python).
"""


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "localstack", help="install LocalStack (community, on the host) for --target localstack",
        description="LocalStack as a target: build its pinned environment.")
    sub = p.add_subparsers(dest="localstack_command", metavar="ACTION")
    inst = sub.add_parser("install", help="build the pinned LocalStack environment into the cache folder",
                          description="Build the pinned LocalStack environment into the cache folder.",
                          epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    from kms_conformance.targets.localstack import DEFAULT_VERSION

    inst.add_argument("--version", default=DEFAULT_VERSION, help=f"localstack-core release (default {DEFAULT_VERSION})")
    inst.add_argument("--dir", type=Path, help="where to build it (default: the cache folder, see below)")
    inst.add_argument("--python", help="the Python 3.13 to build on (default: found with pyenv/uv/PATH)")
    inst.add_argument("--exclude-newer", metavar="DATE",
                      help="resolve dependencies as of DATE (YYYY-MM-DD; default: the pinned release's date)")
    inst.add_argument("--force", action="store_true", help="build again even when the release is installed there")
    inst.set_defaults(func=install)
    p.set_defaults(func=_no_action(p))


def _no_action(parser: argparse.ArgumentParser) -> Any:
    def func(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return 2
    return func


def _step(text: str) -> None:
    print(f"localstack install: {text}", flush=True)


def _run(argv: list[str]) -> None:
    from kms_conformance.targets.localstack import argv_summary

    _step(f"$ {argv_summary(argv)}")
    try:
        status = subprocess.run(argv, check=False).returncode
    except OSError as exc:
        raise UsageError(f"localstack install: cannot run {argv[0]}: {exc}") from None
    if status != 0:
        raise UsageError(f"localstack install: `{argv_summary(argv)}` failed with exit status {status}")


def _ensure_uv() -> str:
    from kms_conformance.targets.localstack import find_uv

    uv = find_uv()
    if uv:
        return uv
    _step("uv not found: installing it into the kit's environment with pip")
    _run([sys.executable, "-m", "pip", "install", "uv"])
    uv = find_uv()
    if not uv:
        raise UsageError("localstack install: uv is still not found after `pip install uv`; install uv and retry")
    return uv


def install(args: argparse.Namespace) -> int:
    from kms_conformance.targets.localstack import (
        PYTHON_VERSION,
        RELEASE_DATES,
        LocalStackError,
        find_python,
        install_commands,
        install_dir,
        python_minor,
        venv_python,
    )

    started = time.monotonic()
    exclude_newer = args.exclude_newer or RELEASE_DATES.get(args.version)
    if not exclude_newer:
        raise UsageError(f"--version {args.version}: no known release date; pass --exclude-newer YYYY-MM-DD")
    directory: Path = (args.dir or install_dir(args.version)).expanduser()
    if not args.force and installed_version(venv_python(directory)) == args.version:
        _step(f"localstack-core {args.version} is already installed at {venv_python(directory)} (--force rebuilds)")
        return 0
    uv = _ensure_uv()
    _step(f"uv: {uv}")
    if args.python:
        if python_minor(args.python, subprocess.run) != PYTHON_VERSION:
            raise UsageError(f"--python {args.python} is not a working Python {PYTHON_VERSION}")
        python = args.python
    else:
        try:
            python = find_python(uv=uv)
        except LocalStackError as exc:
            raise UsageError(str(exc)) from None
    _step(f"python {PYTHON_VERSION}: {python}")
    _step(f"folder: {directory}; localstack-core {args.version}, dependencies as of {exclude_newer}")
    for argv in install_commands(uv, python, directory, args.version, exclude_newer):
        _run(argv)
    got = installed_version(venv_python(directory))
    if got != args.version:
        raise UsageError(f"localstack install: {venv_python(directory)} has localstack-core {got or 'missing'}, "
                         f"not {args.version}")
    _step(f"done in {time.monotonic() - started:.0f} s: localstack-core {got} at "
          f"{venv_python(directory)}")
    _step("use it with `kms-conformance run --target localstack`"
          + ("" if args.dir is None else f" --localstack-python {venv_python(directory)}"))
    return 0


def installed_version(python: Path) -> str | None:
    """The ``localstack-core`` version installed for ``python`` (``None``: no such Python, or not installed)."""
    if not python.exists():
        return None
    check = [str(python), "-c", "from importlib.metadata import version; print(version('localstack-core'))"]
    try:
        out = subprocess.run(check, capture_output=True, text=True, check=False, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None
