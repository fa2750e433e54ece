"""``kms-conformance simulate``: decide one authorization request, or a batch of them, without AWS.

One request::

    kms-conformance simulate --request REQ.json [--resource-policy KP.json]
        [--identity-policy P.json ...] [--grant G.json ...] [--json]

``REQ.json`` is ``{"action": "kms:Decrypt", "resource": "arn:aws:kms:...:key/...", "principal":
"arn:...", "context": {"kms:ViaService": "...", "kms:EncryptionContext:k": "v", ...},
"resourceAccount": "..."}``; context values are strings or lists of strings. A principal is an
ARN, a service principal (``forecast.amazonaws.com``) or a 12-digit account id.

A KMS key resource (``arn:...:kms:...:key/...``) is decided by KMS's rule
(:func:`kms_conformance.kms.authorize`: the key policy must allow, directly or by delegating to the
account's IAM policies; grants add their operations; explicit deny wins). Any other resource by
the general rule (:func:`kms_conformance.policy.evaluate`). For a KMS key, ``kms:KeySpec``,
``kms:KeyUsage``, ``kms:KeyOrigin`` and ``kms:MultiRegion`` in the context describe the key (default:
a symmetric encryption key), ``kms:ViaService`` says a service sends the request, and the
``kms:EncryptionContext:<key>`` entries are the request's encryption context (checked against
grant constraints).

Batch::

    kms-conformance simulate --batch CASES.jsonl      (or - for standard input)

one JSON object a line: ``{"request": {...}, "resourcePolicy": {...}, "identityPolicies": [...],
"grants": [...]}`` (all but ``request`` optional). Writes one JSON line a case, in order:
``{"line": N, "decision": ..., "matched": [...], "reason": ...}``; a malformed line gives
``{"line": N, "error": "..."}`` and the other lines still run. Identical policies are parsed once.

Exit status: 0 when every request was decided (whatever the decision); 2 on bad usage, an
unreadable or malformed input file (one line naming the file and the JSON path), or a batch with
at least one malformed line (after all lines were written).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from kms_conformance.errors import InputError, UsageError, json_path

_KEY_ARN = re.compile(r"^arn:([a-z-]+):kms:([a-z0-9-]*):(\d{12}):key/(.+)$")


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "simulate", help="decide an authorization request (KMS rule for KMS keys, general IAM rule otherwise)",
        description="Decide one authorization request, or a batch of them, without AWS. "
        "KMS keys use the KMS rule (key policy must allow; grants), "
        "other resources the general IAM rule. Exit status: 0 when every request was decided; 2 on bad usage, "
        "a malformed input file, or a batch with a malformed line (the other lines are still decided).",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--request", metavar="REQ.json", help="the request: action, resource, principal, context, "
                   "resourceAccount")
    p.add_argument("--resource-policy", metavar="KP.json", help="the key policy (or other resource-based policy)")
    p.add_argument("--identity-policy", metavar="P.json", action="append", default=[],
                   help="an identity policy of the caller (repeatable)")
    p.add_argument("--grant", metavar="G.json", action="append", default=[],
                   help="a grant in the CreateGrant request shape (repeatable; KMS keys only)")
    p.add_argument("--json", action="store_true", help='print {"decision": ..., "matched": [...]} as JSON')
    p.add_argument("--batch", metavar="CASES.jsonl",
                   help="decide one case a line ({request, resourcePolicy, identityPolicies, grants}); - for stdin; "
                        "writes one JSON line a case; exit 2 if any line was malformed")
    p.set_defaults(func=main)


# --- values -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimRequest:
    """A request as the user wrote it, checked."""

    action: str
    resource: str
    principal: str
    context: Mapping[str, str | tuple[str, ...]]
    resource_account: str | None = None


def parse_request(raw: Any, *, source: str, prefix: Sequence[str | int] = ()) -> SimRequest:
    """Check a request object; InputError names ``source`` and the JSON path of the defect."""
    def fail(message: str, *where: str | int) -> InputError:
        return InputError(message, source=source, path=json_path([*prefix, *where]))

    if not isinstance(raw, Mapping):
        raise fail("a request must be a JSON object with action, resource and principal")
    unknown = sorted(set(raw) - {"action", "resource", "principal", "context", "resourceAccount"})
    if unknown:
        raise fail(f"unknown field(s) {', '.join(unknown)}; known: action, resource, principal, context, "
                   "resourceAccount", unknown[0])
    values: dict[str, str] = {}
    for name in ("action", "resource", "principal"):
        v = raw.get(name)
        if not isinstance(v, str) or not v:
            raise fail(f"{name} must be a non-empty string", name)
        values[name] = v
    if ":" not in values["action"]:
        raise fail("action must be service:Operation, e.g. kms:Decrypt", "action")
    ctx_raw = raw.get("context", {})
    if not isinstance(ctx_raw, Mapping):
        raise fail("context must be an object of condition keys to a string or a list of strings", "context")
    ctx: dict[str, str | tuple[str, ...]] = {}
    for k, v in ctx_raw.items():
        if isinstance(v, str):
            ctx[k] = v
        elif isinstance(v, bool):
            ctx[k] = "true" if v else "false"
        elif isinstance(v, list) and all(isinstance(x, str) for x in v):
            ctx[k] = tuple(v)
        else:
            raise fail("a context value must be a string or a list of strings", "context", k)
    account = raw.get("resourceAccount")
    if account is not None and (not isinstance(account, str) or not re.fullmatch(r"\d{12}", account)):
        raise fail("resourceAccount must be a 12-digit account id", "resourceAccount")
    return SimRequest(values["action"], values["resource"], values["principal"], ctx, account)


@dataclass(frozen=True)
class Outcome:
    decision: str
    matched: tuple[dict[str, Any], ...]
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"decision": self.decision, "matched": list(self.matched), "reason": self.reason}


class Parsed:
    """Parses policies and grants, caching them by their JSON text (a batch repeats them)."""

    def __init__(self) -> None:
        self._policies: dict[str, Any] = {}
        self._grants: dict[str, Any] = {}

    def policy(self, doc: Any, *, source: str, path: Sequence[str | int] = ()) -> Any:
        from kms_conformance.policy import PolicyError, parse_policy

        text = doc if isinstance(doc, str) else json.dumps(doc, sort_keys=True)
        cached = self._policies.get(text)
        if cached is None:
            try:
                cached = parse_policy(doc, origin=source)
            except PolicyError as exc:
                inner = [] if exc.path in ("", "$") else [exc.path]
                raise InputError(exc.message, source=source, path=json_path([*path, *inner])) from None
            self._policies[text] = cached
        return cached

    def grant(self, raw: Any, *, source: str, path: Sequence[str | int] = ()) -> Any:
        from kms_conformance.kms import parse_grant

        text = json.dumps(raw, sort_keys=True)
        cached = self._grants.get(text)
        if cached is None:
            try:
                cached = parse_grant(raw, key_arn=(raw.get("KeyId") or "*") if isinstance(raw, Mapping) else None)
            except ValueError as exc:
                raise InputError(str(exc), source=source, path=json_path(path)) from None
            self._grants[text] = cached
        return cached


def _lookup(ctx: Mapping[str, str | tuple[str, ...]], name: str) -> str | None:
    for k, v in ctx.items():
        if k.lower() == name.lower():
            return v if isinstance(v, str) else (v[0] if v else None)
    return None


def decide(req: SimRequest, resource_policy: Any, identity_policies: Sequence[Any], grants: Sequence[Any]) -> Outcome:
    """Decide one request: KMS's rule for a KMS key ARN, the general rule otherwise."""
    from dataclasses import replace

    from kms_conformance.kms import Key, KmsRequest, authorize
    from kms_conformance.policy import evaluate, make_request

    if re.fullmatch(r"\d{12}", req.principal):  # an account id stands for the account (its root)
        parts = req.resource.split(":")
        partition = parts[1] if len(parts) > 2 and parts[0] == "arn" and parts[1] else "aws"
        req = replace(req, principal=f"arn:{partition}:iam::{req.principal}:root")
    m = _KEY_ARN.match(req.resource)
    if m and req.action.lower().startswith("kms:"):
        ctx = req.context
        multi = _lookup(ctx, "kms:MultiRegion")
        key = Key(arn=req.resource, key_id=m.group(4), account=req.resource_account or m.group(3),
                  region=m.group(2), key_spec=_lookup(ctx, "kms:KeySpec") or "SYMMETRIC_DEFAULT",
                  key_usage=_lookup(ctx, "kms:KeyUsage") or "ENCRYPT_DECRYPT",
                  origin=_lookup(ctx, "kms:KeyOrigin") or "AWS_KMS",
                  multi_region=(multi == "true") if multi is not None else m.group(4).startswith("mrk-"),
                  policy=resource_policy)
        prefix = "kms:encryptioncontext:"
        enc = {k[len(prefix):]: v for k, v in ctx.items() if k.lower().startswith(prefix) and isinstance(v, str)}
        # a grant without KeyId ("*") applies to the requested key
        key_grants = [replace(g, key_arn=key.arn) for g in grants if g.key_arn in (key.arn, key.key_id, "*")]
        kreq = KmsRequest(operation=req.action.split(":", 1)[1], caller=req.principal, key=key,
                          encryption_context=enc, via_service=_lookup(ctx, "kms:ViaService"),
                          extra_context=dict(ctx))
        ev = authorize(kreq, identity_policies=identity_policies, grants=key_grants)
    else:
        request = make_request(req.action, req.resource, req.principal, dict(req.context),
                               resource_account=req.resource_account)
        ev = evaluate(request, resource_policy=resource_policy, identity_policies=identity_policies)
    matched = tuple({"policy": x.policy, "index": x.index, "sid": x.sid, "effect": x.effect} for x in ev.matched)
    return Outcome(ev.decision.value, matched, ev.reason)


# --- files and batches ----------------------------------------------------------------------------


def _load(path: str) -> Any:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", source=path) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", source=path) from None


def _one(args: argparse.Namespace, out: TextIO) -> int:
    parsed = Parsed()
    req = parse_request(_load(args.request), source=args.request)
    resource_policy = (parsed.policy(_load(args.resource_policy), source=args.resource_policy)
                       if args.resource_policy else None)
    identity = [parsed.policy(_load(p), source=p) for p in args.identity_policy]
    grants = [parsed.grant(_load(g), source=g) for g in args.grant]
    outcome = decide(req, resource_policy, identity, grants)
    if args.json:
        out.write(json.dumps(outcome.to_json()) + "\n")
    else:
        out.write(f"{outcome.decision}: {outcome.reason}\n")
        for m in outcome.matched:
            sid = f" Sid {m['sid']!r}" if m["sid"] is not None else ""
            out.write(f"  {m['policy']} Statement[{m['index']}]{sid}: {m['effect']}\n")
    return 0


def run_case(raw: Any, parsed: Parsed, source: str) -> Outcome:
    """One batch case (raises InputError naming the JSON path inside the line)."""
    if not isinstance(raw, Mapping):
        raise InputError("a case must be a JSON object with a request", source=source)
    unknown = sorted(set(raw) - {"request", "resourcePolicy", "identityPolicies", "grants"})
    if unknown:
        raise InputError(f"unknown field(s) {', '.join(unknown)}", source=source, path=unknown[0])
    if "request" not in raw:
        raise InputError("request is missing", source=source, path="request")
    req = parse_request(raw["request"], source=source, prefix=["request"])
    rp = raw.get("resourcePolicy")
    resource_policy = parsed.policy(rp, source=source, path=["resourcePolicy"]) if rp is not None else None
    ids = raw.get("identityPolicies", [])
    if not isinstance(ids, list):
        raise InputError("identityPolicies must be a list of policies", source=source, path="identityPolicies")
    identity = [parsed.policy(p, source=source, path=["identityPolicies", i]) for i, p in enumerate(ids)]
    gs = raw.get("grants", [])
    if not isinstance(gs, list):
        raise InputError("grants must be a list of grants", source=source, path="grants")
    grants = [parsed.grant(g, source=source, path=["grants", i]) for i, g in enumerate(gs)]
    return decide(req, resource_policy, identity, grants)


def run_batch(lines: Iterable[str], out: TextIO, *, source: str = "<batch>") -> int:
    """Decide every line; return the number of malformed lines."""
    parsed = Parsed()
    bad = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"not valid JSON: {exc.msg} (column {exc.colno})", source=source) from None
            result: dict[str, Any] = {"line": number, **run_case(raw, parsed, source).to_json()}
        except InputError as exc:
            bad += 1
            result = {"line": number, "error": f"{exc.path}: {exc.message}"}
        out.write(json.dumps(result) + "\n")
    return bad


def _batch(path: str, out: TextIO) -> int:
    if path == "-":
        bad = run_batch(sys.stdin, out, source="<stdin>")
    else:
        try:
            handle = open(path, encoding="utf-8")  # noqa: SIM115  (closed below; lines stream)
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", source=path) from None
        with handle:
            bad = run_batch(handle, out, source=path)
    if bad:
        print(f"kms-conformance: error: {path}: {bad} malformed line(s); see their \"error\" entries",
              file=sys.stderr)
        return 2
    return 0


def main(args: argparse.Namespace) -> int:
    if bool(args.request) == bool(args.batch):
        raise UsageError("give exactly one of --request REQ.json or --batch CASES.jsonl")
    if args.batch and (args.resource_policy or args.identity_policy or args.grant):
        raise UsageError("--batch takes the policies and grants from each line, not from options")
    if args.batch:
        return _batch(args.batch, sys.stdout)
    return _one(args, sys.stdout)
