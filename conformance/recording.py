"""What a user's own boto3 code sends, recorded and checked against the pages' rules.

:func:`record` (``kms_conformance.record()``; the ``kms_record`` fixture in pytest) observes every
AWS call the process makes through botocore while it is open: the parameters as the code passed
them, the response (or the error), and the access key that signed it. It changes nothing and sends
nothing, so it works on any target: moto, a moto server, LocalStack, real AWS.

:meth:`Recording.setups` reads the calls as the kit's setups (:mod:`kms_conformance.setup`), one
per service request, with the translation the CloudFormation and Terraform readers share
(:func:`kms_conformance.iac.translate.build_setup`):

* keys from ``kms:CreateKey`` (its ``Policy``, or the default key policy when it has none), the
  ARN from its response; ``kms:PutKeyPolicy`` replaces a key's policy, ``kms:CreateAlias`` names
  it, ``kms:DisableKey`` / ``kms:EnableKey`` set its state; a key id, key ARN or alias a later
  call uses is resolved to the key's ARN;
* identity policies from ``iam:PutRolePolicy`` (inline), ``iam:CreatePolicy`` +
  ``iam:AttachRolePolicy`` (managed), for the roles of ``iam:CreateRole``;
* grants from ``kms:CreateGrant``;
* the service request from ``sagemaker:CreateFeatureGroup``, ``forecast:CreateDataset`` /
  ``CreatePredictor``, ``mwaa:CreateEnvironment`` (one setup each), and the OpenSearch
  Serverless ``CreateSecurityPolicy`` / ``UpdateSecurityPolicy`` / ``CreateCollection`` calls
  (one setup for all of them);
* the caller of a request: the role whose ``sts:AssumeRole`` issued the access key that signed it,
  or the identity ``sts:GetCallerIdentity`` answered for that key; else the account's ``Admin``
  role, as ``check`` assumes.

:func:`check_recording` runs the config rules on each setup (:func:`kms_conformance.check.check_setup`)
and names the call that broke a rule: the service request for a rule of its page, the
``CreateKey`` / ``PutKeyPolicy`` calls of the key a KMS rule's reason names.

Hook: botocore event handlers (``before-parameter-build``, ``before-call``, ``after-call``,
``after-call-error``), registered once as built-in handlers of every botocore session created
after this module is imported (the list ``botocore.handlers.BUILTIN_HANDLERS`` each new session
copies, which moto uses too), and on boto3's default session when a recording starts. They do
nothing while no recording is open. A client built before this module was imported, from another
session than boto3's default one, is not observed: build clients inside the recording (or pass
them to :meth:`Recording.watch`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from kms_conformance.arns import parse_key_arn, role_arn
from kms_conformance.check import Finding, check_setup, ok
from kms_conformance.iac.translate import (
    AliasDecl,
    Context,
    Decl,
    KeyDecl,
    PolicyAttachment,
    RoleDecl,
    ServiceCall,
    build_setup,
)
from kms_conformance.setup import Setup, parse_setup

__all__ = ["Call", "CallFinding", "RecordedSetup", "Recording", "check_recording", "format_call_findings",
           "nothing_recorded", "record", "recorded_setups"]

#: (boto3 service, operation) -> (setup service, several in one setup)
SERVICE_REQUESTS: Mapping[tuple[str, str], tuple[str, bool]] = {
    ("sagemaker", "CreateFeatureGroup"): ("feature-store", False),
    ("forecast", "CreateDataset"): ("forecast", False),
    ("forecast", "CreatePredictor"): ("forecast", False),
    ("mwaa", "CreateEnvironment"): ("mwaa", False),
    ("opensearchserverless", "CreateSecurityPolicy"): ("opensearch-serverless", True),
    ("opensearchserverless", "UpdateSecurityPolicy"): ("opensearch-serverless", True),
    ("opensearchserverless", "CreateCollection"): ("opensearch-serverless", True),
}
_MARK = "kms_conformance_call"
_HANDLER_ID = "kms-conformance-record"


@dataclass(frozen=True)
class Call:
    """One AWS call as the code sent it: ``index`` counts from 1 in the recording."""

    index: int
    service: str
    operation: str
    params: Mapping[str, Any]
    response: Mapping[str, Any] | None = None
    error: str | None = None
    access_key: str | None = None
    region: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.response is not None

    @property
    def label(self) -> str:
        """``sagemaker:CreateFeatureGroup (call 4)``."""
        return f"{self.service}:{self.operation} (call {self.index})"


@dataclass(frozen=True)
class RecordedSetup:
    """A setup read from the recording, with the calls each of its parts came from."""

    setup: Setup
    requests: tuple[Call, ...]
    key_calls: Mapping[str, tuple[Call, ...]] = field(default_factory=dict)  # key ARN -> its calls


@dataclass(frozen=True)
class CallFinding:
    """A finding of a recorded setup and the calls that made it."""

    finding: Finding
    calls: tuple[Call, ...]

    @property
    def text(self) -> str:
        """``FS-06 fails: sagemaker:CreateFeatureGroup (call 4): <reason>`` (one line a reason)."""
        f = self.finding
        verb = "warns" if f.status == "violated" and f.rule.severity == "should" else (
            "fails" if f.status == "violated" else "could not be checked")
        where = ", ".join(c.label for c in self.calls) or "the recorded calls"
        reasons = f.reasons or ("(no reason given)",)
        return "\n".join(f"{f.rule.id} {verb}: {where}: {reason}" for reason in reasons)


class Recording:
    """The calls observed while the recording was open, in the order they were sent."""

    def __init__(self) -> None:
        self._calls: list[Call] = []
        self._lock = threading.Lock()

    @property
    def calls(self) -> tuple[Call, ...]:
        with self._lock:
            return tuple(self._calls)

    def add(self, service: str, operation: str, params: Mapping[str, Any], *, response: Mapping[str, Any] | None,
            error: str | None, access_key: str | None, region: str | None) -> Call:
        with self._lock:
            call = Call(len(self._calls) + 1, service, operation, params, response, error, access_key, region)
            self._calls.append(call)
            return call

    def watch(self, client: Any) -> None:
        """Observe a client built before the hook was installed."""
        _register(client.meta.events)

    def setups(self, *, account: str | None = None, region: str | None = None) -> tuple[RecordedSetup, ...]:
        """The recording as setups, one per service request (see the module docstring)."""
        return recorded_setups(self.calls, account=account, region=region)

    def __len__(self) -> int:
        return len(self.calls)


# -- the hook ---------------------------------------------------------------------------------

_ACTIVE: list[Recording] = []
_ACTIVE_LOCK = threading.Lock()


def _plain(value: Any) -> Any:
    """A JSON-like copy (dicts, lists, scalars, bytes); streams and other objects are left out."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool | bytes) or value is None:
        return value
    return str(value) if hasattr(value, "isoformat") else None


def _on_params(params: Any = None, model: Any = None, context: Any = None, **_: Any) -> None:
    if not _ACTIVE or context is None or _MARK in context or model is None:
        return
    context[_MARK] = {"service": model.service_model.service_name, "operation": model.name,
                      "params": _plain(params or {})}


def _on_before_call(request_signer: Any = None, context: Any = None, **_: Any) -> None:
    pending = context.get(_MARK) if isinstance(context, dict) else None
    if pending is None or "access_key" in pending:
        return
    creds = getattr(request_signer, "_credentials", None)
    pending["access_key"] = getattr(creds, "access_key", None) if creds is not None else None
    pending["region"] = getattr(request_signer, "_region_name", None)


def _finish(context: Any, response: Any, error: str | None) -> None:
    pending = context.pop(_MARK, None) if isinstance(context, dict) else None
    if pending is None:
        return
    if error is None and isinstance(response, Mapping) and "Error" in response:
        error = str(response["Error"].get("Code") or "Error")
    with _ACTIVE_LOCK:
        recordings = list(_ACTIVE)
    for recording in recordings:
        recording.add(pending["service"], pending["operation"], pending["params"],
                      response=None if error else _plain(response or {}), error=error,
                      access_key=pending.get("access_key"), region=pending.get("region"))


def _on_after_call(parsed: Any = None, context: Any = None, **_: Any) -> None:
    _finish(context, parsed, None)


def _on_after_call_error(exception: Any = None, context: Any = None, **_: Any) -> None:
    _finish(context, None, type(exception).__name__ if exception is not None else "Error")


_HANDLERS = (("before-parameter-build", _on_params), ("before-call", _on_before_call),
             ("after-call", _on_after_call), ("after-call-error", _on_after_call_error))


def _register(events: Any) -> None:
    for event, handler in _HANDLERS:
        events.register(event, handler, unique_id=f"{_HANDLER_ID}-{event}")


def _install() -> None:
    """Every botocore session created from now on carries the handlers (idle without a recording)."""
    from botocore.handlers import BUILTIN_HANDLERS

    for spec in _HANDLERS:
        if spec not in BUILTIN_HANDLERS:
            BUILTIN_HANDLERS.append(spec)


_install()


@contextmanager
def record() -> Iterator[Recording]:
    """Record the AWS calls the process makes through botocore inside the block.

    >>> import kms_conformance
    >>> with kms_conformance.record() as calls:
    ...     pass
    >>> len(calls)
    0
    """
    import boto3

    default = boto3.DEFAULT_SESSION
    if default is not None:
        _register(default._session)
    recording = Recording()
    with _ACTIVE_LOCK:
        _ACTIVE.append(recording)
    try:
        yield recording
    finally:
        with _ACTIVE_LOCK:
            _ACTIVE.remove(recording)


# -- calls -> setups ----------------------------------------------------------------------------

def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class _Reader:
    """The state the calls build, in their order."""

    def __init__(self, calls: Sequence[Call]) -> None:
        self.keys: dict[str, dict[str, Any]] = {}  # key ARN -> KeyDecl fields
        self.key_calls: dict[str, list[Call]] = {}
        self.aliases: list[tuple[Call, str, str]] = []
        self.roles: dict[str, tuple[str, list[Any]]] = {}  # role name -> (ARN, inline policies)
        self.managed: dict[str, Any] = {}  # policy ARN -> document
        self.attachments: list[tuple[Call, str, str]] = []  # (call, role name, policy ARN)
        self.grants: list[dict[str, Any]] = []
        self.callers: dict[str, str] = {}  # access key -> principal ARN
        self.requests: list[Call] = []
        for call in calls:
            self._read(call)

    def key_arn(self, ref: Any) -> str | None:
        if not isinstance(ref, str):
            return None
        for arn in self.keys:
            if ref in (arn, arn.rsplit("/", 1)[-1]):
                return arn
        for _, alias, target in self.aliases:
            if ref == alias or ref.endswith(f":{alias}"):
                return target
        return None

    def _read(self, call: Call) -> None:
        op, p, r = f"{call.service}:{call.operation}", call.params, call.response or {}
        if (call.service, call.operation) in SERVICE_REQUESTS:
            self.requests.append(call)
        elif not call.ok:
            return
        elif op == "kms:CreateKey":
            meta = r.get("KeyMetadata", {})
            arn = str(meta.get("Arn", ""))
            if parse_key_arn(arn) is None:
                return
            spec = p.get("KeySpec") or p.get("CustomerMasterKeySpec") or "SYMMETRIC_DEFAULT"
            self.keys[arn] = {"policy": _json(p.get("Policy")), "key_spec": str(spec),
                              "key_usage": str(p.get("KeyUsage") or "ENCRYPT_DECRYPT"),
                              "multi_region": bool(p.get("MultiRegion", False)),
                              "origin": str(p.get("Origin") or "AWS_KMS")}
            self.key_calls[arn] = [call]
        elif op in ("kms:PutKeyPolicy", "kms:DisableKey", "kms:EnableKey"):
            target = self.key_arn(p.get("KeyId"))
            if target is None:
                return
            if op == "kms:PutKeyPolicy":
                self.keys[target]["policy"] = _json(p.get("Policy"))
            else:
                self.keys[target]["enabled"] = op == "kms:EnableKey"
            self.key_calls[target].append(call)
        elif op == "kms:CreateAlias":
            target = self.key_arn(p.get("TargetKeyId"))
            if target is not None:
                self.aliases.append((call, str(p.get("AliasName")), target))
        elif op == "kms:CreateGrant":
            target = self.key_arn(p.get("KeyId"))
            if target is not None:
                self.grants.append({**p, "KeyId": target})
                self.key_calls[target].append(call)
        elif op == "iam:CreateRole":
            self.roles[str(p.get("RoleName"))] = (str(r.get("Role", {}).get("Arn", "")), [])
        elif op == "iam:PutRolePolicy" and str(p.get("RoleName")) in self.roles:
            self.roles[str(p.get("RoleName"))][1].append(_json(p.get("PolicyDocument")))
        elif op == "iam:CreatePolicy":
            self.managed[str(r.get("Policy", {}).get("Arn", ""))] = _json(p.get("PolicyDocument"))
        elif op == "iam:AttachRolePolicy":
            self.attachments.append((call, str(p.get("RoleName")), str(p.get("PolicyArn"))))
        elif op == "sts:AssumeRole":
            key = r.get("Credentials", {}).get("AccessKeyId")
            if key:
                self.callers[str(key)] = str(p.get("RoleArn"))
        elif op == "sts:GetCallerIdentity" and call.access_key:
            self.callers.setdefault(call.access_key, str(r.get("Arn", "")))

    def decls(self, keys: set[str]) -> list[Decl]:
        """The keys of ``keys`` (those a request names), their aliases, the roles and their policies."""
        out: list[Decl] = []
        for i, (arn, k) in enumerate(self.keys.items()):
            if arn not in keys:
                continue
            out.append(KeyDecl(name=f"key{i}", arn=arn, policy=k["policy"], key_spec=k["key_spec"],
                               key_usage=k["key_usage"], multi_region=k["multi_region"],
                               enabled=k.get("enabled", True), origin=k["origin"]))
        out.extend(AliasDecl(name=call.label, alias_name=alias, target=target)
                   for call, alias, target in self.aliases if target in keys)
        out.extend(RoleDecl(name=name, arn=arn, role_name=name, policies=tuple(policies))
                   for name, (arn, policies) in self.roles.items() if arn)
        out.extend(PolicyAttachment(name=call.label, document=self.managed[policy], roles=(role,))
                   for call, role, policy in self.attachments if policy in self.managed)
        return out


def _context(calls: Sequence[Call], reader: _Reader, request: Call, account: str | None,
             region: str | None) -> Context:
    arn = next(iter(reader.keys), None)
    parsed = parse_key_arn(arn) if arn else None
    acct = account or (parsed.account if parsed else None) or next(
        (c.response.get("Account") for c in calls if c.operation == "GetCallerIdentity" and c.response), None)
    acct = str(acct or "111122223333")
    reg = region or request.region or (parsed.region if parsed else None) or "us-east-1"
    caller = reader.callers.get(request.access_key or "")
    if caller and ":assumed-role/" in caller:  # arn:aws:sts::A:assumed-role/ROLE/SESSION -> the role
        head, _, path = caller.partition(":assumed-role/")
        caller = role_arn(head.split(":")[1], head.split(":")[4], path.split("/")[0])
    return Context(account=acct, region=reg, caller=caller or role_arn("aws", acct, "Admin"),
                   service=SERVICE_REQUESTS[(request.service, request.operation)][0])


def recorded_setups(calls: Sequence[Call], *, account: str | None = None,
                    region: str | None = None) -> tuple[RecordedSetup, ...]:
    """The setups the calls describe: one per service request (all OpenSearch Serverless requests
    in one). A request the setup format refuses is an :class:`~kms_conformance.errors.InputError`
    naming the call."""
    reader = _Reader(calls)
    groups: list[list[Call]] = []
    shared: dict[str, list[Call]] = {}
    for call in reader.requests:
        service, many = SERVICE_REQUESTS[(call.service, call.operation)]
        if many:
            if service not in shared:
                shared[service] = []
                groups.append(shared[service])
            shared[service].append(call)
        else:
            groups.append([call])
    out = []
    for group in groups:
        ctx = _context(calls, reader, group[0], account, region)
        named = json.dumps([c.params for c in group], default=str)
        keys = {arn for arn in reader.keys if arn in named or arn.rsplit("/", 1)[-1] in named} | {
            target for _, alias, target in reader.aliases if f'"{alias}"' in named or f"{alias}\"" in named}
        base = reader.decls(keys)
        decls = [*base, *(ServiceCall(c.label, c.operation, ctx.service or "", c.operation, c.params,
                                      many=SERVICE_REQUESTS[(c.service, c.operation)][1]) for c in group)]
        source = ", ".join(c.label for c in group)
        setup, _ = build_setup(decls, ctx, source=source)
        grants = [g for g in reader.grants if g["KeyId"] in keys]
        if grants:
            setup = parse_setup({**setup.raw, "grants": grants}, source=source)
        out.append(RecordedSetup(setup, tuple(group),
                                 {arn: tuple(cs) for arn, cs in reader.key_calls.items() if arn in keys}))
    return tuple(out)


def check_recording(recording: Recording | Sequence[Call], *, rules: Sequence[Any] | None = None,
                    account: str | None = None, region: str | None = None) -> tuple[CallFinding, ...]:
    """Every config rule of each recorded setup, each finding with the calls that made it."""
    calls = recording.calls if isinstance(recording, Recording) else tuple(recording)
    out: list[CallFinding] = []
    for rec in recorded_setups(calls, account=account, region=region):
        for finding in check_setup(rec.setup, rules):
            out.append(CallFinding(finding, _blame(finding, rec)))
    return tuple(out)


def _blame(finding: Finding, rec: RecordedSetup) -> tuple[Call, ...]:
    """The service request for a rule of its page; for a KMS rule the calls of the keys its
    reasons name (every recorded key's, when they name none)."""
    if finding.rule.service == rec.setup.service:
        return rec.requests
    text = " ".join(finding.reasons)
    named = [arn for arn in rec.key_calls if arn in text or arn.rsplit("/", 1)[-1] in text]
    return tuple(c for arn in (named or list(rec.key_calls)) for c in rec.key_calls[arn])


def format_call_findings(findings: Sequence[CallFinding], *, strict: bool = False) -> str:
    """The findings that fail (``strict``: and the violated ``should`` rules), one line a reason,
    then a summary line."""
    bad = [f for f in findings if f.finding.fails or (strict and f.finding.status == "violated")]
    lines = [f.text for f in bad]
    verdict = "OK" if ok([f.finding for f in findings]) and not bad else "FAILED"
    lines.append(f"{len(findings)} rule finding(s) on the recorded calls, {len(bad)} failing: {verdict}")
    return "\n".join(lines)


def nothing_recorded(recording: Recording | Sequence[Call]) -> str | None:
    """Why a recording cannot be checked (no service request among its calls), or None."""
    calls = recording.calls if isinstance(recording, Recording) else tuple(recording)
    if any((c.service, c.operation) in SERVICE_REQUESTS for c in calls):
        return None
    wanted = ", ".join(f"{s}:{o}" for s, o in SERVICE_REQUESTS)
    return (f"nothing to check: the {len(calls)} recorded call(s) hold no service request ({wanted}); "
            "was the client built before the recording, from another session? (Recording.watch)")

