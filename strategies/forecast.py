"""Hypothesis strategies for Amazon Forecast setups and scenarios (page 004_1f23ff3028fec3c5.txt,
"Data Protection in Amazon Forecast"; 000_e5ea019ba961ed74.txt is its Korean translation).

Two kinds of value:

- **setups** (:func:`forecast_setups`): compliant setup dicts in the ``kms-conformance check`` file
  format, whose ``request`` holds CreateDataset and/or CreatePredictor exactly as the Forecast API
  (and ``boto3.client("forecast")``) takes them, with ``EncryptionConfig={"RoleArn", "KMSKeyArn"}``.
- **scenario templates** (:func:`key_policy_template` and the ``*_examples`` strategies): key
  policies and identity policies with ``<<ROLE>>`` (the role passed to Forecast), ``<<CALLER>>``
  (the invoking identity), ``<<ACCOUNT>>`` and ``<<REGION>>`` placeholders, which a behaviour
  scenario fills with ``kms_conformance.scenarios.steps.fill`` once the target has created the roles.

The key policy statements follow the page's sample ("Create a customer managed key"), with the
sample's defects repaired: straight quotes, balanced braces, and the ``region`` / ``key_ID``
placeholders replaced by real values.

``CALLER_ACTIONS``, ``GRANT_OPERATIONS``, ``DOMAINS``, ``DATASET_TYPES`` and ``via_service`` are the
reference model's (:mod:`kms_conformance.models.forecast`), re-exported here for the strategies'
users.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from kms_conformance.models.forecast import CALLER_ACTIONS, DATASET_TYPES, DOMAINS, GRANT_OPERATIONS, via_service
from kms_conformance.strategies.aws import account_ids, key_ids, regions
from kms_conformance.strategies.policies import admin_statement

#: What the key policy must permit the role passed in EncryptionConfig (page 004, "Create a
#: customer managed key": "the following API operations must be permitted in the key policy").
ROLE_ACTIONS: tuple[str, ...] = ("kms:DescribeKey", "kms:CreateGrant", "kms:RetireGrant")
#: Operations that inherit the CreatePredictor encryption configuration (page 004, "Encryption at
#: Rest"; the page's "CreatePredictorExplanability" is the CreateExplainability API).
PREDICTOR_FOLLOW_UPS = ("CreateExplainability", "CreateForecast", "CreatePredictorBacktestExportJob")


def role_statement(role: str, account: str, region: str, actions: Sequence[str] = ROLE_ACTIONS,
                   *, conditions: bool = True) -> dict[str, Any]:
    """The page's sample statement for the role passed to Forecast, repaired.

    Example: ``{"Sid": "Allow access to principals authorized to use Amazon Forecast", "Effect":
    "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/R"}, "Action": ["kms:DescribeKey",
    "kms:CreateGrant", "kms:RetireGrant"], "Resource": "*", "Condition": {"StringEquals":
    {"kms:ViaService": "forecast.us-east-1.amazonaws.com", "kms:CallerAccount": "111122223333"}}}``.
    """
    stmt: dict[str, Any] = {
        "Sid": "Allow access to principals authorized to use Amazon Forecast",
        "Effect": "Allow",
        "Principal": {"AWS": role},
        "Action": list(actions),
        "Resource": "*",
    }
    if conditions:
        stmt["Condition"] = {"StringEquals": {"kms:ViaService": via_service(region), "kms:CallerAccount": account}}
    return stmt


def caller_statement(caller: str, actions: Sequence[str] = CALLER_ACTIONS) -> dict[str, Any]:
    """The page's "AWS Invoking Identity" statement (the Note), repaired.

    Example: ``{"Sid": "Allow the invoking identity", "Effect": "Allow", "Principal": {"AWS":
    "arn:aws:iam::111122223333:role/Caller"}, "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
    "Resource": "*"}``."""
    return {"Sid": "Allow the invoking identity", "Effect": "Allow", "Principal": {"AWS": caller},
            "Action": list(actions), "Resource": "*"}


def _identity_policy(actions: Sequence[str], resource: str, condition: Mapping[str, Any] | None = None
                     ) -> dict[str, Any]:
    stmt: dict[str, Any] = {"Effect": "Allow", "Action": list(actions), "Resource": resource}
    if condition:
        stmt["Condition"] = dict(condition)
    return {"Version": "2012-10-17", "Statement": [stmt]}


def key_policy_template(*, role: bool = True, caller: bool = True, role_actions: Sequence[str] = ROLE_ACTIONS,
                        caller_actions: Sequence[str] = CALLER_ACTIONS, via: bool = True,
                        caller_account: str = "<<ACCOUNT>>") -> dict[str, Any]:
    """A key policy template for scenarios: the account-root statement (so the key stays
    manageable), the role statement (``<<ROLE>>``; its ``kms:CallerAccount`` is ``caller_account``,
    the key's own account by default) and the invoking identity statement (``<<CALLER>>``), each
    optional.

    Example: ``key_policy_template(role=False)`` is the root and caller statements only.
    """
    stmts = [admin_statement("<<ACCOUNT>>")]
    if role:
        stmts.append(role_statement("<<ROLE>>", caller_account, "<<REGION>>", role_actions, conditions=via))
    if caller:
        stmts.append(caller_statement("<<CALLER>>", caller_actions))
    return {"Version": "2012-10-17", "Statement": stmts}


def without_role(policy: Mapping[str, Any], placeholder: str = "<<ROLE>>") -> dict[str, Any]:
    """The policy template without the statements naming ``placeholder``: "remove the service's
    access to the customer managed key" (page 004). Example: the template minus the role statement."""
    new = copy.deepcopy(dict(policy))
    new["Statement"] = [s for s in new["Statement"] if placeholder not in repr(s.get("Principal"))]
    return new


# --- compliant setups ------------------------------------------------------------------------------

_NAME = st.from_regex(r"[a-zA-Z][a-zA-Z0-9_]{0,20}", fullmatch=True)
_ROLE_NAME = st.from_regex(r"[A-Za-z][A-Za-z0-9_+=,.@-]{0,30}", fullmatch=True)
_TAG_TEXT = st.from_regex(r"[A-Za-z0-9 _.:/=+-]{1,20}", fullmatch=True)


def encryption_config(role: str, key_arn: str) -> dict[str, str]:
    """``EncryptionConfig`` as CreateDataset/CreatePredictor take it."""
    return {"RoleArn": role, "KMSKeyArn": key_arn}


@st.composite
def dataset_requests(draw: st.DrawFn, config: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A CreateDataset request (boto3 ``forecast.create_dataset``), e.g. ``{"DatasetName": "sales",
    "Domain": "RETAIL", "DatasetType": "TARGET_TIME_SERIES", "Schema": {"Attributes": [...]},
    "EncryptionConfig": {...}}``."""
    req: dict[str, Any] = {
        "DatasetName": draw(_NAME),
        "Domain": draw(st.sampled_from(DOMAINS)),
        "DatasetType": draw(st.sampled_from(DATASET_TYPES)),
        "Schema": {"Attributes": [{"AttributeName": "item_id", "AttributeType": "string"},
                                  {"AttributeName": "timestamp", "AttributeType": "timestamp"},
                                  {"AttributeName": "demand", "AttributeType": "float"}]},
    }
    if draw(st.booleans()):
        req["DataFrequency"] = draw(st.sampled_from(("D", "H", "W", "M")))
    if config is not None:
        req["EncryptionConfig"] = dict(config)
    if draw(st.booleans()):
        req["Tags"] = draw(st.lists(st.builds(lambda k, v: {"Key": k, "Value": v}, _TAG_TEXT, _TAG_TEXT),
                                    min_size=1, max_size=3, unique_by=lambda t: t["Key"]))
    return req


@st.composite
def predictor_requests(draw: st.DrawFn, region: str, account: str, config: Mapping[str, str] | None = None
                       ) -> dict[str, Any]:
    """A CreatePredictor request (boto3 ``forecast.create_predictor``)."""
    req: dict[str, Any] = {
        "PredictorName": draw(_NAME),
        "ForecastHorizon": draw(st.integers(1, 500)),
        "InputDataConfig": {"DatasetGroupArn": f"arn:aws:forecast:{region}:{account}:dataset-group/{draw(_NAME)}"},
        "FeaturizationConfig": {"ForecastFrequency": draw(st.sampled_from(("D", "H", "W", "M")))},
    }
    if draw(st.booleans()):
        req["PerformAutoML"] = True
    else:
        req["AlgorithmArn"] = "arn:aws:forecast:::algorithm/Deep_AR_Plus"
    if config is not None:
        req["EncryptionConfig"] = dict(config)
    return req


@st.composite
def forecast_setups(draw: st.DrawFn) -> dict[str, Any]:
    """A compliant Forecast setup: a symmetric key whose policy (or the principals' IAM policies,
    which the page allows: "these can be added using IAM policies as well") lets the role passed
    in EncryptionConfig DescribeKey/CreateGrant/RetireGrant through Forecast and the caller
    Decrypt/GenerateDataKey (always in the key policy, as the Note recommends, sometimes in an IAM
    policy too); CreateDataset and/or CreatePredictor with that EncryptionConfig."""
    account = draw(account_ids())
    region = draw(regions("aws"))
    role_name, caller_name = draw(st.lists(_ROLE_NAME, min_size=2, max_size=2, unique_by=str.lower))
    role = f"arn:aws:iam::{account}:role/{role_name}"
    caller = f"arn:aws:iam::{account}:role/{caller_name}"
    key_arn = f"arn:aws:kms:{region}:{account}:key/{draw(key_ids(multi_region=False))}"
    admin = admin_statement(account)
    if draw(st.booleans()):
        admin = {**admin, "Sid": "Allow access for key administrators", "Action": ["kms:*"], "Resource": key_arn}
    stmts = [admin]
    identity: dict[str, list[dict[str, Any]]] = {}
    if draw(st.booleans()):
        stmts.append(role_statement(role, account, region))
    else:
        identity[role] = [_identity_policy(ROLE_ACTIONS, key_arn,
                                           {"StringEquals": {"kms:ViaService": via_service(region)}})]
    # The Note recommends the invoking identity's statement in the key policy (FORECAST-16); an IAM
    # policy may grant the same permissions as well (FORECAST-13 accepts either).
    stmts.append(caller_statement(caller))
    if draw(st.booleans()):
        identity.setdefault(caller, []).append(_identity_policy(CALLER_ACTIONS, key_arn))
    if draw(st.booleans()):
        identity.setdefault(caller, []).append(_identity_policy(("forecast:*", "iam:PassRole"), "*"))
    stmts = draw(st.permutations(stmts))
    config = encryption_config(role, key_arn)
    which = draw(st.sampled_from((("CreateDataset",), ("CreatePredictor",), ("CreateDataset", "CreatePredictor"))))
    request: dict[str, Any] = {}
    if "CreateDataset" in which:
        request["CreateDataset"] = draw(dataset_requests(config))
    if "CreatePredictor" in which:
        request["CreatePredictor"] = draw(predictor_requests(region, account, config))
    setup: dict[str, Any] = {
        "service": "forecast",
        "account": account,
        "region": region,
        "caller": caller,
        "keys": [{"arn": key_arn, "keySpec": "SYMMETRIC_DEFAULT", "keyUsage": "ENCRYPT_DECRYPT",
                  "policy": {"Version": "2012-10-17", "Statement": list(stmts)}}],
        "request": request,
    }
    if identity:
        setup["identityPolicies"] = identity
    return setup


# --- behaviour examples (templates) ------------------------------------------------------------------

def _base(**extra: SearchStrategy[Any]) -> SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"resource": st.sampled_from(("CreateDataset", "CreatePredictor")), **extra})


def encrypted_create_examples() -> SearchStrategy[dict[str, Any]]:
    """CreateDataset or CreatePredictor with a customer managed key, the key policy of the page's
    sample. Example: ``{"resource": "CreatePredictor", "policy": {...template...}}``."""
    return _base(policy=st.just(key_policy_template()))


def default_key_examples() -> SearchStrategy[dict[str, Any]]:
    """A resource created without EncryptionConfig by a caller with or without KMS permissions."""
    return _base(caller_kms=st.booleans())


def trust_examples() -> SearchStrategy[dict[str, Any]]:
    """Whether the role passed in EncryptionConfig trusts forecast.amazonaws.com."""
    return _base(trusts_forecast=st.booleans(), policy=st.just(key_policy_template()))


def missing_action_examples(actions: Sequence[str], who: str) -> SearchStrategy[dict[str, Any]]:
    """A key policy whose ``who`` ("role" or "caller") statement lacks one of ``actions`` (or none:
    ``missing`` None). Example: ``{"resource": "CreateDataset", "missing": "kms:CreateGrant", ...}``."""

    def build(missing: str | None) -> dict[str, Any]:
        if who == "role":
            return key_policy_template(role_actions=[a for a in ROLE_ACTIONS if a != missing])
        return key_policy_template(caller_actions=[a for a in CALLER_ACTIONS if a != missing])

    missing = st.one_of(st.none(), st.sampled_from(tuple(actions)))
    return missing.flatmap(lambda m: _base(missing=st.just(m), policy=st.just(build(m))))


def grant_maker_policy(holder: str) -> dict[str, Any]:
    """A key policy template where ``holder`` ("role" or "caller") is the one allowed kms:CreateGrant."""
    if holder == "role":
        return key_policy_template()
    return key_policy_template(role_actions=("kms:DescribeKey", "kms:RetireGrant"),
                               caller_actions=(*CALLER_ACTIONS, "kms:CreateGrant"))


def grant_maker_examples() -> SearchStrategy[dict[str, Any]]:
    """Who may create grants on the key: the role passed to Forecast, or only the caller."""
    return st.sampled_from(("role", "caller")).flatmap(
        lambda h: _base(holder=st.just(h), policy=st.just(grant_maker_policy(h))))


def grant_operation_examples() -> SearchStrategy[dict[str, Any]]:
    """A key policy that lets the role create only grants whose operations are among ``allowed``
    (``ForAllValues:StringEquals`` on ``kms:GrantOperations``)."""
    ops = st.lists(st.sampled_from(("Decrypt", "GenerateDataKey", "Encrypt", "DescribeKey", "ReEncryptFrom")),
                   min_size=1, max_size=4, unique=True).map(sorted)

    def build(allowed: list[str]) -> dict[str, Any]:
        policy = key_policy_template()
        stmt = policy["Statement"][1]
        stmt["Condition"]["ForAllValues:StringEquals"] = {"kms:GrantOperations": allowed}
        return policy

    return ops.flatmap(lambda a: _base(allowed=st.just(a), policy=st.just(build(a))))


def inheritance_examples() -> SearchStrategy[dict[str, Any]]:
    """A follow-up operation on an encrypted (or unencrypted) predictor, with the role's access to
    the key kept or removed in between."""
    return st.fixed_dictionaries({
        "follow_up": st.sampled_from(PREDICTOR_FOLLOW_UPS),
        "encrypted": st.booleans(),
        "remove_access": st.booleans(),
        "policy": st.just(key_policy_template()),
    })


def import_job_examples() -> SearchStrategy[dict[str, Any]]:
    """CreateDatasetImportJob on an encrypted (or unencrypted) dataset, access kept or removed."""
    return st.fixed_dictionaries({
        "encrypted": st.booleans(),
        "remove_access": st.booleans(),
        "policy": st.just(key_policy_template()),
    })


def revocation_examples() -> SearchStrategy[dict[str, Any]]:
    """How the service loses access before CreateForecast: its key policy statement removed
    (``"policy"``) or the grant that gave the role its access revoked (``"grant"``)."""
    return st.sampled_from(("policy", "grant")).map(lambda how: {
        "how": how,
        "policy": key_policy_template(role=how == "policy"),
    })


def symmetric_examples() -> SearchStrategy[dict[str, Any]]:
    """A key of any KeySpec/KeyUsage that allows encryption (symmetric or RSA ENCRYPT_DECRYPT)."""
    specs = st.sampled_from((("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"), ("RSA_2048", "ENCRYPT_DECRYPT"),
                             ("RSA_3072", "ENCRYPT_DECRYPT")))
    return specs.flatmap(lambda s: _base(key_spec=st.just(s[0]), key_usage=st.just(s[1]),
                                         policy=st.just(key_policy_template())))


#: An account that is not the scenario's (``kms:CallerAccount`` of another account).
OTHER_ACCOUNT = "999988887777"


def via_service_examples() -> SearchStrategy[dict[str, Any]]:
    """The page's sample statement, with or without its conditions (kms:ViaService and
    kms:CallerAccount), with them its kms:CallerAccount the key's own account (``"own"``) or
    another (``"other"``): the role then calls CreateGrant directly and through Forecast.
    Example: ``{"resource": "CreateDataset", "via": True, "caller_account": "other", "policy": {...}}``."""

    def build(via: bool, account: str) -> SearchStrategy[dict[str, Any]]:
        policy = key_policy_template(via=via, caller_account="<<ACCOUNT>>" if account == "own" else OTHER_ACCOUNT)
        return _base(via=st.just(via), caller_account=st.just(account), policy=st.just(policy))

    # without conditions there is no kms:CallerAccount to vary
    return st.sampled_from(((True, "own"), (True, "other"), (False, "own"))).flatmap(lambda t: build(*t))


def monitoring_examples() -> SearchStrategy[dict[str, Any]]:
    """CreateDataset or CreatePredictor with (``encrypted``) or without a customer managed key, the
    key policy of the page's sample, then a look at CloudTrail's event history.
    Example: ``{"resource": "CreatePredictor", "encrypted": True, "policy": {...template...}}``."""
    return _base(encrypted=st.booleans(), policy=st.just(key_policy_template()))


# --- mutators: each breaks exactly one config rule of a compliant setup ----------------------------------

def _actions(stmt: Mapping[str, Any]) -> list[str]:
    acts = stmt.get("Action", [])
    return [acts] if isinstance(acts, str) else list(acts)


def _names(stmt: Mapping[str, Any], principal: str) -> bool:
    block = stmt.get("Principal")
    values = block.get("AWS") if isinstance(block, Mapping) else block
    values = [values] if isinstance(values, str) else list(values or [])
    return principal in values


def _encryption_configs(setup: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [body["EncryptionConfig"] for body in setup.get("request", {}).values()
            if isinstance(body, dict) and isinstance(body.get("EncryptionConfig"), dict)]


def _without_action(setup: dict[str, Any], principal: str, action: str) -> dict[str, Any]:
    """Remove ``action`` from every key policy statement naming ``principal`` and from its identity
    policies (statements left without actions are dropped)."""
    new = copy.deepcopy(setup)
    for key in new["keys"]:
        stmts = key["policy"]["Statement"]
        for stmt in stmts:
            if _names(stmt, principal):
                stmt["Action"] = [a for a in _actions(stmt) if a.lower() != action.lower()]
        key["policy"]["Statement"] = [s for s in stmts if s["Action"]]
    for doc in new.get("identityPolicies", {}).get(principal, []):
        for stmt in doc["Statement"]:
            stmt["Action"] = [a for a in _actions(stmt) if a.lower() != action.lower()]
        doc["Statement"] = [s for s in doc["Statement"] if s["Action"]] or [
            {"Effect": "Allow", "Action": "forecast:DescribeDataset", "Resource": "*"}]
    return new


def _deny(setup: dict[str, Any], principal: str, action: str) -> dict[str, Any]:
    """Append an explicit Deny of ``action`` for ``principal`` to the key policy ("Policy evaluation
    logic": an explicit deny overrides any allow)."""
    new = copy.deepcopy(setup)
    new["keys"][0]["policy"]["Statement"].append(
        {"Sid": "NearMissDeny", "Effect": "Deny", "Principal": {"AWS": principal}, "Action": action, "Resource": "*"})
    return new


def take_from_role(setup: dict[str, Any], action: str) -> SearchStrategy[dict[str, Any]]:
    """Break FORECAST-10/11/12: the role passed in EncryptionConfig loses ``action`` (removed where it
    was granted, or explicitly denied)."""
    role = _encryption_configs(setup)[0]["RoleArn"]
    return st.sampled_from((_without_action(setup, role, action), _deny(setup, role, action)))


def take_from_caller(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """Break FORECAST-13: the caller loses kms:Decrypt or kms:GenerateDataKey."""
    caller = setup["caller"]
    return st.sampled_from(CALLER_ACTIONS).flatmap(
        lambda a: st.sampled_from((_without_action(setup, caller, a), _deny(setup, caller, a))))


def caller_only_in_iam(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """Break FORECAST-16 (and only it): the invoking identity's key policy statements move into an
    IAM policy of the caller, which the account statement of the key policy delegates to."""
    new = copy.deepcopy(setup)
    caller = new["caller"]
    key = new["keys"][0]
    mine = [s for s in key["policy"]["Statement"] if s.get("Effect") == "Allow" and _names(s, caller)]
    key["policy"]["Statement"] = [s for s in key["policy"]["Statement"] if s not in mine]
    actions = sorted({a for s in mine for a in _actions(s)} | set(CALLER_ACTIONS))
    new.setdefault("identityPolicies", {}).setdefault(caller, []).append(_identity_policy(actions, key["arn"]))
    return st.just(new)


def root_caller(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """Break FORECAST-17: the requests are sent as the account's root user."""
    new = copy.deepcopy(setup)
    new["caller"] = f"arn:aws:iam::{new['account']}:root"
    return st.just(new)


def use_alias_arn(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """Break FORECAST-01: name the key by an alias ARN instead of its key ARN."""

    def apply(alias: str) -> dict[str, Any]:
        new = copy.deepcopy(setup)
        key = new["keys"][0]
        key["aliases"] = [*key.get("aliases", []), alias]
        prefix = key["arn"].split(":key/")[0]
        for cfg in _encryption_configs(new):
            cfg["KMSKeyArn"] = f"{prefix}:{alias}"
        return new

    return st.from_regex(r"alias/forecast-[a-z0-9]{1,12}", fullmatch=True).map(apply)


def drop_via_service(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """Break FORECAST-14: remove the ``kms:ViaService`` condition from the role's permissions."""
    new = copy.deepcopy(setup)
    role = _encryption_configs(new)[0]["RoleArn"]
    docs = [s for s in new["keys"][0]["policy"]["Statement"] if _names(s, role)]
    docs += [s for d in new.get("identityPolicies", {}).get(role, []) for s in d["Statement"]]
    for stmt in docs:
        for op in list(stmt.get("Condition", {})):
            stmt["Condition"][op] = {k: v for k, v in stmt["Condition"][op].items() if k.lower() != "kms:viaservice"}
            if not stmt["Condition"][op]:
                del stmt["Condition"][op]
        if "Condition" in stmt and not stmt["Condition"]:
            del stmt["Condition"]
    return st.just(new)


def add_email_tag(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """Break FORECAST-15: a tag holding a customer's email address."""

    def apply(email: str) -> dict[str, Any]:
        new = copy.deepcopy(setup)
        body = next(iter(new["request"].values()))
        body.setdefault("Tags", []).append({"Key": "owner-contact", "Value": email})
        return new

    return st.from_regex(r"[a-z]{1,8}\.[a-z]{1,8}@example\.com", fullmatch=True).map(apply)


__all__ = [
    "CALLER_ACTIONS",
    "DATASET_TYPES",
    "DOMAINS",
    "GRANT_OPERATIONS",
    "OTHER_ACCOUNT",
    "PREDICTOR_FOLLOW_UPS",
    "ROLE_ACTIONS",
    "add_email_tag",
    "caller_only_in_iam",
    "caller_statement",
    "dataset_requests",
    "default_key_examples",
    "drop_via_service",
    "encrypted_create_examples",
    "encryption_config",
    "forecast_setups",
    "grant_maker_examples",
    "grant_maker_policy",
    "grant_operation_examples",
    "import_job_examples",
    "inheritance_examples",
    "key_policy_template",
    "missing_action_examples",
    "monitoring_examples",
    "predictor_requests",
    "revocation_examples",
    "role_statement",
    "root_caller",
    "symmetric_examples",
    "take_from_caller",
    "take_from_role",
    "trust_examples",
    "use_alias_arn",
    "via_service",
    "via_service_examples",
    "without_role",
]
