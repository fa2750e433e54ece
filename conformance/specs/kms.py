"""The AWS KMS semantics the four service pages rely on, made executable (rules ``KMS-01``...).

The catalogue knows five documents: 004_1f23ff3028fec3c5.txt (Amazon Forecast, "Data Protection
in Amazon Forecast"), its Korean translation 000, 001_33dc1ec0c5fdd4cf.txt (SageMaker Feature Store,
Indonesian), 002_c2442b383cdbec83.txt (OpenSearch Serverless, Korean) and 003_38db2e13c46896ae.txt
(Amazon MWAA, Korean). Each rule here cites the sentence of one of them that states, or depends
on, a KMS behaviour; the AWS KMS Developer Guide page that makes the behaviour precise is named in
the rule's docstring ("Key policies in AWS KMS", "Grants in AWS KMS", "Retiring and revoking
grants", "AWS KMS condition keys", "Key states of AWS KMS keys", "Default key policy").

Rules with ``service="kms"`` apply to every setup: their config checks say "not applicable" when
the setup has nothing they judge. Behaviour scenarios use only plain KMS and IAM calls (CreateKey,
PutKeyPolicy, CreateGrant, Encrypt/Decrypt/GenerateDataKey as a role, RevokeGrant, RetireGrant,
ListGrants, DisableKey...) and compare outcome codes only: these are the rules where emulators
that do not enforce key policies or grants (moto 5.2) differ from AWS, so the reference model
decides and the facts are exact, request-determined values (see ``kms_conformance.strategies.kms_scenarios``).
The scenario steps are :mod:`kms_conformance.scenarios.kms`; the ServiceSpec's compliant setups and
mutators :mod:`kms_conformance.strategies.kms_setups`.
"""

from __future__ import annotations

from typing import Any

from kms_conformance.arns import parse_key_arn, root_arn
from kms_conformance.kms import OPERATIONS_BY_KEY_USAGE
from kms_conformance.rules import RuleBuilder, ServiceSpec, register_service
from kms_conformance.rules import rule as _rule
from kms_conformance.scenarios import steps
from kms_conformance.scenarios.kms import (
    account_may,
    create_grant,
    grant_ids,
    key_policy_document,
    key_with,
    policy_feature,
    prepare,
    put_identity_policy,
    put_policy,
    roles,
    run_grant_program,
    same_policy,
    use_key,
)
from kms_conformance.setup import Setup
from kms_conformance.specs.access import (
    condition_value_matches,
    evaluate_access,
    grants_on_setup_keys,
    via_service_conditions,
    via_service_in_region,
    who_may,
)
from kms_conformance.strategies import kms_scenarios as ks
from kms_conformance.strategies.kms_setups import MUTATORS, compliant_setups
from kms_conformance.targets.base import Target

FORECAST = "004_1f23ff3028fec3c5.txt"
FEATURE_STORE = "001_33dc1ec0c5fdd4cf.txt"
AOSS = "002_c2442b383cdbec83.txt"
MWAA = "003_38db2e13c46896ae.txt"


def rule(id: str, title: str, **kwargs: Any) -> RuleBuilder:
    """:func:`kms_conformance.rules.rule`, filed under the ``kms`` document group: these rules are the
    KMS semantics all the pages share, each quoting the page sentence that states or depends on it."""
    return _rule(id, title, group="kms", **kwargs)

# --- KMS-01 / KMS-02: the key policy ------------------------------------------------------------

KMS_01 = rule(
    "KMS-01", "A customer managed key has exactly one key policy", service="kms", doc=FORECAST,
    section="Create a customer managed key",
    quote="Every customer managed key must have exactly one key policy",
    operations=("kms:CreateKey", "kms:ListKeyPolicies", "kms:PutKeyPolicy", "kms:GetKeyPolicy"),
)


@KMS_01.behavior_(examples=ks.policy_documents)
def one_key_policy(target: Target, example: Any) -> dict[str, Any]:
    """A key is created with a policy; ListKeyPolicies names one policy, ``default``; PutKeyPolicy
    replaces it (it adds no second one) and GetKeyPolicy returns the new one ("Key policies in
    AWS KMS": "Every KMS key must have exactly one key policy"; PutKeyPolicy: "PolicyName ...
    The only valid value is default")."""
    values = roles(target, "ROLE", "OTHER")
    key = key_with(target, values, example["Statement"][1:], "all")
    names_before = steps.kms(target, "ListKeyPolicies", {"KeyId": key})
    replacement = key_policy_document(values, [], "all")
    put = put_policy(target, key, replacement)
    names_after = steps.kms(target, "ListKeyPolicies", {"KeyId": key})
    got = steps.kms(target, "GetKeyPolicy", {"KeyId": key, "PolicyName": "default"})
    return {
        "policies_after_create": sorted(names_before.value.get("PolicyNames", [])) if names_before.ok
        else names_before.code,
        "put": put.code,
        "policies_after_put": sorted(names_after.value.get("PolicyNames", [])) if names_after.ok
        else names_after.code,
        "get_returns_new_policy": got.ok and same_policy(got.value.get("Policy", ""), replacement),
    }


KMS_02 = rule(
    "KMS-02", "CreateKey attaches the key policy given, or the default key policy", service="kms", doc=FORECAST,
    section="Create a customer managed key",
    quote="When you create your customer managed key, you can specify a key policy.",
    operations=("kms:CreateKey", "kms:GetKeyPolicy"),
)


@KMS_02.behavior_(examples=ks.policy_documents)
def policy_at_creation(target: Target, example: Any) -> dict[str, Any]:
    """CreateKey with ``Policy`` keeps that policy; CreateKey without one attaches the default key
    policy, whose account statement allows ``kms:*`` to the account ("Default key policy": "the
    default key policy ... gives the AWS account ... full access to the KMS key")."""
    values = roles(target, "ROLE", "OTHER")
    given = key_policy_document(values, example["Statement"][1:], "all")
    meta = steps.new_key(target, given)
    kept = steps.kms(target, "GetKeyPolicy", {"KeyId": meta["Arn"], "PolicyName": "default"})
    bare = steps.must("kms:CreateKey", steps.kms(target, "CreateKey", {"Description": "kms-conformance"}))
    bare_arn = str(bare.value["KeyMetadata"]["Arn"])
    default = steps.kms(target, "GetKeyPolicy", {"KeyId": bare_arn, "PolicyName": "default"})
    text = default.value.get("Policy", "") if default.ok else ""
    return {
        "given_policy_kept": kept.ok and same_policy(kept.value.get("Policy", ""), given),
        "default_allows_account_decrypt": default.ok and account_may(text, target.account, bare_arn, "kms:Decrypt"),
        "default_allows_account_put_key_policy": default.ok and account_may(text, target.account, bare_arn,
                                                                             "kms:PutKeyPolicy"),
    }


# --- KMS-03 / KMS-04: who may use the key ------------------------------------------------------

KMS_03 = rule(
    "KMS-03", "The key policy decides who can use the key and how", service="kms", doc=FORECAST,
    section="Create a customer managed key",
    quote="Key policies control access to your customer managed key.",
    operations=("kms:CreateKey", "iam:PutRolePolicy", "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey",
                "kms:DescribeKey"),
)


@KMS_03.behavior_(examples=ks.key_policy_cases)
def key_policy_decides(target: Target, example: Any) -> dict[str, Any]:
    """A role calls the key under a generated key policy (and maybe an identity policy): allowed
    exactly when "Key policies in AWS KMS" / "Determining access to an AWS KMS key" say so: an
    explicit Deny anywhere wins; a key policy statement naming the role allows by itself; one
    naming only the account allows only with an identity policy that allows too; conditions on
    kms:CallerAccount, kms:ViaService, kms:EncryptionContext:*, aws:PrincipalArn hold or not for
    the request. Fact: the call's outcome code."""
    values = roles(target, "ROLE", "OTHER")
    key = key_with(target, values, example["statements"], example["account"])
    if example["identity"] is not None:
        put_identity_policy(target, values["ROLE"], steps.fill(example["identity"], values))
    blob = prepare(target, example["call"], key, example["context"])
    out = use_key(target, example["call"], key, values["ROLE"], context=example["context"], ciphertext=blob)
    return {"call": out.code, "_feature": policy_feature(example)}


KMS_04 = rule(
    "KMS-04", "IAM policies give access only where the key policy delegates to the account", service="kms",
    doc=FORECAST, section="Create a customer managed key",
    quote="These are the minimal permissions required, these can be added using IAM policies as well.",
    operations=("kms:CreateKey", "iam:PutRolePolicy", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"),
)


@KMS_04.behavior_(examples=ks.delegation_cases)
def iam_needs_delegation(target: Target, example: Any) -> dict[str, Any]:
    """A role whose identity policy allows a KMS action may call it only when the key policy's
    account statement covers that action ("Default key policy": the account statement "allows IAM
    policies to allow access to the KMS key"; without it "IAM policies by themselves are not
    sufficient"). Page 001 says the same ("Anda dapat memberikan izin ini dalam kebijakan kunci,
    kebijakan IAM, atau pemberian izin": key policy, IAM policy or grant). Fact: the outcome code."""
    values = roles(target, "ROLE")
    key = key_with(target, values, [], example["account"])
    put_identity_policy(target, values["ROLE"], steps.fill({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": example["allow"], "Resource": example["resource"]}]}, values))
    return {"call": use_key(target, example["call"], key, values["ROLE"]).code}


# --- KMS-05 ... KMS-10: grants -----------------------------------------------------------------

KMS_05 = rule(
    "KMS-05", "A grant gives its grantee exactly the listed operations", service="kms", doc=FORECAST,
    section="How Amazon Forecast uses grants in AWS KMS",
    quote="Grants in AWS KMS are used to give Amazon Forecast access to an AWS KMS key in a customer account.",
    operations=("kms:CreateGrant", "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"),
)


@KMS_05.behavior_(examples=ks.grant_cases)
def grant_allows_its_operations(target: Target, example: Any) -> dict[str, Any]:
    """A role that neither the key policy nor an IAM policy lets use the key gets a grant; its
    call is allowed exactly when the grant lists the operation and the request's encryption
    context meets the grant's constraint ("Grants in AWS KMS"; "GrantConstraints":
    EncryptionContextEquals is an exact match, EncryptionContextSubset needs the pairs among the
    request's). The call carries the grant token, so the grant is effective at once on AWS too
    (grants are eventually consistent). Fact: the call's outcome code."""
    values = roles(target, "ROLE")
    key = key_with(target, values, [], "all")
    grant = steps.must("kms:CreateGrant", create_grant(target, key, values["ROLE"], example["operations"],
                                                       constraints=example["constraints"]))
    token = grant.value.get("GrantToken")
    blob = prepare(target, example["call"], key, example["context"])
    out = use_key(target, example["call"], key, values["ROLE"], context=example["context"],
                  grant_tokens=[str(token)] if token else None, ciphertext=blob)
    return {"call": out.code}


KMS_06 = rule(
    "KMS-06", "A grant lists only operations the key's type supports", service="kms", doc=MWAA,
    section="권한 부여 정책",
    quote='"Operations": [ "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", ...',
    quote_en="\"Operations\": [ \"kms:Encrypt\", \"kms:Decrypt\", \"kms:ReEncrypt*\", \"kms:GenerateDataKey*\", ... "
             "(a policy sample, the same in every language)",
    operations=("kms:CreateKey", "kms:CreateGrant"),
)


@KMS_06.config(applies=lambda setup: bool(grants_on_setup_keys(setup)))
def grant_operations_fit_key(setup: Setup) -> list[str]:
    """Each grant of the setup on one of its keys lists only grant operations that key's KeyUsage
    supports; CreateGrant refuses others with ValidationException ("CreateGrant": "The grant
    operations must be valid for the key type"; "Grants in AWS KMS", "Grant operations").

    Page 003 shows MWAA's grants with IAM action names and wildcards ("kms:Encrypt",
    "kms:ReEncrypt*", "kms:GenerateDataKey*"): CreateGrant takes operation names without the
    ``kms:`` prefix and without wildcards (Encrypt, ReEncryptFrom, ReEncryptTo, GenerateDataKey,
    GenerateDataKeyWithoutPlaintext...). The setup parser already refuses such names; this check
    judges what is left: an operation of another key type (Sign on an encryption key)."""
    reasons = []
    for i, grant, key in grants_on_setup_keys(setup):
        valid = OPERATIONS_BY_KEY_USAGE.get(key.key_usage, ())
        bad = [op for op in grant.operations if op not in valid]
        if bad:
            reasons.append(
                f"grants[{i}] on {key.arn} (KeyUsage {key.key_usage}) lists {', '.join(bad)}: CreateGrant fails "
                f"with ValidationException; this key type supports {', '.join(valid)}")
    return reasons


@KMS_06.behavior_(examples=ks.grant_type_cases)
def grant_operations_validated(target: Target, example: Any) -> dict[str, Any]:
    """CreateGrant on a key of a drawn type with drawn operations: ValidationException exactly
    when an operation is not valid for the key's KeyUsage ("CreateGrant": "if the grant allows an
    operation that the KMS key does not support, CreateGrant fails with a ValidationException").
    The API reference mentions "limited exceptions to this rule for legacy operations" without
    naming them: a difference on a real account should be read against that sentence before it is
    called a defect. Fact: CreateGrant's outcome code."""
    values = roles(target, "ROLE")
    spec, usage = example["key"]
    key = key_with(target, values, [], "all", key_spec=spec, key_usage=usage)
    return {"CreateGrant": create_grant(target, key, values["ROLE"], example["operations"]).code}


KMS_07 = rule(
    "KMS-07", "Revoking a grant takes away the access it gave", service="kms", doc=FORECAST,
    section="How Amazon Forecast uses grants in AWS KMS",
    quote="You can revoke access to the grant, or remove the service's access to the customer managed key at "
          "any time.",
    operations=("kms:CreateGrant", "kms:RevokeGrant", "kms:ListGrants", "kms:Encrypt", "kms:GenerateDataKey"),
)


@KMS_07.behavior_(examples=ks.revoke_cases, lifecycle=True)
def revoke_removes_access(target: Target, example: Any) -> dict[str, Any]:
    """A grant lets its grantee call; the key's administrator revokes it (RevokeGrant, authorized
    by the key policy: "Retiring and revoking grants"); the same call then fails with
    AccessDeniedException and ListGrants no longer lists the grant. This is what page 004 relies
    on ("If you do, Amazon Forecast won't be able to access any of the data encrypted by the
    customer managed key ... the operation will return an AccessDeniedException error"). On AWS a
    revocation may take up to a few minutes to reach every endpoint (eventual consistency); the
    aws target's --settle-seconds wait after permission changes allows for it."""
    values = roles(target, "ROLE")
    key = key_with(target, values, [], "all")
    grant = steps.must("kms:CreateGrant", create_grant(target, key, values["ROLE"], example["operations"]))
    grant_id, token = str(grant.value.get("GrantId", "")), grant.value.get("GrantToken")
    before = use_key(target, example["call"], key, values["ROLE"], grant_tokens=[str(token)] if token else None)
    revoke = steps.kms(target, "RevokeGrant", {"KeyId": key, "GrantId": grant_id})
    after = use_key(target, example["call"], key, values["ROLE"])
    return {"before": before.code, "revoke": revoke.code, "after": after.code,
            "listed_after": grant_id in grant_ids(target, key)}


KMS_08 = rule(
    "KMS-08", "Removing a principal from the key policy takes away its access", service="kms", doc=FORECAST,
    section="How Amazon Forecast uses grants in AWS KMS",
    quote="You can revoke access to the grant, or remove the service's access to the customer managed key at "
          "any time.",
    operations=("kms:CreateKey", "kms:PutKeyPolicy", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"),
)


@KMS_08.behavior_(examples=ks.revoke_cases, lifecycle=True)
def policy_update_removes_access(target: Target, example: Any) -> dict[str, Any]:
    """A key policy statement allows the role; the administrator replaces the key policy with
    one without it (PutKeyPolicy); the role's next call fails with AccessDeniedException ("Key
    policies in AWS KMS": access is what the current key policy allows). Facts: the call before,
    PutKeyPolicy's outcome, the call after."""
    values = roles(target, "ROLE")
    stmt = {"Sid": "Role", "Effect": "Allow", "Principal": {"AWS": "<<ROLE>>"},
            "Action": [f"kms:{op}" for op in example["operations"]], "Resource": "*"}
    key = key_with(target, values, [stmt], "admin")
    before = use_key(target, example["call"], key, values["ROLE"])
    put = put_policy(target, key, key_policy_document(values, [], "admin"))
    after = use_key(target, example["call"], key, values["ROLE"])
    return {"before": before.code, "put": put.code, "after": after.code}


KMS_09 = rule(
    "KMS-09", "A retired grant no longer allows; the grant decides who may retire it",
    service="kms", doc=FORECAST, section="Create a customer managed key",
    quote="kms:RetireGrant - Retire all the grants provided during CreateGrant operation after the operation "
          "is completed.",
    operations=("kms:CreateGrant", "kms:RetireGrant", "kms:ListGrants", "kms:Encrypt", "kms:GenerateDataKey"),
)


@KMS_09.behavior_(examples=ks.retire_cases, lifecycle=True)
def retire_grant(target: Target, example: Any) -> dict[str, Any]:
    """RetireGrant is authorized by the grant, not the key policy ("Retiring and revoking
    grants"; RetireGrant API): its retiring principal may retire it, and its grantee when the
    grant lists RetireGrant (or names it as retiring principal); as a backup the AWS account in
    which the grant was created may retire it, and principals to whom that account delegated
    ``kms:RetireGrant`` in an IAM policy (the reference model, kms_conformance.kms.authorize, allows
    all of these). A role the grant does not name, with no IAM permission, may not. Once retired,
    the grant allows nothing and ListGrants no longer lists it. The page sentence this rests on
    (004: Forecast retires its grants once the operation is done) assumes that the retiring
    principal Forecast names can retire them. Facts: the retire outcome, the grantee's call
    afterwards, whether the grant is still listed; ``_feature`` tells the rule's two halves apart
    (a retirement the grant allows, whose effect is judged, or one it refuses)."""
    values = roles(target, "ROLE", "RETIRER", "OTHER")
    key = key_with(target, values, [], "all")
    retiring = {"retirer": values["RETIRER"], "grantee": values["ROLE"], None: None}[example["retiring"]]
    grant = steps.must("kms:CreateGrant", create_grant(target, key, values["ROLE"], example["operations"],
                                                       retiring=retiring))
    grant_id = str(grant.value.get("GrantId", ""))
    by = {"grantee": values["ROLE"], "retirer": values["RETIRER"], "other": values["OTHER"],
          "account": None}[example["by"]]  # None: the target's administrator, a principal of the grant's account
    retire = steps.kms(target, "RetireGrant", {"KeyId": key, "GrantId": grant_id}, by)
    after = use_key(target, example["call"], key, values["ROLE"])
    return {"retire": retire.code, "after": after.code, "listed_after": grant_id in grant_ids(target, key),
            "_feature": "retiring allowed" if retire.ok else "retiring refused"}


KMS_10 = rule(
    "KMS-10", "ListGrants shows the grants on a key", service="kms", doc=FEATURE_STORE,
    section="Menggunakan hibah untuk mengotorisasi Toko Fitur",
    quote="Untuk melihat pemberian izin pada kunci KMS di akun Anda, gunakan operasi ListGrants.",
    quote_en="To see the grants on a KMS key in your account, use the ListGrants operation.",
    operations=("kms:CreateGrant", "kms:ListGrants"),
)


@KMS_10.behavior_(examples=ks.grant_lists)
def list_grants(target: Target, example: Any) -> dict[str, Any]:
    """ListGrants on a fresh key lists every grant created on it, with its operations
    ("ListGrants", AWS KMS API Reference). The page's sentence means: "To see the grants on the
    KMS keys in your account, use the ListGrants operation". Facts: how many grants, their
    operation lists (sorted), whether the GrantIds are the ones CreateGrant returned."""
    values = roles(target, "ROLE")
    key = key_with(target, values, [], "all")
    created = []
    for ops in example:
        out = steps.must("kms:CreateGrant", create_grant(target, key, values["ROLE"], ops))
        created.append(str(out.value.get("GrantId", "")))
    listed = steps.kms(target, "ListGrants", {"KeyId": key})
    grants = listed.value.get("Grants", []) if listed.ok else []
    return {
        "ListGrants": listed.code,
        "count": len(grants),
        "operations": sorted(sorted(g.get("Operations", [])) for g in grants),
        "ids_match": sorted(str(g.get("GrantId")) for g in grants) == sorted(created),
    }


# --- KMS-11 ... KMS-14: condition keys the pages use --------------------------------------------

KMS_11 = rule(
    "KMS-11", "A statement limited by kms:ViaService does not allow direct calls", service="kms",
    doc=FEATURE_STORE, section="Kebijakan kunci CMK yang dikelola pelanggan",
    quote="Pengguna utama ini tidak dapat memanggil operasi ini secara langsung.",
    quote_en="This principal cannot call this operation directly.",
    operations=("kms:CreateKey", "kms:PutKeyPolicy", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"),
)


@KMS_11.behavior_(examples=ks.via_service_cases, lifecycle=True)
def via_service_blocks_direct_calls(target: Target, example: Any) -> dict[str, Any]:
    """The page: "The kms:ViaService condition key allows the permissions only when the request
    comes from [the service] on behalf of the principal listed in the policy statement. This
    principal cannot call these operations directly." ("kms:ViaService", AWS KMS condition keys.)
    A key policy allows the role some actions only via a service (``StringEquals`` with the
    Region, or ``StringLike`` with ``*``, as page 001 writes ``sagemaker.*.amazonaws.com``); the
    role's direct call is denied; with the condition removed (PutKeyPolicy) it is allowed.
    Facts: both outcome codes."""
    values = roles(target, "ROLE")
    service = example["service"]
    if example["like"]:
        condition: dict[str, Any] = {"StringLike": {"kms:ViaService": f"{service}.*.amazonaws.com"}}
    else:
        condition = {"StringEquals": {"kms:ViaService": f"{service}.{target.region}.amazonaws.com",
                                      "kms:CallerAccount": target.account}}
    stmt = {"Sid": "ViaService", "Effect": "Allow", "Principal": {"AWS": "<<ROLE>>"}, "Action": example["actions"],
            "Resource": "*"}
    key = key_with(target, values, [{**stmt, "Condition": condition}], "admin")
    direct = use_key(target, example["call"], key, values["ROLE"])
    steps.must("kms:PutKeyPolicy", put_policy(target, key, key_policy_document(values, [stmt], "admin")))
    unconditioned = use_key(target, example["call"], key, values["ROLE"])
    return {"direct": direct.code, "without_condition": unconditioned.code}


KMS_12 = rule(
    "KMS-12", "kms:ViaService values name the service in the key's Region", service="kms", doc=FORECAST,
    section="Create a customer managed key",
    quote='"kms:ViaService" : "forecast.region.amazonaws.com"',
    operations=(),
)


@KMS_12.config(applies=lambda setup: bool(via_service_conditions(setup)))
def via_service_names_key_region(setup: Setup) -> list[str]:
    """A ``kms:ViaService`` value is ``SERVICE.REGION.amazonaws.com`` ("kms:ViaService", AWS KMS
    condition keys), and a service calls KMS in the key's own Region (a KMS key is regional), so a
    value naming another Region, or the page's placeholder ``region`` copied verbatim, makes the
    statement never apply: the access it was written to give is silently missing. Page 004's
    sample writes ``forecast.region.amazonaws.com`` (and 003 ``airflow.region}.amazonaws.com``):
    the reader must put the key's Region there. ``StringLike`` values may use ``*``
    (``sagemaker.*.amazonaws.com``, page 001)."""
    reasons = []
    for where, key, _stmt, cond, value in via_service_conditions(setup):
        expected = via_service_in_region(value, key.region)
        if expected is None:
            reasons.append(f"{where}: kms:ViaService value {value!r} is not SERVICE.REGION.amazonaws.com")
        elif not condition_value_matches(cond.base, value, expected):
            reasons.append(f"{where}: kms:ViaService {value!r} never matches calls to {key.arn} (in "
                           f"{key.region}): a service calls KMS as {expected!r}")
    return reasons


KMS_13 = rule(
    "KMS-13", "kms:GrantIsForAWSResource is true only for grants a service creates", service="kms", doc=AOSS,
    section="고객 관리형 키에 대한 키 정책",
    quote='"Bool": { "kms:GrantIsForAWSResource": "true" }',
    quote_en="\"Bool\": { \"kms:GrantIsForAWSResource\": \"true\" } (a policy sample, the same in every language)",
    operations=("kms:CreateKey", "kms:PutKeyPolicy", "kms:CreateGrant"),
)


@KMS_13.behavior_(examples=ks.grant_for_aws_resource_cases, lifecycle=True)
def grant_for_aws_resource(target: Target, example: Any) -> dict[str, Any]:
    """Page 002's key policy sample allows CreateGrant only with ``kms:GrantIsForAWSResource``
    true, which holds only when an AWS service integrated with KMS creates the grant on the
    principal's behalf ("kms:GrantIsForAWSResource", AWS KMS condition keys). A role that creates
    a grant directly under that statement is denied; with the condition removed it may. Facts:
    both CreateGrant outcome codes."""
    values = roles(target, "ROLE", "OTHER")
    grantee = values["ROLE"] if example["grantee"] == "self" else values["OTHER"]
    stmt = {"Sid": "Grants", "Effect": "Allow", "Principal": {"AWS": "<<ROLE>>"},
            "Action": ["kms:DescribeKey", "kms:CreateGrant"], "Resource": "*"}
    condition = {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    key = key_with(target, values, [{**stmt, "Condition": condition}], "admin")
    direct = create_grant(target, key, grantee, example["operations"], principal=values["ROLE"])
    steps.must("kms:PutKeyPolicy", put_policy(target, key, key_policy_document(values, [stmt], "admin")))
    unconditioned = create_grant(target, key, grantee, example["operations"], principal=values["ROLE"])
    return {"direct": direct.code, "without_condition": unconditioned.code}


KMS_14 = rule(
    "KMS-14", "kms:EncryptionContext conditions allow only requests with that context", service="kms", doc=MWAA,
    section="고객 관리형 키에 대한 키 정책 연결",
    quote='"ArnLike": { "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-west-2:*:*" }',
    quote_en="\"ArnLike\": { \"kms:EncryptionContext:aws:logs:arn\": \"arn:aws:logs:us-west-2:*:*\" } (a policy "
             "sample, the same in every language)",
    operations=("kms:CreateKey", "kms:Encrypt", "kms:GenerateDataKey"),
)


@KMS_14.behavior_(examples=ks.encryption_context_cases)
def encryption_context_condition(target: Target, example: Any) -> dict[str, Any]:
    """A statement conditioned on ``kms:EncryptionContext:KEY`` (as page 003's CloudWatch Logs
    statement, with ``ArnLike``) allows a call only when the request's encryption context has KEY
    with a matching value ("kms:EncryptionContext:context-key", AWS KMS condition keys; ArnLike
    compares the six ARN parts, "IAM JSON policy elements: Condition operators"); a request
    without the pair is not allowed (the operator is not ...IfExists). Fact: the outcome code."""
    values = roles(target, "ROLE")
    stmt = {"Sid": "Context", "Effect": "Allow", "Principal": {"AWS": "<<ROLE>>"},
            "Action": ["kms:Encrypt*", "kms:GenerateDataKey*"], "Resource": "*",
            "Condition": {example["operator"]: {f"kms:EncryptionContext:{example['key']}": example["pattern"]}}}
    key = key_with(target, values, [stmt], "admin")
    context = steps.fill(example["context"], values)
    return {"call": use_key(target, example["call"], key, values["ROLE"], context=context).code}


# --- KMS-15 / KMS-16: key type and key state ---------------------------------------------------

KMS_15 = rule(
    "KMS-15", "The services need a symmetric encryption key", service="kms", doc=FORECAST,
    section="Create a customer managed key",
    quote="You can create a symmetric customer managed key by using the AWS Management Console or the AWS KMS "
          "API.",
    operations=("kms:CreateKey", "kms:GenerateDataKey"),
)


@KMS_15.config(applies=lambda setup: bool(setup.keys))
def keys_are_symmetric(setup: Setup) -> list[str]:
    """Every key of the setup is a symmetric encryption key (KeySpec SYMMETRIC_DEFAULT, KeyUsage
    ENCRYPT_DECRYPT): the pages' services generate data keys (GenerateDataKey), which only such a
    key can do ("GenerateDataKey": "specify a symmetric encryption KMS key"). Page 004 tells the
    reader to create a symmetric key, page 001 says Feature Store "hanya mendukung kunci yang
    dikelola pelanggan simetris" (supports only symmetric customer managed keys), page 002 that
    the key ID must be a symmetric customer managed key."""
    return [
        f"keys[{i}] {key.arn} is KeySpec {key.key_spec} / KeyUsage {key.key_usage}: the services need a symmetric "
        "encryption key (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT) to generate data keys"
        for i, key in enumerate(setup.keys) if not key.symmetric or key.key_usage != "ENCRYPT_DECRYPT"
    ]


@KMS_15.behavior_(examples=ks.key_types)
def data_keys_need_symmetric_key(target: Target, example: Any) -> dict[str, Any]:
    """GenerateDataKey with a key of a drawn type: only a symmetric encryption key gives one;
    a signing or MAC key is InvalidKeyUsageException ("InvalidKeyUsageException": "For ...
    generating data keys, the KeyUsage must be ENCRYPT_DECRYPT"). Fact: the outcome code."""
    spec, usage = example
    values = roles(target)
    key = key_with(target, values, [], "all", key_spec=spec, key_usage=usage)
    return {"GenerateDataKey": use_key(target, "GenerateDataKey", key, None).code}


KMS_16 = rule(
    "KMS-16", "A key that is not enabled cannot be used", service="kms", doc=FORECAST,
    section="How Amazon Forecast uses grants in AWS KMS",
    quote="Amazon Forecast won't be able to access any of the data encrypted by the customer managed key",
    source="kms-key-states",
    operations=("kms:DisableKey", "kms:EnableKey", "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey",
                "kms:DescribeKey"),
)


@KMS_16.config(applies=lambda setup: bool(setup.keys))
def keys_are_enabled(setup: Setup) -> list[str]:
    """Every key of the setup is Enabled: a Disabled key refuses cryptographic operations
    (DisabledException) and a key in any other state (PendingDeletion, PendingImport,
    Unavailable...) with KMSInvalidStateException ("Key states of AWS KMS keys"), so the service
    cannot read or write the data it protects. The pages never speak of key states: the behaviour is
    the AWS KMS Developer Guide's (``source="kms-key-states"``, named with its URL in ``rules
    --json``); the sentence cited is what page 004 says of a key the service can no longer use ("won't
    be able to access any of the data encrypted by the customer managed key", said of removed access),
    the consequence a disabled key has too."""
    return [
        f"keys[{i}] {key.arn} is {key.key_state}: KMS refuses its cryptographic operations "
        f"({'DisabledException' if key.key_state == 'Disabled' else 'KMSInvalidStateException'})"
        for i, key in enumerate(setup.keys) if key.key_state != "Enabled"
    ]


@KMS_16.behavior_(examples=ks.key_state_cases, lifecycle=True)
def disabled_key_refuses_use(target: Target, example: Any) -> dict[str, Any]:
    """DisableKey; a cryptographic call then fails with DisabledException while DescribeKey still
    works; after EnableKey the call succeeds again ("Key states of AWS KMS keys"; DisableKey:
    "temporarily prevents use of the KMS key for cryptographic operations"). Facts: the codes."""
    values = roles(target)
    key = key_with(target, values, [], "all")
    blob = prepare(target, example["call"], key)
    parsed = parse_key_arn(key)  # DisableKey/EnableKey take a key id or ARN; the id is the common form
    key_id = parsed.resource_id if parsed is not None else key
    disable = steps.kms(target, "DisableKey", {"KeyId": key_id})
    disabled = use_key(target, example["call"], key, None, ciphertext=blob)
    describe = use_key(target, "DescribeKey", key, None)
    enable = steps.kms(target, "EnableKey", {"KeyId": key_id})
    enabled = use_key(target, example["call"], key, None, ciphertext=blob)
    return {"disable": disable.code, "while_disabled": disabled.code, "describe_while_disabled": describe.code,
            "enable": enable.code, "after_enable": enabled.code}


# --- KMS-17 / KMS-18: administering the key ----------------------------------------------------

KMS_17 = rule(
    "KMS-17", "The key policy lets the account administer the key", service="kms", doc=FORECAST,
    section="Create a customer managed key",
    quote='{"Sid": "Allow access for key administrators", "Effect": "Allow", "Principal": {"AWS": '
          '"arn:aws:iam::111122223333:root" }, "Action" : [ "kms:*" ]',
    severity="should",
    operations=(),
)


@KMS_17.config(applies=lambda setup: bool(setup.keys))
def account_administers_key(setup: Setup) -> list[str]:
    """Some principal of the key's account (its root, through the policy's account statement, or
    an administrator the policy names) may change the key policy (``kms:PutKeyPolicy``). Page 004's
    sample keeps "Allow access for key administrators" (the account, ``kms:*``), page 001 "Enable
    IAM User Permissions"; "Default key policy" explains why: without it nobody can fix the key's
    policy again, and AWS's policy lockout safety check refuses such a policy unless told to
    bypass it."""
    reasons = []
    for i, key in enumerate(setup.keys):
        if not who_may(setup, key, "kms:PutKeyPolicy"):
            denied = evaluate_access(setup, key, root_arn(key.partition, key.account), "kms:PutKeyPolicy")
            explanation = "; ".join(line.strip() for line in denied.explain().splitlines())
            reasons.append(f"keys[{i}] {key.arn}: no principal of account {key.account} may call kms:PutKeyPolicy "
                           f"(account root: {explanation}); nobody could administer the key")
    return reasons


KMS_18 = rule(
    "KMS-18", "The key policy lets an administrator revoke grants", service="kms", doc=FEATURE_STORE,
    section="Kebijakan kunci CMK yang dikelola pelanggan",
    quote="Memberikan administrator kunci yang dikelola pelanggan akses hanya-baca ke kunci yang dikelola "
          "pelanggan dan izin untuk mencabut hibah",
    quote_en="Gives the customer managed key's administrators read-only access to the key and permission to revoke "
             "grants",
    severity="should",
    operations=("kms:CreateKey", "kms:CreateGrant", "kms:RevokeGrant"),
)


@KMS_18.config(applies=lambda setup: bool(setup.keys))
def administrator_revokes_grants(setup: Setup) -> list[str]:
    """Some principal of the key's account may revoke grants (``kms:RevokeGrant``). The page
    means: "Gives the administrators of the customer managed key read-only access to the key and
    permission to revoke grants, including the grants Feature Store uses to protect your data";
    page 004 relies on it ("You can revoke access to the grant ... at any time"). RevokeGrant is
    authorized by the key policy (and IAM, where delegated), never by a grant ("Retiring and
    revoking grants")."""
    reasons = []
    for i, key in enumerate(setup.keys):
        if not who_may(setup, key, "kms:RevokeGrant"):
            reasons.append(f"keys[{i}] {key.arn}: no principal of account {key.account} may call kms:RevokeGrant; "
                           "grants given to the services could never be revoked")
    return reasons


@KMS_18.behavior_(examples=ks.revoke_permission_cases)
def revoke_needs_key_policy(target: Target, example: Any) -> dict[str, Any]:
    """A role may revoke a grant exactly when the key policy allows it ``kms:RevokeGrant``
    ("RevokeGrant": "Required permissions: kms:RevokeGrant (key policy)"); ``kms:RetireGrant``
    or ``kms:ListGrants`` do not suffice. Fact: RevokeGrant's outcome code."""
    values = roles(target, "ROLE", "OTHER")
    statements = []
    if example["allow"] is not None:
        statements.append({"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": "<<ROLE>>"},
                           "Action": example["allow"], "Resource": "*"})
    key = key_with(target, values, statements, "admin")
    grant = steps.must("kms:CreateGrant", create_grant(target, key, values["OTHER"], example["operations"]))
    revoke = steps.kms(target, "RevokeGrant", {"KeyId": key, "GrantId": str(grant.value.get("GrantId", ""))},
                       values["ROLE"])
    return {"RevokeGrant": revoke.code}


# --- KMS-19: a grant's lifetime, under any interleaving of grant operations and calls ------------

KMS_19 = rule(
    "KMS-19", "A grant's permissions begin at CreateGrant and end at RetireGrant or RevokeGrant", service="kms",
    doc=FORECAST, section="How Amazon Forecast uses grants in AWS KMS",
    quote="You can revoke access to the grant ... at any time.",
    operations=("kms:CreateKey", "kms:CreateGrant", "kms:RetireGrant", "kms:RevokeGrant", "kms:ListGrants",
                "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"),
)


@KMS_19.behavior_(examples=ks.grant_programs, lifecycle=True)
def grant_lifecycle(target: Target, example: Any) -> dict[str, Any]:
    """Page 004: "You can revoke access to the grant, or remove the service's access to the
    customer managed key at any time." KMS-07 (revoke), KMS-08 (key policy) and KMS-09 (retire)
    each test one revocation or retirement after one grant; this rule encodes *at any time*: under
    any interleaving of CreateGrant, RetireGrant, RevokeGrant, ListGrants and the roles' calls, a
    role may call exactly while some grant for it is live (created and not yet retired or revoked)
    that lists the operation and whose constraint the call's encryption context meets; retiring
    or revoking one grant takes away that grant's access and no other's. The retiring half rests on
    page 004's "kms:RetireGrant - Retire all the grants provided during CreateGrant operation after
    the operation is completed" (KMS-09's sentence); who may retire follows "Retiring and revoking
    grants" (the retiring principal; the grantee when the grant lists RetireGrant; never a
    stranger), who may revoke "RevokeGrant" (``kms:RevokeGrant`` in the key policy: here the
    administrator, through the account statement).

    The scenario makes one key with the default key policy (the account statement, ``kms:*``) and
    three roles without any identity policy (two grantees and a stranger), so grants are the
    roles' only source of access ("Grants in AWS KMS"). It runs the example's steps in order and
    records one fact per step: the outcome code; for ListGrants (as the administrator) the code
    and how many grants are listed. A step naming a grant the program has not created yet is
    ``skipped``, and one naming a grant this target already retired or revoked (or never made, its
    CreateGrant having failed here) is ``gone``: both without a call, decided the same way on
    every target. Retiring or revoking a deleted grant is left out because which error AWS gives
    then (NotFoundException, or AccessDeniedException for a caller the missing grant cannot
    authorize) is not documented.

    Eventual consistency ("Eventual consistency" and "Using a grant token", AWS KMS Developer
    Guide): a new grant may not be effective at once, but its grant token makes it so; every call
    a role makes carries the tokens of the grants for it that are live on the target (at most
    ten). Tokens of retired or revoked grants are never sent. A retirement or revocation may also
    take a while to reach every KMS endpoint, so on a real account a role's call right after one
    may still succeed; the ``aws`` target waits its settle time after every grant change
    (CreateGrant, RetireGrant, RevokeGrant) before a role's next call, which covers the usual
    delay. A difference at a call just after a retirement or revocation, on a real account only,
    should be re-run before it is called a defect."""
    return {"outcomes": run_grant_program(target, example)}


# --- the kms ServiceSpec: compliant setups and one mutator per config rule -----------------------


def _parse_request(setup: Setup) -> None:
    """The KMS rules read no service request."""
    return None


SPEC = register_service(ServiceSpec(name="kms", compliant=compliant_setups, mutators=MUTATORS,
                                    parse_request=_parse_request))
