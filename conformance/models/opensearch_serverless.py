"""Amazon OpenSearch Serverless in the reference model: encryption policies, collections, and the
KMS grant the service holds on a customer managed key.

Source: ``002_c2442b383cdbec83.txt`` ("Encryption in Amazon OpenSearch Serverless", in Korean). The
policy language is :mod:`kms_conformance.models.aoss_policies`; this module holds the service's state
(``World.services["opensearchserverless"]``), its operation handlers (CreateSecurityPolicy,
GetSecurityPolicy, ListSecurityPolicies, UpdateSecurityPolicy, DeleteSecurityPolicy,
CreateCollection, BatchGetCollection, DeleteCollection) and the parsing of the requests of a setup.

Where the page leaves an API detail open, the API reference decides (OpenSearch Serverless API
Reference: CreateSecurityPolicy, UpdateSecurityPolicy, CreateCollection, BatchGetCollection,
DeleteSecurityPolicy; "Common Errors"):

- ConflictException is documented as "a resource with the same name already exists or is being
  created", so a second policy with the same *name* is a ConflictException, while a policy whose
  resource *pattern* another policy already uses is invalid input: ValidationException.
- CreateCollection without a matching encryption policy is a ValidationException ("No matching
  security policy of encryption type found for collection name: ...", the message AWS returns).
- A collection encrypted with an AWS owned key reports ``kmsKeyArn`` ``"auto"``.
- The KMS permission failures the service meets on the caller's behalf surface as
  AccessDeniedException (a common error of every API).
- The principal's kms:DescribeKey and kms:CreateGrant are judged as the page's minimum key-policy
  statement writes them (through aoss, for an AWS resource), so that the page's own sample lets the
  model create the policy, as the static rule AOSS-14 says (:func:`_principal_may`).
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from kms_conformance.arns import parse_arn
from kms_conformance.errors import InputError, UnsupportedOperation
from kms_conformance.kms import Key, KmsRequest, World, authorize, kms_call
from kms_conformance.kms.errors import AwsError
from kms_conformance.models.aoss_policies import (
    AWS_OWNED,
    EncryptionPolicy,
    PolicyDocError,
    best_match,
    collection_of,
    load_policy_document,
    parse_encryption_policy,
    pattern_conflicts,
)
from kms_conformance.models.registry import Operations
from kms_conformance.policy import evaluate, make_request
from kms_conformance.setup import Setup

BOTO = "opensearchserverless"
#: The service principal the model's grants name as grantee and retiring principal.
AOSS_PRINCIPAL = "aoss.amazonaws.com"
#: The operations of the grant OpenSearch Serverless creates on a customer managed key (section
#: "OpenSearch 서버리스에서 권한 부여를 사용하는 방법": DescribeKey, GenerateDataKey, Decrypt).
GRANT_OPERATIONS: tuple[str, ...] = ("Decrypt", "DescribeKey", "GenerateDataKey")
#: The grant the service asks for on the caller's behalf, as the condition keys of its CreateGrant see it.
GRANT_CONTEXT: Mapping[str, str | Sequence[str]] = {
    "kms:GrantOperations": list(GRANT_OPERATIONS), "kms:GranteePrincipal": AOSS_PRINCIPAL,
    "kms:RetiringPrincipal": AOSS_PRINCIPAL}
#: The request context the page's minimum key policy statement is written for: a grant for an AWS resource.
FOR_AWS_RESOURCE: Mapping[str, str] = {"kms:GrantIsForAWSResource": "true"}
#: The IAM actions of section "필요한 권한", by the API operation they authorize.
IAM_ACTIONS: Mapping[str, str] = {
    "CreateSecurityPolicy": "aoss:CreateSecurityPolicy",
    "ListSecurityPolicies": "aoss:ListSecurityPolicies",
    "GetSecurityPolicy": "aoss:GetSecurityPolicy",
    "UpdateSecurityPolicy": "aoss:UpdateSecurityPolicy",
    "DeleteSecurityPolicy": "aoss:DeleteSecurityPolicy",
}

_POLICY_NAME = re.compile(r"^[a-z][a-z0-9-]{2,31}$")
#: CreateCollection ``name``: 3-32 characters, ``[a-z][a-z0-9-]+`` (OpenSearch Serverless API Reference).
_COLLECTION_NAME = re.compile(r"^[a-z][a-z0-9-]{2,31}$")


def collection_arn(partition: str, region: str, account: str, collection: str) -> str:
    """``arn:PARTITION:aoss:REGION:ACCOUNT:collection/NAME_OR_ID``."""
    return f"arn:{partition}:aoss:{region}:{account}:collection/{collection}"


def partition_of(principal: str) -> str:
    """The partition of a principal ARN (``aws`` when it is not an ARN of a known partition)."""
    arn = parse_arn(principal)
    return arn.partition if arn is not None else "aws"


def iam_reasons(principal: str, action: str, patterns: Sequence[str], policies: Sequence[Any], *,
                account: str, region: str, partition: str = "aws") -> list[str]:
    """One reason per collection pattern for which the identity policies do not allow ``action``
    (``aoss:collection`` is the pattern's collection name or prefix, as the page's sample condition
    ``"aoss:collection": "application-logs"`` for ``collection/application-logs`` shows)."""
    reasons = []
    for pattern in patterns or ["*"]:
        coll = collection_of(pattern)
        ctx = {"aoss:collection": coll} if pattern != "*" else {}
        request = make_request(action, collection_arn(partition, region, account, coll), principal, ctx)
        ev = evaluate(request, identity_policies=policies)
        if not ev.allowed:
            detail = "; ".join(line.strip() for line in ev.explain().splitlines() if line.strip())
            reasons.append(f"{principal} calling {action} for {pattern} (aoss:collection={coll}): "
                           f"{ev.decision.value}" + (f" ({detail})" if detail else ""))
    return reasons


# --- the request part of a setup -----------------------------------------------------------------

@dataclass(frozen=True)
class PolicyRequest:
    """One CreateSecurityPolicy (or UpdateSecurityPolicy) request of a setup, ``document`` decoded."""

    name: str
    type: str
    document: Any
    path: str
    policy_version: str | None = None


@dataclass(frozen=True)
class CollectionRequest:
    """One CreateCollection request: the name and an optional ``encryptionConfig`` override."""

    name: str
    path: str
    encryption_config: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class AossRequest:
    """The requests of a setup: policies created, collections created, policies updated."""

    policies: tuple[PolicyRequest, ...] = ()
    collections: tuple[CollectionRequest, ...] = ()
    updates: tuple[PolicyRequest, ...] = ()

    @property
    def encryption(self) -> tuple[PolicyRequest, ...]:
        return tuple(p for p in self.policies if p.type == "encryption")

    def parsed(self) -> dict[str, EncryptionPolicy]:
        """The valid encryption policies by name (the invalid ones break the policy grammar)."""
        return {p.name: pol for p, pol in self.valid()}

    def collection_matches(self) -> list[tuple[CollectionRequest, tuple[str, str] | None]]:
        """Each collection created with the (policy name, pattern) of the setup's valid encryption
        policies that matches it most specifically, or None."""
        policies = self.parsed()
        return [(c, best_match(policies, c.name)) for c in self.collections]

    def valid(self) -> list[tuple[PolicyRequest, EncryptionPolicy]]:
        """Each encryption policy created whose document parses, with its parsed form, in order."""
        out = []
        for p in self.encryption:
            try:
                out.append((p, parse_encryption_policy(p.document)))
            except PolicyDocError:
                continue
        return out

    def kms_arns(self) -> list[tuple[str, str]]:
        """(request path, KmsARN) of each valid encryption policy created with a KMS key."""
        return [(p.path, pol.kms_arn) for p, pol in self.valid() if pol.kms_arn is not None]

    def repeated_patterns(self) -> list[tuple[PolicyRequest, str, str]]:
        """(request, pattern, the policy that named it first) for each pattern a valid policy repeats
        from another one."""
        out = []
        seen: dict[str, str] = {}
        for p, pol in self.valid():
            for pattern in dict.fromkeys(pol.patterns):
                other = seen.get(pattern)
                if other is not None and other != p.name:
                    out.append((p, pattern, other))
                else:
                    seen.setdefault(pattern, p.name)
        return out

    def patterns_by_request(self) -> list[tuple[str, PolicyRequest, tuple[str, ...]]]:
        """(operation, request, the collection patterns it names) for each CreateSecurityPolicy and
        UpdateSecurityPolicy request of type encryption whose patterns are known: its document's, or,
        for an update without a document, those of the policy of that name the setup creates."""
        created = self.parsed()
        out = []
        for op, entries in (("CreateSecurityPolicy", self.policies), ("UpdateSecurityPolicy", self.updates)):
            for p in entries:
                if p.type != "encryption":
                    continue
                if p.document is None:
                    if p.name in created:
                        out.append((op, p, created[p.name].patterns))
                    continue
                try:
                    out.append((op, p, parse_encryption_policy(p.document).patterns))
                except PolicyDocError:
                    continue
        return out


def _entries(setup: Setup, op: str) -> list[tuple[str, Mapping[str, Any]]]:
    raw = setup.request.get(op, [])
    base = f"request.{op}"
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, list):
        raise InputError(f"expected a list of {op} requests", source=setup.source, path=base)
    out = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, Mapping):
            raise InputError(f"expected an object (the {op} parameters)", source=setup.source, path=f"{base}[{i}]")
        out.append((f"{base}[{i}]", entry))
    return out


def _string(setup: Setup, entry: Mapping[str, Any], member: str, path: str, required: bool = True) -> str | None:
    value = entry.get(member)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise InputError(f"{member} must be a non-empty string", source=setup.source, path=f"{path}.{member}")
    return value


def parse_request(setup: Setup) -> AossRequest:
    """Validate ``setup.request``: ``CreateSecurityPolicy`` (list of {name, type, policy,
    description}), ``UpdateSecurityPolicy`` (list of {name, type, policy, policyVersion}),
    ``CreateCollection`` (list of {name, type, encryptionConfig}), members as boto3 takes them. The
    policy may be the JSON string the API takes or the decoded object. Policy grammar is not an
    input error: the page's rules report it as a rule broken."""
    known = {"CreateSecurityPolicy", "UpdateSecurityPolicy", "CreateCollection"}
    for op in setup.request:
        if op not in known:
            raise InputError(f"unknown operation {op!r}; one of {', '.join(sorted(known))}",
                             source=setup.source, path=f"request.{op}")
    policies: list[PolicyRequest] = []
    updates: list[PolicyRequest] = []
    for op, sink in (("CreateSecurityPolicy", policies), ("UpdateSecurityPolicy", updates)):
        for path, entry in _entries(setup, op):
            name = _string(setup, entry, "name", path)
            kind = _string(setup, entry, "type", path)
            if kind not in ("encryption", "network"):
                raise InputError(f"type must be encryption or network, got {kind!r}", source=setup.source,
                                 path=f"{path}.type")
            version = _string(setup, entry, "policyVersion", path, required=False)
            raw_policy = entry.get("policy")
            if raw_policy is None and op == "CreateSecurityPolicy":
                raise InputError("policy is required", source=setup.source, path=f"{path}.policy")
            try:
                document = load_policy_document(raw_policy)
            except PolicyDocError as exc:
                raise InputError(exc.message, source=setup.source, path=f"{path}.policy") from None
            sink.append(PolicyRequest(str(name), str(kind), document, path, version))
    collections = []
    for path, entry in _entries(setup, "CreateCollection"):
        name = _string(setup, entry, "name", path)
        config = entry.get("encryptionConfig")
        if config is not None and not isinstance(config, Mapping):
            raise InputError("encryptionConfig must be an object {aWSOwnedKey, kmsKeyArn}", source=setup.source,
                             path=f"{path}.encryptionConfig")
        collections.append(CollectionRequest(str(name), path, config))
    for i, key in enumerate(setup.raw.get("keys", []) or []):
        if isinstance(key, Mapping) and "keyRotationEnabled" in key and not isinstance(key["keyRotationEnabled"], bool):
            raise InputError("keyRotationEnabled must be true or false", source=setup.source,
                             path=f"keys[{i}].keyRotationEnabled")
    return AossRequest(tuple(policies), tuple(collections), tuple(updates))


# --- state ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StoredPolicy:
    name: str
    type: str
    description: str
    document: Any
    parsed: EncryptionPolicy
    key_arn: str  # canonical key ARN, or "auto"
    version: str
    created: int
    modified: int


@dataclass(frozen=True)
class StoredCollection:
    id: str
    name: str
    type: str
    arn: str
    key_arn: str
    policy: str
    status: str
    created: int


@dataclass
class AossState:
    """The service's state in ``world.services["opensearchserverless"]``."""

    policies: dict[str, StoredPolicy] = field(default_factory=dict)
    collections: dict[str, StoredCollection] = field(default_factory=dict)
    grants: dict[str, list[str]] = field(default_factory=dict)  # key ARN -> grant ids
    counter: int = 0


def _state(world: World) -> AossState:
    st = world.services.get(BOTO)
    if st is None:
        st = world.services[BOTO] = AossState()
    assert isinstance(st, AossState)
    return st


def _millis(world: World) -> int:
    return int(world.now() * 1000)


def _version(world: World, st: AossState) -> str:
    st.counter += 1
    return base64.b64encode(f"{_millis(world)}_{st.counter}".encode()).decode()


def _via(world: World) -> str:
    return f"aoss.{world.region}.amazonaws.com"


def _authorize(world: World, caller: str, action: str, patterns: Sequence[str]) -> None:
    """IAM authorization of an aoss action for the caller's identity policies ("Policy evaluation logic")."""
    reasons = iam_reasons(caller, action, patterns, world.identity_policies(caller), account=world.account,
                          region=world.region, partition=world.partition)
    if reasons:
        raise AwsError("AccessDeniedException", f"User: {caller} is not authorized to perform: {action} ({reasons[0]})")


def _principal_may(world: World, caller: str, key: Key, operation: str) -> None:
    """Whether the principal who names the key has ``operation`` on it as section "고객 관리형 키에 대한
    키 정책" writes the permission: "OpenSearch 서버리스는 선택한 보안 주체를 대신하여 KMS 키를 사용할
    권한을 얻습니다" (the service gets permission to use the key on behalf of the principal), and the
    page's minimum statement allows kms:DescribeKey and kms:CreateGrant through
    ``aoss.<region>.amazonaws.com`` with ``kms:GrantIsForAWSResource`` true. The request is judged in
    that context (:data:`FOR_AWS_RESOURCE`; for CreateGrant, the grant of :data:`GRANT_CONTEXT`), as the
    static rule AOSS-14 judges it. The key's validation itself ("DescribeKey요청") is among the internal
    operations the page says the service performs with its grant, not a request of the principal's own,
    so a DescribeKey request's usual context (where AWS KMS documents no kms:GrantIsForAWSResource) is
    not what decides. Raises AccessDeniedException."""
    extra: dict[str, str | tuple[str, ...]] = dict(FOR_AWS_RESOURCE)
    if operation == "CreateGrant":
        extra.update({k: tuple(v) if isinstance(v, list | tuple) else str(v) for k, v in GRANT_CONTEXT.items()})
    decision = authorize(KmsRequest(operation=operation, caller=caller, key=key, via_service=_via(world),
                                    extra_context=extra),
                         identity_policies=world.identity_policies(caller), grants=world.grants_of(key))
    if not decision.allowed:
        raise AwsError("AccessDeniedException", f"User: {caller} is not authorized to perform: kms:{operation} on "
                                                f"resource: {key.arn} ({decision.reason})")


def _attach_key(world: World, caller: str, st: AossState, key_ref: str) -> str:
    """Check the key as OpenSearch Serverless does on the caller's behalf: the principal's kms:DescribeKey
    and kms:CreateGrant as the page's minimum statement gives them (:func:`_principal_may`), then the
    grant (CreateGrant as the principal through aoss) when the key is new to the account's policies;
    return the key ARN."""
    try:
        key = world.resolve_key(key_ref, allow_alias=False)
    except AwsError:
        raise AwsError("ValidationException", f"The KMS key {key_ref} is not valid or does not exist") from None
    if not key.symmetric or key.key_usage != "ENCRYPT_DECRYPT":
        raise AwsError("ValidationException", f"The KMS key {key.arn} is not a symmetric encryption key")
    try:
        _principal_may(world, caller, key, "DescribeKey")
        _principal_may(world, caller, key, "CreateGrant")
        if key.arn not in st.grants:
            out = kms_call(world, caller, "CreateGrant", {
                "KeyId": key.arn, "GranteePrincipal": AOSS_PRINCIPAL, "RetiringPrincipal": AOSS_PRINCIPAL,
                "Operations": list(GRANT_OPERATIONS)}, via_service=_via(world))
            st.grants[key.arn] = [str(out["GrantId"])]
    except AwsError as exc:
        code = "AccessDeniedException" if exc.code == "AccessDeniedException" else "ValidationException"
        raise AwsError(code, f"OpenSearch Serverless cannot use the KMS key {key.arn}: {exc.message}") from None
    return str(key.arn)


def _retire_unused(world: World, st: AossState) -> None:
    """Retire the grants of keys no policy or collection uses any more (section 권한 부여)."""
    used = {p.key_arn for p in st.policies.values()} | {c.key_arn for c in st.collections.values()}
    for key_arn in [k for k in st.grants if k not in used]:
        for grant_id in st.grants.pop(key_arn):
            with contextlib.suppress(AwsError):  # already revoked or retired
                kms_call(world, AOSS_PRINCIPAL, "RetireGrant", {"KeyId": key_arn, "GrantId": grant_id})


def _validate_name(name: Any, pattern: re.Pattern[str], what: str) -> str:
    if not isinstance(name, str) or not pattern.match(name):
        raise AwsError("ValidationException", f"1 validation error detected: Value {name!r} at '{what}' failed to "
                                              f"satisfy constraint: Member must satisfy regular expression pattern")
    return name


def _type(params: Mapping[str, Any], op: str) -> str:
    kind = params.get("type")
    if kind == "network":
        raise UnsupportedOperation(BOTO, op, "network policies are outside the page; the model has encryption only")
    if kind != "encryption":
        raise AwsError("ValidationException", f"Value {kind!r} at 'type' failed to satisfy constraint: "
                                              "Member must satisfy enum value set: [encryption, network]")
    return kind


def _parse_or_invalid(policy: Any) -> EncryptionPolicy:
    if not isinstance(policy, str):
        raise AwsError("ValidationException", "policy must be a JSON string")
    try:
        return parse_encryption_policy(policy)
    except PolicyDocError as exc:
        raise AwsError("ValidationException", f"Policy json is invalid, error: [{exc.path}: {exc.message}]") from None


def _refuse_conflicts(parsed: EncryptionPolicy, st: AossState, name: str) -> None:
    others = {n: p.parsed for n, p in st.policies.items() if n != name}
    clashes = pattern_conflicts(parsed.patterns, others)
    if clashes:
        pattern, other = clashes[0]
        raise AwsError("ValidationException", f"The resource pattern {pattern} is already in encryption policy "
                                              f"{other}; a name or prefix can be in only one policy")


def _detail(p: StoredPolicy) -> dict[str, Any]:
    return {"type": p.type, "name": p.name, "policyVersion": p.version, "description": p.description,
            "policy": p.document, "createdDate": p.created, "lastModifiedDate": p.modified}


def _store_policy(world: World, caller: str, st: AossState, name: str, description: str, policy: str,
                  parsed: EncryptionPolicy, created: int | None = None) -> StoredPolicy:
    key_arn = _attach_key(world, caller, st, parsed.kms_arn) if parsed.kms_arn is not None else AWS_OWNED
    now = _millis(world)
    stored = StoredPolicy(name=name, type="encryption", description=description, document=json.loads(policy),
                          parsed=parsed, key_arn=key_arn, version=_version(world, st),
                          created=created if created is not None else now, modified=now)
    st.policies[name] = stored
    return stored


def _get(st: AossState, params: Mapping[str, Any]) -> StoredPolicy:
    name = params.get("name")
    if not isinstance(name, str) or name not in st.policies:
        raise AwsError("ResourceNotFoundException", f"Policy with name {name} and type encryption is not found")
    return st.policies[name]


# --- operations ----------------------------------------------------------------------------------

#: The reference model's operations of this service.
OPERATIONS = Operations()


@OPERATIONS(BOTO, "CreateSecurityPolicy")
def model_create_security_policy(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """CreateSecurityPolicy (type encryption): the policy grammar, IAM authorization, one policy per
    pattern, the key checked and granted on the caller's behalf."""
    st = _state(world)
    name = _validate_name(params.get("name"), _POLICY_NAME, "name")
    _type(params, "CreateSecurityPolicy")
    policy = params.get("policy")
    parsed = _parse_or_invalid(policy)
    _authorize(world, caller, IAM_ACTIONS["CreateSecurityPolicy"], parsed.patterns)
    if name in st.policies:
        raise AwsError("ConflictException", f"Policy with name {name} and type encryption already exists")
    _refuse_conflicts(parsed, st, name)
    stored = _store_policy(world, caller, st, name, str(params.get("description", "")), str(policy), parsed)
    return {"securityPolicyDetail": _detail(stored)}


@OPERATIONS(BOTO, "GetSecurityPolicy")
def model_get_security_policy(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    st = _state(world)
    _type(params, "GetSecurityPolicy")
    stored = _get(st, params)
    _authorize(world, caller, IAM_ACTIONS["GetSecurityPolicy"], stored.parsed.patterns)
    return {"securityPolicyDetail": _detail(stored)}


@OPERATIONS(BOTO, "ListSecurityPolicies")
def model_list_security_policies(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    st = _state(world)
    _type(params, "ListSecurityPolicies")
    _authorize(world, caller, IAM_ACTIONS["ListSecurityPolicies"], [])
    wanted = params.get("resource")
    out = []
    for p in st.policies.values():
        if wanted and not any(r in p.parsed.patterns for r in wanted):
            continue
        d = _detail(p)
        d.pop("policy")
        out.append(d)
    return {"securityPolicySummaries": out}


@OPERATIONS(BOTO, "UpdateSecurityPolicy")
def model_update_security_policy(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """UpdateSecurityPolicy: policyVersion required and current; the new rules and key apply to new
    collections only (a collection keeps the key it was created with)."""
    st = _state(world)
    _type(params, "UpdateSecurityPolicy")
    version = params.get("policyVersion")
    if not isinstance(version, str) or not version:
        raise AwsError("ValidationException", "policyVersion is required")
    stored = _get(st, params)
    policy = params.get("policy")
    parsed = _parse_or_invalid(policy) if policy is not None else stored.parsed
    _authorize(world, caller, IAM_ACTIONS["UpdateSecurityPolicy"],
               list(dict.fromkeys(stored.parsed.patterns + parsed.patterns)))
    if version != stored.version:
        raise AwsError("ValidationException", "Policy version specified in the request refers to an older version "
                                              "and policy has since changed")
    if policy is None:
        updated = replace(stored, description=str(params.get("description", stored.description)),
                          version=_version(world, st), modified=_millis(world))
        st.policies[stored.name] = updated
        return {"securityPolicyDetail": _detail(updated)}
    _refuse_conflicts(parsed, st, stored.name)
    fresh = _store_policy(world, caller, st, stored.name, str(params.get("description", stored.description)),
                          str(policy), parsed, created=stored.created)
    _retire_unused(world, st)
    return {"securityPolicyDetail": _detail(fresh)}


@OPERATIONS(BOTO, "DeleteSecurityPolicy")
def model_delete_security_policy(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """DeleteSecurityPolicy: collections keep their key; the grants of keys nothing uses any more are
    retired."""
    st = _state(world)
    _type(params, "DeleteSecurityPolicy")
    stored = _get(st, params)
    _authorize(world, caller, IAM_ACTIONS["DeleteSecurityPolicy"], stored.parsed.patterns)
    del st.policies[stored.name]
    _retire_unused(world, st)
    return {}


def _collection_detail(c: StoredCollection) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "status": c.status, "type": c.type, "arn": c.arn, "kmsKeyArn": c.key_arn,
            "createdDate": c.created, "lastModifiedDate": c.created}


def _override_policy(world: World, caller: str, st: AossState, name: str, config: Mapping[str, Any],
                     match: tuple[str, str] | None) -> tuple[str, str]:
    """The ``auto-<name>`` policy an ``encryptionConfig`` at collection creation makes (only over a
    wildcard match); returns it as the collection's (policy name, pattern)."""
    if match is not None and not match[1].endswith("*"):
        raise AwsError("ValidationException", f"Collection {name} matches policy {match[0]} by name ({match[1]}); "
                                              "only a wildcard match can be overridden")
    arn = config.get("kmsKeyArn")
    doc: dict[str, Any] = {"Rules": [{"ResourceType": "collection", "Resource": [f"collection/{name}"]}]}
    if arn:
        doc.update({"AWSOwnedKey": False, "KmsARN": arn})
    else:
        doc["AWSOwnedKey"] = bool(config.get("aWSOwnedKey", True))
    auto = f"auto-{name}"[:32]
    text = json.dumps(doc)
    parsed = _parse_or_invalid(text)
    if auto in st.policies:
        raise AwsError("ConflictException", f"Policy with name {auto} and type encryption already exists")
    _refuse_conflicts(parsed, st, auto)
    _store_policy(world, caller, st, auto, "Created at collection creation", text, parsed)
    return auto, f"collection/{name}"


@OPERATIONS(BOTO, "CreateCollection")
def model_create_collection(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """CreateCollection: the most specific matching encryption policy gives the key; no match is a
    ValidationException; ``encryptionConfig`` overrides a wildcard match with an ``auto-<name>``
    policy. With a customer managed key the service generates the collection's data key through its
    grant; if it cannot, the collection ends FAILED."""
    st = _state(world)
    name = _validate_name(params.get("name"), _COLLECTION_NAME, "name")
    kind = params.get("type", "SEARCH")
    if kind not in ("SEARCH", "TIMESERIES", "VECTORSEARCH"):
        raise AwsError("ValidationException", f"Value {kind!r} at 'type' failed to satisfy constraint")
    _authorize(world, caller, "aoss:CreateCollection", [f"collection/{name}"])
    if any(c.name == name for c in st.collections.values()):
        raise AwsError("ConflictException", f"A collection with name {name} already exists")
    match = best_match({n: p.parsed for n, p in st.policies.items()}, name)
    config = params.get("encryptionConfig")
    if config:
        match = _override_policy(world, caller, st, name, config, match)
    if match is None:
        raise AwsError("ValidationException", f"No matching security policy of encryption type found for collection "
                                              f"name: {name}. Please create security policy of encryption type for "
                                              "this collection.")
    policy = st.policies[match[0]]
    status = "ACTIVE"
    if policy.key_arn != AWS_OWNED:
        try:
            kms_call(world, AOSS_PRINCIPAL, "GenerateDataKey", {"KeyId": policy.key_arn, "KeySpec": "AES_256"})
        except AwsError:
            status = "FAILED"
    st.counter += 1
    cid = world.new_id("collection")[:20]
    coll = StoredCollection(id=cid, name=name, type=str(kind),
                            arn=collection_arn(world.partition, world.region, world.account, cid),
                            key_arn=policy.key_arn, policy=policy.name, status=status, created=_millis(world))
    st.collections[cid] = coll
    detail = _collection_detail(coll)
    detail["status"] = "CREATING"
    return {"createCollectionDetail": detail}


@OPERATIONS(BOTO, "BatchGetCollection")
def model_batch_get_collection(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    st = _state(world)
    ids, names = params.get("ids"), params.get("names")
    if bool(ids) == bool(names):
        raise AwsError("ValidationException", "give either ids or names")
    _authorize(world, caller, "aoss:BatchGetCollection", [])
    found, errors = [], []
    for ref in (ids or names or []):
        hit = [c for c in st.collections.values() if (c.id if ids else c.name) == ref]
        if hit:
            found.append(_collection_detail(hit[0]))
        else:
            errors.append({"id" if ids else "name": ref, "errorCode": "NOT_FOUND", "errorMessage": "not found"})
    return {"collectionDetails": found, "collectionErrorDetails": errors}


@OPERATIONS(BOTO, "DeleteCollection")
def model_delete_collection(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    st = _state(world)
    cid = params.get("id")
    if not isinstance(cid, str) or cid not in st.collections:
        raise AwsError("ResourceNotFoundException", f"Collection with ID {cid} cannot be found.")
    coll = st.collections[cid]
    _authorize(world, caller, "aoss:DeleteCollection", [f"collection/{coll.name}"])
    del st.collections[cid]
    _retire_unused(world, st)
    return {"deleteCollectionDetail": {"id": coll.id, "name": coll.name, "status": "DELETING"}}


__all__ = [
    "AOSS_PRINCIPAL",
    "BOTO",
    "FOR_AWS_RESOURCE",
    "GRANT_CONTEXT",
    "GRANT_OPERATIONS",
    "IAM_ACTIONS",
    "OPERATIONS",
    "AossRequest",
    "AossState",
    "CollectionRequest",
    "PolicyRequest",
    "collection_arn",
    "iam_reasons",
    "parse_request",
    "partition_of",
]
