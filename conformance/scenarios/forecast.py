"""Amazon Forecast scenario steps (page ``004_1f23ff3028fec3c5.txt``): the caller, the role passed
to Forecast and the key a scenario starts from, and the Forecast calls the behaviour rules observe.

Every call goes through :meth:`Target.call` as the scenario's caller (the invoking identity of the
page's Note), so the model and the target under test run the same steps. Names are fresh per call
(:meth:`Target.unique`; Forecast names take no ``-``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kms_conformance.models.forecast import CALLER_ACTIONS, FORECAST_PRINCIPAL, SERVICE
from kms_conformance.scenarios.steps import Settled, Status, fill, must, new_key, new_role, settle
from kms_conformance.strategies import forecast as fst
from kms_conformance.targets.base import Outcome, Target


@dataclass(frozen=True)
class Stage:
    """What a Forecast scenario created: the invoking identity, the role passed to Forecast, the key."""

    caller: str
    role: str
    key_arn: str
    values: Mapping[str, str]


_CALLER_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["forecast:*", "iam:PassRole"], "Resource": "*"}]}
_CALLER_KMS_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": list(CALLER_ACTIONS), "Resource": "*"}]}


def stage(target: Target, example: Mapping[str, Any], *, trusts_forecast: bool = True,
          caller_kms: bool = False) -> Stage:
    """Create the caller (allowed forecast:* and iam:PassRole; KMS only when ``caller_kms``), the
    role passed to Forecast (trusting forecast.amazonaws.com when ``trusts_forecast``) and a key
    with the example's policy template filled in (the default key policy when it has none)."""
    inline: dict[str, Mapping[str, Any]] = {"forecast": _CALLER_POLICY}
    if caller_kms:
        inline["kms"] = _CALLER_KMS_POLICY
    caller = new_role(target, "fccaller", inline_policies=inline)
    role = new_role(target, "fcrole", services=[FORECAST_PRINCIPAL] if trusts_forecast else ())
    values = {"ROLE": role, "CALLER": caller, "ACCOUNT": target.account, "REGION": target.region}
    policy = example.get("policy")
    meta = new_key(target, fill(policy, values) if policy is not None else None,
                   key_spec=example.get("key_spec", "SYMMETRIC_DEFAULT"),
                   key_usage=example.get("key_usage", "ENCRYPT_DECRYPT"))
    key_arn = str(meta["Arn"])
    return Stage(caller, role, key_arn, {**values, "KEY_ARN": key_arn})


def _fname(target: Target, prefix: str) -> str:
    return target.unique(prefix).replace("-", "_")


def create_resource(target: Target, st_: Stage, kind: str, *, encrypted: bool = True) -> tuple[Outcome, str]:
    """CreateDataset or CreatePredictor (after a dataset group) as the caller, with the stage's
    EncryptionConfig when ``encrypted``; returns the outcome and the ARN member's value."""
    config = {"EncryptionConfig": {"RoleArn": st_.role, "KMSKeyArn": st_.key_arn}} if encrypted else {}
    if kind == "CreateDataset":
        out = target.call(SERVICE, "CreateDataset", {
            "DatasetName": _fname(target, "fcds"), "Domain": "RETAIL", "DatasetType": "TARGET_TIME_SERIES",
            "Schema": {"Attributes": [{"AttributeName": "item_id", "AttributeType": "string"},
                                      {"AttributeName": "timestamp", "AttributeType": "timestamp"},
                                      {"AttributeName": "demand", "AttributeType": "float"}]},
            **config}, principal=st_.caller)
        return out, str(out.value.get("DatasetArn", ""))
    group = must("forecast:CreateDatasetGroup", target.call(SERVICE, "CreateDatasetGroup", {
        "DatasetGroupName": _fname(target, "fcdg"), "Domain": "RETAIL"}, principal=st_.caller))
    out = target.call(SERVICE, "CreatePredictor", {
        "PredictorName": _fname(target, "fcpr"), "ForecastHorizon": 10,
        "AlgorithmArn": "arn:aws:forecast:::algorithm/Deep_AR_Plus",
        "InputDataConfig": {"DatasetGroupArn": group.value["DatasetGroupArn"]},
        "FeaturizationConfig": {"ForecastFrequency": "D"}, **config}, principal=st_.caller)
    return out, str(out.value.get("PredictorArn", ""))


def describe_resource(target: Target, st_: Stage, kind: str, arn: str) -> Outcome:
    """DescribeDataset or DescribePredictor (for ``kind`` CreateDataset or CreatePredictor) of
    ``arn``, as the caller."""
    op, member = ("DescribeDataset", "DatasetArn") if kind == "CreateDataset" else ("DescribePredictor", "PredictorArn")
    return target.call(SERVICE, op, {member: arn}, principal=st_.caller)


#: DescribeDataset's and DescribePredictor's Status once creation is over (Forecast API Reference:
#: ACTIVE | CREATE_PENDING | CREATE_IN_PROGRESS | CREATE_FAILED | ...).
ACTIVE, CREATE_FAILED = ("ACTIVE",), ("CREATE_FAILED",)


def created_resource(target: Target, st_: Stage, kind: str, *, encrypted: bool = True) -> tuple[Settled, str]:
    """:func:`create_resource` reduced to one fact (:func:`~kms_conformance.scenarios.steps.settle`):
    ``fails`` when the request is refused or the resource ends CREATE_FAILED (DescribePredictor's
    ``Message`` in ``detail``; DescribeDataset has none), ``OK`` when it ends ACTIVE. Forecast creates
    datasets and predictors asynchronously, so what goes wrong with the role or the key may show only
    in the status."""
    out, arn = create_resource(target, st_, kind, encrypted=encrypted)
    if out.ok and not arn:
        return Settled("unknown", "the create response names no ARN to read the status of", out), arn

    def status(described: Mapping[str, Any]) -> Status:
        return described.get("Status"), str(described.get("Message") or "")

    return settle(out, lambda: describe_resource(target, st_, kind, arn), status,
                  done=ACTIVE, failed=CREATE_FAILED), arn


def refusal_or_fact(settled: Settled) -> str:
    """The error code of a refused request, else the settled fact (``OK``, ``fails``, ``pending``...):
    for the rules whose page names the error the request itself gets (FORECAST-13's
    AccessDeniedException), an accepted request that fails later is not that error."""
    return settled.outcome.code if not settled.outcome.ok else settled.fact


def import_job(target: Target, st_: Stage, dataset_arn: str) -> Outcome:
    """CreateDatasetImportJob into ``dataset_arn`` from S3 through the stage's role, as the caller."""
    return target.call(SERVICE, "CreateDatasetImportJob", {
        "DatasetImportJobName": _fname(target, "fcij"), "DatasetArn": dataset_arn,
        "DataSource": {"S3Config": {"Path": "s3://kms-conformance/data.csv", "RoleArn": st_.role}}},
        principal=st_.caller)


def follow_up(target: Target, st_: Stage, operation: str, predictor_arn: str) -> Outcome:
    """One of the operations that inherit the predictor's encryption configuration, as the caller."""
    name = _fname(target, "fcfu")
    params: dict[str, Any]
    if operation == "CreateForecast":
        params = {"ForecastName": name, "PredictorArn": predictor_arn}
    elif operation == "CreateExplainability":
        params = {"ExplainabilityName": name, "ResourceArn": predictor_arn,
                  "ExplainabilityConfig": {"TimeSeriesGranularity": "ALL", "TimePointGranularity": "ALL"}}
    else:
        params = {"PredictorBacktestExportJobName": name, "PredictorArn": predictor_arn,
                  "Destination": {"S3Config": {"Path": "s3://kms-conformance/backtest/", "RoleArn": st_.role}}}
    return target.call(SERVICE, operation, params, principal=st_.caller)


def remove_role_access(target: Target, st_: Stage, example: Mapping[str, Any]) -> Outcome:
    """"Remove the service's access to the customer managed key": put the key policy without the
    statements naming the role."""
    policy = fill(fst.without_role(example["policy"]), st_.values)
    return target.call("kms", "PutKeyPolicy", {"KeyId": st_.key_arn, "PolicyName": "default",
                                               "Policy": json.dumps(policy)})


#: The AWS KMS events page 004 shows for Forecast ("Monitoring your encryption keys").
MONITORED_EVENTS = ("CreateGrant", "DescribeKey", "RetireGrant")
_KMS_SOURCE = "kms.amazonaws.com"
_MAX_PAGES = 20


def _sent_as(event: Mapping[str, Any], role: str) -> bool:
    """Whether a CloudTrail record was sent by a session of ``role`` (its ``sessionIssuer``; the
    session ARN when the record has no session context)."""
    identity = event.get("userIdentity") or {}
    issuer = (identity.get("sessionContext") or {}).get("sessionIssuer") or {}
    if issuer.get("arn") == role:
        return True
    return f":assumed-role/{role.rsplit('/', 1)[-1]}/" in str(identity.get("arn", ""))


def kms_events(target: Target, st_: Stage) -> dict[str, Any]:
    """LookupEvents with the lookup attribute ``EventSource`` = ``kms.amazonaws.com`` (as the
    administrator, every page), then the records of :data:`MONITORED_EVENTS` on the stage's key
    sent as a session of the role passed to Forecast: ``{"LookupEvents": "OK", "events": sorted
    names, "grant_operations": sorted operations of the CreateGrant records, "grantee_named":
    whether they name a grantee}``; ``{"LookupEvents": code}`` when the lookup fails."""
    records: list[Mapping[str, Any]] = []
    token: str | None = None
    for _ in range(_MAX_PAGES):
        params: dict[str, Any] = {"LookupAttributes": [{"AttributeKey": "EventSource",
                                                        "AttributeValue": _KMS_SOURCE}], "MaxResults": 50}
        if token:
            params["NextToken"] = token
        out = target.call("cloudtrail", "LookupEvents", params)
        if not out.ok:
            return {"LookupEvents": out.code}
        for event in out.value.get("Events", []):
            names = [r.get("ResourceName") for r in event.get("Resources") or []]
            if event.get("EventName") in MONITORED_EVENTS and st_.key_arn in names:
                raw = json.loads(event.get("CloudTrailEvent") or "{}")
                if _sent_as(raw, st_.role):
                    records.append(raw)
        token = out.value.get("NextToken")
        if not token:
            break
    grants = [r.get("requestParameters") or {} for r in records if r.get("eventName") == "CreateGrant"]
    return {"LookupEvents": "OK", "events": sorted({str(r.get("eventName")) for r in records}),
            "grant_operations": sorted({str(op) for g in grants for op in g.get("operations") or []}),
            "grantee_named": any(bool(g.get("granteePrincipal")) for g in grants)}


def grants_left(target: Target, key_arn: str) -> list[list[str]] | str:
    """The operations of each grant left on the key (ListGrants, sorted), or ListGrants' error code."""
    out = target.call("kms", "ListGrants", {"KeyId": key_arn})
    if not out.ok:
        return out.code
    return sorted(sorted(g.get("Operations", [])) for g in out.value.get("Grants", []))


__all__ = [
    "ACTIVE",
    "CREATE_FAILED",
    "MONITORED_EVENTS",
    "Stage",
    "create_resource",
    "created_resource",
    "describe_resource",
    "follow_up",
    "grants_left",
    "import_job",
    "kms_events",
    "refusal_or_fact",
    "remove_role_access",
    "stage",
]
