"""Amazon OpenSearch Serverless: encryption at rest with customer managed keys, made executable.

Source: ``002_c2442b383cdbec83.txt``, a Korean machine translation of "Encryption in Amazon
OpenSearch Serverless" (Amazon OpenSearch Service Developer Guide). Sections cited as they stand in
the page: "저장 중 암호화" (Encryption at rest), "암호화 정책" (Encryption policies), "고려 사항"
(Considerations), "필요한 권한" (Permissions required), "고객 관리형 키에 대한 키 정책" (Key policy for a
customer managed key), "OpenSearch 서버리스에서 권한 부여를 사용하는 방법 AWS KMS" (How OpenSearch
Serverless uses grants in AWS KMS), "암호화 정책 생성(콘솔)" / "(AWS CLI)", "암호화 정책 보기" (Viewing
encryption policies), "암호화 정책 업데이트"
(Updating encryption policies), "암호화 정책 삭제" (Deleting encryption policies).

Known defect of the page: both sample policies give ``"KmsARN": "arn:aws:encryption:us-east-1:..."``;
a KMS key ARN has the service name ``kms`` (``arn:aws:kms:...``). AOSS-02 encodes the intent (a
KMS key ARN) and flags the sample's form. Two more: the sample ListSecurityPolicies output shows
``securityPolicyDetails`` with a ``policy`` element, where the API returns ``securityPolicySummaries``
without the document (AOSS-20); and the examples MyCollection*, logSpecial, ApplicationLogs, Logs* use
upper-case letters, which no collection name can have (AOSS-01).

Where the page leaves an API detail open, the API reference decides (OpenSearch Serverless API
Reference: CreateSecurityPolicy, UpdateSecurityPolicy, CreateCollection, BatchGetCollection,
DeleteSecurityPolicy; "Common Errors"):

- ConflictException is documented as "a resource with the same name already exists or is being
  created", so a second policy with the same *name* is a ConflictException, while a policy whose
  resource *pattern* another policy already uses is invalid input: ValidationException (AOSS-07).
- CreateCollection without a matching encryption policy is a ValidationException ("No matching
  security policy of encryption type found for collection name: ...", the message AWS returns).
- A collection encrypted with an AWS owned key reports ``kmsKeyArn`` ``"auto"``.
- The KMS permission failures the service meets on the caller's behalf surface as
  AccessDeniedException (a common error of every API).

Sentences deliberately not encoded (the sentence-by-sentence account is docs/traceability/opensearch-serverless.md):

- 고려 사항, "고유한 KMS 키가 있는 컬렉션은 다른 컬렉션과 OpenSearch 컴퓨팅 유닛 (OCU) 을 공유할 수 없습니다. 고유
  키가 있는 각 컬렉션에는 고유한 4개의 OCU가 필요합니다" (collections with their own key share no OCUs; each needs
  its own 4 OCUs). A capacity and billing fact: no operation of the OpenSearch Serverless API reports which OCUs
  serve which collection (GetAccountSettings gives only account-wide maximums), so no scenario can observe it and
  a setup holds nothing to check it against. The figure is also conditional: "Managing capacity limits for
  Amazon OpenSearch Serverless" gives 4 OCUs (2 indexing + 2 search) only with redundant standby replicas, 2
  without, scaling down to fractions of an OCU, and lets collection groups share OCUs; a rule fixing "4" would not
  be faithful.
- 고려 사항, "OpenSearch 서버리스는 고객 관리 키에 대한 사용자 권한을 명시적으로 확인하지 않습니다. ..." (OpenSearch
  Serverless does not check users' permissions on the key; a user a data access policy admits can ingest and
  query). Ingest and query are OpenSearch HTTP calls on the collection endpoint, not AWS API operations, so a
  target (``target.call(service, operation)``) cannot make them; and the sentence removes a requirement, so a
  config check of it could never fail (a defect, DESIGN.md principle 4). Its effect on the kit is kept as an
  absence: no rule requires KMS permissions of data users; AOSS-14 judges only the principal that names the key.
- 저장 중 암호화, "256비트 키(AES-256)" and 전송 중 암호화 (TLS 1.2): the service's own ciphers, not observable
  through the API's outcomes and outside the kit's subject (customer managed KMS keys).

The reference behaviour (the model handlers of ``opensearchserverless`` operations) lives at the end of
this module; the rules come first, in page order.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from kms_conformance.errors import InputError
from kms_conformance.kms.errors import AwsError
from kms_conformance.models.registry import Operations
from kms_conformance.resources import NAME_PREFIX
from kms_conformance.rules import ServiceSpec, register_service, rule
from kms_conformance.scenarios import steps
from kms_conformance.setup import KeySetup, Setup
from kms_conformance.specs.access import access_reasons, key_for
from kms_conformance.strategies.opensearch_serverless import (
    MUTATORS,
    compliant_setups,
    conflict_examples,
    encryption_policies,
    iam_examples,
    key_element_examples,
    key_policy_examples,
    lifecycle_examples,
    needs_policy_examples,
    override_examples,
    owned_key_examples,
    prefix_examples,
    rule_defect_examples,
    specificity_examples,
)
from kms_conformance.targets.base import Outcome, Target, UnsupportedOperation

DOC = "002_c2442b383cdbec83.txt"
SERVICE = "opensearch-serverless"

BOTO = "opensearchserverless"
#: The service principal the model's grants name as grantee and retiring principal.
AOSS_PRINCIPAL = "aoss.amazonaws.com"
#: ``kmsKeyArn`` of a collection encrypted with an AWS owned key.
AWS_OWNED = "auto"
#: The operations of the grant OpenSearch Serverless creates on a customer managed key (section
#: "OpenSearch 서버리스에서 권한 부여를 사용하는 방법": DescribeKey, GenerateDataKey, Decrypt).
GRANT_OPERATIONS: tuple[str, ...] = ("Decrypt", "DescribeKey", "GenerateDataKey")
#: The actions of the page's key-policy sample (section "고객 관리형 키에 대한 키 정책").
KEY_POLICY_ACTIONS: tuple[str, ...] = ("kms:DescribeKey", "kms:CreateGrant")
#: The IAM actions of section "필요한 권한", by the API operation they authorize.
IAM_ACTIONS: Mapping[str, str] = {
    "CreateSecurityPolicy": "aoss:CreateSecurityPolicy",
    "ListSecurityPolicies": "aoss:ListSecurityPolicies",
    "GetSecurityPolicy": "aoss:GetSecurityPolicy",
    "UpdateSecurityPolicy": "aoss:UpdateSecurityPolicy",
    "DeleteSecurityPolicy": "aoss:DeleteSecurityPolicy",
}

_S_POLICIES = "암호화 정책"
_S_CONSIDER = "고려 사항"
_S_PERMS = "필요한 권한"
_S_KEYPOLICY = "고객 관리형 키에 대한 키 정책"
_S_GRANTS = "OpenSearch 서버리스에서 권한 부여를 사용하는 방법 AWS KMS"
_S_UPDATE = "암호화 정책 업데이트"
_S_DELETE = "암호화 정책 삭제"
_S_CLI = "암호화 정책 생성(AWS CLI)"

_POLICY_NAME = re.compile(r"^[a-z][a-z0-9-]{2,31}$")
#: CreateCollection ``name``: 3-32 characters, ``[a-z][a-z0-9-]+`` (OpenSearch Serverless API Reference).
_COLLECTION_NAME = re.compile(r"^[a-z][a-z0-9-]{2,31}$")
#: ``collection/<name>`` or ``collection/<prefix>*`` (a single trailing wildcard), or ``collection/*``.
_RESOURCE = re.compile(r"^collection/(?:[A-Za-z0-9][A-Za-z0-9_-]*\*?|\*)$")
_KMS_KEY_ARN = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):kms:([a-z0-9-]+):(\d{12}):key/([A-Za-z0-9-]+)$")


# --- the encryption policy language (section "암호화 정책") ------------------------------------------

class PolicyDocError(ValueError):
    """An encryption policy document that breaks the grammar: what, and where (``Rules[0].Resource[1]``)."""

    def __init__(self, message: str, path: str = "$") -> None:
        super().__init__(f"{path}: {message}")
        self.message = message
        self.path = path


@dataclass(frozen=True)
class EncryptionPolicy:
    """A parsed encryption policy: its resource patterns (``collection/sales*``), and its key:
    ``kms_arn`` when given (then ``AWSOwnedKey`` is ignored), else the AWS owned key."""

    patterns: tuple[str, ...]
    aws_owned_key: bool
    kms_arn: str | None = None

    @property
    def key(self) -> str:
        """The key collections matching this policy get: the KmsARN, or ``"auto"``."""
        return self.kms_arn if self.kms_arn is not None else AWS_OWNED


def load_policy_document(policy: Any) -> Any:
    """The policy as the API takes it (a JSON string) or already decoded; PolicyDocError if not JSON."""
    if isinstance(policy, str):
        try:
            return json.loads(policy)
        except json.JSONDecodeError as exc:
            raise PolicyDocError(f"not valid JSON: {exc.msg}") from None
    return policy


def rule_errors(doc: Any) -> list[PolicyDocError]:
    """Grammar errors of the ``Rules`` element: one or more rules, each ``ResourceType``
    ``"collection"`` and a non-empty ``Resource`` list of ``collection/<name>`` or
    ``collection/<prefix>*`` (a wildcard only at the end)."""
    if not isinstance(doc, Mapping):
        return [PolicyDocError("an encryption policy is a JSON object")]
    rules = doc.get("Rules")
    if not isinstance(rules, list) or not rules:
        return [PolicyDocError("Rules must be a non-empty list of collection matching rules", "Rules")]
    errors = []
    for i, r in enumerate(rules):
        where = f"Rules[{i}]"
        if not isinstance(r, Mapping):
            errors.append(PolicyDocError("a rule is an object with ResourceType and Resource", where))
            continue
        if r.get("ResourceType") != "collection":
            errors.append(PolicyDocError(
                f"ResourceType must be \"collection\" (the only option), got {r.get('ResourceType')!r}",
                f"{where}.ResourceType"))
        resources = r.get("Resource")
        if not isinstance(resources, list) or not resources:
            errors.append(PolicyDocError("Resource must be a non-empty list of collection/<name|prefix*>",
                                         f"{where}.Resource"))
            continue
        for j, res in enumerate(resources):
            if not isinstance(res, str) or not _RESOURCE.match(res):
                errors.append(PolicyDocError(
                    f"{res!r} is not collection/<collection name> or collection/<prefix>*", f"{where}.Resource[{j}]"))
    return errors


def key_errors(doc: Any) -> list[PolicyDocError]:
    """Errors of the key elements: ``AWSOwnedKey`` a boolean; with ``AWSOwnedKey`` false a
    ``KmsARN``; a ``KmsARN`` must be a KMS key ARN (``arn:aws:kms:REGION:ACCOUNT:key/ID``)."""
    if not isinstance(doc, Mapping):
        return []
    errors = []
    owned = doc.get("AWSOwnedKey")
    if owned is not None and not isinstance(owned, bool):
        errors.append(PolicyDocError(f"AWSOwnedKey must be true or false, got {owned!r}", "AWSOwnedKey"))
    arn = doc.get("KmsARN")
    if arn is None:
        if owned is not True:
            errors.append(PolicyDocError("with AWSOwnedKey false (or absent) the policy needs a KmsARN",
                                         "KmsARN"))
    elif not isinstance(arn, str) or not _KMS_KEY_ARN.match(arn):
        hint = " (the page's sample uses the service name 'encryption'; a KMS key ARN is arn:aws:kms:...)" \
            if isinstance(arn, str) and arn.startswith("arn:aws:encryption:") else ""
        errors.append(PolicyDocError(f"KmsARN {arn!r} is not a KMS key ARN{hint}", "KmsARN"))
    return errors


def parse_encryption_policy(policy: Any) -> EncryptionPolicy:
    """Parse and validate an encryption policy (string or object); PolicyDocError on the first error."""
    doc = load_policy_document(policy)
    errors = rule_errors(doc) + key_errors(doc)
    if errors:
        raise errors[0]
    patterns = tuple(p for r in doc["Rules"] for p in r["Resource"])
    return EncryptionPolicy(patterns=patterns, aws_owned_key=doc.get("AWSOwnedKey") is True,
                            kms_arn=doc.get("KmsARN"))


def pattern_matches(pattern: str, collection: str) -> bool:
    """``collection/sales*`` matches every collection whose name starts with ``sales``;
    ``collection/autopartsinventory`` only that name.

    >>> pattern_matches("collection/sales*", "sales-2024"), pattern_matches("collection/log", "logs")
    (True, False)
    """
    body = pattern.split("/", 1)[1] if pattern.startswith("collection/") else pattern
    if body.endswith("*"):
        return collection.startswith(body[:-1])
    return collection == body


def specificity(pattern: str) -> tuple[int, int]:
    """How specific a pattern is: an exact name beats any prefix; a longer prefix beats a shorter."""
    wildcard = pattern.endswith("*")
    return (0 if wildcard else 1, len(pattern))


def best_match(policies: Mapping[str, EncryptionPolicy], collection: str) -> tuple[str, str] | None:
    """The (policy name, pattern) whose rule is the most specific match of ``collection``; None if
    no policy matches. Ties (the same pattern twice cannot happen: AOSS-07) go to the first name."""
    found = [(specificity(p), name, p) for name, pol in policies.items() for p in pol.patterns
             if pattern_matches(p, collection)]
    if not found:
        return None
    found.sort(key=lambda t: (-t[0][0], -t[0][1], t[1]))
    return found[0][1], found[0][2]


def pattern_conflicts(patterns: Iterable[str], others: Mapping[str, EncryptionPolicy]) -> list[tuple[str, str]]:
    """(pattern, other policy name) for each pattern another policy already uses."""
    return [(p, name) for p in dict.fromkeys(patterns) for name, pol in others.items() if p in pol.patterns]


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
    policies: tuple[PolicyRequest, ...] = ()
    collections: tuple[CollectionRequest, ...] = ()
    updates: tuple[PolicyRequest, ...] = ()

    @property
    def encryption(self) -> tuple[PolicyRequest, ...]:
        return tuple(p for p in self.policies if p.type == "encryption")

    def parsed(self) -> dict[str, EncryptionPolicy]:
        """The valid encryption policies by name (invalid ones are AOSS-01/02's business)."""
        out = {}
        for p in self.encryption:
            try:
                out[p.name] = parse_encryption_policy(p.document)
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
    input error: AOSS-01 and AOSS-02 report it as a rule broken."""
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


def _request(setup: Setup) -> AossRequest:
    return parse_request(setup)


def _customer_keys(setup: Setup) -> list[tuple[str, str, KeySetup | None]]:
    """(policy path, KmsARN, the setup's key or None) for each valid encryption policy with a KmsARN."""
    req = _request(setup)
    out = []
    for p in req.encryption:
        try:
            pol = parse_encryption_policy(p.document)
        except PolicyDocError:
            continue
        if pol.kms_arn is not None:
            out.append((p.path, pol.kms_arn, key_for(setup, pol.kms_arn)))
    return out


def _has_encryption_policies(setup: Setup) -> bool:
    return bool(_request(setup).encryption)


# --- rules -------------------------------------------------------------------------------------------

AOSS_01 = rule(
    "AOSS-01", "An encryption policy has collection matching rules: ResourceType collection, "
               "Resource collection/<name|prefix*>",
    service=SERVICE, doc=DOC, section=_S_POLICIES,
    quote="Rules – 각각 다음과 같은 하위 요소가 포함된 하나 이상의 컬렉션 일치 규칙: ... "
          "ResourceType – 현재 유일한 옵션은 “컬렉션”입니다. ... Resourcecollection/<collection name|pattern> 형식",
    operations=("opensearchserverless:CreateSecurityPolicy",),
)


@AOSS_01.config(applies=_has_encryption_policies)
def check_rules_grammar(setup: Setup) -> list[str]:
    """"Rules – one or more collection matching rules, each with: ResourceType – currently the only
    option is "collection" ...; Resource – one or more collection names or patterns in the format
    collection/<collection name|pattern>." A pattern is a prefix with a trailing wildcard (MyCollection*).
    Also encodes "암호화 정책을 생성할 때 MyCollection*과 같은 ... 접두사를 지정하거나 단일 컬렉션 이름을 입력할
    수 있습니다" (a prefix with a wildcard, or a single collection name). The translation drops the dash
    after "Resource" ("Resourcecollection/<collection name|pattern> 형식"). Page defect: its examples
    MyCollection*, logSpecial, ApplicationLogs and Logs* have upper-case letters, which no collection name
    can have (CreateCollection: ``[a-z][a-z0-9-]+``), so such a pattern is well-formed but matches nothing."""
    return [f"{p.path}.policy.{e.path}: {e.message}" for p in _request(setup).encryption
            for e in rule_errors(p.document)]


BAD_RULES: Mapping[str, Any] = {
    "resource-type": {"Rules": [{"ResourceType": "index", "Resource": ["collection/<<NAME>>"]}]},
    "no-prefix": {"Rules": [{"ResourceType": "collection", "Resource": ["<<NAME>>"]}]},
    "empty-rules": {"Rules": []},
    "inner-wildcard": {"Rules": [{"ResourceType": "collection", "Resource": ["collection/<<NAME>>*x"]}]},
    "none": {"Rules": [{"ResourceType": "collection", "Resource": ["collection/<<NAME>>"]}]},
}


def _names(target: Target, example: Mapping[str, Any]) -> tuple[str, str]:
    """A fresh policy name and collection stem for one example: ``kmsc-p<tail>`` and ``kmsc-c<tail>``.

    Both start with :data:`kms_conformance.resources.NAME_PREFIX`, so ``kms-conformance sweep`` finds
    the encryption policies of a killed run (they take no tags), and so do the ``auto-kmsc-...``
    policies the service makes for them (AOSS-11). API-valid: lower case ``[a-z][a-z0-9-]``, 3-32
    characters (CreateSecurityPolicy, CreateCollection). The tail keeps the unique end of
    ``target.unique`` (run token and counter) in at most 17 characters, so the longest collection a
    scenario makes, :func:`_outside` of the stem plus a 4-character suffix, has 27 and its
    ``auto-<name>`` policy 32."""
    raw = re.sub(r"[^a-z0-9-]", "-", target.unique("c" + str(example.get("stem", "x"))).lower())
    tail = raw[len(NAME_PREFIX):] if raw.startswith(NAME_PREFIX) else raw
    if len(tail) > 17:
        tail = "c" + tail[-16:]
    return f"{NAME_PREFIX}p{tail}", f"{NAME_PREFIX}{tail}"


def _outside(stem: str) -> str:
    """A name no pattern of the stem (``collection/<stem>``, ``collection/<stem>*``) matches, still
    carrying the name prefix: ``kmsc-z<tail>`` (the tail starts with ``c``, so never with ``z<tail>``)."""
    return f"{NAME_PREFIX}z{stem[len(NAME_PREFIX):]}"


def _aoss(target: Target, op: str, params: Mapping[str, Any], principal: str | None = None) -> Outcome:
    return target.call(BOTO, op, params, principal=principal)


def _create_policy(target: Target, name: str, doc: Mapping[str, Any], principal: str | None = None) -> Outcome:
    return _aoss(target, "CreateSecurityPolicy", {"name": name, "type": "encryption", "policy": json.dumps(doc),
                                                  "description": "kms-conformance"}, principal)


def _policy_with_new_key(target: Target, example: Mapping[str, Any]) -> tuple[str, str, str, Outcome]:
    """A new key and an encryption policy for collections ``<stem>*`` with it: (policy name, stem,
    key ARN, the CreateSecurityPolicy outcome)."""
    name, stem = _names(target, example)
    key = steps.new_key(target)["Arn"]
    return name, stem, key, _create_policy(target, name, encryption_policies([f"collection/{stem}*"], key))


def _collection_key(target: Target, name: str) -> tuple[str, str | None, str | None]:
    """(BatchGetCollection code, the collection's kmsKeyArn, its status)."""
    out = _aoss(target, "BatchGetCollection", {"names": [name]})
    if not out.ok:
        return out.code, None, None
    details = list(out.value.get("collectionDetails", []))
    if not details:
        return "OK", None, None
    return "OK", details[0].get("kmsKeyArn"), details[0].get("status")


def _label(value: str | None, keys: Mapping[str, str]) -> str | None:
    """A key ARN as the example's label (``K1``), ``auto`` for an AWS owned key, None if absent."""
    if value is None:
        return None
    for label, arn in keys.items():
        if value == arn or value.rsplit("/", 1)[-1] == arn.rsplit("/", 1)[-1]:
            return label
    return value if value == AWS_OWNED else "other"


@AOSS_01.behavior_(examples=rule_defect_examples)
def scenario_rules_grammar(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """A policy whose rules break the grammar is refused with ValidationException; a
    well-formed one is accepted."""
    name, stem = _names(target, example)
    doc = steps.fill(dict(BAD_RULES[example["defect"]]), {"NAME": stem})
    doc["AWSOwnedKey"] = True
    return {"CreateSecurityPolicy": _create_policy(target, name, doc).code}


AOSS_02 = rule(
    "AOSS-02", "The key of an encryption policy: AWSOwnedKey, or KmsARN (a KMS key ARN) when AWSOwnedKey is false",
    service=SERVICE, doc=DOC, section=_S_POLICIES,
    quote="KmsARNAWSOwnedKey를 false로 설정한 경우 연결된 컬렉션을 암호화할 "
          "KMS 키의 Amazon 리소스 이름(ARN)을 지정합니다.",
    operations=("opensearchserverless:CreateSecurityPolicy", "kms:CreateKey"),
)


@AOSS_02.config(applies=_has_encryption_policies)
def check_key_element(setup: Setup) -> list[str]:
    """"KmsARN – if you set AWSOwnedKey to false, the ARN of the KMS key to encrypt the associated
    collections with" (the translation drops the dash: "KmsARNAWSOwnedKey를 false로 ..."). With "AWSOwnedKey
    – whether to use an AWS owned key" and "고객 관리형 키 또는 AWS 소유 키를 사용할 수 있습니다" (고려 사항:
    either a customer managed key or an AWS owned key). Page defect: its samples write
    ``arn:aws:encryption:...``; the intent is a KMS key ARN (``arn:aws:kms:...``), which this check
    requires. OpenSearch Serverless sends DescribeKey "to verify that the provided symmetric customer
    managed key ID is valid", so a key the setup describes must also be a symmetric encryption key."""
    reasons = [f"{p.path}.policy.{e.path}: {e.message}" for p in _request(setup).encryption
               for e in key_errors(p.document)]
    for path, arn, key in _customer_keys(setup):
        if key is not None and (not key.symmetric or key.key_usage != "ENCRYPT_DECRYPT"):
            reasons.append(f"{path}.policy.KmsARN: {arn} is a {key.key_spec}/{key.key_usage} key; "
                           "OpenSearch Serverless needs a symmetric encryption key")
    return reasons


@AOSS_02.behavior_(examples=key_element_examples)
def scenario_key_element(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """AWSOwnedKey true, or AWSOwnedKey false with the ARN of a KMS key, is accepted; AWSOwnedKey
    false without KmsARN, or a KmsARN that is not a KMS key ARN (the page's ``arn:aws:encryption:``
    form), is refused with ValidationException; so is the ARN of a key that is not a symmetric encryption
    key ("제공된 대칭 고객 관리 키 ID가 유효한지 ... 확인하기 위한 DescribeKey": DescribeKey verifies that
    the symmetric customer managed key ID given is valid)."""
    name, stem = _names(target, example)
    variant = example["variant"]
    doc: dict[str, Any] = {"Rules": [{"ResourceType": "collection", "Resource": [f"collection/{stem}"]}]}
    if variant == "aws-owned":
        doc["AWSOwnedKey"] = True
    else:
        doc["AWSOwnedKey"] = False
        if variant == "not-symmetric":
            doc["KmsARN"] = steps.new_key(target, key_spec="RSA_2048", key_usage="ENCRYPT_DECRYPT")["Arn"]
        elif variant in ("kms-arn", "not-kms-arn"):
            arn = steps.new_key(target)["Arn"]
            doc["KmsARN"] = arn.replace(":kms:", ":encryption:", 1) if variant == "not-kms-arn" else arn
    return {"CreateSecurityPolicy": _create_policy(target, name, doc).code}


AOSS_03 = rule(
    "AOSS-03", "When KmsARN is given, AWSOwnedKey is ignored: matching collections get the KMS key",
    service=SERVICE, doc=DOC, section=_S_POLICIES,
    quote="이 매개변수를 포함하면 OpenSearch 서버리스는 매개변수를 무시합니다. AWSOwnedKey",
    operations=("opensearchserverless:CreateSecurityPolicy", "opensearchserverless:CreateCollection",
                "opensearchserverless:BatchGetCollection"),
)


@AOSS_03.behavior_(examples=owned_key_examples)
def scenario_kms_arn_wins(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"If you include this parameter [KmsARN], OpenSearch Serverless ignores the AWSOwnedKey
    parameter" (the translation garbles the order of the words; the English original governs).
    A policy with AWSOwnedKey true and a KmsARN gives its collections the KMS key; without KmsARN,
    the AWS owned key (``kmsKeyArn`` ``auto``)."""
    name, stem = _names(target, example)
    keys: dict[str, str] = {}
    doc = encryption_policies([f"collection/{stem}"], None)
    if example["with_arn"]:
        keys["K1"] = steps.new_key(target)["Arn"]
        doc["KmsARN"] = keys["K1"]
    created = _create_policy(target, name, doc)
    coll = _aoss(target, "CreateCollection", {"name": stem, "type": "SEARCH"})
    _code, key, _status = _collection_key(target, stem)
    return {"CreateSecurityPolicy": created.code, "CreateCollection": coll.code, "key": _label(key, keys)}


AOSS_04 = rule(
    "AOSS-04", "A new collection matching a policy's name or prefix pattern is assigned that policy's key",
    service=SERVICE, doc=DOC, section=_S_POLICIES,
    quote="해당 이름 또는 접두사 패턴과 일치하는 컬렉션을 생성하면 정책과 해당 KMS 키가 자동으로 컬렉션에 할당됩니다.",
    operations=("opensearchserverless:CreateSecurityPolicy", "opensearchserverless:CreateCollection",
                "opensearchserverless:BatchGetCollection"),
)


@AOSS_04.behavior_(examples=prefix_examples)
def scenario_prefix_matching(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"When you then create a collection that matches that name or prefix pattern, the policy and
    its KMS key are automatically assigned to the collection." A prefix ``collection/<stem>*``
    matches every name starting with the stem; an exact name only itself. A name the policy does
    not match gets no key (CreateCollection fails: AOSS-05)."""
    name, stem = _names(target, example)
    keys = {"K1": steps.new_key(target)["Arn"]}
    pattern = f"collection/{stem}*" if example["form"] == "prefix" else f"collection/{stem}"
    created = _create_policy(target, name, encryption_policies([pattern], keys["K1"]))
    if example["matching"]:
        coll_name = stem + example["suffix"] if example["form"] == "prefix" else stem
    else:
        coll_name = _outside(stem) + example["suffix"]
    coll = _aoss(target, "CreateCollection", {"name": coll_name, "type": "SEARCH"})
    _code, key, _status = _collection_key(target, coll_name)
    return {"CreateSecurityPolicy": created.code, "CreateCollection": coll.code, "key": _label(key, keys)}


AOSS_05 = rule(
    "AOSS-05", "Encryption at rest is required: a collection needs a matching encryption policy",
    service=SERVICE, doc=DOC, section=_S_CONSIDER,
    quote="저장된 암호화는 모든 서버리스 컬렉션에 필수입니다.",
    operations=("opensearchserverless:CreateCollection",),
)


def _has_collections(setup: Setup) -> bool:
    return bool(_request(setup).collections)


@AOSS_05.config(applies=_has_collections)
def check_collection_has_policy(setup: Setup) -> list[str]:
    """"Encryption at rest is required for all serverless collections." A collection is created only
    when an encryption policy matches its name (or, under AOSS-11, its creation gives its own key).
    The page also recommends creating the encryption policy before the collection ("컬렉션을 생성하기
    전에 암호화 정책을 생성하는 것이 좋습니다"); a setup satisfies both by listing the policy."""
    req = _request(setup)
    policies = req.parsed()
    reasons = []
    for c in req.collections:
        if best_match(policies, c.name) is None and not c.encryption_config:
            known = ", ".join(p for pol in policies.values() for p in pol.patterns) or "none"
            reasons.append(f"{c.path}.name: no encryption policy matches collection {c.name!r} "
                           f"(patterns: {known}); CreateCollection fails with ValidationException")
    return reasons


@AOSS_05.behavior_(examples=needs_policy_examples)
def scenario_collection_needs_policy(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """CreateCollection with no matching encryption policy is refused (ValidationException); with one,
    it succeeds."""
    name, stem = _names(target, example)
    facts: dict[str, Any] = {}
    if example["with_policy"]:
        doc = encryption_policies([f"collection/{stem}*"], None)
        facts["CreateSecurityPolicy"] = _create_policy(target, name, doc).code
    facts["CreateCollection"] = _aoss(target, "CreateCollection", {"name": stem + "a", "type": "SEARCH"}).code
    return facts


AOSS_06 = rule(
    "AOSS-06", "When rules of several policies match a collection, the more specific rule is used",
    service=SERVICE, doc=DOC, section=_S_POLICIES,
    quote="여러 정책의 규칙이 컬렉션과 일치하는 경우 더 구체적인 규칙이 사용됩니다.",
    operations=("opensearchserverless:CreateSecurityPolicy", "opensearchserverless:CreateCollection",
                "opensearchserverless:BatchGetCollection"),
)


@AOSS_06.behavior_(examples=specificity_examples)
def scenario_most_specific(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"If rules in multiple policies match a collection, the more specific rule is used" (collection/log*
    against collection/logSpecial: the second policy's key). Together with "a collection can be
    matched by only one encryption policy" (고려 사항): the collection gets exactly the key of the most
    specific rule. An exact name is more specific than any prefix; a longer prefix than a shorter."""
    name, stem = _names(target, example)
    keys = {"K1": steps.new_key(target)["Arn"], "K2": steps.new_key(target)["Arn"]}
    full = stem + example["suffix"]
    specific = f"collection/{full}"
    if example["specific_form"] != "exact":
        specific = f"collection/{stem}{example['suffix'][:1]}*"
    general = (f"{name}-g"[:32], encryption_policies([f"collection/{stem}*"], keys["K1"]))
    special = (f"{name}-s"[:32], encryption_policies([specific], keys["K2"]))
    order = [general, special] if example["general_first"] else [special, general]
    codes = [_create_policy(target, n, d).code for n, d in order]
    coll = _aoss(target, "CreateCollection", {"name": full, "type": "SEARCH"})
    _code, key, _status = _collection_key(target, full)
    return {"CreateSecurityPolicy": codes, "CreateCollection": coll.code, "key": _label(key, keys)}


AOSS_07 = rule(
    "AOSS-07", "A name or prefix already used in another encryption policy cannot be used again",
    service=SERVICE, doc=DOC, section=_S_POLICIES,
    quote="이름이나 접두사가 다른 정책에 이미 있는 경우 정책에 해당 이름이나 접두사를 사용할 수 없습니다.",
    operations=("opensearchserverless:CreateSecurityPolicy",),
)


@AOSS_07.config(applies=_has_encryption_policies)
def check_pattern_unique(setup: Setup) -> list[str]:
    """"You can't use a name or prefix in a policy if it already exists in another policy.
    OpenSearch Serverless displays an error if you try to configure identical resource patterns in
    different encryption policies." The API refuses it with ValidationException (see module docstring)."""
    reasons = []
    seen: dict[str, str] = {}
    for p in _request(setup).encryption:
        try:
            pol = parse_encryption_policy(p.document)
        except PolicyDocError:
            continue
        for pattern in dict.fromkeys(pol.patterns):
            other = seen.get(pattern)
            if other is not None and other != p.name:
                reasons.append(f"{p.path}.policy: pattern {pattern!r} of policy {p.name!r} is already in "
                               f"policy {other!r}; CreateSecurityPolicy fails with ValidationException")
            else:
                seen.setdefault(pattern, p.name)
    return reasons


@AOSS_07.behavior_(examples=conflict_examples)
def scenario_pattern_conflict(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """A second policy with a pattern the first one has is refused (ValidationException); a second
    policy with a different pattern is accepted."""
    name, stem = _names(target, example)
    pattern = f"collection/{stem}*" if example["form"] == "prefix" else f"collection/{stem}"
    first = _create_policy(target, f"{name}-a"[:32], encryption_policies([pattern], None)).code
    other = f"collection/{stem}{example['suffix']}x" if example["same"] is False else pattern
    second = _create_policy(target, f"{name}-b"[:32], encryption_policies([other], None)).code
    return {"first": first, "second": second}


def _policy_version(outcome: Outcome) -> str:
    return str(outcome.value.get("securityPolicyDetail", {}).get("policyVersion", ""))


AOSS_08 = rule(
    "AOSS-08", "Updating the KMS key of a policy does not change the key of existing collections",
    service=SERVICE, doc=DOC, section=_S_UPDATE,
    quote="암호화 정책에서 KMS 키를 업데이트하면 변경된 이름 또는 패턴과 일치하는 "
          "새로 생성한 컬렉션에만 변경 내용이 적용됩니다.",
    operations=("opensearchserverless:CreateSecurityPolicy", "opensearchserverless:UpdateSecurityPolicy",
                "opensearchserverless:CreateCollection", "opensearchserverless:BatchGetCollection"),
)


@AOSS_08.behavior_(examples=lifecycle_examples, lifecycle=True)
def scenario_update_key(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"If you update the KMS key in an encryption policy, the change applies only to newly created
    collections matching the name or pattern; existing collections with a KMS key already assigned
    are unaffected" (also 고려 사항: "컬렉션을 생성한 후에는 컬렉션의 암호화 키를 변경할 수 없습니다").
    A collection created before the update keeps K1; one created after gets K2."""
    name, stem = _names(target, example)
    keys = {"K1": steps.new_key(target)["Arn"], "K2": steps.new_key(target)["Arn"]}
    created = _create_policy(target, name, encryption_policies([f"collection/{stem}*"], keys["K1"]))
    before = _aoss(target, "CreateCollection", {"name": stem + "a", "type": "SEARCH"}).code
    updated = _aoss(target, "UpdateSecurityPolicy", {
        "name": name, "type": "encryption", "policyVersion": _policy_version(created),
        "policy": json.dumps(encryption_policies([f"collection/{stem}*"], keys["K2"]))}).code
    after = _aoss(target, "CreateCollection", {"name": stem + "b", "type": "SEARCH"}).code
    return {"CreateCollection": [before, after], "UpdateSecurityPolicy": updated,
            "existing": _label(_collection_key(target, stem + "a")[1], keys),
            "new": _label(_collection_key(target, stem + "b")[1], keys)}


AOSS_09 = rule(
    "AOSS-09", "A policy rule changed so that it no longer matches a collection does not unassign its key",
    service=SERVICE, doc=DOC, section=_S_UPDATE,
    quote="더 이상 컬렉션 이름과 일치하지 않도록 정책 규칙을 수정해도 기존 컬렉션에 할당된 KMS 키는 손실되지 않습니다.",
    operations=("opensearchserverless:CreateSecurityPolicy", "opensearchserverless:UpdateSecurityPolicy",
                "opensearchserverless:CreateCollection", "opensearchserverless:BatchGetCollection"),
)


@AOSS_09.behavior_(examples=lifecycle_examples, lifecycle=True)
def scenario_update_rules(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"If you modify the policy rules so that they no longer match a collection, the associated KMS
    key isn't unassigned from it; the collection always stays encrypted with its initial key"
    (암호화 정책 section, and again under 암호화 정책 업데이트). Also "정책 일치 규칙에도 동일하게 적용됩니다.
    규칙을 추가, 수정 또는 삭제하면 새로 생성한 컬렉션에만 변경 사항이 적용됩니다" (the same holds for the
    matching rules: added, changed or removed rules apply only to collections created afterwards): after the
    update a new collection matching the new rule gets the key (``new_matching``), and a new one matching
    only the old rule has no policy any more (``new_old_pattern``: ValidationException, AOSS-05)."""
    name, stem = _names(target, example)
    keys = {"K1": steps.new_key(target)["Arn"]}
    created = _create_policy(target, name, encryption_policies([f"collection/{stem}*"], keys["K1"]))
    coll = _aoss(target, "CreateCollection", {"name": stem + "a", "type": "SEARCH"}).code
    moved = f"{_outside(stem)}{example['suffix']}"
    updated = _aoss(target, "UpdateSecurityPolicy", {
        "name": name, "type": "encryption", "policyVersion": _policy_version(created),
        "policy": json.dumps(encryption_policies([f"collection/{moved}"], keys["K1"]))}).code
    new_matching = _aoss(target, "CreateCollection", {"name": moved, "type": "SEARCH"}).code
    new_old = _aoss(target, "CreateCollection", {"name": stem + "b", "type": "SEARCH"}).code
    return {"CreateCollection": coll, "UpdateSecurityPolicy": updated,
            "existing": _label(_collection_key(target, stem + "a")[1], keys),
            "new_matching": [new_matching, _label(_collection_key(target, moved)[1], keys)],
            "new_old_pattern": new_old}


AOSS_10 = rule(
    "AOSS-10", "Deleting an encryption policy does not affect collections using its KMS key",
    service=SERVICE, doc=DOC, section=_S_DELETE,
    quote="암호화 정책을 삭제해도 정책에 정의된 KMS 키를 현재 사용하고 있는 컬렉션은 영향을 받지 않습니다.",
    operations=("opensearchserverless:CreateSecurityPolicy", "opensearchserverless:DeleteSecurityPolicy",
                "opensearchserverless:CreateCollection", "opensearchserverless:BatchGetCollection"),
)


@AOSS_10.behavior_(examples=lifecycle_examples, lifecycle=True)
def scenario_delete_policy(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"When you delete an encryption policy, collections currently using the KMS key defined in the
    policy are not affected": the collection keeps its key and stays ACTIVE."""
    name, stem = _names(target, example)
    keys = {"K1": steps.new_key(target)["Arn"]}
    _create_policy(target, name, encryption_policies([f"collection/{stem}*"], keys["K1"]))
    coll = _aoss(target, "CreateCollection", {"name": stem + "a", "type": "SEARCH"}).code
    deleted = _aoss(target, "DeleteSecurityPolicy", {"name": name, "type": "encryption"}).code
    _code, key, status = _collection_key(target, stem + "a")
    return {"CreateCollection": coll, "DeleteSecurityPolicy": deleted, "existing": _label(key, keys),
            "active": status == "ACTIVE"}


AOSS_11 = rule(
    "AOSS-11", "Overriding a wildcard match at collection creation creates an auto-<collection> policy",
    service=SERVICE, doc=DOC, section=_S_POLICIES,
    quote="자동 키 할당을 재정의하도록 선택한 경우 OpenSearch 서버리스는 "
          "auto-< collection-name >이라는 이름의 암호화 정책을 생성하여 컬렉션에 연결합니다.",
    operations=("opensearchserverless:CreateCollection", "opensearchserverless:GetSecurityPolicy"),
)


@AOSS_11.config(applies=lambda s: any(c.encryption_config for c in _request(s).collections))
def check_override_only_wildcard(setup: Setup) -> list[str]:
    """"Even if a policy matches a collection name, you can choose to override this automatic
    assignment during collection creation if the resource pattern contains a wildcard (*)." A
    collection whose name a policy matches exactly (no wildcard) cannot override its key."""
    req = _request(setup)
    policies = req.parsed()
    reasons = []
    for c in req.collections:
        if not c.encryption_config:
            continue
        match = best_match(policies, c.name)
        if match is not None and not match[1].endswith("*"):
            reasons.append(f"{c.path}.encryptionConfig: policy {match[0]!r} matches {c.name!r} by name "
                           f"({match[1]}), without a wildcard; the key cannot be overridden at creation")
    return reasons


@AOSS_11.behavior_(examples=override_examples)
def scenario_auto_policy(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"If you choose to override the automatic key assignment, OpenSearch Serverless creates an
    encryption policy named auto-<collection-name> and attaches it to the collection. The policy
    initially applies to a single collection, but you can modify it to include additional collections"
    (``auto_rules`` is the one collection; ``auto_update``: UpdateSecurityPolicy adding a second pattern to
    the auto policy succeeds). Overriding a match without a wildcard is refused (ValidationException: the
    auto policy would repeat a name another policy has, AOSS-07); there is then no auto policy to update
    (ResourceNotFoundException)."""
    name, stem = _names(target, example)
    keys = {"K1": steps.new_key(target)["Arn"]}
    full = stem + example["suffix"]
    pattern = f"collection/{stem}*" if example["wildcard"] else f"collection/{full}"
    _create_policy(target, name, encryption_policies([pattern], None))
    coll = _aoss(target, "CreateCollection", {"name": full, "type": "SEARCH",
                                              "encryptionConfig": {"aWSOwnedKey": False, "kmsKeyArn": keys["K1"]}})
    auto = _aoss(target, "GetSecurityPolicy", {"name": f"auto-{full}"[:32], "type": "encryption"})
    resources: list[str] = []
    if auto.ok:
        raw = auto.value.get("securityPolicyDetail", {}).get("policy", {})
        doc = load_policy_document(raw) if raw else {}
        resources = sorted(p for r in doc.get("Rules", []) for p in r.get("Resource", []))
    version = str(auto.value.get("securityPolicyDetail", {}).get("policyVersion", "")) if auto.ok else "x" * 20
    widened = _aoss(target, "UpdateSecurityPolicy", {
        "name": f"auto-{full}"[:32], "type": "encryption", "policyVersion": version,
        "policy": json.dumps(encryption_policies([f"collection/{full}", f"collection/{full}-more"], keys["K1"]))})
    return {"CreateCollection": coll.code, "key": _label(_collection_key(target, full)[1], keys),
            "GetSecurityPolicy": auto.code, "auto_rules": [r.replace(full, "<C>") for r in resources],
            "auto_update": widened.code}


AOSS_12 = rule(
    "AOSS-12", "With a customer managed key, enable automatic key rotation",
    service=SERVICE, doc=DOC, section=_S_CONSIDER, severity="should",
    quote="고객 관리형 키를 선택하는 경우 자동 키 교체를 활성화하는 것이 좋습니다.",
    operations=("kms:GetKeyRotationStatus",),
)


def _described_customer_keys(setup: Setup) -> bool:
    return any(key is not None for _p, _a, key in _customer_keys(setup))


@AOSS_12.config(applies=_described_customer_keys)
def check_rotation(setup: Setup) -> list[str]:
    """"If you choose a customer managed key, we recommend enabling automatic key rotation." A setup
    key says so with ``"keyRotationEnabled": true`` (GetKeyRotationStatus's KeyRotationEnabled)."""
    reasons = []
    raw_keys = [k for k in setup.raw.get("keys", []) if isinstance(k, Mapping)]
    for path, _arn, key in _customer_keys(setup):
        if key is None:
            continue
        raw = next((k for k in raw_keys if k.get("arn") == key.arn), {})
        if raw.get("keyRotationEnabled") is not True:
            reasons.append(f"{path}.policy.KmsARN: key {key.arn} does not have automatic key rotation enabled "
                           "(keys[].keyRotationEnabled is not true)")
    return list(dict.fromkeys(reasons))


AOSS_13 = rule(
    "AOSS-13", "Managing encryption policies needs the aoss:*SecurityPolicy permissions, which IAM conditions "
               "can limit to collections",
    service=SERVICE, doc=DOC, section=_S_PERMS,
    quote="aoss:CreateSecurityPolicy – 암호화 정책을 생성합니다. ... "
          "사용자를 특정 컬렉션으로 제한하도록 IAM 조건을 지정할 수 있습니다.",
    operations=("opensearchserverless:CreateSecurityPolicy", "opensearchserverless:ListSecurityPolicies",
                "iam:CreateRole", "iam:PutRolePolicy"),
)


def _collection_of(pattern: str) -> str:
    return pattern.split("/", 1)[1] if pattern.startswith("collection/") else pattern


def iam_reasons(principal: str, action: str, patterns: Sequence[str], policies: Sequence[Any], *,
                account: str, region: str, partition: str = "aws") -> list[str]:
    """One reason per collection pattern for which the identity policies do not allow ``action``
    (``aoss:collection`` is the pattern's collection name or prefix, as the page's sample condition
    ``"aoss:collection": "application-logs"`` for ``collection/application-logs`` shows)."""
    from kms_conformance.policy import evaluate, make_request

    reasons = []
    for pattern in patterns or ["*"]:
        coll = _collection_of(pattern)
        ctx = {"aoss:collection": coll} if pattern != "*" else {}
        request = make_request(action, f"arn:{partition}:aoss:{region}:{account}:collection/{coll}", principal, ctx)
        ev = evaluate(request, identity_policies=policies)
        if not ev.allowed:
            detail = "; ".join(line.strip() for line in ev.explain().splitlines() if line.strip())
            reasons.append(f"{principal} calling {action} for {pattern} (aoss:collection={coll}): "
                           f"{ev.decision.value}" + (f" ({detail})" if detail else ""))
    return reasons


@AOSS_13.config(applies=lambda s: s.caller in s.identity_policies and bool(_request(s).policies or _request(s).updates))
def check_iam_permissions(setup: Setup) -> list[str]:
    """"Encryption at rest for OpenSearch Serverless uses the following IAM permissions. You can
    specify IAM conditions to restrict users to specific collections": aoss:CreateSecurityPolicy,
    aoss:ListSecurityPolicies, aoss:GetSecurityPolicy, aoss:UpdateSecurityPolicy,
    aoss:DeleteSecurityPolicy. The caller's identity policies (``identityPolicies[caller]``) must
    allow the action of each request for each collection pattern it names, evaluated with the IAM
    policy evaluation logic (the sample limits it with ``StringEquals aoss:collection``)."""
    req = _request(setup)
    policies = setup.identity_policies.get(setup.caller, ())
    partition = setup.caller.split(":")[1] if setup.caller.startswith("arn:") else "aws"
    reasons = []
    created = req.parsed()
    for op, entries in (("CreateSecurityPolicy", req.policies), ("UpdateSecurityPolicy", req.updates)):
        for p in entries:
            if p.type != "encryption":
                continue
            if p.document is None:  # an update that keeps the policy: the patterns of the created one
                if p.name not in created:
                    continue
                patterns = list(created[p.name].patterns)
            else:
                try:
                    patterns = list(parse_encryption_policy(p.document).patterns)
                except PolicyDocError:
                    continue  # not evaluable; AOSS-01/02 report the document
            for reason in iam_reasons(setup.caller, IAM_ACTIONS[op], patterns, policies, account=setup.account,
                                      region=setup.region, partition=partition):
                reasons.append(f"{p.path}: {reason}")
    return reasons


def sample_identity_policy(collection: str) -> dict[str, Any]:
    """The page's sample identity policy (section 필요한 권한), for ``collection``."""
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["aoss:CreateSecurityPolicy", "aoss:UpdateSecurityPolicy",
                                       "aoss:DeleteSecurityPolicy", "aoss:GetSecurityPolicy"],
         "Resource": "*", "Condition": {"StringEquals": {"aoss:collection": collection}}},
        {"Effect": "Allow", "Action": ["aoss:ListSecurityPolicies"], "Resource": "*"}]}


@AOSS_13.behavior_(examples=iam_examples)
def scenario_iam_permissions(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """With the page's sample identity policy for ``application-logs`` (here a fresh name), the user
    may create an encryption policy for that collection, not for another; and may list policies."""
    name, stem = _names(target, example)
    role = steps.new_role(target, "aoss-user", inline_policies={"aoss": sample_identity_policy(stem)})
    pattern = f"collection/{stem}" if example["allowed"] else f"collection/{stem}{example['suffix']}"
    created = _create_policy(target, name, encryption_policies([pattern], None), principal=role)
    listed = _aoss(target, "ListSecurityPolicies", {"type": "encryption"}, principal=role)
    return {"CreateSecurityPolicy": created.code, "ListSecurityPolicies": listed.code}


AOSS_14 = rule(
    "AOSS-14", "The principal needs kms:DescribeKey and kms:CreateGrant on the key through OpenSearch Serverless",
    service=SERVICE, doc=DOC, section=_S_KEYPOLICY,
    quote="해당 보안 주체, 사용자 또는 역할은 서버리스에 필요한 KMS 키에 대한 권한을 가지고 있어야 합니다.",
    operations=("opensearchserverless:CreateSecurityPolicy", "kms:CreateKey", "iam:CreateRole"),
)


def _grant_context(region: str) -> dict[str, str | list[str]]:
    return {"kms:GrantOperations": list(GRANT_OPERATIONS), "kms:GranteePrincipal": AOSS_PRINCIPAL,
            "kms:RetiringPrincipal": AOSS_PRINCIPAL}


@AOSS_14.config(applies=_described_customer_keys)
def check_key_permissions(setup: Setup) -> list[str]:
    """"When you choose a customer managed key to protect a collection, OpenSearch Serverless gets
    permission to use the KMS key on behalf of the principal who makes the selection. That principal,
    a user or role, must have the permissions on the KMS key that OpenSearch Serverless requires" — at
    a minimum kms:DescribeKey and kms:CreateGrant, through ``aoss.<region>.amazonaws.com``
    (kms:ViaService) and for an AWS resource (kms:GrantIsForAWSResource true), as the sample statement
    has it. Evaluated by the KMS reference model over the key policy, the caller's identity policies and
    grants. Note: taken literally the sample statement does not allow DescribeKey, since
    kms:GrantIsForAWSResource is absent from a DescribeKey request and a Bool condition on an absent
    key does not match ("AWS KMS condition keys"); DescribeKey must come from elsewhere (for example an
    identity policy under the default key policy), and this check reports it when it does not."""
    reasons = []
    seen = set()
    for _path, _arn, key in _customer_keys(setup):
        if key is None or key.arn in seen:
            continue
        seen.add(key.arn)
        reasons += access_reasons(setup, key, setup.caller, ["kms:DescribeKey"], via_service="aoss")
        reasons += access_reasons(setup, key, setup.caller, ["kms:CreateGrant"], via_service="aoss",
                                  context=_grant_context(setup.region))
    return reasons


def sample_key_statement(principal: str, via_service: str, actions: Sequence[str] = KEY_POLICY_ACTIONS
                         ) -> dict[str, Any]:
    """The page's key policy sample as a statement for ``principal`` (the page's fragment has no
    Principal; a key policy statement needs one)."""
    return {"Sid": "Allow OpenSearch Serverless", "Effect": "Allow", "Principal": {"AWS": principal},
            "Action": list(actions), "Resource": "*",
            "Condition": {"StringEquals": {"kms:ViaService": via_service},
                          "Bool": {"kms:GrantIsForAWSResource": "true"}}}


@AOSS_14.behavior_(examples=key_policy_examples)
def scenario_key_permissions(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """A role whose key policy statement allows kms:CreateGrant through aoss.<region>.amazonaws.com
    (and whose identity policy allows kms:DescribeKey) can create an encryption policy with the key;
    without CreateGrant, or with the statement bound to another service or Region, it is refused
    with AccessDeniedException."""
    name, stem = _names(target, example)
    role = steps.new_role(target, "aoss-user", inline_policies={"aoss": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["aoss:*", "kms:DescribeKey"], "Resource": "*"}]}})
    region = target.region
    if example["via"] == "other-region":
        region = example["other_region"] if example["other_region"] != target.region else "eu-west-1"
    service = "aoss" if example["via"] != "other-service" else "es"
    actions = KEY_POLICY_ACTIONS if example["grant_action"] else ("kms:DescribeKey",)
    policy = steps.default_key_policy(target.account)
    policy["Statement"].append(sample_key_statement(role, f"{service}.{region}.amazonaws.com", actions))
    key = steps.new_key(target, policy)["Arn"]
    created = _create_policy(target, name, encryption_policies([f"collection/{stem}*"], key), principal=role)
    return {"CreateSecurityPolicy": created.code}


AOSS_15 = rule(
    "AOSS-15", "A policy with a new key makes OpenSearch Serverless create a grant for DescribeKey, "
               "GenerateDataKey and Decrypt",
    service=SERVICE, doc=DOC, section=_S_GRANTS,
    quote="새 키로 계정에 암호화 정책을 만들면 OpenSearch 서버리스가 CreateGrant요청을 "
          "전송하여 사용자를 대신하여 권한 부여를 생성합니다.",
    operations=("opensearchserverless:CreateSecurityPolicy", "kms:ListGrants"),
)


def _grants(target: Target, key_arn: str) -> tuple[str, list[list[str]]]:
    out = steps.kms(target, "ListGrants", {"KeyId": key_arn})
    if not out.ok:
        return out.code, []
    return "OK", sorted(sorted(g.get("Operations", [])) for g in out.value.get("Grants", []))


@AOSS_15.behavior_(examples=lifecycle_examples)
def scenario_grant_created(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"When you create an encryption policy in your account with a new key, OpenSearch Serverless
    sends a CreateGrant request on your behalf"; the grant covers the internal operations DescribeKey,
    GenerateDataKey and Decrypt. A second policy with the same (no longer new) key adds no grant.
    The page gives the grant's operations twice, differently: "OpenSearch 서버리스는 GenerateDataKeykms:와
    KMS:복호화 권한을 사용하여 권한 부여를 생성합니다" (a grant with kms:GenerateDataKey and kms:Decrypt; the
    translation garbles the names) and the list of internal operations the grant is needed for (DescribeKey,
    GenerateDataKey, Decrypt). The rule holds either reading and no other: the grant must include
    GenerateDataKey and Decrypt (``page_operations``) and nothing outside DescribeKey, GenerateDataKey,
    Decrypt (``only_internal_operations``). The reference model grants all three."""
    name, stem, key, created = _policy_with_new_key(target, example)
    first = created.code
    facts: dict[str, Any] = {"CreateSecurityPolicy": [first]}
    if example["second"]:
        facts["CreateSecurityPolicy"].append(
            _create_policy(target, f"{name}-2"[:32], encryption_policies([f"collection/{_outside(stem)}*"], key)).code)
    facts["ListGrants"], grants = _grants(target, key)
    facts["grants"] = len(grants)
    facts["page_operations"] = bool(grants) and all({"GenerateDataKey", "Decrypt"} <= set(g) for g in grants)
    facts["only_internal_operations"] = bool(grants) and all(set(g) <= set(GRANT_OPERATIONS) for g in grants)
    return facts


AOSS_16 = rule(
    "AOSS-16", "Revoking the grant leaves OpenSearch Serverless unable to use the key: dependent work fails",
    service=SERVICE, doc=DOC, section=_S_GRANTS,
    quote="이렇게 하면 OpenSearch 서버리스는 고객 관리 키로 암호화된 데이터에 액세스할 수 없게 되며, "
          "... 비동기 워크플로우에서 AccessDeniedException 오류와 실패로 이어집니다.",
    operations=("opensearchserverless:CreateSecurityPolicy", "opensearchserverless:CreateCollection",
                "kms:RevokeGrant", "kms:ListGrants", "opensearchserverless:BatchGetCollection"),
)


@AOSS_16.behavior_(examples=lifecycle_examples, lifecycle=True)
def scenario_revoked_grant(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"You can revoke access to the grant, or remove the service's access to the customer managed key
    at any time. If you do, OpenSearch Serverless can't access any data encrypted by the key, which
    affects all the operations that depend on that data, leading to AccessDeniedException errors and
    failures in asynchronous workflows." Observed here as the collection created after the revocation
    ending in status FAILED (its data key cannot be generated), against ACTIVE with the grant kept."""
    _, stem, key, _ = _policy_with_new_key(target, example)
    facts: dict[str, Any] = {}
    if example["second"]:  # revoke
        grants = steps.kms(target, "ListGrants", {"KeyId": key})
        ids = [g["GrantId"] for g in grants.value.get("Grants", [])] if grants.ok else []
        facts["RevokeGrant"] = [steps.kms(target, "RevokeGrant", {"KeyId": key, "GrantId": g}).code for g in ids]
    facts["CreateCollection"] = _aoss(target, "CreateCollection", {"name": stem + "a", "type": "SEARCH"}).code
    facts["status"] = _collection_key(target, stem + "a")[2]
    return facts


AOSS_17 = rule(
    "AOSS-17", "The grant is retired once the key is associated with no security policy or collection",
    service=SERVICE, doc=DOC, section=_S_GRANTS,
    quote="OpenSearch 서버리스는 특정 고객 관리 키가 보안 정책 또는 컬렉션과 관련이 없는 경우 "
          "비동기 워크플로우에서 권한 부여를 사용 중지합니다.",
    operations=("opensearchserverless:CreateSecurityPolicy", "opensearchserverless:DeleteSecurityPolicy",
                "opensearchserverless:CreateCollection", "opensearchserverless:DeleteCollection", "kms:ListGrants"),
)


@AOSS_17.behavior_(examples=lifecycle_examples, lifecycle=True)
def scenario_grant_retired(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"OpenSearch Serverless retires the grant in an asynchronous workflow when a given customer
    managed key is not associated with any security policies or collections." With a collection
    still using the key, deleting the policy keeps the grant; deleting the collection then retires it.
    (Asynchronous on AWS: a real account may need a wait before ListGrants shows it.)"""
    name, stem, key, _ = _policy_with_new_key(target, example)
    coll_id = None
    if example["second"]:  # with a collection
        out = _aoss(target, "CreateCollection", {"name": stem + "a", "type": "SEARCH"})
        coll_id = out.value.get("createCollectionDetail", {}).get("id") if out.ok else None
    facts: dict[str, Any] = {"DeleteSecurityPolicy": _aoss(target, "DeleteSecurityPolicy",
                                                           {"name": name, "type": "encryption"}).code}
    facts["grants_after_policy_deleted"] = len(_grants(target, key)[1])
    if coll_id is not None:
        facts["DeleteCollection"] = _aoss(target, "DeleteCollection", {"id": coll_id}).code
        facts["grants_after_collection_deleted"] = len(_grants(target, key)[1])
    return facts


AOSS_18 = rule(
    "AOSS-18", "UpdateSecurityPolicy names the current policy version",
    service=SERVICE, doc=DOC, section=_S_UPDATE,
    quote="aws opensearchserverless update-security-policy \\ --name sales-inventory \\ --type encryption \\ "
          "--policy-version 2",
    operations=("opensearchserverless:CreateSecurityPolicy", "opensearchserverless:UpdateSecurityPolicy"),
)


@AOSS_18.config(applies=lambda s: bool(_request(s).updates))
def check_policy_version(setup: Setup) -> list[str]:
    """The page's update request passes ``--policy-version``; the API requires ``policyVersion``
    (UpdateSecurityPolicy: "policyVersion ... Required: Yes", 20-36 characters), the version
    CreateSecurityPolicy/GetSecurityPolicy returned (e.g. ``MTY2MzY5MzIxNzgyNl8x`` in the page's
    ListSecurityPolicies output). The page's ``2`` is illustrative: too short for the API."""
    reasons = []
    for u in _request(setup).updates:
        if not u.policy_version:
            reasons.append(f"{u.path}.policyVersion: UpdateSecurityPolicy requires policyVersion")
        elif not 20 <= len(u.policy_version) <= 36:
            reasons.append(f"{u.path}.policyVersion: {u.policy_version!r} is not a policy version "
                           "(20-36 characters, as GetSecurityPolicy returns it)")
    return reasons


@AOSS_18.behavior_(examples=lifecycle_examples)
def scenario_policy_version(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """An update naming the current policyVersion succeeds; one naming a version the policy no longer
    has is refused with ValidationException."""
    name, stem = _names(target, example)
    created = _create_policy(target, name, encryption_policies([f"collection/{stem}*"], None))
    version = _policy_version(created)
    stale = example["second"]
    if stale:
        version = base64.b64encode(b"1000000000000_9").decode()
    updated = _aoss(target, "UpdateSecurityPolicy", {
        "name": name, "type": "encryption", "policyVersion": version,
        "policy": json.dumps(encryption_policies([f"collection/{stem}*", f"collection/{_outside(stem)}"], None))})
    return {"CreateSecurityPolicy": created.code, "UpdateSecurityPolicy": updated.code}


AOSS_19 = rule(
    "AOSS-19", "Create the encryption policy before the collection",
    service=SERVICE, doc=DOC, section="암호화 정책 생성(콘솔)", severity="should",
    quote="컬렉션을 생성하기 전에 암호화 정책을 생성하는 것이 좋습니다.",
    operations=("opensearchserverless:CreateSecurityPolicy", "opensearchserverless:CreateCollection"),
)


@AOSS_19.config(applies=_has_collections)
def check_policy_first(setup: Setup) -> list[str]:
    """"We recommend that you create encryption policies before you create collections." A collection
    that no policy of the setup matches, created with its own ``encryptionConfig`` instead, keeps the
    requirement (AOSS-05: an ``auto-<name>`` policy is made for it) but not this recommendation.
    (The page's other advice, to preview existing policies with ListSecurityPolicies before creating a
    collection, concerns the user's procedure and is not decidable from a setup.)"""
    req = _request(setup)
    policies = req.parsed()
    return [f"{c.path}: collection {c.name!r} relies on encryptionConfig at creation; no encryption policy of "
            "the setup matches it beforehand" for c in req.collections
            if c.encryption_config and best_match(policies, c.name) is None]


AOSS_20 = rule(
    "AOSS-20", "ListSecurityPolicies lists every encryption policy; GetSecurityPolicy shows one with its KMS key",
    service=SERVICE, doc=DOC, section="암호화 정책 보기",
    quote="다음 ListSecurityPolicies요청에는 계정의 모든 암호화 정책이 나열되어 있습니다. ... "
          "KMS 키를 비롯한 특정 정책에 대한 세부 정보를 보려면 GetSecurityPolicy명령을 사용하십시오.",
    operations=("opensearchserverless:CreateSecurityPolicy", "opensearchserverless:ListSecurityPolicies",
                "opensearchserverless:GetSecurityPolicy"),
)


def _listed_policy_names(target: Target) -> tuple[str, set[str]]:
    """(code, names) of every encryption policy ListSecurityPolicies returns, following nextToken."""
    names: set[str] = set()
    params: dict[str, Any] = {"type": "encryption", "maxResults": 100}
    for _page in range(50):
        out = _aoss(target, "ListSecurityPolicies", params)
        if not out.ok:
            return out.code, names
        names |= {str(p.get("name")) for p in out.value.get("securityPolicySummaries", [])}
        token = out.value.get("nextToken")
        if not token:
            break
        params = {**params, "nextToken": token}
    return "OK", names


@AOSS_20.behavior_(examples=lifecycle_examples)
def scenario_view_policies(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"The following ListSecurityPolicies request lists all encryption policies in your account"; "the
    request returns information about all configured encryption policies"; "to view the details of a
    specific policy, including the KMS key, use the GetSecurityPolicy command". Two fresh policies (one
    with a KMS key, one with the AWS owned key) are both listed; GetSecurityPolicy of one returns its
    document with its key (``K1``, or ``auto`` for ``AWSOwnedKey`` true without a KmsARN).

    Page defect: the page's sample output shows ``securityPolicyDetails`` entries with a ``policy``
    element and says to read the pattern rules from it; the ListSecurityPolicies API returns
    ``securityPolicySummaries`` without the policy document (ListSecurityPolicies, OpenSearch Serverless
    API Reference), so the rules and the key are read with GetSecurityPolicy, as the next sentence says."""
    name, stem = _names(target, example)
    keys = {"K1": steps.new_key(target)["Arn"]}
    with_key, owned = f"{name}-k"[:32], f"{name}-o"[:32]
    created = [_create_policy(target, with_key, encryption_policies([f"collection/{stem}*"], keys["K1"])).code,
               _create_policy(target, owned, encryption_policies([f"collection/{_outside(stem)}*"], None)).code]
    listed_code, listed = _listed_policy_names(target)
    wanted = owned if example["second"] else with_key
    got = _aoss(target, "GetSecurityPolicy", {"name": wanted, "type": "encryption"})
    key: str | None = None
    if got.ok:
        raw = got.value.get("securityPolicyDetail", {}).get("policy")
        try:
            doc = load_policy_document(raw) if raw else {}
        except PolicyDocError:
            doc = {}
        arn = doc.get("KmsARN") if isinstance(doc, Mapping) else None
        key = _label(str(arn), keys) if arn else (AWS_OWNED if isinstance(doc, Mapping) and doc.get("AWSOwnedKey")
                                                  else None)
    return {"CreateSecurityPolicy": created, "ListSecurityPolicies": listed_code,
            "listed": {with_key, owned} <= listed, "GetSecurityPolicy": got.code, "key": key}


# --- the service spec -----------------------------------------------------------------------------

register_service(ServiceSpec(name=SERVICE, compliant=compliant_setups, mutators=MUTATORS,
                             parse_request=parse_request))


# --- reference behaviour: the model handlers ----------------------------------------------------------

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


def _state(world: Any) -> AossState:
    st = world.services.get(BOTO)
    if st is None:
        st = world.services[BOTO] = AossState()
    assert isinstance(st, AossState)
    return st


def _millis(world: Any) -> int:
    return int(world.now() * 1000)


def _version(world: Any, st: AossState) -> str:
    st.counter += 1
    return base64.b64encode(f"{_millis(world)}_{st.counter}".encode()).decode()


def _via(world: Any) -> str:
    return f"aoss.{world.region}.amazonaws.com"


def _authorize(world: Any, caller: str, action: str, patterns: Sequence[str]) -> None:
    """IAM authorization of an aoss action for the caller's identity policies ("Policy evaluation logic")."""
    reasons = iam_reasons(caller, action, patterns, world.identity_policies(caller), account=world.account,
                          region=world.region, partition=world.partition)
    if reasons:
        raise AwsError("AccessDeniedException", f"User: {caller} is not authorized to perform: {action} ({reasons[0]})")


def _kms(world: Any, caller: str, operation: str, params: Mapping[str, Any], via: str | None) -> dict[str, Any]:
    from kms_conformance.kms import kms_call

    return kms_call(world, caller, operation, params, via_service=via)


def _attach_key(world: Any, caller: str, st: AossState, key_ref: str) -> str:
    """Check the key as OpenSearch Serverless does on the caller's behalf (DescribeKey through aoss),
    create the grant when the key is new to the account's policies, and return the key ARN."""
    try:
        key = world.resolve_key(key_ref, allow_alias=False)
    except AwsError:
        raise AwsError("ValidationException", f"The KMS key {key_ref} is not valid or does not exist") from None
    if not key.symmetric or key.key_usage != "ENCRYPT_DECRYPT":
        raise AwsError("ValidationException", f"The KMS key {key.arn} is not a symmetric encryption key")
    try:
        _kms(world, caller, "DescribeKey", {"KeyId": key.arn}, _via(world))
        if key.arn not in st.grants:
            out = _kms(world, caller, "CreateGrant", {
                "KeyId": key.arn, "GranteePrincipal": AOSS_PRINCIPAL, "RetiringPrincipal": AOSS_PRINCIPAL,
                "Operations": list(GRANT_OPERATIONS)}, _via(world))
            st.grants[key.arn] = [str(out["GrantId"])]
    except AwsError as exc:
        code = "AccessDeniedException" if exc.code == "AccessDeniedException" else "ValidationException"
        raise AwsError(code, f"OpenSearch Serverless cannot use the KMS key {key.arn}: {exc.message}") from None
    return str(key.arn)


def _retire_unused(world: Any, st: AossState) -> None:
    """Retire the grants of keys no policy or collection uses any more (section 권한 부여)."""
    used = {p.key_arn for p in st.policies.values()} | {c.key_arn for c in st.collections.values()}
    for key_arn in [k for k in st.grants if k not in used]:
        for grant_id in st.grants.pop(key_arn):
            with contextlib.suppress(AwsError):  # already revoked or retired
                _kms(world, AOSS_PRINCIPAL, "RetireGrant", {"KeyId": key_arn, "GrantId": grant_id}, None)


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


def _others(st: AossState, name: str) -> dict[str, EncryptionPolicy]:
    return {n: p.parsed for n, p in st.policies.items() if n != name}


def _refuse_conflicts(parsed: EncryptionPolicy, st: AossState, name: str) -> None:
    clashes = pattern_conflicts(parsed.patterns, _others(st, name))
    if clashes:
        pattern, other = clashes[0]
        raise AwsError("ValidationException", f"The resource pattern {pattern} is already in encryption policy "
                                              f"{other}; a name or prefix can be in only one policy")


def _detail(p: StoredPolicy) -> dict[str, Any]:
    return {"type": p.type, "name": p.name, "policyVersion": p.version, "description": p.description,
            "policy": p.document, "createdDate": p.created, "lastModifiedDate": p.modified}


def _store_policy(world: Any, caller: str, st: AossState, name: str, description: str, policy: str,
                  parsed: EncryptionPolicy, created: int | None = None) -> StoredPolicy:
    key_arn = _attach_key(world, caller, st, parsed.kms_arn) if parsed.kms_arn is not None else AWS_OWNED
    now = _millis(world)
    stored = StoredPolicy(name=name, type="encryption", description=description, document=json.loads(policy),
                          parsed=parsed, key_arn=key_arn, version=_version(world, st),
                          created=created if created is not None else now, modified=now)
    st.policies[name] = stored
    return stored


#: The reference model's operations of this service (transitional: moving to kms_conformance.models).
OPERATIONS = Operations()


@OPERATIONS(BOTO, "CreateSecurityPolicy")
def model_create_security_policy(world: Any, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """CreateSecurityPolicy (type encryption): grammar (AOSS-01/02), IAM (AOSS-13), one policy per
    pattern (AOSS-07), the key checked and granted on the caller's behalf (AOSS-14/15)."""
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


def _get(st: AossState, params: Mapping[str, Any]) -> StoredPolicy:
    name = params.get("name")
    if not isinstance(name, str) or name not in st.policies:
        raise AwsError("ResourceNotFoundException", f"Policy with name {name} and type encryption is not found")
    return st.policies[name]


@OPERATIONS(BOTO, "GetSecurityPolicy")
def model_get_security_policy(world: Any, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    st = _state(world)
    _type(params, "GetSecurityPolicy")
    stored = _get(st, params)
    _authorize(world, caller, IAM_ACTIONS["GetSecurityPolicy"], stored.parsed.patterns)
    return {"securityPolicyDetail": _detail(stored)}


@OPERATIONS(BOTO, "ListSecurityPolicies")
def model_list_security_policies(world: Any, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
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
def model_update_security_policy(world: Any, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """UpdateSecurityPolicy: policyVersion required and current (AOSS-18); the new rules and key
    apply to new collections only (AOSS-08/09)."""
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
def model_delete_security_policy(world: Any, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """DeleteSecurityPolicy: collections keep their key (AOSS-10); unused keys' grants are retired (AOSS-17)."""
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


@OPERATIONS(BOTO, "CreateCollection")
def model_create_collection(world: Any, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """CreateCollection: the most specific matching encryption policy gives the key (AOSS-04/06); no
    match is a ValidationException (AOSS-05); ``encryptionConfig`` overrides a wildcard match with an
    ``auto-<name>`` policy (AOSS-11). With a customer managed key the service generates the collection's
    data key through its grant; if it cannot, the collection ends FAILED (AOSS-16)."""
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
        match = (auto, f"collection/{name}")
    if match is None:
        raise AwsError("ValidationException", f"No matching security policy of encryption type found for collection "
                                              f"name: {name}. Please create security policy of encryption type for "
                                              "this collection.")
    policy = st.policies[match[0]]
    status = "ACTIVE"
    if policy.key_arn != AWS_OWNED:
        try:
            _kms(world, AOSS_PRINCIPAL, "GenerateDataKey", {"KeyId": policy.key_arn, "KeySpec": "AES_256"}, None)
        except AwsError:
            status = "FAILED"
    st.counter += 1
    cid = world.new_id("collection")[:20]
    coll = StoredCollection(id=cid, name=name, type=str(kind),
                            arn=f"arn:{world.partition}:aoss:{world.region}:{world.account}:collection/{cid}",
                            key_arn=policy.key_arn, policy=policy.name, status=status, created=_millis(world))
    st.collections[cid] = coll
    detail = _collection_detail(coll)
    detail["status"] = "CREATING"
    return {"createCollectionDetail": detail}


@OPERATIONS(BOTO, "BatchGetCollection")
def model_batch_get_collection(world: Any, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
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
def model_delete_collection(world: Any, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    st = _state(world)
    cid = params.get("id")
    if not isinstance(cid, str) or cid not in st.collections:
        raise AwsError("ResourceNotFoundException", f"Collection with ID {cid} cannot be found.")
    coll = st.collections[cid]
    _authorize(world, caller, "aoss:DeleteCollection", [f"collection/{coll.name}"])
    del st.collections[cid]
    _retire_unused(world, st)
    return {"deleteCollectionDetail": {"id": coll.id, "name": coll.name, "status": "DELETING"}}
