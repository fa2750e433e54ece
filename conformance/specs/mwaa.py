"""Amazon MWAA: customer managed keys for encryption, made executable.

Source: ``003_38db2e13c46896ae.txt``, a Korean machine translation of "Using customer managed keys
for encryption" (Amazon MWAA User Guide). Sections cited as they stand in the page: the introduction
under "암호화를 위한 고객 관리형 키 사용", "지원되는 항목" (Supported features), "작동 방식" (How it
works), "권한 부여 정책" (Grant policies), "고객 관리형 키에 대한 키 정책 연결" (Attaching key policies
to a customer managed key). The rules follow the page's order; the reference behaviour they are
checked against (the four grants, the CloudWatch Logs statement, the CreateEnvironment request) is
:mod:`kms_conformance.models.mwaa`, the calls their scenarios make :mod:`kms_conformance.scenarios.mwaa`.

Known defects of the page: grant 3's name is written with a leading space (``" mwaa-grant-for-cfn-mgmt-
environment name"``); a grant name cannot contain a space (CreateGrant: ``^[a-zA-Z0-9:/_-]+$``), so
the intended name is ``mwaa-grant-for-cfn-mgmt-<environment name>`` (MWAA-05). The page writes
``airflow.region}.amazonaws.com`` with a stray brace: ``airflow.<region>.amazonaws.com``. The grant
operations are written as IAM actions with wildcards (``kms:ReEncrypt*``), expanded to the grant
operations they match.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kms_conformance.arns import alias_arn, key_arn, parse_key_arn
from kms_conformance.models.mwaa import (
    GRANTS,
    LOGS_OPERATIONS,
    GrantSpec,
    airflow_principal,
    caller_key_statement,
    classify_kms_key,
    log_group_arn,
    logs_principal,
    logs_statement,
    parse_request,
)
from kms_conformance.rules import ServiceSpec, register_service, rule
from kms_conformance.scenarios import steps
from kms_conformance.scenarios.mwaa import (
    created_environment,
    delete_environment,
    environment_key,
    environment_params,
    grant_facts,
    new_environment,
    page_grant_facts,
)
from kms_conformance.setup import KeySetup, Setup
from kms_conformance.specs.access import access_reasons, key_for
from kms_conformance.strategies.mwaa import (
    MUTATORS,
    caller_examples,
    compliant_setups,
    environment_examples,
    key_form_examples,
    logs_examples,
    multi_region_examples,
    region_examples,
)
from kms_conformance.targets.base import Target

DOC = "003_38db2e13c46896ae.txt"
SERVICE = "mwaa"

_S_INTRO = "암호화를 위한 고객 관리형 키 사용"
_S_SUPPORTED = "지원되는 항목"
_S_HOW = "작동 방식"
_S_GRANTS = "권한 부여 정책"
_S_KEYPOLICY = "고객 관리형 키에 대한 키 정책 연결"


def _with_key(setup: Setup) -> bool:
    return parse_request(setup).kms_key is not None


def _described_key(setup: Setup) -> KeySetup | None:
    """The setup's key that the request's KmsKey names (a bare key id also matches a key of another
    account by its id), or None."""
    req = parse_request(setup)
    if req.kms_key is None:
        return None
    found = key_for(setup, req.kms_key)
    if found is None:
        ref = classify_kms_key(req.kms_key)
        found = next((k for k in setup.keys if ref.key_id is not None and k.key_id == ref.key_id), None)
    return found


def _other_region(target: Target, region: str) -> str:
    """``region``, or eu-west-1 when an example drew the target's own Region."""
    return region if region != target.region else "eu-west-1"


# --- 암호화를 위한 고객 관리형 키 사용 (introduction) -------------------------------------------------------

MWAA_01 = rule(
    "MWAA-01", "The customer managed key is in the same Region as the environment",
    service=SERVICE, doc=DOC, section=_S_INTRO,
    quote="고객 관리형 KMS 키는 Amazon MWAA 환경 인스턴스 및 워크플로용 리소스를 저장하는 Amazon S3 버킷과 "
          "동일한 리전에 생성해야 합니다.",
    quote_en="The customer managed KMS key must be created in the same Region as the Amazon MWAA environment "
             "instance and the Amazon S3 bucket that stores your workflow resources.",
    operations=("mwaa:CreateEnvironment", "kms:CreateKey"),
)


@MWAA_01.config(applies=_with_key)
def check_same_region(setup: Setup) -> list[str]:
    """"고객 관리형 KMS 키는 Amazon MWAA 환경 인스턴스 및 워크플로용 리소스를 저장하는 Amazon S3 버킷과 동일한
    리전에 생성해야 합니다." ("The customer managed KMS key must be created in the same Region as the
    Amazon MWAA environment instance and the Amazon S3 bucket where you store resources for your
    workflows.") The Region of a key ARN (or of the setup's key) must be the setup's Region, and the
    Region of the source bucket (``SourceBucketArn``) too, where the setup's ``buckets`` gives it (a
    bucket ARN carries no Region: GetBucketLocation is what tells it; without it the bucket half is
    not decidable from the request)."""
    req = parse_request(setup)
    assert req.kms_key is not None
    ref = classify_kms_key(req.kms_key)
    key = _described_key(setup)
    region = ref.region or (key.region if key is not None else None)
    reasons = []
    if region is not None and region != setup.region:
        reasons.append(f"request.CreateEnvironment.KmsKey: key {req.kms_key} is in {region}, the environment in "
                       f"{setup.region}; the key must be in the environment's Region")
    bucket = str(setup.request["CreateEnvironment"].get("SourceBucketArn", ""))
    bucket_region = setup.buckets.get(bucket)
    if region is not None and bucket_region is not None and bucket_region != region:
        reasons.append(f"request.CreateEnvironment.SourceBucketArn: bucket {bucket} is in {bucket_region} "
                       f"(buckets), the key {req.kms_key} in {region}; the key must be in the bucket's Region")
    return reasons


@MWAA_01.behavior_(examples=region_examples)
def scenario_same_region(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """CreateEnvironment with the key's ARN in the environment's Region succeeds; the same key ARN
    written with another Region names no key there and the creation fails (the model refuses it with
    ValidationException; an environment that ends CREATE_FAILED fails too: the fact is ``fails``)."""
    name, role = new_environment(target, str(example.get("stem", "")))
    arn = environment_key(target)["Arn"]
    if example["other_region"] is not None:
        key = parse_key_arn(arn)
        assert key is not None
        arn = key_arn(key.partition, _other_region(target, example["other_region"]), key.account, key.resource_id)
    return {"CreateEnvironment": created_environment(target, environment_params(name, arn, role)).fact}


MWAA_04 = rule(
    "MWAA-04", "A key of another account is given by its ARN",
    service=SERVICE, doc=DOC, section=_S_INTRO,
    quote="지정하는 고객 관리형 키가 환경을 구성하는 데 사용하는 계정이 아닌 다른 계정에 있는 경우, "
          "크로스 계정 액세스를 위해 ARN을 이용하여 해당 키를 지정해 주어야 합니다.",
    quote_en="If the customer managed key you give is in an account other than the one you use to set up the "
             "environment, you must give the key by its ARN for cross-account access.",
    operations=("mwaa:CreateEnvironment",),
)


@MWAA_04.config(applies=lambda s: _with_key(s) and _described_key(s) is not None)
def check_cross_account_arn(setup: Setup) -> list[str]:
    """"지정하는 고객 관리형 키가 환경을 구성하는 데 사용하는 계정이 아닌 다른 계정에 있는 경우, 크로스 계정
    액세스를 위해 ARN을 이용하여 해당 키를 지정해 주어야 합니다." ("If the customer managed key you
    specify is in a different account from the one you use to configure the environment, you must
    specify the key using its ARN for cross-account access.") A bare key id resolves in the caller's
    account only ("Key identifiers (KeyId)"). Config only: a scenario needs a second account."""
    req = parse_request(setup)
    key = _described_key(setup)
    assert req.kms_key is not None and key is not None
    if key.account != setup.account and classify_kms_key(req.kms_key).form != "arn":
        return [f"request.CreateEnvironment.KmsKey: key {key.arn} is in account {key.account}, the environment in "
                f"{setup.account}; give the key ARN, not {req.kms_key!r}"]
    return []


# --- 지원되는 항목 (Supported features) ------------------------------------------------------------------

MWAA_02 = rule(
    "MWAA-02", "KmsKey is a key id or key ARN; aliases are not supported",
    service=SERVICE, doc=DOC, section=_S_SUPPORTED,
    quote="AWS KMS 키 ID 또는 ARN ... AWS KMS 키 별칭 아니요",
    quote_en="AWS KMS key ID or ARN ... AWS KMS key alias: No",
    operations=("mwaa:CreateEnvironment", "kms:CreateKey", "kms:CreateAlias"),
)


@MWAA_02.config(applies=_with_key)
def check_no_alias(setup: Setup) -> list[str]:
    """"AWS KMS 키 ID 또는 ARN" / "AWS KMS 키 별칭: 아니요" (Supported features: "AWS KMS key
    identifier or ARN: Yes; AWS KMS key alias: No"). The translated table lost the "Yes" (예) of the
    first row; only the two "아니요" (No) survive. (The CreateEnvironment API's KmsKey pattern admits
    alias forms; the page, not the pattern, governs.)"""
    req = parse_request(setup)
    assert req.kms_key is not None
    ref = classify_kms_key(req.kms_key)
    if ref.form in ("alias", "alias-arn"):
        return [f"request.CreateEnvironment.KmsKey: {req.kms_key} is an alias; MWAA takes a key id or key ARN"]
    return []


@MWAA_02.behavior_(examples=key_form_examples)
def scenario_no_alias(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """CreateEnvironment with the key's id or ARN succeeds; with an alias name or alias ARN of the
    same key the creation fails (refused, as the model does with ValidationException, or ended
    CREATE_FAILED)."""
    name, role = new_environment(target, str(example.get("stem", "")))
    meta = environment_key(target)
    form = example["form"]
    ref = meta["Arn"] if form == "arn" else meta["KeyId"]
    if form in ("alias", "alias-arn"):
        alias = f"alias/{target.unique('mwaa')}"
        steps.must("kms:CreateAlias", steps.kms(target, "CreateAlias", {"AliasName": alias,
                                                                          "TargetKeyId": meta["KeyId"]}))
        key = parse_key_arn(meta["Arn"])
        assert key is not None
        ref = alias if form == "alias" else alias_arn(key.partition, key.region, key.account, alias)
    return {"CreateEnvironment": created_environment(target, environment_params(name, ref, role)).fact}


MWAA_03 = rule(
    "MWAA-03", "Multi-Region keys are not supported",
    service=SERVICE, doc=DOC, section=_S_SUPPORTED,
    quote="AWS KMS 다중 리전 키 아니요",
    quote_en="AWS KMS multi-Region key: No",
    operations=("mwaa:CreateEnvironment", "kms:CreateKey"),
)


@MWAA_03.config(applies=_with_key)
def check_single_region_key(setup: Setup) -> list[str]:
    """"AWS KMS 다중 리전 키: 아니요" (Supported features: "AWS KMS multi-Region keys: No")."""
    req = parse_request(setup)
    assert req.kms_key is not None
    key = _described_key(setup)
    ref = classify_kms_key(req.kms_key)
    if (key is not None and key.multi_region) or (ref.key_id or "").startswith("mrk-"):
        return [f"request.CreateEnvironment.KmsKey: {req.kms_key} is a multi-Region key; MWAA does not support them"]
    return []


@MWAA_03.behavior_(examples=multi_region_examples)
def scenario_no_multi_region(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """CreateEnvironment with a multi-Region key fails (refused, as the model does with
    ValidationException, or ended CREATE_FAILED); with a single-Region key it succeeds."""
    name, role = new_environment(target, str(example.get("stem", "")))
    arn = environment_key(target, multi_region=example["multi_region"])["Arn"]
    return {"CreateEnvironment": created_environment(target, environment_params(name, arn, role)).fact}


# --- 작동 방식 (How it works) -----------------------------------------------------------------------------

MWAA_07 = rule(
    "MWAA-07", "The principal creating the environment can let MWAA describe the key and create grants on it",
    service=SERVICE, doc=DOC, section=_S_HOW,
    quote="Amazon MWAA 환경을 생성하고 고객 관리형 KMS 키를 지정하면, Amazon MWAA는 사용자의 고객 관리형 KMS 키에 "
          "권한 부여 정책을 연결합니다.",
    quote_en="When you create an Amazon MWAA environment and give a customer managed KMS key, Amazon MWAA attaches "
             "grant policies to your customer managed KMS key.",
    operations=("mwaa:CreateEnvironment", "kms:CreateKey", "iam:CreateRole"),
    inferred="error code",
)


def _grant_context(region: str, spec: GrantSpec) -> dict[str, str | list[str]]:
    return {"kms:GrantOperations": list(spec.operations), "kms:GranteePrincipal": airflow_principal(region),
            "kms:RetiringPrincipal": airflow_principal(region)}


@MWAA_07.config(applies=lambda s: _described_key(s) is not None)
def check_caller_key_permissions(setup: Setup) -> list[str]:
    """"Amazon MWAA 환경을 생성하고 고객 관리형 KMS 키를 지정하면, Amazon MWAA는 사용자의 고객 관리형 KMS 키에
    권한 부여 정책을 연결합니다." ("When you create an Amazon MWAA environment and specify a customer
    managed KMS key, Amazon MWAA attaches the grant policies to your key.") and "Amazon MWAA는
    사용자를 대신해서 추가 권한을 생성하여 지정된 KMS 키에 연결합니다." ("Amazon MWAA creates
    additional grants on your behalf and attaches them to the specified KMS key."): MWAA acts as the
    principal creating the environment, through ``airflow.<region>.amazonaws.com``, so that principal
    must be allowed kms:DescribeKey and kms:CreateGrant (for each of the four grants) on the key. The
    page implies these permissions rather than listing them; the kit evaluates them with the KMS
    reference model."""
    key = _described_key(setup)
    assert key is not None
    reasons = access_reasons(setup, key, setup.caller, ["kms:DescribeKey"], via_service="airflow")
    for spec in GRANTS:
        reasons += access_reasons(setup, key, setup.caller, ["kms:CreateGrant"], via_service="airflow",
                                  context=_grant_context(setup.region, spec))
    return list(dict.fromkeys(reasons))


@MWAA_07.behavior_(examples=caller_examples)
def scenario_caller_permissions(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """A role allowed kms:DescribeKey and kms:CreateGrant on the key through airflow.<region> creates
    the environment; without CreateGrant, or with the statement bound to another Region, the creation
    fails: refused (the model answers AccessDeniedException) or accepted and ended CREATE_FAILED; the
    page names no error, so the fact is ``fails`` either way."""
    name, exec_role = new_environment(target, str(example.get("stem", "")))
    user = steps.new_role(target, "mwaa-user", inline_policies={"mwaa": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["airflow:*", "iam:PassRole"], "Resource": "*"}]}})
    region = target.region
    if example["other_region"] is not None:
        region = _other_region(target, example["other_region"])
    actions = ("kms:DescribeKey", "kms:CreateGrant") if example["grant_action"] else ("kms:DescribeKey",)
    policy = steps.default_key_policy(target.account)
    policy["Statement"].append(caller_key_statement(user, region, actions))
    policy["Statement"].append(logs_statement(target.region, target.account))
    arn = steps.new_key(target, policy)["Arn"]
    out = created_environment(target, environment_params(name, arn, exec_role), principal=user)
    return {"CreateEnvironment": out.fact}


MWAA_06 = rule(
    "MWAA-06", "The grants are retired when the environment is deleted",
    service=SERVICE, doc=DOC, section=_S_HOW,
    quote="여기에는 환경을 삭제할 경우 권한 부여를 폐기하고, ...",
    quote_en="This includes retiring the grants when you delete the environment, ...",
    operations=("mwaa:CreateEnvironment", "mwaa:DeleteEnvironment", "kms:ListGrants"),
)


@MWAA_06.behavior_(examples=environment_examples, lifecycle=True)
def scenario_grants_retired(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"여기에는 환경을 삭제할 경우 권한 부여를 폐기하고, ..." ("These include policies for retiring the
    grant if you delete your environment, ..."): after DeleteEnvironment no grant of the environment
    is left on the key. (Asynchronous on AWS: a real account may need a wait before ListGrants shows
    it.)"""
    name, role = new_environment(target, str(example.get("stem", "")))
    arn = environment_key(target)["Arn"]
    created = created_environment(target, environment_params(name, arn, role)).fact
    before = len(grant_facts(target, arn, name)[1])
    deleted = delete_environment(target, name).code
    after = len(grant_facts(target, arn, name)[1])
    return {"CreateEnvironment": created, "grants_before": before, "DeleteEnvironment": deleted,
            "grants_after": after}


# --- 권한 부여 정책 (Grant policies) -----------------------------------------------------------------------

MWAA_05 = rule(
    "MWAA-05", "MWAA attaches four grants to the key, for airflow.<region>.amazonaws.com, with the page's operations",
    service=SERVICE, doc=DOC, section=_S_GRANTS,
    quote="Amazon MWAA는 사용자를 대신하여 고객 관리형 KMS 키에 다음과 같은 리소스 기반 정책 권한을 추가합니다.",
    quote_en="Amazon MWAA adds the following resource-based policy permissions to your customer managed KMS key on "
             "your behalf.",
    operations=("mwaa:CreateEnvironment", "kms:ListGrants"),
)


@MWAA_05.behavior_(examples=environment_examples)
def scenario_four_grants(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"Amazon MWAA는 사용자를 대신하여 고객 관리형 KMS 키에 다음과 같은 리소스 기반 정책 권한을 추가합니다."
    ("Amazon MWAA adds the following resource-based policy grants to your customer managed key on
    your behalf."), four of them ("Amazon MWAA는 네 가지 권한 부여 정책을 사용하여 ...", How it works),
    for "airflow.region}.amazonaws.com의 Amazon MWAA": 권한 1-4, mwaa-grant-for-env-mgmt-role-,
    mwaa-grant-for-lambda-exec-, mwaa-grant-for-cfn-mgmt- (leading space of the page dropped: a
    defect), mwaa-fargate-access-for- followed by the environment name; grantee and retiring principal
    ``airflow.<region>.amazonaws.com``; every operation the page lists present (one name or more of
    each wildcard entry, ``kms:ReEncrypt*``, ``kms:GenerateDataKey*``), and none outside the list with
    its wildcards expanded (the exact lists are not compared: the wildcards leave them open)."""
    name, role = new_environment(target, str(example.get("stem", "")))
    arn = environment_key(target)["Arn"]
    created = created_environment(target, environment_params(name, arn, role)).fact
    code, grants = page_grant_facts(target, arn, name)
    return {"CreateEnvironment": created, "ListGrants": code, "grants": grants}


# --- 고객 관리형 키에 대한 키 정책 연결 (Attaching key policies to a customer managed key) -------------------

MWAA_08 = rule(
    "MWAA-08", "The key policy lets CloudWatch Logs (logs.<region>.amazonaws.com) use the key for the "
               "environment's log groups",
    service=SERVICE, doc=DOC, section=_S_KEYPOLICY,
    quote="Amazon MWAA 환경에 사용한 고객 관리형 KMS 키가 아직 작동하도록 구성되지 않은 경우 "
          "암호화된 로그를 허용하도록 키 정책을 업데이트해야 합니다.",
    quote_en="If the customer managed KMS key you used for your Amazon MWAA environment is not yet configured to "
             "work with it, you must update the key policy to allow encrypted logs.",
    operations=("mwaa:CreateEnvironment", "mwaa:GetEnvironment", "kms:CreateKey"),
    inferred="error code",
)


@MWAA_08.config(applies=lambda s: _described_key(s) is not None and bool(parse_request(s).enabled_logs()))
def check_logs_statement(setup: Setup) -> list[str]:
    """"Amazon MWAA 환경에 사용한 고객 관리형 KMS 키가 아직 작동하도록 구성되지 않은 경우 암호화된 로그를
    허용하도록 키 정책을 업데이트해야 합니다." ("If the customer managed KMS key you used for your
    environment is not already configured to work with CloudWatch, you must update the key policy to
    allow for encrypted CloudWatch Logs"), with the page's sample statement: principal
    ``logs.<region>.amazonaws.com``, kms:Encrypt*, Decrypt*, ReEncrypt*, GenerateDataKey*, Describe*,
    ``ArnLike kms:EncryptionContext:aws:logs:arn arn:aws:logs:<region>:*:*``. Its effect is checked,
    not its text: CloudWatch Logs must be allowed each operation that carries the encryption context,
    for the ARN of each of the environment's log groups (``airflow-<env>-Task``...)."""
    req = parse_request(setup)
    key = _described_key(setup)
    assert key is not None
    reasons = []
    for module in req.enabled_logs():
        arn = log_group_arn(key.partition, setup.region, setup.account, req.name, module)
        reasons += access_reasons(setup, key, logs_principal(setup.region), list(LOGS_OPERATIONS),
                                  context={"kms:EncryptionContext:aws:logs:arn": arn})
    return reasons


@MWAA_08.behavior_(examples=logs_examples)
def scenario_logs_statement(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """With the CloudWatch Logs statement the environment's encrypted log groups can be written and the
    environment does not fail; without it (or with it bound to another Region's log groups) CloudWatch
    Logs cannot use the key and the environment ends CREATE_FAILED. Inferred: the page says the key
    policy must be updated, not how the environment fails; a refused CreateEnvironment and an
    environment that ends CREATE_FAILED are both ``fails``."""
    name, role = new_environment(target, str(example.get("stem", "")))
    policy = steps.default_key_policy(target.account)
    if example["statement"] != "absent":
        other = _other_region(target, example["other_region"])
        arn_region = other if example["statement"] == "other-region" else None
        policy["Statement"].append(logs_statement(target.region, target.account, arn_region))
    arn = steps.new_key(target, policy)["Arn"]
    return {"CreateEnvironment": created_environment(target, environment_params(name, arn, role)).fact}


# --- the service spec -----------------------------------------------------------------------------

register_service(ServiceSpec(name=SERVICE, compliant=compliant_setups, mutators=MUTATORS,
                             parse_request=parse_request))
