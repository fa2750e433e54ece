"""Standalone reproductions of a finding: a short boto3 script a vendor can attach to a bug report.

A nonconformant result of ``report.json`` (schema ``kms-conformance/report@2``) holds, per finding, the
calls its shrunk example made on the target (``findings[].calls``: service, operation, parameters as
sent, principal, role ``stage``/``control``/``subject``, outcome, response and, for subject calls, what
the reference model answered). :func:`repro_script` turns them into a Python script that uses boto3
only (and moto's ``mock_aws`` in ``moto`` mode, or an endpoint URL in ``endpoint`` mode):

* one statement per call, in the recorded order, up to the first call that shows the divergence
  (:func:`~kms_conformance.targets.recording.until_divergence`: later calls followed the target's answer);
  a stage call must succeed, a subject call must answer what the page says (the reference model's code,
  and, when no code differs, what the model's response held: ``expected["checks"]``), and a failed
  assertion names the call, the expected and observed codes and the rule's id, title and quote; a
  crash of the target while answering (moto in process raises its own exception) is ``InternalFailure``;
* a value an earlier call returned (a key id or ARN, a role ARN, a grant id or token, a ciphertext...) is
  never copied from the recorded run: the script keeps each response and takes the value from it, also
  inside JSON policy documents passed as strings; the names the kit generated get a fresh token per run,
  and the recorded account id is the running account's (``sts:GetCallerIdentity``), so the script runs
  twice in a row, or in another account, without clashing;
* a call made as a role is made with that role's credentials from ``sts:AssumeRole``.

The script imports nothing of the kit; exit status 0 means the target now conforms.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import re
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from kms_conformance.documents import DOCS
from kms_conformance.scrub import REDACTED
from kms_conformance.targets.recording import NOT_REPRODUCIBLE, until_divergence

Mode = Literal["moto", "endpoint"]
MODES: tuple[str, ...] = ("moto", "endpoint")

#: Response keys whose string values identify something a later call may name (or must quote back, as
#: OpenSearch Serverless's ``policyVersion``).
_ID_KEY = re.compile(r"(?:id|arn|token|endpoint|url|name|policyversion)s?$", re.IGNORECASE)
#: The names the kit's boto3 targets generate: ``kmsc-<prefix>-<6 hex token>-<n>``.
_KIT_NAME = re.compile(r"kmsc-[A-Za-z0-9-]*?-([0-9a-f]{6})-\d+")
_ACCOUNT = re.compile(r"^\d{12}$")
#: Width of the generated code (the kit's ruff line length is 120; a margin for indentation).
_WIDTH = 96


class ReproUnavailable(ValueError):
    """No reproduction can be written for this result (no findings, no recorded calls)."""


@dataclass(frozen=True)
class _Source:
    """A value an earlier call produced, and the variable the script keeps it in."""

    var: str
    call: int
    path: tuple[str | int, ...]
    value: str
    is_bytes: bool = False
    #: The report holds the scrubber's mark, not the value: later parameters of the same name take it.
    redacted: bool = False


@dataclass(frozen=True)
class _Piece:
    """Part of a rendered string: literal text, or the name of a variable holding text."""

    text: str
    is_var: bool = False


# -- reading the result -------------------------------------------------------------------------


def as_mapping(result: Any) -> Mapping[str, Any]:
    """A result entry as a mapping: the JSON form (``report.json``) or a dataclass of the kit."""
    if isinstance(result, Mapping):
        return result
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return dataclasses.asdict(result)
    raise TypeError(f"not a result entry: {type(result).__name__}")


def findings_of(result: Any) -> list[tuple[int, Mapping[str, Any]]]:
    """(index, finding) of each finding of a result that recorded its calls (possibly none)."""
    raw = result.get("findings") if isinstance(result, Mapping) else getattr(result, "findings", None)
    found = [(i, as_mapping(f)) for i, f in enumerate(raw or ())]
    return [(i, f) for i, f in found if f.get("calls")]


def repro_command(rule_id: str, number: int, report: str = "report.json") -> str:
    """The command line that writes and runs the reproduction of finding ``number`` (1: the first, as
    the reports count them), what report.md shows."""
    finding = f" --finding {number}" if number != 1 else ""
    return f"kms-conformance report repro {report} {rule_id}{finding} > repro.py && python repro.py"


def repro_scripts(result: Any, meta: Any) -> list[tuple[int, str]]:
    """(index from 0, moto-mode script) of each finding of a result that recorded its calls (what report.html
    shows under each finding)."""
    return [(i, repro_script(result, i, mode="moto", meta=as_mapping(meta))) for i, _ in findings_of(result)]


def _finding(result: Mapping[str, Any], index: int) -> Mapping[str, Any]:
    rule = result.get("rule_id", "?")
    findings = result.get("findings")
    if not findings:
        raise ReproUnavailable(f"{rule} has no findings (verdict {_verdict(result)}): nothing to reproduce")
    if not 0 <= index < len(findings):
        raise ReproUnavailable(f"{rule} has {len(findings)} finding(s); --finding takes 1 to {len(findings)}")
    finding = as_mapping(findings[index])
    if not finding.get("calls"):
        raise ReproUnavailable(f"{rule} finding {index + 1} recorded no calls (a report written before calls were "
                               "recorded): run the rule again with this kit to get them")
    return finding


def _verdict(result: Mapping[str, Any]) -> str:
    verdict = result.get("verdict", "?")
    return str(getattr(verdict, "value", verdict))


def find_result(report: Mapping[str, Any], rule_id: str) -> Mapping[str, Any]:
    """The result of ``rule_id`` in a report's JSON form (``ReproUnavailable`` when it has none)."""
    for entry in report.get("results") or ():
        if isinstance(entry, Mapping) and str(entry.get("rule_id", "")).upper() == rule_id.upper():
            return entry
    raise ReproUnavailable(f"no result for rule {rule_id} in this report")


# -- values produced by earlier calls ---------------------------------------------------------


def _leaves(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Every leaf of a JSON value with its path; ``{"base64": ...}`` (bytes) is a leaf."""
    if isinstance(value, Mapping):
        if set(value) == {"base64"}:
            yield path, value
            return
        for key, item in value.items():
            yield from _leaves(item, (*path, str(key)))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _leaves(item, (*path, i))
    else:
        yield path, value


def _strings_in(value: Any) -> set[str]:
    """Every string in a JSON value, also inside JSON documents passed as strings (policies)."""
    found: set[str] = set()
    for _, leaf in _leaves(value):
        if isinstance(leaf, str):
            found.add(leaf)
            if leaf[:1] in "{[":
                with contextlib.suppress(ValueError):
                    found |= _strings_in(json.loads(leaf))
    return found


def _snake(name: str) -> str:
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "value"


def _sources(calls: Sequence[Mapping[str, Any]]) -> list[list[_Source]]:
    """Per call, the values its response produced that no earlier call produced and that are not
    echoes of its own parameters: identifiers (keys named ``...Id``, ``...Arn``, ``...Token``...), ARNs,
    and bytes (a ciphertext)."""
    seen: set[str] = set()
    names: set[str] = set()
    out: list[list[_Source]] = []
    for n, call in enumerate(calls, start=1):
        produced: list[_Source] = []
        echoes = _strings_in(call.get("params") or {})
        for path, leaf in _leaves(call.get("response") or {}):
            last = next((p for p in reversed(path) if isinstance(p, str)), "value")
            if isinstance(leaf, Mapping) or leaf == REDACTED:
                value = str(leaf["base64"]) if isinstance(leaf, Mapping) else REDACTED
                is_bytes = isinstance(leaf, Mapping)
                if value == REDACTED:
                    var = f"{_snake(last)}_{n}"
                    names.add(var)
                    produced.append(_Source(var, n, path, value, is_bytes, redacted=True))
                    continue
            elif isinstance(leaf, str) and len(leaf) >= 8 and (_ID_KEY.search(last) or leaf.startswith("arn:")):
                value, is_bytes = leaf, False
            else:
                continue
            if value in seen or value in echoes or not value:
                continue
            seen.add(value)
            var = f"{_snake(last)}_{n}"
            while var in names:
                var += "_"
            names.add(var)
            produced.append(_Source(var, n, path, value, is_bytes))
        out.append(produced)
    return out


# -- rendering Python source ------------------------------------------------------------------


def _body(text: str) -> str:
    """``text`` escaped for the inside of a double-quoted Python string literal."""
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif not ch.isprintable():
            out.append(repr(ch)[1:-1])
        else:
            out.append(ch)
    return "".join(out)


def lit(text: str) -> str:
    """A double-quoted Python string literal of ``text``."""
    return f'"{_body(text)}"'


def _chunk_expr(pieces: Sequence[_Piece]) -> str:
    """One string expression (a literal, a variable or an f-string) of the pieces."""
    if len(pieces) == 1 and pieces[0].is_var:
        return pieces[0].text
    if not any(p.is_var for p in pieces):
        return lit("".join(p.text for p in pieces))
    inner = "".join("{" + p.text + "}" if p.is_var else _body(p.text).replace("{", "{{").replace("}", "}}")
                    for p in pieces)
    return f'f"{inner}"'


def _split_long(pieces: list[_Piece], width: int) -> list[list[_Piece]]:
    """The pieces in chunks of about ``width`` characters (long literal text is cut)."""
    chunks: list[list[_Piece]] = [[]]
    size = 0
    for piece in pieces:
        parts = [piece] if piece.is_var else [_Piece(piece.text[i:i + width]) for i in range(0, len(piece.text), width)]
        for part in parts:
            if chunks[-1] and size + len(part.text) > width:
                chunks.append([])
                size = 0
            chunks[-1].append(part)
            size += len(part.text)
    return chunks


class _Renderer:
    """Python expressions of the recorded values, with earlier responses' values substituted."""

    def __init__(self, substitutions: Sequence[tuple[str, str]]) -> None:
        """``substitutions``: (recorded text, variable). A recorded text ``-abc123-`` (a name token)
        keeps its dashes around the variable."""
        # Longest first, so that an ARN wins over the key id inside it.
        self.subs = sorted(((v, var) for v, var in substitutions if v), key=lambda s: -len(s[0]))
        self.used: set[str] = set()
        #: Parameter name -> the variable of the latest response value of that name the report redacted.
        self.redacted: dict[str, str] = {}

    def _redacted(self, key: str | None) -> str | None:
        var = self.redacted.get(key or "") or self.redacted.get((key or "").removesuffix("s"))
        if var is not None:
            self.used.add(var)
        return var

    def pieces(self, text: str) -> list[_Piece]:
        out: list[_Piece] = []
        i = start = 0
        while i < len(text):
            for value, var in self.subs:
                if text.startswith(value, i):
                    dash = "-" if value.startswith("-") and value.endswith("-") and len(value) == 8 else ""
                    if start < i or dash:
                        out.append(_Piece(text[start:i] + dash))
                    out.append(_Piece(var, True))
                    if dash:
                        out.append(_Piece(dash))
                    self.used.add(var)
                    i += len(value)
                    start = i
                    break
            else:
                i += 1
        if start < len(text):
            out.append(_Piece(text[start:]))
        return out

    def string(self, text: str, indent: int) -> str:
        doc = self._json_doc(text)
        if doc is not None:
            return "json.dumps(" + self.expr(doc, indent) + ")"
        pieces = self.pieces(text)
        flat = _chunk_expr(pieces) if pieces else '""'
        if len(flat) <= _WIDTH - indent:
            return flat
        pad = " " * (indent + 4)
        lines = [pad + _chunk_expr(chunk) for chunk in _split_long(pieces, max(40, _WIDTH - indent - 12))]
        return "(\n" + "\n".join(lines) + "\n" + " " * indent + ")"

    def bytes_(self, b64: str, sources: Mapping[str, str], key: str | None = None) -> str:
        if b64 == REDACTED:
            return self._redacted(key) or f"{lit(REDACTED)}.encode()"
        if b64 in sources:
            self.used.add(sources[b64])
            return sources[b64]
        raw = base64.b64decode(b64)
        if raw and all(32 <= c < 127 for c in raw):
            text = raw.decode("ascii")
            return "b" + lit(text)
        return f"base64.b64decode({lit(b64)})"

    def _json_doc(self, text: str) -> Any:
        """The JSON document a string holds when it is one exactly as ``json.dumps`` writes it (rendered
        as ``json.dumps(...)`` of the document), else None."""
        if text[:1] in "{[" and len(text) > 1:
            try:
                doc = json.loads(text)
            except ValueError:
                return None
            if isinstance(doc, dict | list) and json.dumps(doc) == text:
                return doc
        return None

    def _leaf(self, value: Any, byte_sources: Mapping[str, str], key: str | None) -> str | None:
        """A value written alike on one line or several (bytes, a redacted value, a number, None); None
        for a string or a container."""
        if isinstance(value, Mapping) and set(value) == {"base64"}:
            return self.bytes_(str(value["base64"]), byte_sources, key)
        if value == REDACTED:
            return self._redacted(key) or lit(REDACTED)
        if isinstance(value, bool) or value is None or isinstance(value, int | float):
            return repr(value)
        return None

    @staticmethod
    def _members(value: Any, key: str | None) -> tuple[str, str, list[tuple[str, Any, str]]] | None:
        """A container's brackets and, per member, its head (``"Key": `` or nothing), value and parameter
        name; None for anything else."""
        if isinstance(value, Mapping):
            return "{", "}", [(f"{lit(str(k))}: ", v, str(k)) for k, v in value.items()]
        if isinstance(value, list | tuple):
            return "[", "]", [("", v, key or "") for v in value]
        return None

    def flat(self, value: Any, byte_sources: Mapping[str, str] | None = None, key: str | None = None) -> str:
        """``value`` as :meth:`expr` writes it on one line (what it returns when that fits)."""
        byte_sources = byte_sources or {}
        leaf = self._leaf(value, byte_sources, key)
        if leaf is not None:
            return leaf
        members = self._members(value, key)
        if members is not None:
            open_, close, items = members
            return open_ + ", ".join(head + self.flat(v, byte_sources, name) for head, v, name in items) + close
        text = value if isinstance(value, str) else str(value)
        doc = self._json_doc(text)
        if doc is not None:
            return "json.dumps(" + self.flat(doc) + ")"
        pieces = self.pieces(text)
        return _chunk_expr(pieces) if pieces else '""'

    def expr(self, value: Any, indent: int = 0, byte_sources: Mapping[str, str] | None = None,
             key: str | None = None) -> str:
        """A Python expression of ``value`` (``key``: the parameter name it is the value of); on several
        lines (``indent`` the current column) when long. Each member of a container that breaks is written
        on one line when that fits, else broken in turn. A value's one-line form is built once for each
        enclosing container that breaks (at most its depth times), and each value is broken at most once;
        rendering every member twice per level, as before, was exponential in the depth."""
        byte_sources = byte_sources or {}
        leaf = self._leaf(value, byte_sources, key)
        if leaf is not None:
            return leaf
        members = self._members(value, key)
        if members is None:
            return self.string(value if isinstance(value, str) else str(value), indent)
        open_, close, items = members
        if not items:
            return open_ + close
        flats = [self.flat(v, byte_sources, name) for _head, v, name in items]
        flat = open_ + ", ".join(head + one for (head, _v, _name), one in zip(items, flats, strict=True)) + close
        if len(flat) + indent <= _WIDTH:
            return flat
        pad = " " * (indent + 4)
        lines = []
        for (head, v, name), one in zip(items, flats, strict=True):
            item = one if len(one) + indent + 4 <= _WIDTH else self.expr(v, indent + 4, byte_sources, name)
            lines.append(pad + head + item + ",")
        return open_ + "\n" + "\n".join(lines) + "\n" + " " * indent + close


def _path_expr(var: str, path: Sequence[str | int]) -> str:
    return var + "".join(f"[{lit(p)}]" if isinstance(p, str) else f"[{p}]" for p in path)


def _comment(text: str, width: int = 96, prefix: str = "# ") -> list[str]:
    lines: list[str] = []
    for para in str(text).splitlines() or [""]:
        lines += textwrap.wrap(para, width - len(prefix), break_long_words=True, break_on_hyphens=False) or [""]
    return [(prefix + line).rstrip() for line in lines]


def _short(value: Any, limit: int = 400) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _name(call: Mapping[str, Any]) -> str:
    return f"{call.get('service')}:{call.get('operation')}"


def _method(operation: str) -> str:
    """boto3's method name of an operation (botocore's ``xform_name`` for the kit's operations)."""
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", operation)
    return name.lower()


# -- the script -----------------------------------------------------------------------------------


def _header(result: Mapping[str, Any], finding: Mapping[str, Any], index: int, meta: Mapping[str, Any],
            mode: str) -> list[str]:
    rule = str(result.get("rule_id", "?"))
    target = meta.get("target") or "?"
    version = meta.get("target_version") or "?"
    lines = [f"# Reproduction of kms-conformance finding {index + 1} of rule {rule} ({mode} mode).", "#"]
    lines += _comment(f"Rule {rule} [{result.get('severity', '?')}]: {result.get('title', '')}")
    doc = str(result.get("doc", "?"))
    lines += _comment(f"Source: {DOCS.get(doc, doc)} ({doc}), section \"{result.get('section', '')}\":")
    lines += _comment(f"\"{result.get('quote', '')}\"", prefix="#   ")
    lines += ["#"]
    lines += _comment(f"Finding: {finding.get('signature', '')}")
    if finding.get("summary"):
        lines += _comment(str(finding["summary"]))
    lines += _comment(f"Observed by kms-conformance {meta.get('kit_version', '?')} on target {target} "
                      f"{version} (region {meta.get('region', '?')}, seed {meta.get('seed', '?')}).")
    lines += _comment(f"Expected (reference model): {_short(finding.get('expected'))}")
    lines += _comment(f"Observed (target): {_short(finding.get('observed'))}")
    if finding.get("replay") or result.get("replay"):
        lines += _comment(f"Replay in the kit: {finding.get('replay') or result.get('replay')}")
    lines += ["#"]
    if mode == "moto":
        lines += ["# Run: python repro.py   (needs boto3 and moto; everything runs in process, with dummy",
                  "# credentials: nothing reaches AWS)"]
    else:
        lines += ["# Run: python repro.py --endpoint-url http://127.0.0.1:5000   (or AWS_ENDPOINT_URL; without",
                  "# either, the AWS account of your default credentials: it creates keys and roles there)"]
    lines += ["# Exit status 0: the target behaves as the page says. An AssertionError names the first call",
              "# that does not."]
    return lines


_PREAMBLE = '''

def client(service, role_arn=None):
    """A boto3 client of the service, as the administrator or (role_arn) as that role's session."""
    key = (service, role_arn)
    if key not in CLIENTS:
        credentials = {}
        if role_arn is not None:
            assumed = client("sts").assume_role(RoleArn=role_arn, RoleSessionName="kmsc-repro")
            credentials = {
                "aws_access_key_id": assumed["Credentials"]["AccessKeyId"],
                "aws_secret_access_key": assumed["Credentials"]["SecretAccessKey"],
                "aws_session_token": assumed["Credentials"]["SessionToken"],
            }
        CLIENTS[key] = boto3.client(service, region_name=REGION, endpoint_url=ENDPOINT_URL, **credentials)
    return CLIENTS[key]


def attempt(method, params):
    """Make one call: ("OK", response) or (the error code, the error response)."""
    try:
        return "OK", method(**params)
    except ClientError as exc:
        return exc.response["Error"]["Code"], exc.response
    except Exception as exc:  # the target crashed while answering (moto in process raises its own error)
        return "InternalFailure", {"Error": {"Code": "InternalFailure", "Message": f"{type(exc).__name__}: {exc}"}}


def dig(value, *path):
    """The part of a response at path (None when it is absent)."""
    for step in path:
        try:
            value = value[step]
        except (KeyError, IndexError, TypeError):
            return None
    return value
'''


def _check_lines(n: int, call: Mapping[str, Any]) -> list[str]:
    """The assertions on the response of subject call ``n`` (``expected["checks"]``: what the reference
    model's response has that the target's lacked)."""
    name = _body(_name(call))
    lines = []
    for check in (call.get("expected") or {}).get("checks") or ():
        path = ", ".join(lit(p) if isinstance(p, str) else str(p) for p in check.get("path") or ())
        part = f"dig(out_{n}, {path})" if path else f"out_{n}"
        where = "/".join(str(p) for p in check.get("path") or ()) or "the response"
        if "length" in check:
            test, says = f"len({part} or []) == {int(check['length'])}", f"{int(check['length'])} item(s) in {where}"
        elif "equals" in check:
            test, says = f"{part} is {bool(check['equals'])}", f"{where} is {bool(check['equals'])}"
        else:
            test, says = f"{part} is not None", f"the response has {where}"
        lines += [f"    assert {test}, (",
                  f"        f\"{{RULE}} ({{TITLE}}): {name} (call {n}) answered without {_body(says)}, \"",
                  f"        f\"which the page implies: {{QUOTE}} (response: {{out_{n}}})\"",
                  "    )"]
    return lines


def _call_lines(n: int, call: Mapping[str, Any], renderer: _Renderer, byte_sources: Mapping[str, str],
                checks: bool = False) -> list[str]:
    """The statements of call ``n``: its parameters, the call, and the assertion its role asks for
    (``checks``: also the assertions on its response)."""
    service, operation = str(call.get("service")), str(call.get("operation"))
    role = str(call.get("role") or "stage")
    name = _body(_name(call))
    client_args = lit(service)
    who = " as the administrator"
    if call.get("principal"):
        principal = renderer.string(str(call["principal"]), 4)
        client_args += f", {principal}"
        who = f" as {principal}" if principal.isidentifier() else f" as {call['principal']}"
    lines = ["", *_comment(f"{n}. {role}: {_name(call)}{who}", prefix="    # ")]
    lines.append(f"    params_{n} = {renderer.expr(call.get('params') or {}, 4, byte_sources)}")
    lines.append(f"    code_{n}, out_{n} = attempt(client({client_args}).{_method(operation)}, params_{n})")
    recorded = str((call.get("outcome") or {}).get("code", "OK"))
    expected = str((call.get("expected") or {}).get("code", recorded))
    if role == "subject":
        return [*lines,
                f"    assert code_{n} == {lit(expected)}, (",
                f"        f\"{{RULE}} ({{TITLE}}): {name} (call {n}) answered {{code_{n}}}, \"",
                f"        f\"the page says {_body(expected)}: {{QUOTE}} (response: {{out_{n}}})\"",
                "    )", *(_check_lines(n, call) if checks else [])]
    if role == "control":
        return [*lines,
                f"    assert code_{n} == {lit(expected)}, (",
                f"        f\"control step {name} answered {{code_{n}}}, not {_body(expected)}: {{out_{n}}}\"",
                "    )"]
    return [*lines, f"    assert code_{n} == \"OK\", f\"stage step {name} failed: {{code_{n}}}: {{out_{n}}}\""]


def _main_body(calls: Sequence[Mapping[str, Any]], fixed: Sequence[tuple[str, str]],
               checks: bool = False) -> tuple[list[str], set[str]]:
    """The statements of ``main()`` (after the account line) and the variables they use (``checks``:
    assert subject calls' responses too)."""
    sources = _sources(calls)
    available = list(fixed)
    byte_sources: dict[str, str] = {}
    redacted: dict[str, str] = {}
    used: set[str] = set()
    rendered: list[list[str]] = []
    unrecovered = 0
    for n, call in enumerate(calls, start=1):
        renderer = _Renderer(available)
        renderer.redacted = dict(redacted)
        rendered.append(_call_lines(n, call, renderer, byte_sources, checks))
        used |= renderer.used
        # the values that stay redacted: each is the literal alone (a parameter value, or its bytes)
        unrecovered += sum(line.count(lit(REDACTED)) for line in rendered[-1])
        for src in sources[n - 1]:
            last = next((p for p in reversed(src.path) if isinstance(p, str)), "")
            if src.redacted:
                redacted[last] = src.var
            elif src.is_bytes:
                byte_sources[src.value] = src.var
            else:
                available.append((src.value, src.var))
    body: list[str] = []
    for n, lines in enumerate(rendered, start=1):
        body += lines
        body += [f"    {src.var} = {_path_expr(f'out_{n}', src.path)}" for src in sources[n - 1] if src.var in used]
    if unrecovered:
        body.insert(0, f"    # {unrecovered} parameter value(s) were redacted in the report and came from no earlier "
                       "response: they stay redacted here.")
    return body, used


_MOTO_MAIN = [
    'if __name__ == "__main__":',
    '    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):',
    '        os.environ[name] = "testing"',
    "    with mock_aws():",
    "        main()",
]
_ENDPOINT_MAIN = [
    'if __name__ == "__main__":',
    '    parser = argparse.ArgumentParser(description=f"Reproduce a kms-conformance finding of {RULE}.")',
    '    parser.add_argument("--endpoint-url", help="default: AWS_ENDPOINT_URL, else AWS")',
    '    parser.add_argument("--region", default=REGION)',
    "    args = parser.parse_args()",
    '    ENDPOINT_URL = args.endpoint_url or os.environ.get("AWS_ENDPOINT_URL")',
    "    REGION = args.region",
    "    main()",
]


def repro_script(result: Any, finding_index: int = 0, *, mode: Mode = "moto",
                 meta: Any = None) -> str:
    """The reproduction script of one finding (``finding_index`` from 0) of a result (a ``report.json``
    result entry, or the kit's ``RuleResult``), as Python source. ``meta``: the report's run metadata
    (its JSON form or ``RunMeta``: region, target, versions, account). Raises
    :class:`ReproUnavailable` when the result has no such finding or it recorded no calls."""
    if mode not in MODES:
        raise ValueError(f"mode is one of {', '.join(MODES)}, not {mode!r}")
    data = as_mapping(result)
    run = dict(as_mapping(meta)) if meta is not None else {}
    finding = _finding(data, finding_index)
    calls = until_divergence([as_mapping(c) for c in finding["calls"]])
    if not calls:
        raise ReproUnavailable(f"{data.get('rule_id', '?')} finding {finding_index + 1}: {NOT_REPRODUCIBLE}")
    by_code = any(c.get("role") == "subject" and (c.get("expected") or {}).get("code") != c["outcome"].get("code")
                  for c in calls)

    tokens = sorted({m.group(1) for c in calls for s in _strings_in(c.get("params") or {})
                     for m in _KIT_NAME.finditer(s)})
    token_vars = {t: ("TOKEN" if len(tokens) == 1 else f"TOKEN_{i}") for i, t in enumerate(tokens, start=1)}
    fixed = [(f"-{token}-", var) for token, var in token_vars.items()]
    account = str(run.get("account") or "")
    if _ACCOUNT.match(account):
        fixed.append((account, "ACCOUNT"))
    body, used = _main_body(calls, fixed, checks=not by_code)

    uses_token = any(var in used for var in token_vars.values())
    joined = "\n".join(body)
    imports = {"os"} | ({"base64"} if "base64.b64decode(" in joined else set()) \
        | ({"json"} if "json.dumps(" in joined else set()) | ({"uuid"} if uses_token else set()) \
        | ({"argparse"} if mode == "endpoint" else set())
    out = [*_header(data, finding, finding_index, run, mode), ""]
    out += [f"import {name}" for name in sorted(imports)]
    out += ["", "import boto3", "from botocore.exceptions import ClientError"]
    out += ["from moto import mock_aws"] if mode == "moto" else []
    out += ["", f"RULE = {lit(str(data.get('rule_id', '?')))}",
            f"TITLE = {_Renderer([]).string(str(data.get('title', '')), 0)}",
            f"QUOTE = {_Renderer([]).string(str(data.get('quote', '')), 0)}",
            f"REGION = {lit(str(run.get('region') or 'us-east-1'))}", "ENDPOINT_URL = None"]
    for token, var in token_vars.items():
        if var in used:
            out += [f"# Names this script creates get a fresh token on every run (the recorded run's: {token}).",
                    f"{var} = uuid.uuid4().hex[:6]"]
    out += ["CLIENTS = {}", *_PREAMBLE.rstrip("\n").split("\n")]
    out += ["", "", "def main():", f'    """The calls of the finding, in order ({len(calls)})."""']
    if "ACCOUNT" in used:
        out += ["    # The recorded run's account id, wherever it appears, is the account this script runs in.",
                '    ACCOUNT = client("sts").get_caller_identity()["Account"]']
    out += body
    out += ['    print(f"{RULE}: every call answered as the page says (the target conforms)")', "", ""]
    out += _MOTO_MAIN if mode == "moto" else _ENDPOINT_MAIN
    return "\n".join(out) + "\n"
