"""The botocore retry options of the commands that call an account (``run``, ``sweep``): one
definition, so that both take the same values and refuse the same ones."""

from __future__ import annotations

import argparse
from typing import Any

from kms_conformance.errors import UsageError


def add_retry_options(group: Any) -> None:
    """``--retry-mode`` and ``--max-attempts`` on a parser or an argument group."""
    group.add_argument("--retry-mode", choices=("standard", "adaptive"), default="standard",
                       help="botocore retry mode (default standard)")
    group.add_argument("--max-attempts", type=int, default=5,
                       help="botocore attempts per call, the first included (default 5; 1 = no retry, "
                            "e.g. against a loopback moto server, whose errors do not go away)")


def check_retry_options(args: argparse.Namespace) -> None:
    """A ``UsageError`` (one line, exit status 2) for attempts below one."""
    if args.max_attempts < 1:
        raise UsageError("--max-attempts must be 1 or more")
