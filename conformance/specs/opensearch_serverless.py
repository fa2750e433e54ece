"""Amazon OpenSearch Serverless: encryption at rest with customer managed keys, made executable.

Source: ``002_c2442b383cdbec83.txt``, a Korean machine translation of "Encryption in Amazon
OpenSearch Serverless" (Amazon OpenSearch Service Developer Guide); sections are cited as they stand
in the page, with the English heading beside each below.

The rules follow the page: each stands where the sentence it quotes stands. The page's defects are
told by the rule that meets them: the samples' ``arn:aws:encryption:`` KmsARN (AOSS-02), the
upper-case example names no collection can have (AOSS-01), the ListSecurityPolicies sample output
(AOSS-20). The reference behaviour is :mod:`kms_conformance.models.opensearch_serverless` (with the API
details the page leaves open), the policy language :mod:`kms_conformance.models.aoss_policies`, a
setup's requests judged statically :mod:`kms_conformance.models.aoss_requests`.

Sentences deliberately not encoded (the sentence-by-sentence account, with the reasons, is
docs/traceability/opensearch-serverless.md): the OCU sentence of 고려 사항 (a capacity fact no
operation reports, and conditional), the sentence that the service does not check users' KMS
permissions (ingest and query are not AWS API operations, and a check of it could never fail:
no rule asks data users for KMS permissions, AOSS-14 judges only the principal that names the key),
and the service's own ciphers (AES-256 at rest, TLS 1.2 in transit: not observable through the API).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from kms_conformance.models import aoss_requests as requests
from kms_conformance.models import opensearch_serverless as model
from kms_conformance.models.aoss_policies import BAD_RULES
from kms_conformance.rules import RuleBuilder, ServiceSpec, register_service, rule
from kms_conformance.scenarios import opensearch_serverless as aoss
from kms_conformance.scenarios import steps
from kms_conformance.setup import Setup
from kms_conformance.specs.access import access_reasons
from kms_conformance.strategies import opensearch_serverless as ex
from kms_conformance.strategies.opensearch_serverless import encryption_policies
from kms_conformance.targets.base import Target

DOC = "002_c2442b383cdbec83.txt"
SERVICE = "opensearch-serverless"

_S_POLICIES = "암호화 정책"
_S_CONSIDER = "고려 사항"
_S_PERMS = "필요한 권한"
_S_KEYPOLICY = "고객 관리형 키에 대한 키 정책"
_S_GRANTS = "OpenSearch 서버리스에서 권한 부여를 사용하는 방법 AWS KMS"
_S_CONSOLE = "암호화 정책 생성(콘솔)"
_S_VIEW = "암호화 정책 보기"
_S_UPDATE = "암호화 정책 업데이트"
_S_DELETE = "암호화 정책 삭제"


#: The step name of CreateCollection (AOSS-11 lists it first: its subject).
CREATE_COLLECTION = "opensearchserverless:CreateCollection"


def rule_in(section: str) -> Callable[..., RuleBuilder]:
    """:func:`kms_conformance.rules.rule` for a rule of this page's ``section``."""
    return partial(rule, service=SERVICE, doc=DOC, section=section)


def _ops(*names: str) -> tuple[str, ...]:
    """A rule's operations: ``CreateCollection`` is OpenSearch Serverless's; ``kms:ListGrants`` as given."""
    return tuple(n if ":" in n else f"opensearchserverless:{n}" for n in names)


# --- 암호화 정책 (Encryption policies) -------------------------------------------------------------------

AOSS_04 = rule_in(_S_POLICIES)(
    "AOSS-04", "A new collection matching a policy's name or prefix pattern is assigned that policy's key",
    quote="해당 이름 또는 접두사 패턴과 일치하는 컬렉션을 생성하면 정책과 해당 KMS 키가 자동으로 컬렉션에 할당됩니다.",
    quote_en="When you create a collection that matches that name or prefix pattern, the policy and its KMS key are "
             "assigned to the collection automatically.",
    operations=_ops("CreateSecurityPolicy", "CreateCollection", "BatchGetCollection"),
)


@AOSS_04.behavior_(examples=ex.prefix_examples)
def scenario_prefix_matching(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"When you then create a collection that matches that name or prefix pattern, the policy and
    its KMS key are automatically assigned to the collection." A prefix ``collection/<stem>*``
    matches every name starting with the stem; an exact name only itself. A name the policy does
    not match gets no key (CreateCollection fails: AOSS-05)."""
    name, stem = aoss.names(target, example)
    keys = {"K1": steps.new_key(target)["Arn"]}
    pattern = f"collection/{stem}*" if example["form"] == "prefix" else f"collection/{stem}"
    created = aoss.create_policy(target, name, encryption_policies([pattern], keys["K1"]))
    if example["matching"]:
        coll_name = stem + example["suffix"] if example["form"] == "prefix" else stem
    else:
        coll_name = aoss.outside(stem) + example["suffix"]
    coll, key = aoss.new_collection_key(target, coll_name, keys)
    return {"CreateSecurityPolicy": created.code, "CreateCollection": coll, "key": key}


AOSS_01 = rule_in(_S_POLICIES)(
    "AOSS-01", "An encryption policy has collection matching rules: ResourceType collection, "
               "Resource collection/<name|prefix*>",
    quote="Rules – 각각 다음과 같은 하위 요소가 포함된 하나 이상의 컬렉션 일치 규칙: ... "
          "ResourceType – 현재 유일한 옵션은 “컬렉션”입니다. ... Resourcecollection/<collection name|pattern> 형식",
    quote_en="Rules – one or more collection matching rules, each with the following sub-elements: ... ResourceType "
             "– currently the only option is \"collection\". ... Resource – in the form collection/<collection "
             "name|pattern>",
    operations=_ops("CreateSecurityPolicy"),
)


@AOSS_01.config(applies=requests.has_encryption_policies)
def check_rules_grammar(setup: Setup) -> list[str]:
    """"Rules – one or more collection matching rules, each with: ResourceType – currently the only
    option is "collection" ...; Resource – one or more collection names or patterns in the format
    collection/<collection name|pattern>." A pattern is a prefix with a trailing wildcard (MyCollection*).
    Also encodes "암호화 정책을 생성할 때 MyCollection*과 같은 ... 접두사를 지정하거나 단일 컬렉션 이름을 입력할
    수 있습니다" (a prefix with a wildcard, or a single collection name). The translation drops the dash
    after "Resource" ("Resourcecollection/<collection name|pattern> 형식"). Page defect: its examples
    MyCollection*, logSpecial, ApplicationLogs and Logs* have upper-case letters, which no collection name
    can have (CreateCollection: ``[a-z][a-z0-9-]+``), so such a pattern is well-formed but matches nothing."""
    return requests.rules_errors(setup)


@AOSS_01.behavior_(examples=ex.rule_defect_examples)
def scenario_rules_grammar(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """A policy whose rules break the grammar is refused with ValidationException; a
    well-formed one is accepted."""
    name, stem = aoss.names(target, example)
    doc = steps.fill(dict(BAD_RULES[example["defect"]]), {"NAME": stem})
    doc["AWSOwnedKey"] = True
    return {"CreateSecurityPolicy": aoss.create_policy(target, name, doc).code}


AOSS_02 = rule_in(_S_POLICIES)(
    "AOSS-02", "The key of an encryption policy: AWSOwnedKey, or KmsARN (a KMS key ARN) when AWSOwnedKey is false",
    quote="KmsARNAWSOwnedKey를 false로 설정한 경우 연결된 컬렉션을 암호화할 "
          "KMS 키의 Amazon 리소스 이름(ARN)을 지정합니다.",
    quote_en="KmsARN – when you set AWSOwnedKey to false, give the Amazon Resource Name (ARN) of the KMS key that "
             "encrypts the associated collections.",
    operations=_ops("CreateSecurityPolicy", "kms:CreateKey"),
)


@AOSS_02.config(applies=requests.has_encryption_policies)
def check_key_element(setup: Setup) -> list[str]:
    """"KmsARN – if you set AWSOwnedKey to false, the ARN of the KMS key to encrypt the associated
    collections with" (the translation drops the dash: "KmsARNAWSOwnedKey를 false로 ..."). With "AWSOwnedKey
    – whether to use an AWS owned key" and "고객 관리형 키 또는 AWS 소유 키를 사용할 수 있습니다" (고려 사항:
    either a customer managed key or an AWS owned key). Page defect: its samples write
    ``arn:aws:encryption:...``; the intent is a KMS key ARN (``arn:aws:kms:...``), which this check
    requires. OpenSearch Serverless sends DescribeKey "to verify that the provided symmetric customer
    managed key ID is valid" ("제공된 대칭 고객 관리 키 ID가 유효한지 ... 확인하기 위한 DescribeKey"), so a
    key the setup describes must also be a symmetric encryption key."""
    return requests.key_element_errors(setup)


@AOSS_02.behavior_(examples=ex.key_element_examples)
def scenario_key_element(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """AWSOwnedKey true, or AWSOwnedKey false with the ARN of a KMS key, is accepted; AWSOwnedKey
    false without KmsARN, or a KmsARN that is not a KMS key ARN (the page's ``arn:aws:encryption:``
    form), is refused with ValidationException; so is the ARN of a key that is not a symmetric
    encryption key (the DescribeKey verification quoted above)."""
    name, stem = aoss.names(target, example)
    variant = example["variant"]
    doc: dict[str, Any] = {"Rules": [{"ResourceType": "collection", "Resource": [f"collection/{stem}"]}],
                           "AWSOwnedKey": variant == "aws-owned"}
    if variant == "not-symmetric":
        doc["KmsARN"] = steps.new_key(target, key_spec="RSA_2048", key_usage="ENCRYPT_DECRYPT")["Arn"]
    elif variant in ("kms-arn", "not-kms-arn"):
        arn = steps.new_key(target)["Arn"]
        doc["KmsARN"] = arn.replace(":kms:", ":encryption:", 1) if variant == "not-kms-arn" else arn
    return {"CreateSecurityPolicy": aoss.create_policy(target, name, doc).code}


AOSS_03 = rule_in(_S_POLICIES)(
    "AOSS-03", "When KmsARN is given, AWSOwnedKey is ignored: matching collections get the KMS key",
    quote="이 매개변수를 포함하면 OpenSearch 서버리스는 매개변수를 무시합니다. AWSOwnedKey",
    quote_en="If you include this parameter, OpenSearch Serverless ignores the AWSOwnedKey parameter (the "
             "translation moves the parameter's name to the end).",
    operations=_ops("CreateSecurityPolicy", "CreateCollection", "BatchGetCollection"),
)


@AOSS_03.behavior_(examples=ex.owned_key_examples)
def scenario_kms_arn_wins(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"If you include this parameter [KmsARN], OpenSearch Serverless ignores the AWSOwnedKey
    parameter" (the translation garbles the order of the words; the English original governs).
    A policy with AWSOwnedKey true and a KmsARN gives its collections the KMS key; without KmsARN,
    the AWS owned key (``kmsKeyArn`` ``auto``). That second branch is a control (:func:`steps.control`):
    a collection under an AWS owned key policy is AOSS-11's subject; a target that cannot create one
    leaves this rule inconclusive rather than wrong."""
    name, stem = aoss.names(target, example)
    keys: dict[str, str] = {}
    doc = encryption_policies([f"collection/{stem}"], None)
    if example["with_arn"]:
        keys["K1"] = steps.new_key(target)["Arn"]
        doc["KmsARN"] = keys["K1"]
    created = aoss.create_policy(target, name, doc)
    if example["with_arn"]:
        coll, key = aoss.new_collection_key(target, stem, keys)
    else:
        steps.control(CREATE_COLLECTION, aoss.create_collection(target, stem))
        coll, key = "OK", aoss.key_label(target, stem, keys)
    return {"CreateSecurityPolicy": created.code, "CreateCollection": coll, "key": key}


AOSS_11 = rule_in(_S_POLICIES)(
    "AOSS-11", "Overriding a wildcard match at collection creation creates an auto-<collection> policy",
    quote="자동 키 할당을 재정의하도록 선택한 경우 OpenSearch 서버리스는 "
          "auto-< collection-name >이라는 이름의 암호화 정책을 생성하여 컬렉션에 연결합니다.",
    quote_en="If you choose to override automatic key assignment, OpenSearch Serverless creates an encryption "
             "policy named auto-<collection-name> and attaches it to the collection.",
    operations=_ops("CreateCollection", "GetSecurityPolicy"),
    inferred="error code",
)


@AOSS_11.config(applies=requests.has_overrides)
def check_override_only_wildcard(setup: Setup) -> list[str]:
    """"Even if a policy matches a collection name, you can choose to override this automatic
    assignment during collection creation if the resource pattern contains a wildcard (*)." A
    collection whose name a policy matches exactly (no wildcard) cannot override its key."""
    return requests.override_errors(setup)


@AOSS_11.behavior_(examples=ex.override_examples)
def scenario_auto_policy(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"If you choose to override the automatic key assignment, OpenSearch Serverless creates an
    encryption policy named auto-<collection-name> and attaches it to the collection. The policy
    initially applies to a single collection, but you can modify it to include additional collections"
    (``auto_rules`` is the one collection; ``auto_update``: UpdateSecurityPolicy adding a second pattern to
    the auto policy succeeds). Overriding a match without a wildcard is refused (ValidationException: the
    auto policy would repeat a name another policy has, AOSS-07); there is then no auto policy to update
    (ResourceNotFoundException). Inferred: the page names neither error; any refusal (client error) is
    accepted where the reference model answers one of them."""
    name, stem = aoss.names(target, example)
    keys = {"K1": steps.new_key(target)["Arn"]}
    full = stem + example["suffix"]
    pattern = f"collection/{stem}*" if example["wildcard"] else f"collection/{full}"
    aoss.create_policy(target, name, encryption_policies([pattern], None))
    coll = aoss.create_collection(target, full, encryptionConfig={"aWSOwnedKey": False, "kmsKeyArn": keys["K1"]})
    auto, resources, widened = aoss.auto_policy(target, full, keys["K1"])
    return {"CreateCollection": coll.code, "key": aoss.key_label(target, full, keys),
            "GetSecurityPolicy": auto.code, "auto_rules": [r.replace(full, "<C>") for r in resources],
            "auto_update": widened.code}


AOSS_06 = rule_in(_S_POLICIES)(
    "AOSS-06", "When rules of several policies match a collection, the more specific rule is used",
    quote="여러 정책의 규칙이 컬렉션과 일치하는 경우 더 구체적인 규칙이 사용됩니다.",
    quote_en="When rules of several policies match a collection, the more specific rule is used.",
    operations=_ops("CreateSecurityPolicy", "CreateCollection", "BatchGetCollection"),
)


@AOSS_06.behavior_(examples=ex.specificity_examples)
def scenario_most_specific(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"If rules in multiple policies match a collection, the more specific rule is used" (collection/log*
    against collection/logSpecial: the second policy's key). Together with "a collection can be
    matched by only one encryption policy" (고려 사항): the collection gets exactly the key of the most
    specific rule. An exact name is more specific than any prefix; a longer prefix than a shorter."""
    name, stem = aoss.names(target, example)
    keys = {"K1": steps.new_key(target)["Arn"], "K2": steps.new_key(target)["Arn"]}
    full = stem + example["suffix"]
    exact = example["specific_form"] == "exact"
    specific = f"collection/{full}" if exact else f"collection/{stem}{example['suffix'][:1]}*"
    general = (f"{name}-g"[:32], encryption_policies([f"collection/{stem}*"], keys["K1"]))
    special = (f"{name}-s"[:32], encryption_policies([specific], keys["K2"]))
    order = [general, special] if example["general_first"] else [special, general]
    codes = [aoss.create_policy(target, n, d).code for n, d in order]
    coll, key = aoss.new_collection_key(target, full, keys)
    return {"CreateSecurityPolicy": codes, "CreateCollection": coll, "key": key}


AOSS_07 = rule_in(_S_POLICIES)(
    "AOSS-07", "A name or prefix already used in another encryption policy cannot be used again",
    quote="이름이나 접두사가 다른 정책에 이미 있는 경우 정책에 해당 이름이나 접두사를 사용할 수 없습니다.",
    quote_en="A policy cannot use a name or prefix that already exists in another policy.",
    operations=_ops("CreateSecurityPolicy"),
)


@AOSS_07.config(applies=requests.has_encryption_policies)
def check_pattern_unique(setup: Setup) -> list[str]:
    """"You can't use a name or prefix in a policy if it already exists in another policy.
    OpenSearch Serverless displays an error if you try to configure identical resource patterns in
    different encryption policies." The API refuses it with ValidationException (ConflictException
    is for a policy *name* already taken: see the model's module docstring)."""
    return requests.repeated_pattern_errors(setup)


@AOSS_07.behavior_(examples=ex.conflict_examples)
def scenario_pattern_conflict(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """A second policy with a pattern the first one has is refused (ValidationException); a second
    policy with a different pattern is accepted."""
    name, stem = aoss.names(target, example)
    pattern = f"collection/{stem}*" if example["form"] == "prefix" else f"collection/{stem}"
    first = aoss.create_policy(target, f"{name}-a"[:32], encryption_policies([pattern], None)).code
    other = f"collection/{stem}{example['suffix']}x" if example["same"] is False else pattern
    second = aoss.create_policy(target, f"{name}-b"[:32], encryption_policies([other], None)).code
    return {"first": first, "second": second}


# --- 고려 사항 (Considerations) ----------------------------------------------------------------------

AOSS_05 = rule_in(_S_CONSIDER)(
    "AOSS-05", "Encryption at rest is required: a collection needs a matching encryption policy",
    quote="저장된 암호화는 모든 서버리스 컬렉션에 필수입니다.",
    quote_en="Encryption at rest is required for all serverless collections.",
    operations=_ops("CreateCollection"),
)


@AOSS_05.config(applies=requests.has_collections)
def check_collection_has_policy(setup: Setup) -> list[str]:
    """"Encryption at rest is required for all serverless collections." A collection is created only
    when an encryption policy matches its name (or, under AOSS-11, its creation gives its own key).
    The recommendation to create the policy first is AOSS-19's; a setup satisfies both by listing
    the policy."""
    return requests.unmatched_collection_errors(setup)


@AOSS_05.behavior_(examples=ex.needs_policy_examples)
def scenario_collection_needs_policy(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """CreateCollection with no matching encryption policy is refused (ValidationException); with one,
    it succeeds. The policy names the collection exactly (prefix matching is AOSS-04's) with a customer
    managed key (a collection under the AWS owned key is AOSS-11's subject)."""
    name, stem = aoss.names(target, example)
    facts: dict[str, Any] = {}
    if example["with_policy"]:
        doc = encryption_policies(aoss.exact(stem, "a"), steps.new_key(target)["Arn"])
        facts["CreateSecurityPolicy"] = aoss.create_policy(target, name, doc).code
    facts["CreateCollection"] = aoss.create_collection(target, stem + "a").code
    return facts


AOSS_12 = rule_in(_S_CONSIDER)(
    "AOSS-12", "With a customer managed key, enable automatic key rotation",
    severity="should",
    quote="고객 관리형 키를 선택하는 경우 자동 키 교체를 활성화하는 것이 좋습니다.",
    quote_en="If you choose a customer managed key, we recommend that you turn on automatic key rotation.",
    operations=_ops("kms:GetKeyRotationStatus"),
)


@AOSS_12.config(applies=requests.described_customer_keys)
def check_rotation(setup: Setup) -> list[str]:
    """"If you choose a customer managed key, we recommend enabling automatic key rotation." A setup
    key says so with ``"keyRotationEnabled": true`` (GetKeyRotationStatus's KeyRotationEnabled)."""
    return requests.rotation_errors(setup)


# --- 필요한 권한 (Permissions required) -------------------------------------------------------------

AOSS_13 = rule_in(_S_PERMS)(
    "AOSS-13", "Managing encryption policies needs the aoss:*SecurityPolicy permissions, which IAM conditions "
               "can limit to collections",
    quote="aoss:CreateSecurityPolicy – 암호화 정책을 생성합니다. ... "
          "사용자를 특정 컬렉션으로 제한하도록 IAM 조건을 지정할 수 있습니다.",
    quote_en="aoss:CreateSecurityPolicy – creates encryption policies. ... You can give IAM conditions that limit "
             "users to specific collections.",
    operations=_ops("CreateSecurityPolicy", "ListSecurityPolicies", "iam:CreateRole", "iam:PutRolePolicy"),
)


@AOSS_13.config(applies=requests.has_caller_policy_requests)
def check_iam_permissions(setup: Setup) -> list[str]:
    """"Encryption at rest for OpenSearch Serverless uses the following IAM permissions. You can
    specify IAM conditions to restrict users to specific collections": aoss:CreateSecurityPolicy,
    aoss:ListSecurityPolicies, aoss:GetSecurityPolicy, aoss:UpdateSecurityPolicy,
    aoss:DeleteSecurityPolicy. The caller's identity policies (``identityPolicies[caller]``) must
    allow the action of each request for each collection pattern it names, evaluated with the IAM
    policy evaluation logic (the sample limits it with ``StringEquals aoss:collection``)."""
    return requests.iam_errors(setup)


@AOSS_13.behavior_(examples=ex.iam_examples)
def scenario_iam_permissions(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """With the page's sample identity policy for ``application-logs`` (here a fresh name), the user
    may create an encryption policy for that collection, not for another; and may list policies."""
    name, stem = aoss.names(target, example)
    role = steps.new_role(target, "aoss-user", inline_policies={"aoss": ex.sample_identity_policy(stem)})
    pattern = f"collection/{stem}" if example["allowed"] else f"collection/{stem}{example['suffix']}"
    created = aoss.create_policy(target, name, encryption_policies([pattern], None), principal=role)
    listed = aoss.call(target, "ListSecurityPolicies", {"type": "encryption"}, principal=role)
    return {"CreateSecurityPolicy": created.code, "ListSecurityPolicies": listed.code}


# --- 고객 관리형 키에 대한 키 정책 (Key policy for a customer managed key) ------------------------------

AOSS_14 = rule_in(_S_KEYPOLICY)(
    "AOSS-14", "The principal needs kms:DescribeKey and kms:CreateGrant on the key through OpenSearch Serverless",
    quote="해당 보안 주체, 사용자 또는 역할은 서버리스에 필요한 KMS 키에 대한 권한을 가지고 있어야 합니다.",
    quote_en="That principal, user or role, must have the permissions on the KMS key that Serverless needs.",
    operations=_ops("CreateSecurityPolicy", "kms:CreateKey", "iam:CreateRole"),
    inferred="error code",
)


@AOSS_14.config(applies=requests.described_customer_keys)
def check_key_permissions(setup: Setup) -> list[str]:
    """"When you choose a customer managed key to protect a collection, OpenSearch Serverless gets
    permission to use the KMS key on behalf of the principal who makes the selection. That principal,
    a user or role, must have the permissions on the KMS key that OpenSearch Serverless requires": the
    page's minimum statement gives kms:DescribeKey and kms:CreateGrant through
    ``aoss.<region>.amazonaws.com`` (kms:ViaService) for an AWS resource (kms:GrantIsForAWSResource
    true). Checked as the page writes it: both actions for the principal, through OpenSearch
    Serverless, in the request context the page's statement is written for (the grant the service
    creates on the principal's behalf, for an AWS resource). Evaluated by the KMS reference model over
    the key policy, the caller's identity policies and grants.

    Inferred, not stated: the page lists DescribeKey among the internal operations the service
    performs with the grant ("제공된 대칭 고객 관리 키 ID가 유효한지 ... DescribeKey요청"), and puts it in the
    statement conditioned on kms:GrantIsForAWSResource. A stricter reading (a DescribeKey request of
    the principal's own carries no kms:GrantIsForAWSResource, so the page's Bool condition would not
    match it: "AWS KMS condition keys") would fail the page's own sample; the page is not
    demonstrably wrong about what the service needs, so this rule does not claim it."""
    described = {key.arn: key for _path, _arn, key in requests.customer_keys(setup) if key is not None}
    reasons = []
    for key in described.values():
        reasons += access_reasons(setup, key, setup.caller, ["kms:DescribeKey"], via_service="aoss",
                                  context=model.FOR_AWS_RESOURCE)
        reasons += access_reasons(setup, key, setup.caller, ["kms:CreateGrant"], via_service="aoss",
                                  context=model.GRANT_CONTEXT)
    return reasons


@AOSS_14.behavior_(examples=ex.key_policy_examples)
def scenario_key_permissions(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """A role whose key policy statement allows kms:CreateGrant through aoss.<region>.amazonaws.com
    (and whose identity policy allows kms:DescribeKey) can create an encryption policy with the key;
    without CreateGrant, or with the statement bound to another service or Region, it is refused.
    Inferred: the page names no error; any refusal (client error) is accepted where the reference model
    answers AccessDeniedException."""
    name, stem = aoss.names(target, example)
    region = target.region
    if example["via"] == "other-region":
        region = example["other_region"] if example["other_region"] != target.region else "eu-west-1"
    service = "aoss" if example["via"] != "other-service" else "es"
    actions = ex.KEY_POLICY_ACTIONS if example["grant_action"] else ("kms:DescribeKey",)
    role, key = aoss.role_and_key(target, region, service, actions)
    created = aoss.create_policy(target, name, encryption_policies([f"collection/{stem}*"], key), principal=role)
    return {"CreateSecurityPolicy": created.code}


# --- OpenSearch 서버리스에서 권한 부여를 사용하는 방법 (How OpenSearch Serverless uses grants) -------------

AOSS_15 = rule_in(_S_GRANTS)(
    "AOSS-15", "A policy with a new key makes OpenSearch Serverless create a grant for DescribeKey, "
               "GenerateDataKey and Decrypt",
    quote="새 키로 계정에 암호화 정책을 만들면 OpenSearch 서버리스가 CreateGrant요청을 "
          "전송하여 사용자를 대신하여 권한 부여를 생성합니다.",
    quote_en="When you create an encryption policy with a new key in your account, OpenSearch Serverless sends a "
             "CreateGrant request to create a grant on your behalf.",
    operations=_ops("kms:ListGrants", "CreateSecurityPolicy"),
)


@AOSS_15.behavior_(examples=ex.lifecycle_examples)
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
    name, stem, key, created = aoss.policy_with_new_key(target, example)
    facts: dict[str, Any] = {"CreateSecurityPolicy": [created.code]}
    if example["second"]:
        again = encryption_policies([f"collection/{aoss.outside(stem)}"], key)
        facts["CreateSecurityPolicy"].append(aoss.create_policy(target, f"{name}-2"[:32], again).code)
    facts["ListGrants"], grants = aoss.grant_operations(target, key)
    facts["grants"] = len(grants)
    facts["page_operations"] = bool(grants) and all({"GenerateDataKey", "Decrypt"} <= set(g) for g in grants)
    facts["only_internal_operations"] = bool(grants) and all(set(g) <= set(model.GRANT_OPERATIONS) for g in grants)
    return facts


AOSS_16 = rule_in(_S_GRANTS)(
    "AOSS-16", "Revoking the grant leaves OpenSearch Serverless unable to use the key: dependent work fails",
    quote="이렇게 하면 OpenSearch 서버리스는 고객 관리 키로 암호화된 데이터에 액세스할 수 없게 되며, "
          "... 비동기 워크플로우에서 AccessDeniedException 오류와 실패로 이어집니다.",
    quote_en="This leaves OpenSearch Serverless unable to access data encrypted with the customer managed key, ... "
             "which leads to AccessDeniedException errors and failures in asynchronous workflows.",
    operations=_ops("CreateSecurityPolicy", "CreateCollection", "kms:RevokeGrant", "kms:ListGrants",
                    "BatchGetCollection"),
)


@AOSS_16.behavior_(examples=ex.lifecycle_examples, lifecycle=True)
def scenario_revoked_grant(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"You can revoke access to the grant, or remove the service's access to the customer managed key
    at any time. If you do, OpenSearch Serverless can't access any data encrypted by the key, which
    affects all the operations that depend on that data, leading to AccessDeniedException errors and
    failures in asynchronous workflows." Observed on work that depends on the key: a collection created
    under the policy after the revocation cannot get its data encrypted, so its creation fails, whether
    refused or accepted and ended FAILED (the page says only that dependent operations fail, not which
    way); with the grant kept it ends ACTIVE. The policy names the collection exactly; a grant to revoke
    is a stage step (:func:`aoss.revoke_grants`: without one the rule is inconclusive, blocked by AOSS-15)."""
    _, stem, key, _ = aoss.policy_with_new_key(target, example)
    facts: dict[str, Any] = {}
    if example["second"]:  # revoke
        facts["RevokeGrant"] = aoss.revoke_grants(target, key)
    facts["CreateCollection"] = aoss.created_collection(target, stem + "a").fact
    return facts


AOSS_17 = rule_in(_S_GRANTS)(
    "AOSS-17", "The grant is retired once the key is associated with no security policy or collection",
    quote="OpenSearch 서버리스는 특정 고객 관리 키가 보안 정책 또는 컬렉션과 관련이 없는 경우 "
          "비동기 워크플로우에서 권한 부여를 사용 중지합니다.",
    quote_en="OpenSearch Serverless retires grants in an asynchronous workflow when a customer managed key is no "
             "longer associated with any security policy or collection.",
    operations=_ops("CreateSecurityPolicy", "DeleteSecurityPolicy", "CreateCollection", "DeleteCollection",
                    "kms:ListGrants"),
)


@AOSS_17.behavior_(examples=ex.lifecycle_examples, lifecycle=True)
def scenario_grant_retired(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"OpenSearch Serverless retires the grant in an asynchronous workflow when a given customer
    managed key is not associated with any security policies or collections." With a collection
    still using the key, deleting the policy keeps the grant; deleting the collection then retires it.
    (Asynchronous on AWS: a real account may need a wait before ListGrants shows it.)"""
    name, stem, key, _ = aoss.policy_with_new_key(target, example)
    coll_id = aoss.collection_id(aoss.create_collection(target, stem + "a")) if example["second"] else None
    facts: dict[str, Any] = {"DeleteSecurityPolicy": aoss.delete_policy(target, name).code}
    facts["grants_after_policy_deleted"] = len(aoss.grant_operations(target, key)[1])
    if coll_id is not None:
        facts["DeleteCollection"] = aoss.call(target, "DeleteCollection", {"id": coll_id}).code
        facts["grants_after_collection_deleted"] = len(aoss.grant_operations(target, key)[1])
    return facts


# --- 암호화 정책 생성(콘솔) (Creating encryption policies, console) ---------------------------------------

AOSS_19 = rule_in(_S_CONSOLE)(
    "AOSS-19", "Create the encryption policy before the collection",
    severity="should",
    quote="컬렉션을 생성하기 전에 암호화 정책을 생성하는 것이 좋습니다.",
    quote_en="We recommend that you create an encryption policy before you create a collection.",
    operations=_ops("CreateSecurityPolicy", "CreateCollection"),
)


@AOSS_19.config(applies=requests.has_collections)
def check_policy_first(setup: Setup) -> list[str]:
    """"We recommend that you create encryption policies before you create collections." A collection
    that no policy of the setup matches, created with its own ``encryptionConfig`` instead, keeps the
    requirement (AOSS-05: an ``auto-<name>`` policy is made for it) but not this recommendation.
    (The page's other advice, to preview existing policies with ListSecurityPolicies before creating a
    collection, concerns the user's procedure and is not decidable from a setup.)"""
    return requests.late_policy_collections(setup)


# --- 암호화 정책 보기 (Viewing encryption policies) -------------------------------------------------------

AOSS_20 = rule_in(_S_VIEW)(
    "AOSS-20", "ListSecurityPolicies lists every encryption policy; GetSecurityPolicy shows one with its KMS key",
    quote="다음 ListSecurityPolicies요청에는 계정의 모든 암호화 정책이 나열되어 있습니다. ... "
          "KMS 키를 비롯한 특정 정책에 대한 세부 정보를 보려면 GetSecurityPolicy명령을 사용하십시오.",
    quote_en="The following ListSecurityPolicies request lists all the encryption policies in the account. ... To "
             "see the details of a specific policy, including its KMS key, use the GetSecurityPolicy command.",
    operations=_ops("CreateSecurityPolicy", "ListSecurityPolicies", "GetSecurityPolicy"),
)


@AOSS_20.behavior_(examples=ex.lifecycle_examples)
def scenario_view_policies(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"The following ListSecurityPolicies request lists all encryption policies in your account"; "the
    request returns information about all configured encryption policies"; "to view the details of a
    specific policy, including the KMS key, use the GetSecurityPolicy command". Two fresh policies (one
    with a KMS key, one with the AWS owned key) are both listed; GetSecurityPolicy of one returns its
    document with its key (``K1``, or ``auto`` for ``AWSOwnedKey`` true without a KmsARN). Page defect:
    the sample output shows ``securityPolicyDetails`` with a ``policy`` element to read the rules from;
    the API returns ``securityPolicySummaries`` without the document (ListSecurityPolicies, API
    Reference), so the rules and the key are read with GetSecurityPolicy, as the next sentence says."""
    name, stem = aoss.names(target, example)
    keys = {"K1": steps.new_key(target)["Arn"]}
    with_key, owned = f"{name}-k"[:32], f"{name}-o"[:32]
    created = [aoss.create_policy(target, with_key, encryption_policies([f"collection/{stem}*"], keys["K1"])).code,
               aoss.create_policy(target, owned, encryption_policies([f"collection/{aoss.outside(stem)}*"], None)).code]
    listed_code, listed = aoss.listed_policy_names(target)
    wanted = owned if example["second"] else with_key
    got, key = aoss.policy_key(target, wanted, keys)
    return {"CreateSecurityPolicy": created, "ListSecurityPolicies": listed_code,
            "listed": {with_key, owned} <= listed, "GetSecurityPolicy": got.code, "key": key}


# --- 암호화 정책 업데이트 (Updating encryption policies) --------------------------------------------------

AOSS_08 = rule_in(_S_UPDATE)(
    "AOSS-08", "Updating the KMS key of a policy does not change the key of existing collections",
    quote="암호화 정책에서 KMS 키를 업데이트하면 변경된 이름 또는 패턴과 일치하는 "
          "새로 생성한 컬렉션에만 변경 내용이 적용됩니다.",
    quote_en="When you update the KMS key in an encryption policy, the change applies only to newly created "
             "collections that match the changed name or pattern.",
    operations=_ops("CreateSecurityPolicy", "UpdateSecurityPolicy", "CreateCollection", "BatchGetCollection"),
)


@AOSS_08.behavior_(examples=ex.lifecycle_examples, lifecycle=True)
def scenario_update_key(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"If you update the KMS key in an encryption policy, the change applies only to newly created
    collections matching the name or pattern; existing collections with a KMS key already assigned
    are unaffected" (also 고려 사항: "컬렉션을 생성한 후에는 컬렉션의 암호화 키를 변경할 수 없습니다").
    A collection created before the update keeps K1; one created after gets K2. The policy names both
    collections exactly (prefix matching is AOSS-04's)."""
    name, stem = aoss.names(target, example)
    keys = {"K1": steps.new_key(target)["Arn"], "K2": steps.new_key(target)["Arn"]}
    created = aoss.create_policy(target, name, encryption_policies(aoss.exact(stem, "a", "b"), keys["K1"]))
    before = aoss.create_collection(target, stem + "a").code
    updated = aoss.update_policy(target, name, aoss.policy_version(created),
                                 encryption_policies(aoss.exact(stem, "a", "b"), keys["K2"])).code
    after = aoss.create_collection(target, stem + "b").code
    return {"CreateCollection": [before, after], "UpdateSecurityPolicy": updated,
            "existing": aoss.key_label(target, stem + "a", keys),
            "new": aoss.key_label(target, stem + "b", keys)}


AOSS_09 = rule_in(_S_UPDATE)(
    "AOSS-09", "A policy rule changed so that it no longer matches a collection does not unassign its key",
    quote="더 이상 컬렉션 이름과 일치하지 않도록 정책 규칙을 수정해도 기존 컬렉션에 할당된 KMS 키는 손실되지 않습니다.",
    quote_en="Changing a policy's rules so that they no longer match a collection's name does not take away the KMS "
             "key assigned to existing collections.",
    operations=_ops("CreateSecurityPolicy", "UpdateSecurityPolicy", "CreateCollection", "BatchGetCollection"),
)


@AOSS_09.behavior_(examples=ex.lifecycle_examples, lifecycle=True)
def scenario_update_rules(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"If you modify the policy rules so that they no longer match a collection, the associated KMS
    key isn't unassigned from it; the collection always stays encrypted with its initial key"
    (암호화 정책 section, and again under 암호화 정책 업데이트). Also "정책 일치 규칙에도 동일하게 적용됩니다.
    규칙을 추가, 수정 또는 삭제하면 새로 생성한 컬렉션에만 변경 사항이 적용됩니다" (the same holds for the
    matching rules: added, changed or removed rules apply only to collections created afterwards): after the
    update a new collection matching the new rule gets the key (``new_matching``), and a new one matching
    only the old rule has no policy any more (``new_old_pattern``: ValidationException, AOSS-05). The
    rules name the collections exactly (prefix matching is AOSS-04's)."""
    name, stem = aoss.names(target, example)
    keys = {"K1": steps.new_key(target)["Arn"]}
    created = aoss.create_policy(target, name, encryption_policies(aoss.exact(stem, "a", "b"), keys["K1"]))
    coll = aoss.create_collection(target, stem + "a").code
    moved = f"{aoss.outside(stem)}{example['suffix']}"
    updated = aoss.update_policy(target, name, aoss.policy_version(created),
                                 encryption_policies([f"collection/{moved}"], keys["K1"])).code
    new_matching = aoss.create_collection(target, moved).code
    new_old = aoss.create_collection(target, stem + "b").code
    return {"CreateCollection": coll, "UpdateSecurityPolicy": updated,
            "existing": aoss.key_label(target, stem + "a", keys),
            "new_matching": [new_matching, aoss.key_label(target, moved, keys)],
            "new_old_pattern": new_old}


AOSS_18 = rule_in(_S_UPDATE)(
    "AOSS-18", "UpdateSecurityPolicy names the current policy version",
    quote="aws opensearchserverless update-security-policy \\ --name sales-inventory \\ --type encryption \\ "
          "--policy-version 2",
    quote_en="aws opensearchserverless update-security-policy \\ --name sales-inventory \\ --type encryption \\ "
             "--policy-version 2 (a command, the same in every language)",
    operations=_ops("CreateSecurityPolicy", "UpdateSecurityPolicy"),
)


@AOSS_18.config(applies=requests.has_updates)
def check_policy_version(setup: Setup) -> list[str]:
    """The page's update request passes ``--policy-version``; the API requires ``policyVersion``
    (UpdateSecurityPolicy: "policyVersion ... Required: Yes", 20-36 characters), the version
    CreateSecurityPolicy/GetSecurityPolicy returned (e.g. ``MTY2MzY5MzIxNzgyNl8x`` in the page's
    ListSecurityPolicies output). The page's ``2`` is illustrative: too short for the API."""
    return requests.policy_version_errors(setup)


@AOSS_18.behavior_(examples=ex.lifecycle_examples)
def scenario_policy_version(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """An update naming the current policyVersion succeeds; one naming a version the policy no longer
    has is refused with ValidationException."""
    name, stem = aoss.names(target, example)
    created = aoss.create_policy(target, name, encryption_policies([f"collection/{stem}*"], None))
    version = aoss.policy_version(created)
    if example["second"]:  # stale
        version = aoss.STALE_VERSION
    widened = encryption_policies([f"collection/{stem}*", f"collection/{aoss.outside(stem)}"], None)
    updated = aoss.update_policy(target, name, version, widened)
    return {"CreateSecurityPolicy": created.code, "UpdateSecurityPolicy": updated.code}


# --- 암호화 정책 삭제 (Deleting encryption policies) ------------------------------------------------------

AOSS_10 = rule_in(_S_DELETE)(
    "AOSS-10", "Deleting an encryption policy does not affect collections using its KMS key",
    quote="암호화 정책을 삭제해도 정책에 정의된 KMS 키를 현재 사용하고 있는 컬렉션은 영향을 받지 않습니다.",
    quote_en="Deleting an encryption policy does not affect collections that currently use the KMS key defined in "
             "the policy.",
    operations=_ops("CreateSecurityPolicy", "DeleteSecurityPolicy", "CreateCollection", "BatchGetCollection"),
)


@AOSS_10.behavior_(examples=ex.lifecycle_examples, lifecycle=True)
def scenario_delete_policy(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"When you delete an encryption policy, collections currently using the KMS key defined in the
    policy are not affected": the collection keeps its key and stays ACTIVE."""
    name, stem = aoss.names(target, example)
    keys = {"K1": steps.new_key(target)["Arn"]}
    aoss.create_policy(target, name, encryption_policies(aoss.exact(stem, "a"), keys["K1"]))
    coll = aoss.create_collection(target, stem + "a").code
    deleted = aoss.delete_policy(target, name).code
    _code, key, status = aoss.collection_key(target, stem + "a")
    return {"CreateCollection": coll, "DeleteSecurityPolicy": deleted, "existing": aoss.label(key, keys),
            "active": status == "ACTIVE"}


register_service(ServiceSpec(name=SERVICE, compliant=ex.compliant_setups, mutators=ex.MUTATORS,
                             parse_request=model.parse_request))
