"""Amazon Forecast: "Data Protection in Amazon Forecast", made executable.

Source: ``004_1f23ff3028fec3c5.txt`` (English; governs). ``000_e5ea019ba961ed74.txt`` is the same
page machine-translated into Korean; the rules cite 004 and note where 000 differs:

- 000 says "TLS 1.2가 필수이며 TLS 1.3을 권장합니다" (TLS 1.2 is required and TLS 1.3 recommended)
  where 004 says "We recommend TLS 1.2 or later" (000 follows a newer revision of the page).
- 000 garbles "KMSKeyArn" into "KeyArn KMS" and moves operation names to the end of their
  sentences ("... 작업에 사용됩니다. CreateDatasetImportJob"; "CreatePredictor 이 경우에도 ...",
  so that the CreatePredictor sentence loses its subject). The English reading is encoded.

Known defects of the page itself (recorded in the rules that touch them):

- the operation "CreatePredictorExplanability" does not exist: the API is ``CreateExplainability``
  (which takes a predictor or forecast ARN as ``ResourceArn``);
- the Note's statement uses curly quotes (``“AWS Invoking Identity”``, ``"kms:GenerateDataKey”``) and
  has an unbalanced closing brace; the minimal statement sample leaves ``region`` / ``key_ID``
  placeholders (a ``kms:ViaService`` of ``forecast.region.amazonaws.com`` never matches a request);
- the page asks for ``kms:RetireGrant`` "in the key policy", but "Retiring and revoking grants"
  (AWS KMS Developer Guide) says the grant itself determines who may retire it and the key policy
  permission is not effective for it (FORECAST-12).

Sentences not encoded, because nothing the kit receives or observes decides them (a setup holds
keys, policies, grants and the Forecast request; a target executes AWS API calls): the shared
responsibility model; the MFA, TLS, CloudTrail, Macie and FIPS endpoint recommendations of the
first section (account and client-side practices; of "protect AWS account credentials and set up
individual users", the part a setup shows, a caller that is not the root user, is FORECAST-17);
"If you provide a URL to an
external server..." (no URL in the requests); "For any data stored in your Amazon S3 bucket, data
is encrypted by the default Amazon S3 key" and "You can also use your own AWS KMS key" (S3 bucket
configuration, outside the setup); "Encryption in Transit and Processing" (TLS/HTTPS transport and
Forecast's internal processing are not observable through the API); of "Monitoring your encryption
keys", CloudWatch Logs (CloudTrail's event history, FORECAST-18, is where the requests show). The
recommendation about names and tags is
encoded as FORECAST-15 for the part a setup shows (tags). Encoded once elsewhere, in
``kms_conformance.specs.kms``: "Every customer managed key must have exactly one key policy" (KMS-01), the
static half of "You can create a symmetric customer managed key" (KMS-15; FORECAST-09 is Forecast's
behaviour with another key), "You can revoke access to the grant, or remove the service's access"
(KMS-07, KMS-08; FORECAST-08 is its consequence for CreateForecast), "these can be added using IAM
policies as well" (KMS-04) and the Region inside the sample's ``kms:ViaService`` value (KMS-12).
The Note's two halves are two rules: the caller must have kms:Decrypt and kms:GenerateDataKey
(FORECAST-13, by any means) and the key policy should name the invoking identity (FORECAST-16). The
sentence-by-sentence disposition of the page is docs/traceability/forecast.md.

The rules follow the page's order. What Forecast does (the reference behaviour the behaviour rules
are compared with) is :mod:`kms_conformance.models.forecast`, which also parses a setup's request;
the scenario steps are :mod:`kms_conformance.scenarios.forecast`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from kms_conformance.arns import account_of, parse_arn, parse_key_arn, parse_role_arn
from kms_conformance.models.cloudtrail import SERVICE as CLOUDTRAIL
from kms_conformance.models.forecast import SERVICE, EncryptionConfig, parse_request, via_service
from kms_conformance.policy import names_principal_directly, wildcard_match
from kms_conformance.rules import RuleBuilder, ServiceSpec, register_service, rule
from kms_conformance.scenarios.forecast import (
    created_resource,
    describe_resource,
    follow_up,
    grants_left,
    import_job,
    kms_events,
    refusal_or_fact,
    remove_role_access,
    stage,
)
from kms_conformance.scenarios.steps import must
from kms_conformance.setup import KeySetup, Setup
from kms_conformance.specs import access
from kms_conformance.strategies import forecast as fst
from kms_conformance.targets.base import Target

DOC = "004_1f23ff3028fec3c5.txt"

_S_PROTECT = "Data Protection in Amazon Forecast"
_S_REST = "Encryption at Rest"
_S_GRANTS = "How Amazon Forecast uses grants in AWS KMS"
_S_KEY = "Create a customer managed key"
_S_MONITOR = "Monitoring your encryption keys for Amazon Forecast Service"

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def _encrypted(setup: Setup) -> list[tuple[EncryptionConfig, KeySetup]]:
    out = []
    for cfg in parse_request(setup).configs:
        key = setup.find_key(cfg.kms_key_arn)
        assert key is not None  # parse_request guarantees it
        out.append((cfg, key))
    return out


def _pairs(setup: Setup) -> list[tuple[str, str, KeySetup]]:
    """(JSON paths of the EncryptionConfigs, role, key) for each distinct role and key of the
    request, so that one access problem shared by CreateDataset and CreatePredictor is one reason."""
    grouped: dict[tuple[str, str], tuple[list[str], KeySetup]] = {}
    for cfg, key in _encrypted(setup):
        grouped.setdefault((cfg.role_arn, key.arn), ([], key))[0].append(cfg.path)
    return [(", ".join(paths), role, key) for (role, _), (paths, key) in grouped.items()]


def _uses_customer_key(setup: Setup) -> bool:
    return bool(parse_request(setup).configs)


def _is_root(principal: str) -> bool:
    """``arn:PARTITION:iam::ACCOUNT:root``, the account's root user."""
    arn = parse_arn(principal)
    return (arn is not None and arn.service == "iam" and not arn.region and arn.resource == "root"
            and account_of(principal) is not None)


# --- rules: Data Protection in Amazon Forecast (opening section) ------------------------------------

FORECAST_17 = rule(
    "FORECAST-17", "The invoking identity is an individual IAM identity, not the account root user",
    service=SERVICE, doc=DOC, section=_S_PROTECT,
    quote="we recommend that you protect AWS account credentials and set up individual users with AWS IAM "
          "Identity Center (successor to AWS Single Sign-On) or AWS Identity and Access Management (IAM)",
    severity="should",
    operations=("forecast:CreateDataset", "forecast:CreatePredictor"),
)


@FORECAST_17.config
def caller_is_not_root(setup: Setup) -> list[str]:
    """"For data protection purposes, we recommend that you protect AWS account credentials and set
    up individual users with AWS IAM Identity Center ... or AWS Identity and Access Management (IAM).
    That way, each user is given only the permissions necessary to fulfill their job duties." The part
    a setup shows: the invoking identity (``caller``) is not the account's root user, whose
    credentials the recommendation protects and who cannot be limited to a job's permissions
    ("AWS account root user", IAM User Guide). The rest (MFA, credential storage) is outside the
    setup."""
    if _is_root(setup.caller):
        return [f"caller is {setup.caller}, the account root user; send Forecast requests as an IAM user or role "
                "with only the permissions the job needs"]
    return []


FORECAST_15 = rule(
    "FORECAST-15", "No sensitive information in tags",
    service=SERVICE, doc=DOC, section=_S_PROTECT,
    quote="We strongly recommend that you never put confidential or sensitive information, such as your "
          "customers' email addresses, into tags or free-form fields such as a Name field",
    severity="should",
    operations=("forecast:CreateDataset", "forecast:CreatePredictor"),
)


@FORECAST_15.config
def no_email_in_tags(setup: Setup) -> list[str]:
    """"We strongly recommend that you never put confidential or sensitive information, such as your
    customers' email addresses, into tags or free-form fields such as a Name field." Decidable in a
    setup for what looks like an email address in a tag (Forecast names cannot hold ``@``)."""
    return [f"{path}: tag {key!r}={value!r} holds an email address; tags may be used in billing or diagnostic logs"
            for path, key, value in parse_request(setup).tags
            if _EMAIL.search(key) or _EMAIL.search(value)]


# --- rules: Encryption at Rest -----------------------------------------------------------------------

FORECAST_01 = rule(
    "FORECAST-01", "Encryption configuration is given on CreateDataset/CreatePredictor as a key ARN and a role",
    service=SERVICE, doc=DOC, section=_S_REST,
    quote="encryption configuration is provided during the CreateDataset and CreatePredictor operations",
    operations=("forecast:CreateDataset", "forecast:CreatePredictor", "forecast:DescribeDataset",
                "forecast:DescribePredictor"),
)


@FORECAST_01.config(applies=_uses_customer_key)
def encryption_config_names_key_and_role(setup: Setup) -> list[str]:
    """"In Amazon Forecast encryption configuration is provided during the CreateDataset and
    CreatePredictor operations" and "if you provide your key's KMSKeyArn and a RoleArn in the
    EncryptionConfig": ``KMSKeyArn`` is the key's ARN (the API's pattern ``arn:aws:kms:.*:key/.*``
    refuses alias names and alias ARNs) and ``RoleArn`` an IAM role ARN of the setup's own account
    ("EncryptionConfig", Amazon Forecast API Reference: "Passing a role across AWS accounts is not
    allowed ... InvalidInputException"; the page does not say so). The API Reference's own pattern
    for RoleArn (``arn:([a-z\\d-]+):forecast:.*``) is a defect of that reference: the member holds an
    IAM role ARN. (000 garbles KMSKeyArn into "KeyArn KMS".)"""
    reasons = []
    for cfg, key in _encrypted(setup):
        if parse_key_arn(cfg.kms_key_arn) is None:
            reasons.append(f"{cfg.path}.KMSKeyArn is {cfg.kms_key_arn!r}, not a key ARN; EncryptionConfig takes "
                           f"the key's ARN ({key.arn}), not an alias")
        role = parse_role_arn(cfg.role_arn)
        if role is None:
            reasons.append(f"{cfg.path}.RoleArn is {cfg.role_arn!r}, not an IAM role ARN "
                           "(arn:aws:iam::ACCOUNT:role/NAME)")
        elif role.account != setup.account:
            reasons.append(f"{cfg.path}.RoleArn {cfg.role_arn} is a role of account {role.account}, "
                           f"not of {setup.account}; Forecast refuses a role of another account "
                           "(InvalidInputException)")
    return reasons


@FORECAST_01.behavior_(examples=fst.encrypted_create_examples)
def encryption_config_is_kept(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """CreateDataset/CreatePredictor with ``EncryptionConfig`` succeeds and DescribeDataset /
    DescribePredictor returns the same configuration."""
    st_ = stage(target, example)
    settled, arn = created_resource(target, st_, example["resource"])
    facts: dict[str, Any] = {"create": settled.fact}
    if settled.ok:
        described = describe_resource(target, st_, example["resource"], arn)
        facts["describe"] = described.code
        facts["same_config"] = described.value.get("EncryptionConfig") == {"RoleArn": st_.role,
                                                                           "KMSKeyArn": st_.key_arn}
    return facts


FORECAST_02 = rule(
    "FORECAST-02", "CreateDatasetImportJob uses the dataset's key and role",
    service=SERVICE, doc=DOC, section=_S_REST,
    quote="your CMK and IAM Role for encryption at rest is used in the CreateDatasetImportJob operation",
    operations=("forecast:CreateDataset", "forecast:CreateDatasetImportJob", "kms:PutKeyPolicy"),
)


@FORECAST_02.behavior_(examples=fst.import_job_examples, lifecycle=True)
def import_job_uses_dataset_key(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"If encryption configuration is provided in the CreateDataset operation, your CMK and IAM Role
    for encryption at rest is used in the CreateDatasetImportJob operation": after the role loses
    its access to the key, an import job into an encrypted dataset fails with
    AccessDeniedException, while one into an unencrypted dataset still succeeds."""
    st_ = stage(target, example)
    settled, dataset = created_resource(target, st_, "CreateDataset", encrypted=example["encrypted"])
    facts: dict[str, Any] = {"CreateDataset": settled.fact}
    if not settled.ok:
        return facts
    if example["remove_access"]:
        facts["PutKeyPolicy"] = remove_role_access(target, st_, example).code
    facts["CreateDatasetImportJob"] = import_job(target, st_, dataset).code
    return facts


FORECAST_03 = rule(
    "FORECAST-03", "Forecast assumes the role passed in EncryptionConfig",
    service=SERVICE, doc=DOC, section=_S_REST,
    quote="Forecast will assume that role and use the key to encrypt the dataset",
    operations=("iam:CreateRole", "forecast:CreateDataset", "forecast:CreatePredictor"),
)


@FORECAST_03.behavior_(examples=fst.trust_examples)
def forecast_assumes_role(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"Forecast will assume that role and use the key" (the second half of the sentence whose two
    members FORECAST-01 checks): a role that does not trust forecast.amazonaws.com cannot be
    assumed, so the request fails (the fact is ``fails``: refused, or accepted and ended CREATE_FAILED;
    the model refuses with InvalidInputException, the error the API documents for bad input)."""
    st_ = stage(target, example, trusts_forecast=example["trusts_forecast"])
    settled, _ = created_resource(target, st_, example["resource"])
    return {"create": settled.fact}


FORECAST_04 = rule(
    "FORECAST-04", "Without EncryptionConfig Forecast uses its default service keys",
    service=SERVICE, doc=DOC, section=_S_REST,
    quote="If no configuration is provided, then Forecast uses the default service keys for encryption",
    operations=("forecast:CreateDataset", "forecast:CreatePredictor", "forecast:DescribeDataset",
                "forecast:DescribePredictor"),
)


@FORECAST_04.behavior_(examples=fst.default_key_examples)
def default_service_keys(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"If no configuration is provided, then Forecast uses the default service keys for
    encryption" and "if you do not provide an encryption configuration, then Forecast will use the
    default service encryption": without EncryptionConfig the request succeeds whether or not the
    caller has any KMS permission, and the resource has no EncryptionConfig."""
    st_ = stage(target, {}, caller_kms=example["caller_kms"])
    settled, arn = created_resource(target, st_, example["resource"], encrypted=False)
    facts: dict[str, Any] = {"create": settled.fact}
    if settled.ok:
        described = describe_resource(target, st_, example["resource"], arn)
        facts["describe"] = described.code
        facts["has_encryption_config"] = "EncryptionConfig" in described.value
    return facts


FORECAST_05 = rule(
    "FORECAST-05", "Operations on an encrypted predictor inherit its encryption configuration",
    service=SERVICE, doc=DOC, section=_S_REST,
    quote="all subsequent operations, such as CreatePredictorExplanability, CreateForecast and "
          "CreatePredictorBacktestExportJob, will use the same configuration",
    operations=("forecast:CreatePredictor", "forecast:CreateForecast", "forecast:CreateExplainability",
                "forecast:CreatePredictorBacktestExportJob", "kms:PutKeyPolicy"),
)


@FORECAST_05.behavior_(examples=fst.inheritance_examples, lifecycle=True)
def follow_ups_inherit_configuration(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"If you provide the EncryptionConfig information for the CreatePredictor operation, then all
    subsequent operations, such as CreatePredictorExplanability, CreateForecast and
    CreatePredictorBacktestExportJob, will use the same configuration": they go through the same
    role and key, so once the role's access is removed they fail with AccessDeniedException (and
    on an unencrypted predictor they do not depend on the key at all). Page defect: the operation
    is spelled "CreatePredictorExplanability"; the API is CreateExplainability."""
    st_ = stage(target, example)
    settled, predictor = created_resource(target, st_, "CreatePredictor", encrypted=example["encrypted"])
    facts: dict[str, Any] = {"CreatePredictor": settled.fact}
    if not settled.ok:
        return facts
    if example["remove_access"]:
        facts["PutKeyPolicy"] = remove_role_access(target, st_, example).code
    facts[example["follow_up"]] = follow_up(target, st_, example["follow_up"], predictor).code
    return facts


# --- rules: How Amazon Forecast uses grants in AWS KMS -------------------------------------------------

FORECAST_06 = rule(
    "FORECAST-06", "Forecast creates its grant as the role passed in EncryptionConfig",
    service=SERVICE, doc=DOC, section=_S_GRANTS,
    quote="Forecast creates a grant using the IAM role that is passed during EncryptionConfig",
    operations=("forecast:CreateDataset", "forecast:CreatePredictor", "kms:CreateGrant"),
)


@FORECAST_06.behavior_(examples=fst.grant_maker_examples)
def grant_created_as_role(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"Amazon Forecast requires a grant to use your customer managed key." "Forecast creates a grant
    using the IAM role that is passed during EncryptionConfig in the CreatePredictor or CreateDataset
    operation. Forecast assumes the role and does a create grant
    operation on your behalf": when only the caller (not the role) may create grants, the request
    fails (refused, or accepted and ended CREATE_FAILED: the fact is ``fails``); when the role may, it
    succeeds. The same holds for "when you
    create a predictor encrypted with a customer managed key, Amazon Forecast creates a grant on
    your behalf by sending a CreateGrant request to AWS KMS" (the examples' CreatePredictor)."""
    st_ = stage(target, example)
    settled, _ = created_resource(target, st_, example["resource"])
    return {"create": settled.fact}


FORECAST_07 = rule(
    "FORECAST-07", "Forecast's grant allows Decrypt and GenerateDataKey",
    service=SERVICE, doc=DOC, section=_S_GRANTS,
    quote="so that it can use your customer managed key to send Decrypt requests ... "
          "GenerateDataKey requests",
    operations=("forecast:CreateDataset", "forecast:CreatePredictor", "kms:CreateGrant"),
)


@FORECAST_07.behavior_(examples=fst.grant_operation_examples)
def grant_operations(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"Amazon Forecast requires the grant so that it can use your customer managed key to send
    Decrypt requests ... Forecast also uses the grant to send GenerateDataKey requests", which the
    kms:CreateGrant bullet of "Create a customer managed key" repeats ("This operation allows Amazon
    Forecast to call GenerateDataKey to generate an encrypted data key and store it ... Also, the
    operation allows Amazon Forecast to call Decrypt so that it can use the stored encrypted data
    key"): the grant Forecast creates lists Decrypt and GenerateDataKey (the CreateGrant event's
    ``operations``), so a key policy that lets the role create only grants of other operations
    (``ForAllValues:StringEquals`` on ``kms:GrantOperations``) makes the request fail."""
    st_ = stage(target, example)
    settled, _ = created_resource(target, st_, example["resource"])
    return {"create": settled.fact}


FORECAST_08 = rule(
    "FORECAST-08", "CreateForecast fails with AccessDeniedException once Forecast's access is revoked",
    service=SERVICE, doc=DOC, section=_S_GRANTS,
    quote="if you attempt to perform the CreateForecast operation on an encrypted predictor that Amazon "
          "Forecast can't access, then the operation will return an AccessDeniedException error",
    operations=("forecast:CreatePredictor", "forecast:CreateForecast", "kms:PutKeyPolicy", "kms:CreateGrant",
                "kms:RevokeGrant"),
)


@FORECAST_08.behavior_(examples=fst.revocation_examples, lifecycle=True)
def revoked_access_denies_create_forecast(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"If you do, Amazon Forecast won't be able to access any of the data encrypted by the customer
    managed key, which affects operations that are dependent on that data. For example, if you
    attempt to perform the CreateForecast operation on an encrypted predictor that Amazon Forecast
    can't access, then the operation will return an AccessDeniedException error."

    "If you do" is the sentence before, whose two ways KMS-07 (revoke the grant) and KMS-08
    (remove the principal from the key policy) encode for KMS itself; here they are taken in
    Forecast's setting: ``policy`` removes the role's key policy statement; ``grant`` revokes the
    grant that gave the role its access (its DescribeKey, CreateGrant, RetireGrant, Decrypt,
    GenerateDataKey). CreateForecast succeeds before and fails after."""
    st_ = stage(target, example)
    grant_id = None
    if example["how"] == "grant":
        made = must("kms:CreateGrant", target.call("kms", "CreateGrant", {
            "KeyId": st_.key_arn, "GranteePrincipal": st_.role,
            "Operations": ["DescribeKey", "CreateGrant", "RetireGrant", *fst.GRANT_OPERATIONS]}))
        grant_id = made.value["GrantId"]
    settled, predictor = created_resource(target, st_, "CreatePredictor")
    facts: dict[str, Any] = {"CreatePredictor": settled.fact}
    if not settled.ok:
        return facts
    facts["CreateForecast_before"] = follow_up(target, st_, "CreateForecast", predictor).code
    if grant_id is not None:
        facts["RevokeGrant"] = target.call("kms", "RevokeGrant", {"KeyId": st_.key_arn, "GrantId": grant_id}).code
    else:
        facts["PutKeyPolicy"] = remove_role_access(target, st_, example).code
    facts["CreateForecast_after"] = follow_up(target, st_, "CreateForecast", predictor).code
    return facts


# --- rules: Create a customer managed key ------------------------------------------------------------

FORECAST_09 = rule(
    "FORECAST-09", "The customer managed key is a symmetric encryption key",
    service=SERVICE, doc=DOC, section=_S_KEY,
    quote="You can create a symmetric customer managed key",
    operations=("kms:CreateKey", "forecast:CreateDataset", "forecast:CreatePredictor"),
)


@FORECAST_09.behavior_(examples=fst.symmetric_examples)
def asymmetric_key_refused(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"You can create a symmetric customer managed key by using the AWS Management Console or the
    AWS KMS API": Forecast's grant uses GenerateDataKey, which only symmetric encryption keys
    support ("GenerateDataKey", AWS KMS API Reference). The static half of this sentence (every
    key of a setup is symmetric) is KMS-15 in ``kms_conformance.specs.kms``; this rule is what Forecast
    does with another key: an asymmetric encryption key (RSA, ENCRYPT_DECRYPT) in EncryptionConfig
    makes the request fail; a symmetric one succeeds."""
    st_ = stage(target, example)
    settled, _ = created_resource(target, st_, example["resource"])
    return {"create": settled.fact}


def _role_access_rule(rule_id: str, action: str, title: str, quote: str) -> RuleBuilder:
    return rule(rule_id, title, service=SERVICE, doc=DOC, section=_S_KEY, quote=quote,
                operations=(f"kms:{action}", "forecast:CreateDataset", "forecast:CreatePredictor"))


def _role_reasons(setup: Setup, action: str) -> list[str]:
    return [f"RoleArn of {paths}: {reason}" for paths, role, key in _pairs(setup)
            for reason in access.access_reasons(setup, key, role, [action], via_service=SERVICE)]


FORECAST_10 = _role_access_rule(
    "FORECAST-10", "DescribeKey", "The key policy permits kms:DescribeKey for the role passed to Forecast",
    "kms:DescribeKey – Provides the customer managed key details that allow Amazon Forecast to validate the key")


@FORECAST_10.config(applies=_uses_customer_key)
def role_may_describe_key(setup: Setup) -> list[str]:
    """"To use your customer managed key with Amazon Forecast resources, the following API operations
    must be permitted in the key policy: kms:DescribeKey – Provides the customer managed key details
    that allow Amazon Forecast to validate the key." Evaluated for the role of EncryptionConfig,
    through Forecast (kms:ViaService), with the key policy and, as the page allows (the sentence
    KMS-04 encodes: the permissions "can be added using IAM policies as well"), the role's IAM
    policies and the setup's grants."""
    return _role_reasons(setup, "kms:DescribeKey")


@FORECAST_10.behavior_(examples=lambda: fst.missing_action_examples(["kms:DescribeKey"], "role"))
def describe_key_needed(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """Without kms:DescribeKey for the role, CreateDataset/CreatePredictor fail: refused, or accepted and
    ended CREATE_FAILED (Forecast creates asynchronously; the page names no error for the role)."""
    st_ = stage(target, example)
    settled, _ = created_resource(target, st_, example["resource"])
    return {"create": settled.fact}


FORECAST_11 = _role_access_rule(
    "FORECAST-11", "CreateGrant", "The key policy permits kms:CreateGrant for the role passed to Forecast",
    "kms:CreateGrant – Adds a grant to a customer managed key")


@FORECAST_11.config(applies=_uses_customer_key)
def role_may_create_grant(setup: Setup) -> list[str]:
    """"kms:CreateGrant – Adds a grant to a customer managed key." Evaluated for the role of
    EncryptionConfig through Forecast, as FORECAST-10 (whose lead sentence, "must be permitted in
    the key policy", covers this bullet). What the grant then allows Forecast (GenerateDataKey and
    Decrypt, the rest of the bullet) is FORECAST-07."""
    return _role_reasons(setup, "kms:CreateGrant")


@FORECAST_11.behavior_(examples=lambda: fst.missing_action_examples(["kms:CreateGrant"], "role"))
def create_grant_needed(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """Without kms:CreateGrant for the role, CreateDataset/CreatePredictor fail: refused, or accepted and
    ended CREATE_FAILED (Forecast creates asynchronously; the page names no error for the role)."""
    st_ = stage(target, example)
    settled, _ = created_resource(target, st_, example["resource"])
    return {"create": settled.fact}


FORECAST_12 = _role_access_rule(
    "FORECAST-12", "RetireGrant", "The key policy permits kms:RetireGrant, and Forecast retires its grants",
    "kms:RetireGrant - Retire all the grants provided during CreateGrant operation after the operation is "
    "completed")


@FORECAST_12.config(applies=_uses_customer_key)
def role_may_retire_grant(setup: Setup) -> list[str]:
    """"kms:RetireGrant - Retire all the grants provided during CreateGrant operation after the
    operation is completed." The page's requirement is encoded as written (the role may call
    kms:RetireGrant through Forecast, as FORECAST-10). AWS disagrees in part: "Retiring and revoking
    grants" (AWS KMS Developer Guide) says the grant determines who may retire it and
    kms:RetireGrant in a key policy alone is not effective (KMS-09 encodes who may retire a grant);
    the behaviour half therefore checks only that the grants are retired."""
    return _role_reasons(setup, "kms:RetireGrant")


@FORECAST_12.behavior_(examples=lambda: fst.missing_action_examples(["kms:RetireGrant"], "role"))
def grants_retired_after_operation(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """After CreateDataset/CreatePredictor completes, no grant of Forecast's remains on the key
    (ListGrants), whether or not the key policy lists kms:RetireGrant (the grant names the role as
    its retiring principal)."""
    st_ = stage(target, example)
    settled, _ = created_resource(target, st_, example["resource"])
    return {"create": settled.fact, "grants_left": grants_left(target, st_.key_arn)}


FORECAST_13 = rule(
    "FORECAST-13", "The caller may kms:Decrypt and kms:GenerateDataKey on the key",
    service=SERVICE, doc=DOC, section=_S_KEY,
    quote="Amazon Forecast performs kms:Decrypt and kms:GenerateDataKey validation on the caller's identity",
    operations=("forecast:CreateDataset", "forecast:CreatePredictor", "kms:Decrypt", "kms:GenerateDataKey"),
)


@FORECAST_13.config(applies=_uses_customer_key)
def caller_may_decrypt_and_generate(setup: Setup) -> list[str]:
    """"Amazon Forecast performs kms:Decrypt and kms:GenerateDataKey validation on the caller's
    identity. You will receive an AccessDeniedException in the event that the caller doesn't have the
    relevant permissions." The caller is the setup's ``caller``; the validation goes through
    Forecast (kms:ViaService); the permissions may come from the key policy, the caller's IAM
    policies (where the key policy delegates to the account) or a grant. The Note's next sentence,
    that the key policy itself should name the invoking identity, is the recommendation
    FORECAST-16. (The AccessDeniedException is the page's; Forecast's API Reference lists
    InvalidInputException, ResourceNotFoundException... for its operations, and AccessDeniedException
    is the common error of every AWS API.)"""
    keys = {key.arn: key for _, _, key in _pairs(setup)}
    return [f"caller: {reason}" for key in keys.values()
            for reason in access.access_reasons(setup, key, setup.caller, list(fst.CALLER_ACTIONS),
                                                via_service=SERVICE)]


@FORECAST_13.behavior_(examples=lambda: fst.missing_action_examples(list(fst.CALLER_ACTIONS), "caller"))
def caller_validation(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """A caller without kms:Decrypt or kms:GenerateDataKey gets AccessDeniedException: the request itself
    is refused with the page's error (an accepted request that ends CREATE_FAILED is not what the page
    says the caller receives)."""
    st_ = stage(target, example)
    settled, _ = created_resource(target, st_, example["resource"])
    return {"create": refusal_or_fact(settled)}


FORECAST_16 = rule(
    "FORECAST-16", "The key policy itself allows the invoking identity kms:Decrypt and kms:GenerateDataKey",
    service=SERVICE, doc=DOC, section=_S_KEY,
    quote="The key policy should also resemble the following code",
    severity="should",
    operations=("kms:Decrypt", "kms:GenerateDataKey"),
)


@FORECAST_16.config(applies=_uses_customer_key)
def key_policy_names_invoking_identity(setup: Setup) -> list[str]:
    """"The key policy should also resemble the following code: "Effect": "Allow", "Principal": {
    "AWS": "AWS Invoking Identity" }, "Action": [ "kms:Decrypt", "kms:GenerateDataKey" ], "Resource":
    "*" }". A recommendation (``should``), distinct from FORECAST-13 (the caller must have the two
    permissions by any means): here the key policy alone, without the caller's IAM policies or
    grants, allows the invoking identity both actions. Page defects: the sample statement opens
    without ``{``, uses curly quotes (``"AWS Invoking Identity"`` and ``"kms:GenerateDataKey"`` end in
    U+201D) and "AWS Invoking Identity" is a placeholder for the caller's ARN."""
    alone = replace(setup, identity_policies={}, grants=())
    keys = {key.arn: key for _, _, key in _pairs(setup)}
    return [f"key policy of {key.arn} alone: {reason} (the page recommends a key policy statement for the "
            "invoking identity)"
            for key in keys.values()
            for reason in access.access_reasons(alone, key, setup.caller, list(fst.CALLER_ACTIONS),
                                                via_service=SERVICE)]


FORECAST_14 = rule(
    "FORECAST-14", "The role's key permissions are limited to requests through Forecast",
    service=SERVICE, doc=DOC, section=_S_KEY,
    quote="The following are policy statement examples you can add for Amazon Forecast. These are the minimal "
          "permissions required",
    severity="should",
    operations=("kms:CreateGrant", "forecast:CreateDataset", "forecast:CreatePredictor"),
)


@FORECAST_14.config(applies=_uses_customer_key)
def role_only_through_forecast(setup: Setup) -> list[str]:
    """"The following are policy statement examples you can add for Amazon Forecast. These are the
    minimal permissions required": the sample restricts the role's DescribeKey, CreateGrant and
    RetireGrant with ``kms:ViaService`` ``forecast.region.amazonaws.com`` and ``kms:CallerAccount``
    ``111122223333``. Encoded as a recommendation: the role should not be able to call these
    directly, outside Forecast; and a key policy statement that allows the role one of them
    should hold the sample's ``kms:CallerAccount`` of the account itself (:func:`_caller_account`).
    Page defect: the sample keeps the placeholder ``region``; a statement with it never matches,
    which FORECAST-10..13 report."""
    reasons = []
    for paths, role, key in _pairs(setup):
        for action in fst.ROLE_ACTIONS:
            decision = access.evaluate_access(setup, key, role, action)
            if decision.allowed:
                reasons.append(f"RoleArn of {paths}: {role} may call {action} on {key.arn} directly, not "
                               f"only through {via_service(setup.region)} ({decision.reason})")
    return reasons + _caller_account(setup)


def _caller_account(setup: Setup) -> list[str]:
    """The sample statement's ``"kms:CallerAccount" : "111122223333"`` (the account that owns the
    key and the role): each key policy statement that allows the role (by name, or ``*``) one of
    DescribeKey, CreateGrant, RetireGrant, evaluated alone, must refuse a request whose
    kms:CallerAccount is another account ("AWS KMS condition keys": kms:CallerAccount is the
    caller's account) and its kms:CallerAccount must be the setup's account. The role's IAM
    policies ("these can be added using IAM policies as well") are not held to the sample's key
    policy statement."""
    other = fst.OTHER_ACCOUNT if setup.account != fst.OTHER_ACCOUNT else "111122223333"
    alone = replace(setup, identity_policies={}, grants=())
    reasons = []
    for paths, role, key in _pairs(setup):
        policy = access.key_policy(key)
        for stmt in policy.statements:
            actions = [a for a in fst.ROLE_ACTIONS if stmt.action_test(a)]
            if stmt.effect != "Allow" or stmt.principal is None or not actions \
                    or not names_principal_directly(stmt.principal, access.caller_of(role)):
                continue
            single = replace(key, policy=replace(policy, statements=(stmt,)))
            where = f"RoleArn of {paths}: Statement[{stmt.index}] of the key policy of {key.arn}"
            accounts = [v for c in stmt.conditions if c.key.lower() == "kms:calleraccount" for v in c.values]
            if access.evaluate_access(alone, single, role, actions[0], via_service=SERVICE,
                                      context={"kms:CallerAccount": other}).allowed:
                reasons.append(f"{where} allows {actions[0]} to a caller of account {other} too; the page's "
                               f"sample limits it with \"kms:CallerAccount\": \"{setup.account}\"")
            elif accounts and not any(wildcard_match(v, setup.account) for v in accounts):
                reasons.append(f"{where} has kms:CallerAccount {', '.join(accounts)}, not the role's account "
                               f"{setup.account}: the statement never allows the role")
    return reasons


@FORECAST_14.behavior_(examples=fst.via_service_examples)
def via_service_limits_role(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """With the sample's kms:ViaService condition the role's direct CreateGrant is denied while the
    same permission works through Forecast; without it the direct call succeeds. With the sample's
    kms:CallerAccount of another account than the key's (``caller_account`` ``"other"``) the
    statement allows the role nothing: the direct call and the Forecast request are refused (a
    caller of another account cannot be staged in the one account of a scenario: the condition's
    two outcomes are shown on the role itself)."""
    st_ = stage(target, example)
    direct = target.call("kms", "CreateGrant", {"KeyId": st_.key_arn, "GranteePrincipal": st_.role,
                                                "Operations": ["Decrypt"]}, principal=st_.role)
    settled, _ = created_resource(target, st_, example["resource"])
    return {"direct_CreateGrant": direct.code, "create": settled.fact}


# --- rules: Monitoring your encryption keys for Amazon Forecast Service -----------------------------

FORECAST_18 = rule(
    "FORECAST-18", "CloudTrail records the KMS requests Forecast sends for a customer managed key",
    service=SERVICE, doc=DOC, section=_S_MONITOR,
    quote="you can use AWS CloudTrail or Amazon CloudWatch Logs to track requests that Forecast sends to AWS KMS",
    severity="should",
    operations=("forecast:CreateDataset", "forecast:CreatePredictor", f"{CLOUDTRAIL}:LookupEvents"),
)


@FORECAST_18.behavior_(examples=fst.monitoring_examples)
def kms_requests_in_cloudtrail(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"When you use an AWS KMS customer managed key with your Amazon Forecast Service resources, you
    can use AWS CloudTrail or Amazon CloudWatch Logs to track requests that Forecast sends to AWS KMS.
    The following examples are AWS CloudTrail events for CreateGrant, RetireGrant, and DescribeKey":
    after CreateDataset/CreatePredictor with a customer managed key, LookupEvents (EventSource
    kms.amazonaws.com) shows DescribeKey, CreateGrant and RetireGrant on the key, sent as the role
    passed to Forecast, the CreateGrant event naming a grantee and the operations Decrypt and
    GenerateDataKey (the sample's ``requestParameters``); without EncryptionConfig, none. Inferred:
    that all three events follow every such request (the page shows samples). ``should``: the page
    offers monitoring, it requires nothing. CloudTrail delivers events minutes after the call, so on a
    real account a scenario that looks at once may see none yet; moto has no LookupEvents
    (``unsupported``)."""
    st_ = stage(target, example)
    settled, _ = created_resource(target, st_, example["resource"], encrypted=example["encrypted"])
    return {"create": settled.fact, **kms_events(target, st_)}


# --- the service spec ------------------------------------------------------------------------------


def _mutators() -> dict[str, Any]:
    return {
        "FORECAST-01": fst.use_alias_arn,
        "FORECAST-10": lambda s: fst.take_from_role(s, "kms:DescribeKey"),
        "FORECAST-11": lambda s: fst.take_from_role(s, "kms:CreateGrant"),
        "FORECAST-12": lambda s: fst.take_from_role(s, "kms:RetireGrant"),
        "FORECAST-13": fst.take_from_caller,
        "FORECAST-14": fst.drop_via_service,
        "FORECAST-15": fst.add_email_tag,
        "FORECAST-16": fst.caller_only_in_iam,
        "FORECAST-17": fst.root_caller,
    }


SPEC = register_service(ServiceSpec(name=SERVICE, compliant=fst.forecast_setups, mutators=_mutators(),
                                    parse_request=parse_request))
