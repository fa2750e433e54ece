"""``kms-conformance``: run | check | rules | simulate | report | sweep.

Each subcommand lives in ``conformance/commands/<name>.py`` with two functions:
``register(subparsers) -> None`` adds its parser (and sets ``func``), and the ``func`` it sets
takes the parsed arguments and returns the exit status. This module only dispatches and turns
user errors into one line and exit status 2 (DESIGN.md, principle 6).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from kms_conformance import __version__
from kms_conformance.errors import InputError, UsageError

COMMANDS: tuple[str, ...] = ("run", "check", "rules", "simulate", "report", "sweep")


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on bad usage already; keep its message on one line."""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="kms-conformance",
        description="Conformance kit for AWS KMS key policies, grants and service configurations.",
    )
    parser.add_argument("--version", action="version", version=f"kms-conformance {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:  # every command ships with the kit: a missing one is a defect, not an option
        importlib.import_module(f"kms_conformance.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns (and exits with) the status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        status: int = args.func(args)
    except (InputError, UsageError) as exc:
        print(f"kms-conformance: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kms-conformance: interrupted", file=sys.stderr)
        return 130
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
