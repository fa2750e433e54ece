"""``kms-conformance simulate``: decide one authorization request, or a batch of them, without AWS.

One request::

    kms-conformance simulate --request REQ.json [--resource-policy KP.json]
        [--identity-policy P.json ...] [--grant G.json ...] [--json]

``REQ.json`` is ``{"action": "kms:Decrypt", "resource": "arn:aws:kms:...:key/...", "principal":
"arn:...", "context": {"kms:ViaService": "...", "kms:EncryptionContext:k": "v", ...},
"resourceAccount": "..."}``; context values are strings or lists of strings. A principal is an
ARN, a service principal (``forecast.amazonaws.com``) or a 12-digit account id.

A KMS key resource (``arn:PARTITION:kms:REGION:ACCOUNT:key/KEY_ID``, the key id a UUID or an
``mrk-`` id: "Key identifiers (KeyId)", AWS KMS Developer Guide) is decided by KMS's rule
(:func:`kms_conformance.kms.authorize`: the key policy must allow, directly or by delegating to the
account's IAM policies; grants add their operations; explicit deny wins). Any other resource by
the general rule (:func:`kms_conformance.policy.evaluate`). For a KMS key, ``kms:KeySpec``,
``kms:KeyUsage``, ``kms:KeyOrigin`` and ``kms:MultiRegion`` in the context describe the key (default:
a symmetric encryption key), ``kms:ViaService`` says a service sends the request, and the
``kms:EncryptionContext:<key>`` entries are the request's encryption context (checked against
grant constraints).

Some requests no policy can allow: CreateAlias, UpdateAlias and DeleteAlias on an alias under
``alias/aws/`` (reserved for AWS managed keys; AWS answers NotAuthorizedException) are answered
``ImplicitlyDenied`` (``ExplicitlyDenied`` if a policy also denies) with that reason.

Where AWS documents nothing (``ForAnyValue:...IfExists`` on a key the request lacks; an operator
without set qualifier on a multivalued key), the answer keeps the kit's behaviour and adds a note
saying so (``notes`` in JSON, ``note:`` lines otherwise).

Batch::

    kms-conformance simulate --batch CASES.jsonl      (or - for standard input)

one JSON object a line: ``{"request": {...}, "resourcePolicy": {...}, "identityPolicies": [...],
"grants": [...]}`` (all but ``request`` optional). Writes one JSON line a case, in order:
``{"line": N, "decision": ..., "matched": [...], "reason": ...}``; a malformed line gives
``{"line": N, "error": "..."}`` and the other lines still run. The batch streams: a line is read,
decided and written before the next is read, and the parsed policies and grants are kept in a
bounded cache keyed by their content (the most recently used :data:`CACHE_SIZE` of each, from the
second time a policy is met: :class:`Parsed`), so a repeated policy is parsed only a few times and
memory stays flat whatever the number of lines.

Exit status: 0 when every request was decided (whatever the decision); 2 on bad usage, an
unreadable or malformed input file (one line naming the file and the JSON path), or a batch with
at least one malformed line (after all lines were written).
"""

from __future__ import annotations

import argparse
import gc
import json
import marshal
import sys
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TextIO

from kms_conformance import inputs
from kms_conformance import policy as _policy
from kms_conformance.arns import is_account_id, key_arn_parts, parse_alias_arn, parse_arn, root_arn
from kms_conformance.errors import InputError, UsageError, json_path
from kms_conformance.kms import Key, KmsRequest, authorize, parse_grant
from kms_conformance.kms.context import LazyPolicyContext
from kms_conformance.kms.operations import RESERVED_ALIAS_PREFIX
from kms_conformance.policy import PolicyError, evaluate, make_request, request_notes
from kms_conformance.policy.model import Request, builder

if TYPE_CHECKING:
    from kms_conformance.batch_progress import BatchProgress


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


_REQUEST_FIELDS = frozenset(("action", "resource", "principal", "context", "resourceAccount"))
#: ``SimRequest(...)``, ``Outcome(...)``, ``Key(...)`` and ``KmsRequest(...)`` without the frozen
#: dataclass's ``__init__`` (:func:`~kms_conformance.policy.model.builder`): the same values, for a
#: fraction of the cost, on a path that builds them for every line of a batch.
_new_sim_request = builder(SimRequest)


def _all_str(values: list[Any]) -> bool:
    """Are all values of the list of type ``str`` exactly (what JSON decoding gives)?"""
    for v in values:  # noqa: SIM110  (a loop is faster than all() over a generator)
        if type(v) is not str:
            return False
    return True


def parse_request(raw: Any, *, source: str, prefix: Sequence[str | int] = ()) -> SimRequest:
    """Check a request object; InputError names ``source`` and the JSON path of the defect."""
    def fail(message: str, *where: str | int) -> InputError:
        return InputError(message, source=source, path=json_path([*prefix, *where]))

    if type(raw) is not dict and not isinstance(raw, Mapping):
        raise fail("a request must be a JSON object with action, resource and principal")
    unknown = [] if raw.keys() <= _REQUEST_FIELDS else sorted(set(raw) - _REQUEST_FIELDS)
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
    if type(ctx_raw) is not dict and not isinstance(ctx_raw, Mapping):
        raise fail("context must be an object of condition keys to a string or a list of strings", "context")
    ctx: dict[str, str | tuple[str, ...]] = {}
    for k, v in ctx_raw.items():
        if type(v) is str or isinstance(v, str):
            ctx[k] = v
        elif isinstance(v, bool):
            ctx[k] = "true" if v else "false"
        elif isinstance(v, list) and (_all_str(v) or all(isinstance(x, str) for x in v)):
            ctx[k] = tuple(v)
        else:
            raise fail("a context value must be a string or a list of strings", "context", k)
    account = raw.get("resourceAccount")
    if account is not None and not is_account_id(account):
        raise fail("resourceAccount must be a 12-digit account id", "resourceAccount")
    return _new_sim_request(values["action"], values["resource"], values["principal"], ctx, account)


@dataclass(frozen=True)
class Outcome:
    """A decision as ``simulate`` prints it; ``notes`` name the conditions decided by behaviour
    AWS does not document (:mod:`kms_conformance.policy.undocumented`)."""

    decision: str
    matched: tuple[dict[str, Any], ...]
    reason: str
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"decision": self.decision, "matched": list(self.matched), "reason": self.reason}
        if self.notes:
            out["notes"] = list(self.notes)
        return out


#: How many parsed policies (and, separately, grants) a :class:`Parsed` keeps.
CACHE_SIZE = 512


def content_key(value: Any) -> bytes | tuple[str]:
    """A hashable key equal for two decoded JSON values exactly when they hold the same content:
    the same types (``1``, ``1.0`` and ``true`` differ), the same keys in the same order, the
    same values. ``marshal`` format 2 writes every object in full (no back-references, which
    later formats add according to reference counts), so equal content always gives equal bytes,
    and bytes read back as the value they came from, so different content never does; it is
    several times cheaper than ``repr``. A value marshal cannot write (a mapping that is not a
    dict) is keyed by its ``repr``, a key of another type."""
    try:
        return marshal.dumps(value, 2)
    except ValueError:
        return (repr(value),)


#: While :class:`Parsed` meets only new contents, it looks one in this many up (see its docstring).
SAMPLE_EVERY = 16


class Parsed:
    """Parses policies and grants, keeping the ``size`` most recently used of each, keyed by
    their content (a batch repeats them; a bounded cache keeps a long batch's memory flat).

    A policy or grant is kept from its second sighting on: the first time its content is met only
    its key is noted (the last ``4 * size`` such keys, across both kinds), and the parsed value is
    let go with the line. Most policies of a batch of fresh cases are met once; kept, each would
    stay alive for ``size`` more lines, be walked by the cyclic collector as it ages, and be freed
    long after, out of the processor's caches, when a newer one evicts it. Let go with its line,
    reference counting frees it at once. On generated fresh lines (``benchmarks/bench_batch.py``)
    that made ``run_batch`` 1.05-1.24x faster (median 1.12x, seven alternating pairs). A policy that
    recurs is parsed twice, then served from the cache (but see the next paragraph).

    A content key costs a walk of the whole value (``marshal``, about 8% of a fresh case). Once
    ``4 * size`` contents in a row were new (the noted keys turned over without one recurring), the
    batch is taken to be one of fresh policies: only one lookup in :data:`SAMPLE_EVERY` computes its
    key (and notes it); the others are parsed without one. The first sampled lookup that finds its
    content cached or noted ends that, so a batch whose policies start to recur is served from the
    cache again within about ``2 * SAMPLE_EVERY`` lookups. Decisions never depend on it: a parsed
    policy is the same value whether it came from the cache or not."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._policies: OrderedDict[tuple[str, Any], Any] = OrderedDict()
        self._grants: OrderedDict[Any, Any] = OrderedDict()
        self._met_once: OrderedDict[Any, None] = OrderedDict()
        self._noted = 4 * size  # how many keys of contents met once are noted; as many new in a row start sampling
        self.parses = 0
        self._new_in_a_row = 0  # contents met in a row for the first time (lookups that computed a key)
        self._unsampled = 0  # lookups since the last one that computed its key, while sampling

    def _skip_key(self) -> bool:
        """Whether this lookup goes without a key (only new contents met lately; not its turn)."""
        if self._new_in_a_row < self._noted:
            return False
        self._unsampled += 1
        if self._unsampled < SAMPLE_EVERY:
            return True
        self._unsampled = 0
        return False

    def _found(self, cache: OrderedDict[Any, Any], key: Any) -> Any:
        """The cached value under ``key`` (made the most recently used), or None."""
        cached = cache.get(key)
        if cached is not None:
            cache.move_to_end(key)
            self._new_in_a_row = 0
        return cached

    def _remember(self, cache: OrderedDict[Any, Any], key: Any, value: Any) -> None:
        """Keep ``value`` under ``key`` if its content was met before (see the class docstring)."""
        met = self._met_once
        if key not in met:
            met[key] = None
            if len(met) > self._noted:
                met.popitem(last=False)
            self._new_in_a_row += 1
            return
        del met[key]
        self._new_in_a_row = 0
        cache[key] = value
        if len(cache) > self.size:
            cache.popitem(last=False)

    def policy(self, doc: Any, *, source: str, path: Sequence[str | int] = (),
               resource_based: bool | None = None) -> Any:
        """The parsed policy of ``doc``. ``resource_based`` True or False also checks that its
        statements' principal elements fit that kind of policy
        (:func:`~kms_conformance.policy.principal_element_problem`); None does not."""
        key = None
        parsed = None
        if not self._skip_key():
            # JSON text is kept apart from decoded values, and the source is part of the key because
            # it names the parsed policy.
            key = (source, doc if isinstance(doc, str) else content_key(doc))
            parsed = self._found(self._policies, key)
        if parsed is None:
            try:
                parsed = _policy.parse_policy(doc, origin=source)  # looked up here: tests count the parses
            except PolicyError as exc:
                inner = [] if exc.path in ("", "$") else [exc.path]
                raise InputError(exc.message, source=source, path=json_path([*path, *inner])) from None
            self.parses += 1
            if key is not None:
                self._remember(self._policies, key, parsed)
        if resource_based is not None:
            problem = _policy.principal_element_problem(parsed, resource_based=resource_based)
            if problem is not None:
                raise InputError(problem[1], source=source, path=json_path([*path, problem[0]]))
        return parsed

    def grant(self, raw: Any, *, source: str, path: Sequence[str | int] = ()) -> Any:
        key = None
        if not self._skip_key():
            key = content_key(raw)
            cached = self._found(self._grants, key)
            if cached is not None:
                return cached
        try:
            parsed = parse_grant(raw, key_arn=(raw.get("KeyId") or "*") if isinstance(raw, Mapping) else None)
        except ValueError as exc:
            raise InputError(str(exc), source=source, path=json_path(path)) from None
        if key is not None:
            self._remember(self._grants, key, parsed)
        return parsed

    def __len__(self) -> int:
        return len(self._policies) + len(self._grants)


def _lookup(lowered: Mapping[str, str | tuple[str, ...]], name: str) -> str | None:
    """The (first) value of a context key; ``lowered`` is the context by lower-case key name
    (:func:`_lowered_and_encryption_context`), ``name`` in lower case."""
    v = lowered.get(name)
    if v is None:
        return None
    return v if isinstance(v, str) else (v[0] if v else None)


_ENCRYPTION_CONTEXT = "kms:encryptioncontext:"


def _lowered_and_encryption_context(
        ctx: Mapping[str, str | tuple[str, ...]]) -> tuple[dict[str, str | tuple[str, ...]], dict[str, str]]:
    """The context by lower-case key name (of keys differing only in case, the first written wins),
    and its ``kms:EncryptionContext:<key>`` entries with a string value as the request's
    encryption context (``<key>`` as written; of keys written twice, the last), in one pass."""
    lowered: dict[str, str | tuple[str, ...]] = {}
    enc: dict[str, str] = {}
    n = len(_ENCRYPTION_CONTEXT)
    for k, v in ctx.items():
        low = k.lower()
        if low not in lowered:
            lowered[low] = v
        if low.startswith(_ENCRYPTION_CONTEXT) and isinstance(v, str):
            enc[k[n:]] = v
    return lowered, enc


_ALIAS_CHANGES = ("kms:createalias", "kms:updatealias", "kms:deletealias")


def reserved_alias(req: SimRequest) -> str | None:
    """The alias name when the request creates, repoints or deletes an alias under ``alias/aws/``
    (an alias ARN or an alias name as the resource); None otherwise. CreateAlias API Reference
    (AliasName): such names are reserved for AWS managed keys, so no policy can allow these
    requests."""
    if req.action.lower() not in _ALIAS_CHANGES:
        return None
    alias_arn = parse_alias_arn(req.resource)
    name = alias_arn.resource if alias_arn is not None else req.resource
    return name if name.startswith(RESERVED_ALIAS_PREFIX) else None


def _refuse_reserved(outcome: Outcome, action: str, alias: str) -> Outcome:
    why = (f"{alias} is reserved for AWS managed keys: AWS refuses {action} on it (NotAuthorizedException) "
           "whatever the policies say")
    if outcome.decision == "ExplicitlyDenied":
        return Outcome(outcome.decision, outcome.matched, f"{outcome.reason}; besides, {why}", outcome.notes)
    if outcome.decision == "Allowed":
        why += " (the policies alone would allow it)"
    return Outcome("ImplicitlyDenied", (), why, outcome.notes)


_new_outcome = builder(Outcome)
_new_key = builder(Key)
_new_kms_request = builder(KmsRequest)
_new_request = builder(Request)


def _as_account_root(req: SimRequest) -> SimRequest:
    """An account id as the principal stands for the account (its root user)."""
    if not is_account_id(req.principal):
        return req
    resource = parse_arn(req.resource)
    return replace(req, principal=root_arn(resource.partition if resource is not None else "aws", req.principal))


def _kms_request(req: SimRequest, resource_policy: Any) -> tuple[KmsRequest, Request] | None:
    """For an action of KMS on a KMS key ARN: the request in KMS's terms (the key's properties from
    the ``kms:`` keys of the context, or their defaults) and the request the key policy is evaluated
    against, whose condition keys are computed only as far as conditions read them; None otherwise."""
    key_arn = key_arn_parts(req.resource) if req.action[:4].lower() == "kms:" else None
    if key_arn is None:
        return None
    ctx = req.context
    lowered, enc = _lowered_and_encryption_context(ctx)
    multi = _lookup(lowered, "kms:multiregion")
    region, account, key_id = key_arn
    key = _new_key(arn=req.resource, key_id=key_id, account=req.resource_account or account,
                   region=region, key_spec=_lookup(lowered, "kms:keyspec") or "SYMMETRIC_DEFAULT",
                   key_usage=_lookup(lowered, "kms:keyusage") or "ENCRYPT_DECRYPT",
                   origin=_lookup(lowered, "kms:keyorigin") or "AWS_KMS",
                   multi_region=(multi == "true") if multi is not None else key_id.startswith("mrk-"),
                   policy=resource_policy)
    kreq = _new_kms_request(operation=req.action.split(":", 1)[1], caller=req.principal, key=key,
                            encryption_context=enc, via_service=_lookup(lowered, "kms:viaservice"),
                            extra_context=dict(ctx))
    # policy_request(kreq), its condition keys computed only as far as conditions read them
    return kreq, _new_request(kreq.action, key.arn, kreq.caller, LazyPolicyContext(kreq), key.account)


def evaluation_context(req: SimRequest) -> dict[str, tuple[str, ...]]:
    """The whole context :func:`decide` evaluates ``req``'s conditions against, names case-folded:
    the keys the request gives, and those AWS sets that the kit derives from the principal
    (``aws:PrincipalArn``, ``aws:PrincipalAccount``...) and, for KMS, from the request and the key
    (``kms:CallerAccount``, ``kms:EncryptionContextKeys``, ``kms:GrantIsForAWSResource``...). For
    comparing the kit with an evaluator that does not derive them: given this context, it decides
    the same conditions."""
    req = _as_account_root(req)
    kms = _kms_request(req, None)
    if kms is not None:
        return dict(kms[1].context)
    return dict(make_request(req.action, req.resource, req.principal, req.context,
                             resource_account=req.resource_account).context)


def decide(req: SimRequest, resource_policy: Any, identity_policies: Sequence[Any], grants: Sequence[Any]) -> Outcome:
    """Decide one request: KMS's rule for a KMS key ARN, the general rule otherwise; a request
    on a reserved alias is never allowed (:func:`reserved_alias`)."""
    req = _as_account_root(req)
    kms = _kms_request(req, resource_policy)
    request: Request
    if kms is not None:
        kreq, request = kms
        key = kreq.key
        # a grant without KeyId ("*") applies to the requested key
        key_grants = [g if g.key_arn == key.arn else replace(g, key_arn=key.arn)
                      for g in grants if g.key_arn in (key.arn, key.key_id, "*")]
        ev = authorize(kreq, identity_policies=identity_policies, grants=key_grants, request=request)
    else:
        request = make_request(req.action, req.resource, req.principal, req.context,  # read, not kept
                               resource_account=req.resource_account)
        ev = evaluate(request, resource_policy=resource_policy, identity_policies=identity_policies)
    policies = [(p, False) for p in identity_policies]
    if resource_policy is not None:
        policies.insert(0, (resource_policy, True))
    notes = request_notes(policies, request)
    matched = tuple([{"policy": x.policy, "index": x.index, "sid": x.sid, "effect": x.effect} for x in ev.matched])
    outcome = _new_outcome(ev.decision.value, matched, ev.reason, notes)
    alias = reserved_alias(req)
    return outcome if alias is None else _refuse_reserved(outcome, req.action, alias)


# --- files and batches ----------------------------------------------------------------------------


def _load(path: str) -> Any:
    return inputs.load_json(path)


def _one(args: argparse.Namespace, out: TextIO) -> int:
    parsed = Parsed()
    req = parse_request(_load(args.request), source=args.request)
    resource_policy = (parsed.policy(_load(args.resource_policy), source=args.resource_policy, resource_based=True)
                       if args.resource_policy else None)
    identity = [parsed.policy(_load(p), source=p, resource_based=False) for p in args.identity_policy]
    grants = [parsed.grant(_load(g), source=g) for g in args.grant]
    outcome = decide(req, resource_policy, identity, grants)
    if args.json:
        out.write(json.dumps(outcome.to_json()) + "\n")
    else:
        out.write(f"{outcome.decision}: {outcome.reason}\n")
        for m in outcome.matched:
            sid = f" Sid {m['sid']!r}" if m["sid"] is not None else ""
            out.write(f"  {m['policy']} Statement[{m['index']}]{sid}: {m['effect']}\n")
        for note in outcome.notes:
            out.write(f"  note: {note}\n")
    return 0


_CASE_FIELDS = frozenset(("request", "resourcePolicy", "identityPolicies", "grants"))


def run_case(raw: Any, parsed: Parsed, source: str) -> Outcome:
    """One batch case (raises InputError naming the JSON path inside the line)."""
    if type(raw) is not dict and not isinstance(raw, Mapping):
        raise InputError("a case must be a JSON object with a request", source=source)
    unknown = [] if raw.keys() <= _CASE_FIELDS else sorted(set(raw) - _CASE_FIELDS)
    if unknown:
        raise InputError(f"unknown field(s) {', '.join(unknown)}", source=source, path=unknown[0])
    if "request" not in raw:
        raise InputError("request is missing", source=source, path="request")
    req = parse_request(raw["request"], source=source, prefix=["request"])
    rp = raw.get("resourcePolicy")
    resource_policy = (parsed.policy(rp, source=source, path=["resourcePolicy"], resource_based=True)
                       if rp is not None else None)
    ids = raw.get("identityPolicies", [])
    if not isinstance(ids, list):
        raise InputError("identityPolicies must be a list of policies", source=source, path="identityPolicies")
    identity = [parsed.policy(p, source=source, path=["identityPolicies", i], resource_based=False)
                for i, p in enumerate(ids)]
    gs = raw.get("grants", [])
    if not isinstance(gs, list):
        raise InputError("grants must be a list of grants", source=source, path="grants")
    grants = [parsed.grant(g, source=source, path=["grants", i]) for i, g in enumerate(gs)]
    return decide(req, resource_policy, identity, grants)


def run_batch(lines: Iterable[str | bytes], out: TextIO, *, source: str = "<batch>",
              parsed: Parsed | None = None, progress: BatchProgress | None = None) -> int:
    """Decide every line, one at a time (reading, deciding and writing it before the next);
    return the number of malformed lines (a line that is not UTF-8 or not JSON is one).
    ``parsed`` is the cache of parsed policies (a new bounded one by default); ``progress`` is
    told the number of lines read every 256 lines, and the total at the end."""
    parsed = Parsed() if parsed is None else parsed
    with collector_set_for_batch():
        return _run_lines(lines, out, source, parsed, progress)


@contextmanager
def collector_set_for_batch() -> Iterator[None]:
    """What is alive when the batch starts (modules, the operator tables, the caller's data)
    outlives it: keep the cyclic collector from walking it again and again (``gc.freeze``), and
    let it run once 100,000 container objects more are alive, rather than 700. A line allocates
    hundreds and reference counting frees all but what the bounded memo caches keep (about
    75,000 objects once full); deciding creates no reference cycles, so at the default threshold
    the collector ran several times a line and found nothing. Restored afterwards. No collection
    first: what is garbage now is collected after the batch. A program that had frozen objects itself
    (``gc.freeze`` before it forks workers, say) finds them still frozen: Python can only unfreeze
    everything, so the batch's survivors then stay frozen with them (reference counting still frees
    them)."""
    thresholds = gc.get_threshold()
    host_froze = gc.get_freeze_count() > 0
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        # What the batch left alive (its parsed policies, the memo caches) joins the oldest
        # generation with the rest (frozen, then unfrozen: both move lists, walking nothing)
        # rather than being walked by a young collection as soon as the threshold is restored.
        gc.freeze()
        gc.set_threshold(*thresholds)
        if not host_froze:
            gc.unfreeze()


def _run_lines(lines: Iterable[str | bytes], out: TextIO, source: str, parsed: Parsed,
               progress: BatchProgress | None) -> int:
    bad = number = 0
    for number, line in enumerate(lines, start=1):
        if progress is not None and not number & 255:
            progress(number)
        if not line or line.isspace():  # what strip() would leave empty, without copying the line
            continue
        try:
            text = inputs.decode(line, source) if isinstance(line, bytes) else line
            raw = inputs.parse_json(text, source)
            result: dict[str, Any] = {"line": number, **run_case(raw, parsed, source).to_json()}
        except InputError as exc:
            bad += 1
            result = {"line": number, "error": f"{exc.path}: {exc.message}"}
        out.write(json.dumps(result) + "\n")
    if progress is not None:
        progress.finish(number)
    return bad


def _batch(path: str, out: TextIO, quiet: bool) -> int:
    from kms_conformance.batch_progress import BatchProgress

    progress = None if quiet else BatchProgress()
    if path == "-":
        bad = run_batch(getattr(sys.stdin, "buffer", sys.stdin), out, source="<stdin>", progress=progress)
    else:
        inputs.check_regular(path, max_bytes=None)  # a batch streams: any length
        try:
            handle = open(path, "rb")  # noqa: SIM115  (closed below; lines stream)
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", source=path) from None
        with handle:
            bad = run_batch(handle, out, source=path, progress=progress)
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
        return _batch(args.batch, sys.stdout, getattr(args, "quiet", 0) > 0)
    return _one(args, sys.stdout)
