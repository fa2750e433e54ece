"""``kms-conformance``: run | check | rules | simulate | report | sweep | localstack.

Each subcommand lives in ``conformance/commands/<name>.py`` with two functions:
``register(subparsers) -> None`` adds its parser (and sets ``func``), and the ``func`` it sets
takes the parsed arguments and returns the exit status. This module only dispatches and turns
user errors into one line and exit status 2 (DESIGN.md, principle 6).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from kms_conformance import __version__, inputs
from kms_conformance.cache import keep_hypothesis_storage
from kms_conformance.errors import InputError, UsageError
from kms_conformance.inputs import cut
from kms_conformance.regions import check_region
from kms_conformance.scrub import scrub_text

COMMANDS: tuple[str, ...] = ("run", "check", "rules", "simulate", "report", "sweep", "localstack")


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on bad usage already; keep its message on one line, cut to a readable length."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {cut(message)}\n")


#: Exit status of an error the kit did not foresee (a defect of the kit: please report it).
INTERNAL_ERROR = 3

#: Exit status when the reader of standard output goes away (``kms-conformance rules | head``):
#: 128 + SIGPIPE, what a shell reports for a program that SIGPIPE ended.
BROKEN_PIPE = 141

#: Options ``[tool.kms-conformance]`` in ./pyproject.toml may give defaults for (flags win).
CONFIG_KEYS: tuple[str, ...] = ("profile", "target", "region", "report-dir", "rules", "baseline")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="kms-conformance",
        description="Conformance kit for AWS KMS key policies, grants and service configurations.",
    )
    parser.add_argument("--version", action="version", version=f"kms-conformance {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an internal error")
    parser.add_argument("--color", dest="global_color", choices=("auto", "always", "never"), default=None,
                        help="colour in terminal output (default auto: a terminal, and NO_COLOR unset)")
    parser.add_argument("-q", "--quiet", action="count", default=0, help="less output (no progress lines)")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more output (every rule's line)")
    parser.add_argument("--allow-unknown-region", action="store_true",
                        help="accept a well-formed --region that the installed botocore does not list")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:  # every command ships with the kit: a missing one is a defect, not an option
        importlib.import_module(f"kms_conformance.commands.{name}").register(sub)
    parser.set_defaults(_subparsers=sub)
    return parser


@dataclass(frozen=True)
class _Built:
    """A parser of :func:`build_parser` and, per command, its defaults as built: its ``set_defaults``
    values and each option's default."""

    parser: argparse.ArgumentParser
    pristine: tuple[tuple[argparse.ArgumentParser, dict[str, Any], tuple[tuple[argparse.Action, Any], ...]], ...]

    @classmethod
    def build(cls) -> _Built:
        parser = build_parser()
        commands = parser.get_default("_subparsers").choices.values()
        return cls(parser, tuple((command, dict(command._defaults),
                                  tuple((action, action.default) for action in command._actions))
                                 for command in commands))

    def as_built(self) -> argparse.ArgumentParser:
        """The parser, every command's defaults put back as built."""
        for command, defaults, actions in self.pristine:
            command._defaults.clear()
            command._defaults.update(defaults)
            for action, default in actions:
                action.default = default
        return self.parser


#: :func:`main`'s parser, built at the process's first call (:func:`_parser`).
_SHARED: list[_Built] = []
_SHARED_LOCK = threading.Lock()


def _parser() -> argparse.ArgumentParser:
    """:func:`build_parser`'s parser, built at the first call of the process and reused: building it
    (seven commands, some two hundred options) took about 3 ms, each time ``main`` was called. Each call
    gets the commands' defaults as built, before ``config_defaults`` gives them the ``pyproject.toml`` of
    the folder the call runs in (it sets defaults on the commands' parsers; nothing else changes a
    parser: parsing fills a new namespace). Call it, and use the parser, under ``_SHARED_LOCK``."""
    if not _SHARED:
        _SHARED.append(_Built.build())
    return _SHARED[0].as_built()


def config_defaults(parser: argparse.ArgumentParser, pyproject: Path) -> None:
    """Make ``[tool.kms-conformance]`` of ``pyproject`` the defaults of every command that has
    those options; a flag on the command line still wins. A bad value is an ``InputError``."""
    if not pyproject.is_file():
        return
    import tomllib

    try:
        table = tomllib.loads(inputs.read_text(pyproject)).get("tool", {}).get("kms-conformance")
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", source=str(pyproject)) from None
    if table is None:
        return
    where = "tool.kms-conformance"
    if not isinstance(table, dict):
        raise InputError("must be a table", source=str(pyproject), path=where)
    for key, value in table.items():
        if key not in CONFIG_KEYS:
            raise InputError(f"unknown key (known: {', '.join(CONFIG_KEYS)})", source=str(pyproject),
                             path=f"{where}.{cut(str(key), 60)}")
        if not isinstance(value, str):
            raise InputError("must be a string", source=str(pyproject), path=f"{where}.{key}")
    sub = parser.get_default("_subparsers")
    for command in sub.choices.values():
        for action in command._actions:
            key = action.option_strings[0][2:] if action.option_strings else ""
            if key not in table:
                continue
            value = table[key]
            if action.choices is not None and value not in action.choices:
                raise InputError(f"{value!r} is not one of {', '.join(map(str, action.choices))}",
                                 source=str(pyproject), path=f"{where}.{key}")
            command.set_defaults(**{action.dest: action.type(value) if callable(action.type) else value})


def _say(line: str) -> None:
    with contextlib.suppress(OSError, ValueError):  # the one scrubber, on every line; then cut
        print(cut(scrub_text(line), 2 * inputs.MAX_ERROR_CHARS), file=sys.stderr)


def _quiet_stdout() -> None:
    """Point standard output at /dev/null so the interpreter's last flush cannot fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError, io.UnsupportedOperation):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _command_of(words: Sequence[str]) -> str | None:
    """The subcommand ``words`` name (the first word that is neither an option nor ``--color``'s value)."""
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word == "--color":
            skip = True
        elif not word.startswith("-"):
            return word
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns (and exits with) the status.

    0 fine, 1 a ``must`` rule fails, 2 bad usage or input (one line), 3 an internal error (one
    line; ``--debug`` shows the traceback), 130 interrupted, 141 the reader of standard output went
    away (``| head``). No traceback otherwise. ``run`` handles Ctrl-C from here on
    (:mod:`kms_conformance.interrupts`): one pressed while it reads its options still ends in a report.

    Called without ``argv`` (the console script, ``python -m kms_conformance``), the process is the
    kit's own: Hypothesis keeps its data in the kit's cache folder, not in ``.hypothesis/`` of the
    folder the command starts in (:func:`kms_conformance.cache.keep_hypothesis_storage`). A program
    that passes ``argv`` keeps its own Hypothesis settings."""
    from kms_conformance.interrupts import handled

    if argv is None:
        keep_hypothesis_storage()
    words = list(sys.argv[1:] if argv is None else argv)
    with handled() if _command_of(words) == "run" else contextlib.nullcontext():
        return _main(words)


def _main(argv: list[str]) -> int:
    debug = "--debug" in argv
    try:
        with _SHARED_LOCK:
            parser = _parser()
            config_defaults(parser, Path("pyproject.toml"))
            args = parser.parse_args(argv)
        args.cli_words = tuple(argv)  # what was typed, for `run --resume` (which options were given)
        if not getattr(args, "func", None):
            parser.print_help(sys.stderr)
            return 2
        if isinstance(getattr(args, "region", None), str):
            check_region(args.region, allow_unknown=args.allow_unknown_region)
        status: int = args.func(args)
        sys.stdout.flush()
    except (InputError, UsageError) as exc:
        _say(f"kms-conformance: error: {exc}")
        return 2
    except KeyboardInterrupt:
        _say("kms-conformance: interrupted")
        return 130
    except BrokenPipeError:
        _quiet_stdout()
        return BROKEN_PIPE
    except OSError as exc:
        if debug:
            raise
        if exc.filename is None:  # not about a file the user named: fall through as an internal error
            _say(f"kms-conformance: internal error: {type(exc).__name__}: {exc} (please report; --debug shows "
                 "the traceback)")
            return INTERNAL_ERROR
        _say(f"kms-conformance: error: {exc.filename}: {exc.strerror or exc}")
        return 2
    except Exception as exc:
        if debug:
            raise
        _say(f"kms-conformance: internal error: {type(exc).__name__}: {exc} (please report; --debug shows the "
             "traceback)")
        return INTERNAL_ERROR
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
