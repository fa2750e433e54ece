"""``sweep`` removes the kit's leftovers older than the cutoff and nothing else (moto in-process)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from kms_conformance.resources import creation_tags, iam_tags, kms_tags
from kms_conformance.sweep import execute, plan_sweep
from moto import mock_aws


@pytest.fixture
def clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        cache: dict[str, Any] = {}

        def make(service: str) -> Any:
            if service not in cache:
                new: Any = boto3.client  # boto3's overloads want a Literal service name
                cache[service] = new(service, region_name="us-east-1")
            return cache[service]

        yield make


def test_sweep_removes_only_old_tagged_resources(clients: Any) -> None:
    kms, iam = clients("kms"), clients("iam")
    old = creation_tags("run-old", datetime.now(UTC) - timedelta(hours=30))
    new = creation_tags("run-new")
    old_key = kms.create_key(Tags=kms_tags(old))["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/kmsc-old", TargetKeyId=old_key)
    kms.create_grant(KeyId=old_key, GranteePrincipal="arn:aws:iam::123456789012:role/x", Operations=["Decrypt"])
    new_key = kms.create_key(Tags=kms_tags(new))["KeyMetadata"]["KeyId"]
    users_key = kms.create_key()["KeyMetadata"]["KeyId"]
    iam.create_role(RoleName="kmsc-old", AssumeRolePolicyDocument="{}", Tags=iam_tags(old))
    decrypt = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}'
    iam.put_role_policy(RoleName="kmsc-old", PolicyName="p", PolicyDocument=decrypt)
    iam.create_role(RoleName="users-role", AssumeRolePolicyDocument="{}")

    plan = plan_sweep(clients, older_than_hours=6)
    kinds = [(a.service, a.kind, a.ident.split("/")[0]) for a in plan]
    assert ("kms", "alias", "alias") in kinds
    assert ("kms", "key", old_key) in kinds
    assert ("iam", "role", "kmsc-old") in kinds
    # aliases and grants come before their key
    order = [a.kind for a in plan if a.service == "kms"]
    assert order.index("alias") < order.index("key") and order.index("grant") < order.index("key")
    idents = {a.ident for a in plan}
    assert new_key not in idents and users_key not in idents and "users-role" not in idents

    lines: list[str] = []
    assert execute(clients, plan, report=lines.append) == 0
    assert kms.describe_key(KeyId=old_key)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    assert kms.describe_key(KeyId=new_key)["KeyMetadata"]["KeyState"] == "Enabled"
    assert kms.describe_key(KeyId=users_key)["KeyMetadata"]["KeyState"] == "Enabled"
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["users-role"]
    assert plan_sweep(clients, older_than_hours=6) == []  # idempotent: nothing left to do
    assert any("removed kms key" in line for line in lines)


def test_sweep_zero_hours_takes_new_resources_too(clients: Any) -> None:
    key = clients("kms").create_key(Tags=kms_tags(creation_tags("r1")))["KeyMetadata"]["KeyId"]
    assert [a.ident for a in plan_sweep(clients, older_than_hours=0) if a.kind == "key"] == [key]
    assert [a.ident for a in plan_sweep(clients, older_than_hours=1) if a.kind == "key"] == []


def _aoss_policy(aoss: Any, name: str, collection: str, key_arn: str) -> None:
    import json

    doc = {"Rules": [{"ResourceType": "collection", "Resource": [f"collection/{collection}"]}],
           "AWSOwnedKey": False, "KmsARN": key_arn}
    aoss.create_security_policy(name=name, type="encryption", policy=json.dumps(doc))


def test_sweep_finds_aoss_collections_by_tag_and_policies_by_prefix(clients: Any) -> None:
    """The encryption policies of a killed run take no tags: they go by name (``kmsc-...`` and the
    service's ``auto-kmsc-...``) and age; collections by their tags; the account's own stay."""
    from kms_conformance.resources import NAME_PREFIX

    aoss, kms = clients("opensearchserverless"), clients("kms")
    old = creation_tags("run-old", datetime.now(UTC) - timedelta(hours=30))
    key = kms.create_key(Tags=kms_tags(old))["KeyMetadata"]
    _aoss_policy(aoss, f"{NAME_PREFIX}pcab-1", f"{NAME_PREFIX}cab-1a", key["Arn"])
    _aoss_policy(aoss, f"auto-{NAME_PREFIX}cab-1b", f"{NAME_PREFIX}cab-1b", key["Arn"])
    _aoss_policy(aoss, "users-policy", "users-coll", key["Arn"])
    _aoss_policy(aoss, f"{NAME_PREFIX}pnew-2", "kmsc-new-2a", key["Arn"])
    coll = aoss.create_collection(name=f"{NAME_PREFIX}cab-1a", type="SEARCH",
                                  tags=[{"key": k, "value": v} for k, v in old.items()])["createCollectionDetail"]
    users = aoss.create_collection(name="users-coll", type="SEARCH")["createCollectionDetail"]
    fresh = aoss.create_collection(name="kmsc-new-2a", type="SEARCH", tags=[
        {"key": k, "value": v} for k, v in creation_tags("run-new").items()])["createCollectionDetail"]

    # policies were created just now: at 6 hours only the old collection (and the old key) qualify
    plan = plan_sweep(clients, older_than_hours=6)
    assert [(a.kind, a.ident) for a in plan if a.service == "opensearchserverless"] == [("collection", coll["id"])]
    assert plan[0].run_id == "run-old"

    # pretend seven hours went by: the kit's policies qualify by age, the account's do not
    later = datetime.now(UTC) + timedelta(hours=7)
    plan = plan_sweep(clients, older_than_hours=6, now=later)
    aoss_plan = [(a.kind, a.ident) for a in plan if a.service == "opensearchserverless"]
    assert ("collection", coll["id"]) in aoss_plan and ("collection", fresh["id"]) in aoss_plan
    assert ("collection", users["id"]) not in aoss_plan
    policies = {ident for kind, ident in aoss_plan if kind == "encryption-policy"}
    assert policies == {f"{NAME_PREFIX}pcab-1", f"auto-{NAME_PREFIX}cab-1b", f"{NAME_PREFIX}pnew-2"}
    kinds = [a.kind for a in plan]
    assert kinds.index("encryption-policy") > max(i for i, k in enumerate(kinds) if k == "collection")
    assert kinds.index("key") > max(i for i, a in enumerate(plan) if a.service == "opensearchserverless")

    lines: list[str] = []
    execute(clients, [a for a in plan if a.kind == "collection"], report=lines.append)
    left = {c["name"] for c in aoss.list_collections()["collectionSummaries"]}
    assert left == {"users-coll"}, lines


def _stubbed(service: str) -> tuple[Any, Any]:
    from botocore.stub import Stubber

    make: Any = boto3.client  # boto3's overloads want a Literal service name
    client = make(service, region_name="us-east-1")
    return client, Stubber(client)


def test_sweep_plans_and_removes_feature_groups_environments_and_forecast(clients: Any) -> None:
    """Services moto lacks (ListFeatureGroups, MWAA, Forecast datasets), against botocore's Stubber:
    it checks every request against the service model, so a wrong parameter name fails the test."""
    old = creation_tags("run-old", datetime.now(UTC) - timedelta(hours=30))
    new = creation_tags("run-new")
    long_ago = datetime.now(UTC) - timedelta(hours=30)
    fg_arn = "arn:aws:sagemaker:us-east-1:123456789012:feature-group/"
    sagemaker, sm_stub = _stubbed("sagemaker")
    sm_stub.add_response("list_feature_groups", {"FeatureGroupSummaries": [
        {"FeatureGroupName": n, "FeatureGroupArn": fg_arn + n, "CreationTime": long_ago,
         "FeatureGroupStatus": "Created"}
        for n in ("kmsc-fsgroup-a1-1", "kmsc-fsgroup-a1-2", "users-group")]})
    sm_stub.add_response("list_tags", {"Tags": iam_tags(old)}, {"ResourceArn": fg_arn + "kmsc-fsgroup-a1-1"})
    sm_stub.add_response("list_tags", {"Tags": iam_tags(new)}, {"ResourceArn": fg_arn + "kmsc-fsgroup-a1-2"})
    sm_stub.add_response("list_tags", {"Tags": []}, {"ResourceArn": fg_arn + "users-group"})
    sm_stub.add_response("delete_feature_group", {}, {"FeatureGroupName": "kmsc-fsgroup-a1-1"})

    mwaa, mwaa_stub = _stubbed("mwaa")
    mwaa_stub.add_response("list_environments", {"Environments": ["kmsc-Envab-a1-3", "users-env"]})
    mwaa_stub.add_response("get_environment", {"Environment": {"Name": "kmsc-Envab-a1-3", "Status": "AVAILABLE",
                                                               "Tags": old}}, {"Name": "kmsc-Envab-a1-3"})
    mwaa_stub.add_response("get_environment", {"Environment": {"Name": "users-env", "Status": "AVAILABLE"}},
                           {"Name": "users-env"})
    mwaa_stub.add_response("delete_environment", {}, {"Name": "kmsc-Envab-a1-3"})

    fc_arn = "arn:aws:forecast:us-east-1:123456789012:"
    forecast, fc_stub = _stubbed("forecast")
    fc_stub.add_response("list_dataset_groups", {"DatasetGroups": [
        {"DatasetGroupArn": fc_arn + "dataset-group/kmsc_fcdg_a1_4", "DatasetGroupName": "kmsc_fcdg_a1_4",
         "CreationTime": long_ago},
        {"DatasetGroupArn": fc_arn + "dataset-group/kmsc_fcdg_a1_9", "DatasetGroupName": "kmsc_fcdg_a1_9",
         "CreationTime": datetime.now(UTC)},
        {"DatasetGroupArn": fc_arn + "dataset-group/sales", "DatasetGroupName": "sales", "CreationTime": long_ago}]})
    fc_stub.add_response("list_datasets", {"Datasets": [
        {"DatasetArn": fc_arn + "dataset/kmsc_fcds_a1_5", "DatasetName": "kmsc_fcds_a1_5", "CreationTime": long_ago}]})
    fc_stub.add_response("delete_resource_tree", {}, {"ResourceArn": fc_arn + "dataset-group/kmsc_fcdg_a1_4"})
    fc_stub.add_response("delete_resource_tree", {}, {"ResourceArn": fc_arn + "dataset/kmsc_fcds_a1_5"})

    stubbed = {"sagemaker": sagemaker, "mwaa": mwaa, "forecast": forecast}
    key = clients("kms").create_key(Tags=kms_tags(old))["KeyMetadata"]["KeyId"]
    clients("iam").create_role(RoleName="kmsc-role-a1-6", AssumeRolePolicyDocument="{}", Tags=iam_tags(old))

    def factory(service: str) -> Any:
        return stubbed.get(service) or clients(service)

    with sm_stub, mwaa_stub, fc_stub:
        plan = plan_sweep(factory, older_than_hours=6)
        assert [(a.service, a.kind, a.ident) for a in plan] == [
            ("sagemaker", "feature-group", "kmsc-fsgroup-a1-1"),
            ("mwaa", "environment", "kmsc-Envab-a1-3"),
            ("forecast", "dataset-group", fc_arn + "dataset-group/kmsc_fcdg_a1_4"),
            ("forecast", "dataset", fc_arn + "dataset/kmsc_fcds_a1_5"),
            ("kms", "key", key),
            ("iam", "role", "kmsc-role-a1-6"),
        ]
        assert plan[0].run_id == "run-old" and plan[1].created == old["kms-conformance:created"]
        lines: list[str] = []
        assert execute(factory, plan, report=lines.append) == 0, lines
        sm_stub.assert_no_pending_responses()
        mwaa_stub.assert_no_pending_responses()
        fc_stub.assert_no_pending_responses()


def test_sweep_skips_services_the_endpoint_lacks(clients: Any) -> None:
    """moto has no MWAA, no ListFeatureGroups and no ListDatasets: the plan still covers the rest."""
    key = clients("kms").create_key(Tags=kms_tags(creation_tags("r1")))["KeyMetadata"]["KeyId"]
    clients("forecast").create_dataset_group(DatasetGroupName="kmsc_fcdg_x_1", Domain="RETAIL")
    clients("forecast").create_dataset_group(DatasetGroupName="sales", Domain="RETAIL")
    plan = plan_sweep(clients, older_than_hours=0)
    assert [(a.service, a.kind) for a in plan] == [("forecast", "dataset-group"), ("kms", "key")]
    assert plan[0].ident.endswith("dataset-group/kmsc_fcdg_x_1") and plan[1].ident == key


class _Denying:
    """A client whose listed operations answer AccessDeniedException (a key policy that denies them)."""

    def __init__(self, client: Any, denied: set[str]) -> None:
        self._client, self._denied = client, denied

    def __getattr__(self, name: str) -> Any:
        if name in self._denied:
            from botocore.exceptions import ClientError

            def deny(**_: Any) -> Any:
                raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "denied"}}, name)
            return deny
        return getattr(self._client, name)


def test_a_tagged_key_the_sweep_cannot_describe_is_still_scheduled_for_deletion(clients: Any) -> None:
    """DescribeKey and ListResourceTags denied: the Resource Groups Tagging API's GetResources still
    finds the key by its run tag, and ScheduleKeyDeletion removes it."""
    kms = clients("kms")
    key = kms.create_key(Tags=kms_tags(creation_tags("r1")))["KeyMetadata"]["KeyId"]
    users_key = kms.create_key()["KeyMetadata"]["KeyId"]
    denying = _Denying(kms, {"describe_key", "list_resource_tags"})

    def factory(service: str) -> Any:
        return denying if service == "kms" else clients(service)

    plan = plan_sweep(factory, older_than_hours=0)
    assert [(a.kind, a.ident) for a in plan] == [("key", key)]
    assert execute(factory, plan, report=lambda _line: None) == 0
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    assert kms.describe_key(KeyId=users_key)["KeyMetadata"]["KeyState"] == "Enabled"


def test_a_key_found_by_listing_and_by_tag_is_removed_once(clients: Any) -> None:
    key = clients("kms").create_key(Tags=kms_tags(creation_tags("r1")))["KeyMetadata"]["KeyId"]
    clients("kms").create_alias(AliasName="alias/kmsc-once", TargetKeyId=key)
    assert [(a.kind, a.ident) for a in plan_sweep(clients, older_than_hours=0)] == [
        ("alias", "alias/kmsc-once"), ("key", key)]


def test_execute_says_what_it_could_not_remove(clients: Any) -> None:
    key = clients("kms").create_key(Tags=kms_tags(creation_tags("r1")))["KeyMetadata"]["KeyId"]
    plan = plan_sweep(clients, older_than_hours=0)
    denying = _Denying(clients("kms"), {"schedule_key_deletion"})
    lines: list[str] = []
    left: list[dict[str, str]] = []
    assert execute(lambda s: denying if s == "kms" else clients(s), plan, report=lines.append, left=left) == 1
    assert left == [{"kind": "kms key", "id": key, "error": "An error occurred (AccessDeniedException) when "
                                                           "calling the schedule_key_deletion operation: denied"}]
    assert lines == [f"FAILED  kms key {key} (run r1, created {plan[0].created}): An error occurred "
                     "(AccessDeniedException) when calling the schedule_key_deletion operation: denied"]


#: A small selection that makes every kind the kit creates on moto: keys, grants and roles (KMS-10),
#: feature groups (FS-01), encryption policies and collections (AOSS-04), Forecast dataset groups
#: (FORECAST-05); MWAA-06 makes nothing, moto has no MWAA.
RUN_RULES = ("KMS-10", "FS-01", "AOSS-04", "FORECAST-05", "MWAA-06")


def teams_own_resources(make: Any) -> dict[tuple[str, str], str]:
    """One untagged resource of every kind, named unlike the kit's: the sweep must leave them alone.
    ``make(service)`` gives a client; returns (service, kind) -> id as the sweep would name it."""
    import json

    aoss = make("opensearchserverless")
    key = make("kms").create_key(Description="the team's own key")["KeyMetadata"]
    make("iam").create_role(RoleName="teams-role", AssumeRolePolicyDocument="{}")
    aoss.create_security_policy(name="teams-policy", type="encryption", policy=json.dumps({
        "Rules": [{"ResourceType": "collection", "Resource": ["collection/teams-coll"]}],
        "AWSOwnedKey": False, "KmsARN": key["Arn"]}))
    coll = aoss.create_collection(name="teams-coll", type="SEARCH")["createCollectionDetail"]
    make("sagemaker").create_feature_group(
        FeatureGroupName="teams-fg", RecordIdentifierFeatureName="id", EventTimeFeatureName="t",
        FeatureDefinitions=[{"FeatureName": "id", "FeatureType": "String"},
                            {"FeatureName": "t", "FeatureType": "String"}],
        OfflineStoreConfig={"S3StorageConfig": {"S3Uri": "s3://teams-bucket/fs"}},
        RoleArn="arn:aws:iam::123456789012:role/teams-role")
    group = make("forecast").create_dataset_group(DatasetGroupName="sales", Domain="RETAIL")["DatasetGroupArn"]
    return {("kms", "key"): key["KeyId"], ("iam", "role"): "teams-role",
            ("opensearchserverless", "encryption-policy"): "teams-policy",
            ("opensearchserverless", "collection"): coll["id"], ("sagemaker", "feature-group"): "teams-fg",
            ("forecast", "dataset-group"): group}


def still_there(make: Any) -> dict[tuple[str, str], set[str]]:
    """What the account holds of each kind, read directly (not through the sweep)."""
    kms, aoss = make("kms"), make("opensearchserverless")
    return {
        ("kms", "key"): {k["KeyId"] for k in kms.list_keys()["Keys"]
                         if kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] != "PendingDeletion"},
        ("iam", "role"): {r["RoleName"] for r in make("iam").list_roles()["Roles"]},
        ("opensearchserverless", "encryption-policy"): {
            p["name"] for p in aoss.list_security_policies(type="encryption")["securityPolicySummaries"]},
        ("opensearchserverless", "collection"): {c["id"] for c in aoss.list_collections()["collectionSummaries"]},
        ("sagemaker", "feature-group"): {
            m["ResourceARN"].rsplit("/", 1)[-1] for m in make("resourcegroupstaggingapi").get_resources(
                ResourceTypeFilters=["sagemaker:feature-group"])["ResourceTagMappingList"]} | (
            {"teams-fg"} if _has_feature_group(make, "teams-fg") else set()),
        ("forecast", "dataset-group"): {g["DatasetGroupArn"] for g in make("forecast").list_dataset_groups()[
            "DatasetGroups"]},
    }


def _has_feature_group(make: Any, name: str) -> bool:
    try:
        make("sagemaker").describe_feature_group(FeatureGroupName=name)
    except Exception:
        return False
    return True


def created_by(ledger: Any) -> dict[tuple[str, str], set[str]]:
    """What the run's target recorded creating, by (service, kind as the sweep names it) -> ids."""
    from kms_conformance.resources import kind_named

    out: dict[tuple[str, str], set[str]] = {}
    for kind, ident in ledger.entries:
        name = kind.name
        if kind.name == "resource-tree":
            name = ident["id"].split(":", 5)[-1].split("/")[0]
        elif kind.name == "security-policy":
            name = f"{ident['type']}-policy"
        out.setdefault((kind.service, name), set()).add(kind_named(kind.service, kind.name).show(ident))
    return out


@pytest.mark.slow
def test_sweep_finds_every_kind_a_real_moto_run_created_and_leaves_the_rest(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real run on moto in process (no cleanup: its state kept), then the sweep on that state: every
    resource the run created is planned, those moto can delete are gone, those it cannot are left
    with moto's error, and the untagged resources named unlike the kit's are all still there. A few
    examples per rule (the plumbing profile) create every kind; the test asserts they did."""
    from pathlib import Path

    from e2e_support import plumbing_profile
    from kms_conformance.runner import RunOptions, run
    from kms_conformance.sweep import Skipped, by_kind
    from kms_conformance.targets import TargetConfig, _moto_target
    from kms_conformance.targets.moto_scope import MotoScope

    scope = MotoScope()
    built: list[Any] = []

    def build(config: TargetConfig) -> Any:
        built.append(_moto_target(config, scope))
        return built[-1]

    run(RunOptions(target=TargetConfig(name="moto", run_id="20260101T000000Z-run-0a1b2c"), rules=RUN_RULES,
                   profile=plumbing_profile(monkeypatch), report_dir=Path(tmp_path)), build_target=build)
    made = created_by(built[0].ledger)
    assert {("kms", "key"), ("iam", "role"), ("opensearchserverless", "collection"),
            ("opensearchserverless", "encryption-policy"), ("sagemaker", "feature-group"),
            ("forecast", "dataset-group")} <= set(made), made
    scope.open()
    try:
        session = boto3.session.Session(region_name="us-east-1")
        cache: dict[str, Any] = {}

        def make(service: str) -> Any:
            return cache.setdefault(service, session.client(service))  # type: ignore[call-overload]

        teams = teams_own_resources(make)
        before = still_there(make)
        skipped: list[Skipped] = []
        plan = plan_sweep(make, older_than_hours=0, skipped=skipped)
        planned = {(a.service, a.kind, a.ident) for a in plan}
        for (service, kind), ids in made.items():
            if kind in ("grant", "alias"):  # found within their key: checked below, once the key is removed
                continue
            live = ids & before.get((service, kind), ids)  # a resource the run itself removed is not planned
            assert {(service, kind, i) for i in live} <= planned, (service, kind, live - {
                i for s, k, i in planned if (s, k) == (service, kind)})
        assert not {(s, k, teams[(s, k)]) for s, k in teams} & planned
        assert all(a.run_id in ("20260101T000000Z-run-0a1b2c", "?") for a in plan)
        assert any(s.service == "mwaa" and "ListEnvironments" in s.why for s in skipped), skipped

        left: list[dict[str, str]] = []
        failures = execute(make, plan, report=lambda _line: None, left=left)
        assert failures == len(left) > 0
        lacking = {(a.service, a.kind) for a in plan if moto_cannot_remove(a.service, a.kind)}
        assert {tuple(e["kind"].split(" ")) for e in left} == lacking
        assert all("not been implemented" in e["error"] for e in left), left
        after = still_there(make)
        for (service, kind), ident in teams.items():
            assert ident in after[(service, kind)], (service, kind)
        for action in plan:
            gone = action.ident not in after.get((action.service, action.kind), set())
            assert gone == ((action.service, action.kind) not in lacking) or action.kind in ("grant", "alias")
        for action in plan:
            if action.kind == "key":
                assert make("kms").list_grants(KeyId=action.ident)["Grants"] == []
        rows = {(r["service"], r["kind"]): r for r in by_kind(plan, left, skipped)}
        assert rows[("kms", "key")]["removed"] == len([a for a in plan if a.kind == "key"])
        assert [e["id"] for e in rows[("sagemaker", "feature-group")]["left"]] == [
            a.ident for a in plan if a.kind == "feature-group"]
        # the next sweep finds only what could not be removed
        again = plan_sweep(make, older_than_hours=0)
        assert {(a.service, a.kind, a.ident) for a in again} == {
            (*e["kind"].split(" "), e["id"]) for e in left}
    finally:
        scope.close()
        built[0].close()


def moto_cannot_remove(service: str, kind: str) -> bool:
    """Whether moto lacks the call that removes a resource of this kind (as the plan names it) and the
    kind has no call that removes it alone (Forecast: DeleteResourceTree, else DeleteDatasetGroup)."""
    from kms_conformance.resources import kind_named
    from kms_conformance.targets.boto import moto_missing_action

    table = "resource-tree" if service == "forecast" else "security-policy" if kind.endswith("-policy") else kind
    step = kind_named(service, table).remove[0]
    return step.otherwise is None and moto_missing_action(service, step.operation) is not None


class _AwsKms(_Denying):
    """KMS as AWS answers ScheduleKeyDeletion on a key already pending deletion (moto accepts it):
    KMSInvalidStateException."""

    def schedule_key_deletion(self, **params: Any) -> Any:
        from botocore.exceptions import ClientError

        meta = self._client.describe_key(KeyId=params["KeyId"])["KeyMetadata"]
        if meta["KeyState"] == "PendingDeletion":
            raise ClientError({"Error": {"Code": "KMSInvalidStateException",
                                         "Message": f"{meta['Arn']} is pending deletion."}}, "ScheduleKeyDeletion")
        return self._client.schedule_key_deletion(**params)


@pytest.mark.parametrize("denied", [set(), {"describe_key", "list_resource_tags"}])
def test_a_key_already_pending_deletion_counts_as_removed(clients: Any, denied: set[str]) -> None:
    """Found by its run tag while its policy denies DescribeKey, the sweep cannot tell the key is already
    pending deletion; ScheduleKeyDeletion then fails as AWS fails it, and the key counts as removed."""
    from kms_conformance.sweep import by_kind

    kms = clients("kms")
    pending = kms.create_key(Tags=kms_tags(creation_tags("r1")))["KeyMetadata"]["KeyId"]
    live = kms.create_key(Tags=kms_tags(creation_tags("r1")))["KeyMetadata"]["KeyId"]
    wrapped = _AwsKms(kms, denied)

    def factory(service: str) -> Any:
        return wrapped if service == "kms" else clients(service)

    plan = plan_sweep(factory, older_than_hours=0)
    kms.schedule_key_deletion(KeyId=pending, PendingWindowInDays=7)  # scheduled between plan and removal
    left: list[dict[str, str]] = []
    assert execute(factory, plan, report=lambda _line: None, left=left) == 0, left
    assert {a.ident for a in plan} == {pending, live}
    assert by_kind(plan, left, []) == [{"service": "kms", "kind": "key", "planned": 2, "removed": 2, "left": [],
                                        "skipped": []}]
    assert kms.describe_key(KeyId=live)["KeyMetadata"]["KeyState"] == "PendingDeletion"


def test_other_refusals_of_schedule_key_deletion_are_left_with_their_error(clients: Any) -> None:
    """Only the pending-deletion answer is no failure: any other refusal is left, with its error."""
    kms = clients("kms")
    key = kms.create_key(Tags=kms_tags(creation_tags("r1")))["KeyMetadata"]["KeyId"]
    denying = _Denying(kms, {"schedule_key_deletion", "describe_key"})
    plan = plan_sweep(lambda s: denying if s == "kms" else clients(s), older_than_hours=0)
    left: list[dict[str, str]] = []
    assert execute(lambda s: denying if s == "kms" else clients(s), plan, report=lambda _l: None, left=left) == 1
    assert [e["id"] for e in left] == [key] and "AccessDeniedException" in left[0]["error"]


def test_the_kits_resources_younger_than_the_cutoff_are_skipped_with_why(clients: Any) -> None:
    from kms_conformance.sweep import Skipped

    key = clients("kms").create_key(Tags=kms_tags(creation_tags("r-young")))["KeyMetadata"]["KeyId"]
    clients("kms").create_key()  # not the kit's: neither planned nor skipped
    skipped: list[Skipped] = []
    assert plan_sweep(clients, older_than_hours=1, skipped=skipped) == []
    young = [s for s in skipped if s.ident]
    assert [(s.service, s.kind, s.ident, s.run_id) for s in young] == [("kms", "key", key, "r-young")]
    assert young[0].why.startswith("created ") and "after the cutoff" in young[0].why
    # moto has no MWAA: the kind is reported as searched by the tagging API only
    assert any(s.service == "mwaa" and not s.ident and "ListEnvironments" in s.why for s in skipped)
