"""The table of what the kit creates (:data:`kms_conformance.resources.KINDS`): run ids, tags, and
that every row's calls exist in botocore with the parameters the row gives them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.session
import pytest
from kms_conformance.resources import (
    CREATED_TAG,
    KINDS,
    RUN_TAG,
    Kind,
    created_at,
    created_ident,
    creation_tags,
    kind_made_by,
    new_run_id,
    parse_run_id,
    session_name,
    with_tags,
)

WHEN = datetime(2026, 11, 24, 2, 17, 54, tzinfo=UTC)


# --- run ids ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["run", "pytest", "pytest-fixture"])
def test_run_ids_are_parsed_back(kind: str) -> None:
    run_id = new_run_id(kind, WHEN)
    parsed = parse_run_id(run_id)
    assert parsed is not None and (parsed.started, parsed.kind) == (WHEN, kind) and len(parsed.token) == 6
    assert run_id.startswith("20261124T021754Z-")
    assert new_run_id(kind, WHEN) != run_id  # the token tells two runs of the same second apart


def test_run_id_kinds_and_foreign_ids() -> None:
    for bad in ("", "Run", "two words", "a--b"):
        with pytest.raises(ValueError):
            new_run_id(bad)
    for foreign in ("local", "run-old", "20261124021754-abc123-123", "3f9a1c0e-pytest-20261124T021754", None):
        assert parse_run_id(foreign) is None, foreign


def test_session_names_fit_assume_role() -> None:
    name = session_name(new_run_id("pytest-fixture"))
    assert name.startswith("kmsc-") and len(name) <= 64
    assert len(session_name("x" * 100)) == 64


def test_created_at_falls_back_on_the_run_id() -> None:
    assert created_at(creation_tags("local", WHEN)) == WHEN
    assert created_at({RUN_TAG: new_run_id("run", WHEN)}) == WHEN
    assert created_at({RUN_TAG: new_run_id("run", WHEN), CREATED_TAG: "garbage"}) == WHEN
    assert created_at({RUN_TAG: "local"}) is None


# --- tags --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("service", "operation", "parameter", "expected"), [
    ("kms", "CreateKey", "Tags", [{"TagKey": RUN_TAG, "TagValue": "r"}]),
    ("iam", "CreateRole", "Tags", [{"Key": RUN_TAG, "Value": "r"}]),
    ("opensearchserverless", "CreateCollection", "tags", [{"key": RUN_TAG, "value": "r"}]),
    ("mwaa", "CreateEnvironment", "Tags", {RUN_TAG: "r"}),
    ("sagemaker", "CreateFeatureGroup", "Tags", [{"Key": RUN_TAG, "Value": "r"}]),
    ("forecast", "CreateDatasetGroup", "Tags", [{"Key": RUN_TAG, "Value": "r"}]),
    ("forecast", "CreatePredictor", "Tags", [{"Key": RUN_TAG, "Value": "r"}]),
])
def test_create_calls_carry_the_run_tags(service: str, operation: str, parameter: str, expected: Any) -> None:
    tags = {RUN_TAG: "r"}
    assert with_tags(service, operation, {"x": 1}, tags) == {"x": 1, parameter: expected}
    own = {parameter: "the scenario's own"}
    assert with_tags(service, operation, own, tags) == own


def test_calls_without_tags_are_unchanged() -> None:
    for service, operation in (("kms", "CreateAlias"), ("opensearchserverless", "CreateSecurityPolicy"),
                               ("forecast", "DescribeDatasetGroup"), ("kms", "Decrypt")):
        assert with_tags(service, operation, {"x": 1}, {RUN_TAG: "r"}) == {"x": 1}


# --- identifiers of what a create call made ----------------------------------------------------------

@pytest.mark.parametrize(("service", "operation", "params", "response", "name", "ident"), [
    ("kms", "CreateKey", {}, {"KeyMetadata": {"KeyId": "k1"}}, "key", {"id": "k1"}),
    ("kms", "CreateAlias", {"AliasName": "alias/a", "TargetKeyId": "k1"}, {}, "alias", {"id": "alias/a"}),
    ("kms", "CreateGrant", {"KeyId": "k1"}, {"GrantId": "g1", "GrantToken": "t"}, "grant", {"key": "k1", "id": "g1"}),
    ("iam", "CreateRole", {"RoleName": "r1"}, {"Role": {}}, "role", {"id": "r1"}),
    ("opensearchserverless", "CreateCollection", {"name": "c"}, {"createCollectionDetail": {"id": "c1"}},
     "collection", {"id": "c1"}),
    ("opensearchserverless", "CreateSecurityPolicy", {"name": "p", "type": "encryption"}, {}, "security-policy",
     {"id": "p", "type": "encryption"}),
    ("mwaa", "CreateEnvironment", {"Name": "e"}, {"Arn": "x"}, "environment", {"id": "e"}),
    ("sagemaker", "CreateFeatureGroup", {"FeatureGroupName": "f"}, {}, "feature-group", {"id": "f"}),
    ("forecast", "CreatePredictor", {}, {"PredictorArn": "arn:p"}, "resource-tree", {"id": "arn:p"}),
])
def test_created_identifiers(service: str, operation: str, params: dict[str, Any], response: dict[str, Any],
                             name: str, ident: dict[str, str]) -> None:
    kind = kind_made_by(service, operation)
    assert kind is not None and kind.name == name
    assert created_ident(kind, params, response) == ident


def test_a_create_call_that_names_nothing_is_not_recorded() -> None:
    kind = kind_made_by("forecast", "CreateDatasetGroup")
    assert kind is not None and created_ident(kind, {}, {"Other": 1}) is None
    assert kind_made_by("kms", "DescribeKey") is None and kind_made_by("forecast", "DescribeDataset") is None


# --- every call of the table exists in botocore -------------------------------------------------------

_BOTOCORE = botocore.session.get_session()


def _input_members(service: str, operation: str) -> set[str]:
    model = _BOTOCORE.get_service_model(service)
    assert operation in model.operation_names, f"{service} has no {operation}"
    shape = model.operation_model(operation).input_shape
    return set(shape.members) if shape is not None else set()


def _required(service: str, operation: str) -> set[str]:
    shape = _BOTOCORE.get_service_model(service).operation_model(operation).input_shape
    return set(shape.required_members) if shape is not None else set()


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: f"{k.service}-{k.name}")
def test_every_call_of_the_table_is_a_botocore_call(kind: Kind) -> None:
    for step in kind.remove:
        given = set(step.params) | set(step.fixed) | ({step.each.parameter} if step.each else set())
        assert given <= _input_members(kind.service, step.operation), step
        assert _required(kind.service, step.operation) <= given, step
        assert set(step.params.values()) <= set(kind.ident), step
        if step.each is not None:
            assert set(step.each.params) <= _input_members(kind.service, step.each.operation)
    for op in kind.creates:
        if op != "Create":
            assert kind.tags is None or kind.tags[0] in _input_members(kind.service, op)
    for finder in kind.find:
        service = finder.service or kind.service  # the tagging API lists another service's resources
        assert set(finder.params) | set(finder.parent) <= _input_members(service, finder.operation)
        assert set(finder.ident) == set(kind.ident), finder
        if finder.tags is not None and finder.tags.operation is not None:
            assert set(finder.tags.params) <= _input_members(kind.service, finder.tags.operation)
        if finder.detail is not None:
            assert set(finder.detail[1]) <= _input_members(kind.service, finder.detail[0])
        if finder.tags is None and not finder.within:  # what takes no tags is found by name and age
            assert finder.prefixes and finder.name and finder.created, finder


def test_keys_are_scheduled_with_the_shortest_window() -> None:
    from kms_conformance.resources import KEY_DELETION_WINDOW_DAYS, kind_named

    (step,) = kind_named("kms", "key").remove
    assert step.operation == "ScheduleKeyDeletion" and step.fixed == {"PendingWindowInDays": KEY_DELETION_WINDOW_DAYS}
    assert KEY_DELETION_WINDOW_DAYS == 7  # ScheduleKeyDeletion: PendingWindowInDays 7-30


def test_removal_order_puts_services_first_and_roles_last() -> None:
    names = [k.name for k in KINDS]
    assert names.index("collection") < names.index("security-policy") < names.index("alias")
    assert names.index("alias") < names.index("key") and names.index("grant") < names.index("key")
    assert names[-1] == "role"


def test_sweep_recognises_a_run_id_without_a_creation_tag(monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3
    from kms_conformance.resources import kms_tags
    from kms_conformance.sweep import plan_sweep
    from moto import mock_aws

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        kms = boto3.client("kms", region_name="us-east-1")
        old = kms.create_key(Tags=kms_tags({RUN_TAG: new_run_id("run", datetime.now(UTC) - timedelta(hours=30))}))
        kms.create_key(Tags=kms_tags({RUN_TAG: new_run_id("run")}))
        kms.create_key(Tags=kms_tags({RUN_TAG: "local"}))  # no time known: never swept

        def clients(service: str) -> Any:
            return boto3.client(service, region_name="us-east-1")  # type: ignore[call-overload]

        plan = plan_sweep(clients, older_than_hours=6)
        assert [(a.kind, a.ident) for a in plan] == [("key", old["KeyMetadata"]["KeyId"])]
