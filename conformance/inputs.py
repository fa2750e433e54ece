"""The one way the kit reads a user's file: setups, policies, baselines, reports, templates, plans.

Every reader goes through :func:`read_text` and :func:`load_json` / :func:`load_yaml`, so every
reader refuses the same things with the same one line (an :class:`~kms_conformance.errors.InputError`,
exit status 2): a path that is not a regular file (a directory, or a named pipe that would block
for ever), a file larger than :data:`MAX_BYTES`, bytes that are not UTF-8 (with the byte offset),
a syntax error (with line and column) and a document nested deeper than :data:`MAX_DEPTH`.
:func:`check_output_dir` does the same for a folder the kit will write into, before a run starts.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

from kms_conformance.errors import InputError, json_path

#: The largest file the kit reads whole. The largest real input (a Terraform plan of a big
#: workspace) is a few megabytes; anything past this is a mistake, not a setup.
MAX_BYTES = 32 * 1024 * 1024

#: The deepest nesting of objects and lists a document may have. A key policy is 5 deep
#: (Statement[i].Condition.Operator.Key: [values]); a Terraform plan about 12.
MAX_DEPTH = 64

#: The longest line an error message carries: a value echoed from the input is cut to this.
MAX_ERROR_CHARS = 300


def cut(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """``text`` on one line and at most ``limit`` characters, an ellipsis marking a cut.

    >>> cut("a" * 10, 5)
    'aaaa…'
    >>> cut("two\\nlines")
    'two\\\\nlines'
    """
    flat = text.replace("\r", "\\r").replace("\n", "\\n")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def check_regular(path: str | Path, *, max_bytes: int | None = MAX_BYTES) -> None:
    """Refuse what is not a regular file before opening it (opening a named pipe with no writer
    blocks for ever), and a file larger than ``max_bytes`` (None: any size, for a file read in
    lines)."""
    source = str(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError("cannot read: no such file", source=source) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", source=source) from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError("is a directory, not a file", source=source)
    if not stat.S_ISREG(st.st_mode):
        raise InputError("not a regular file (a pipe, socket or device); give a file", source=source)
    if max_bytes is not None and st.st_size > max_bytes:
        raise InputError(f"file is {st.st_size} bytes, larger than the {max_bytes} bytes the kit reads",
                         source=source)


def decode(data: bytes, source: str) -> str:
    """``data`` as UTF-8 text; bad bytes raise ``InputError`` with their offset."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}", source=source) from None


def read_text(path: str | Path) -> str:
    """The text of a user's file (``-`` is standard input), checked as the module docstring says."""
    source = str(path)
    if source == "-":
        stream = getattr(sys.stdin, "buffer", None)
        raw = stream.read(MAX_BYTES + 1) if stream is not None else sys.stdin.read(MAX_BYTES + 1)
        data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else raw
        if len(data) > MAX_BYTES:
            raise InputError(f"standard input is larger than the {MAX_BYTES} bytes the kit reads", source="<stdin>")
        return decode(data, "<stdin>")
    check_regular(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", source=source) from None
    if len(data) > MAX_BYTES:
        raise InputError(f"file is larger than the {MAX_BYTES} bytes the kit reads", source=source)
    return decode(data, source)


def _too_deep(source: str) -> InputError:
    return InputError(f"nested deeper than {MAX_DEPTH} levels", source=source)


def check_depth(doc: Any, source: str, *, string_keys: bool = False) -> Any:
    """``doc`` itself, once no object or list in it is nested deeper than :data:`MAX_DEPTH`
    (walked without recursion, so a deep document cannot exhaust the stack here) and, with
    ``string_keys`` (a YAML document: ``1:``, ``null:``, ``true:`` are keys YAML allows and JSON
    does not), every key of every mapping is a string."""
    if not string_keys:
        # One level at a time, without paths (the error names none): the common, cheap case.
        level = [doc] if isinstance(doc, dict | list) else []
        depth = 0
        while level:
            if depth >= MAX_DEPTH:
                raise _too_deep(source)
            below: list[Any] = []
            for node in level:
                below += [c for c in (node.values() if isinstance(node, dict) else node) if isinstance(c, dict | list)]
            level = below
            depth += 1
        return doc
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(doc, ())]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            if string_keys:
                for key in node:
                    if not isinstance(key, str):
                        raise InputError(f"a key must be a string, got {cut(repr(key), 60)} "
                                         f"({type(key).__name__}); quote it", source=source, path=json_path(where))
            items: Any = node.items()
        elif isinstance(node, list):
            items = enumerate(node)
        else:
            continue
        if len(where) >= MAX_DEPTH:
            raise _too_deep(source)
        stack.extend((child, (*where, key)) for key, child in items if isinstance(child, (dict, list)))
    return doc


def parse_json(text: str, source: str, *, hint: str = "") -> Any:
    """``text`` as JSON; a syntax error names line and column, deep nesting is refused."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}){hint}",
                         source=source) from None
    except RecursionError:
        raise _too_deep(source) from None
    # Every level of nesting opens with its own "{" or "[", so a text with at most MAX_DEPTH of
    # them (counted at C speed, brackets inside strings included) cannot be nested deeper: the
    # walk is needed only past that (a batch line of a few policies has about 35).
    if text.count("{") + text.count("[") <= MAX_DEPTH:
        return doc
    return check_depth(doc, source)


def _yaml_too_deep(text: str) -> bool:
    """Does ``text`` open collections more than :data:`MAX_DEPTH` deep? Asked of libyaml's event
    stream (C speed; only when PyYAML was built with it), stopped at the first level past the limit:
    PyYAML's own loader spends seconds composing a document a thousand levels deep before
    :func:`check_depth` could refuse it. A text libyaml cannot read is left to that loader, whose
    error message the kit reports, unless libyaml's error is its own nesting limit (1,000 levels)."""
    import yaml

    if not getattr(yaml, "__with_libyaml__", False):
        return False
    opening = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
    closing = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if isinstance(event, opening):
                depth += 1
                if depth > MAX_DEPTH:
                    return True
            elif isinstance(event, closing):
                depth -= 1
    except yaml.YAMLError as exc:
        return "maximum nesting depth" in str(exc)
    return False


def check_yaml_depth(text: str, source: str) -> None:
    """Refuse ``text`` before a YAML loader composes it when it nests collections deeper than
    :data:`MAX_DEPTH` (:func:`_yaml_too_deep`); every YAML reader of the kit asks this first."""
    if _yaml_too_deep(text):
        raise _too_deep(source)


def parse_yaml(text: str, source: str) -> Any:
    """``text`` as YAML (safe loader); a syntax error names the line, deep nesting is refused."""
    import yaml

    check_yaml_depth(text, source)
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "$"
        raise InputError(f"not valid YAML: {getattr(exc, 'problem', None) or exc}", source=source,
                         path=where) from None
    except RecursionError:
        raise _too_deep(source) from None
    return check_depth(doc, source, string_keys=True)


def load_json(path: str | Path, *, hint: str = "") -> Any:
    """Read and parse a user's JSON file (``-`` is standard input)."""
    source = "<stdin>" if str(path) == "-" else str(path)
    return parse_json(read_text(path), source, hint=hint)


def load_document(path: str | Path) -> Any:
    """Read a user's file as YAML when it is named ``.yaml``/``.yml``, else as JSON."""
    text = read_text(path)
    if Path(path).suffix.lower() in (".yaml", ".yml"):
        return parse_yaml(text, str(path))
    return parse_json(text, str(path))


def check_output_dir(path: str | Path, *, option: str, files: tuple[str, ...] = ()) -> None:
    """Make sure the kit can write into ``path`` before any work starts: create it, write and
    remove a probe file; ``files`` (``report.json``...) must not be folders. ``InputError`` names
    the option and the path otherwise (a file in the path, read-only, a name too long)."""
    source = f"{option} {cut(str(path), 120)}"
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not folder.is_dir():
            raise InputError("is not a directory", source=source)
        for name in files:
            if (folder / name).is_dir():
                raise InputError(f"{name} in it is a directory; the report cannot be written", source=source)
        probe = folder / f".kms-conformance-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except FileExistsError:
        raise InputError("is not a directory (a file is in the way)", source=source) from None
    except OSError as exc:
        raise InputError(f"cannot write there: {exc.strerror or exc}", source=source) from None


def check_output_file(path: str | Path, *, option: str) -> None:
    """``path`` can be created or replaced: its folder is writable and it is not a folder itself."""
    target = Path(path)
    if target.is_dir():
        raise InputError("is a directory; give a file name", source=f"{option} {cut(str(path), 120)}")
    check_output_dir(target.parent if str(target.parent) else Path("."), option=option)
