"""The boto3 target against moto in-process, and the ``aws`` factory's guard with a fake STS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from kms_conformance.errors import UsageError
from kms_conformance.resources import CREATED_TAG, RUN_TAG
from kms_conformance.scrub import REDACTED, scrub_value
from kms_conformance.targets import TargetConfig, make_target
from kms_conformance.targets.base import UnsupportedOperation
from kms_conformance.targets.boto import BotoTarget, KeyBudgetExceeded

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]})


@pytest.fixture(scope="module")
def moto_target() -> Iterator[BotoTarget]:
    target = make_target(TargetConfig(name="moto", run_id="test-run", max_keys=50))
    assert isinstance(target, BotoTarget)
    yield target
    target.close()


def test_success_drops_response_metadata(moto_target: BotoTarget) -> None:
    out = moto_target.call("kms", "CreateKey", {"Description": "x"})
    assert out.ok and out.code == "OK"
    assert "ResponseMetadata" not in out.value
    assert out.value["KeyMetadata"]["KeyManager"] == "CUSTOMER"
    assert moto_target.account == "123456789012"


def test_client_error_becomes_its_code(moto_target: BotoTarget) -> None:
    out = moto_target.call("kms", "DescribeKey", {"KeyId": "alias/does-not-exist"})
    assert not out.ok and out.code == "NotFoundException"
    assert "does-not-exist" in out.message


def test_parameter_validation_is_a_validation_exception(moto_target: BotoTarget) -> None:
    out = moto_target.call("kms", "CreateGrant", {"KeyId": "k"})  # GranteePrincipal missing
    assert out.code == "ValidationException"


@pytest.mark.parametrize(("service", "operation", "params"), [
    ("mwaa", "CreateEnvironment", {"Name": "env", "ExecutionRoleArn": "arn:aws:iam::123456789012:role/r",
                                   "SourceBucketArn": "arn:aws:s3:::b", "DagS3Path": "dags",
                                   "NetworkConfiguration": {}}),
    ("forecast", "CreateDataset", {"DatasetName": "d", "Domain": "CUSTOM", "DatasetType": "TARGET_TIME_SERIES",
                                   "Schema": {"Attributes": [{"AttributeName": "a", "AttributeType": "string"}]}}),
])
def test_missing_operations_are_unsupported(moto_target: BotoTarget, service: str, operation: str,
                                            params: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedOperation) as err:
        moto_target.call(service, operation, params)
    assert err.value.name == f"{service}:{operation}"


def test_unknown_operation_is_unsupported(moto_target: BotoTarget) -> None:
    with pytest.raises(UnsupportedOperation, match="kms:FlyToTheMoon"):
        moto_target.call("kms", "FlyToTheMoon", {})


def test_principal_switching_assumes_the_role_and_caches_clients(moto_target: BotoTarget) -> None:
    role = moto_target.call("iam", "CreateRole", {"RoleName": moto_target.unique("r"),
                                                  "AssumeRolePolicyDocument": TRUST})
    arn = role.value["Role"]["Arn"]
    who = moto_target.call("sts", "GetCallerIdentity", {}, principal=arn)
    assert who.value["Arn"].startswith(f"arn:aws:sts::123456789012:assumed-role/{role.value['Role']['RoleName']}/")
    built = moto_target.clients_built
    for _ in range(3):
        moto_target.call("sts", "GetCallerIdentity", {}, principal=arn)
        moto_target.call("kms", "ListKeys", {}, principal=arn)
        moto_target.call("kms", "ListKeys", {})
    assert moto_target.clients_built == built + 1  # only kms-as-role is new


def test_every_role_shares_one_client_and_signs_as_itself(moto_target: BotoTarget) -> None:
    """Roles share one client per service; each call is signed with its own role's credentials, and
    the shared client signs nothing outside a call."""
    arns = [moto_target.call("iam", "CreateRole", {"RoleName": moto_target.unique("r"),
                                                   "AssumeRolePolicyDocument": TRUST}).value["Role"]["Arn"]
            for _ in range(3)]
    built = moto_target.clients_built
    for arn in arns + arns[::-1]:
        who = moto_target.call("sts", "GetCallerIdentity", {}, principal=arn)
        assert who.value["Arn"].split("/")[1] == arn.split("/")[-1]
    assert moto_target.clients_built <= built + 1
    from kms_conformance.targets.boto import TargetUnavailable

    with pytest.raises(TargetUnavailable, match=r"outside BotoTarget\.call"):
        moto_target.client("sts", arns[0]).get_caller_identity()


def test_creation_tags_injected_unless_the_scenario_passed_tags(moto_target: BotoTarget) -> None:
    key = moto_target.call("kms", "CreateKey", {}).value["KeyMetadata"]["KeyId"]
    tags = moto_target.call("kms", "ListResourceTags", {"KeyId": key}).value["Tags"]
    assert {t["TagKey"]: t["TagValue"] for t in tags}[RUN_TAG] == "test-run"
    assert CREATED_TAG in {t["TagKey"] for t in tags}
    own = moto_target.call("kms", "CreateKey", {"Tags": [{"TagKey": "team", "TagValue": "a"}]})
    own_tags = moto_target.call("kms", "ListResourceTags", {"KeyId": own.value["KeyMetadata"]["KeyId"]})
    assert own_tags.value["Tags"] == [{"TagKey": "team", "TagValue": "a"}]
    role = moto_target.call("iam", "CreateRole", {"RoleName": moto_target.unique("r"),
                                                  "AssumeRolePolicyDocument": TRUST})
    assert {t["Key"] for t in role.value["Role"]["Tags"]} == {RUN_TAG, CREATED_TAG}
    assert key in moto_target.ledger.keys


def test_credentials_never_reach_an_outcome(moto_target: BotoTarget) -> None:
    role = moto_target.call("iam", "CreateRole", {"RoleName": moto_target.unique("r"),
                                                  "AssumeRolePolicyDocument": TRUST})
    out = moto_target.call("sts", "AssumeRole", {"RoleArn": role.value["Role"]["Arn"], "RoleSessionName": "xx"})
    creds = out.value["Credentials"]
    assert creds["SecretAccessKey"] == REDACTED and creds["SessionToken"] == REDACTED
    assert scrub_value("key AKIAIOSFODNN7EXAMPLE leaked") == f"key {REDACTED} leaked"


def test_exception_inside_moto_is_an_internal_failure(moto_target: BotoTarget,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import moto.kms.models

    def boom(self: Any, *a: Any, **k: Any) -> Any:
        raise KeyError("moto bug")

    monkeypatch.setattr(moto.kms.models.KmsBackend, "list_aliases", boom)
    out = moto_target.call("kms", "ListAliases", {})
    assert out.code == "InternalFailure"
    assert "KeyError" in out.message and "moto bug" in out.message


def test_max_keys_is_a_clear_error() -> None:
    target = make_target(TargetConfig(name="moto", run_id="cap", max_keys=1))
    try:
        assert target.call("kms", "CreateKey", {}).ok
        with pytest.raises(KeyBudgetExceeded, match="--max-keys"):
            target.call("kms", "CreateKey", {})
    finally:
        target.close()


def test_lazy_private_keys_keep_sign_and_verify_working(moto_target: BotoTarget) -> None:
    key = moto_target.call("kms", "CreateKey", {"KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY"})
    key_id = key.value["KeyMetadata"]["KeyId"]
    sig = moto_target.call("kms", "Sign", {"KeyId": key_id, "Message": b"m", "SigningAlgorithm": "RSASSA_PSS_SHA_256"})
    assert sig.ok
    ver = moto_target.call("kms", "Verify", {"KeyId": key_id, "Message": b"m", "Signature": sig.value["Signature"],
                                             "SigningAlgorithm": "RSASSA_PSS_SHA_256"})
    assert ver.value["SignatureValid"] is True
    assert moto_target.call("kms", "GetPublicKey", {"KeyId": key_id}).ok


# -- the aws factory: the guard, with a fake STS (no network) --------------------------------------


class FakeClient:
    def __init__(self, account: str, aliases: list[str]) -> None:
        self.account = account
        self.aliases = aliases

    def get_caller_identity(self) -> dict[str, Any]:
        return {"Account": self.account, "Arn": f"arn:aws:iam::{self.account}:user/u", "UserId": "AIDA"}

    def list_account_aliases(self) -> dict[str, Any]:
        return {"AccountAliases": self.aliases}


class FakeSession:
    def __init__(self, account: str, aliases: list[str]) -> None:
        self.account = account
        self.aliases = aliases
        self.clients: list[tuple[str, str | None]] = []

    def client(self, service: str, region_name: str | None = None, endpoint_url: str | None = None,
               config: Any = None) -> FakeClient:
        self.clients.append((service, endpoint_url))
        return FakeClient(self.account, self.aliases)


def factory(account: str = "999999999999", aliases: list[str] | None = None) -> Any:
    session = FakeSession(account, aliases or [])

    def make(**kwargs: Any) -> FakeSession:
        return session

    return make


def test_non_loopback_endpoint_requires_the_allow_list() -> None:
    cfg = TargetConfig(name="aws", endpoint_url="https://kms.example.com", run_id="g")
    with pytest.raises(UsageError, match="999999999999: it is not allow-listed"):
        make_target(cfg, session_factory=factory())
    with pytest.raises(UsageError, match="not allow-listed"):
        make_target(TargetConfig(name="aws", run_id="g"), session_factory=factory())  # real AWS endpoint


def test_allow_listed_account_is_accepted_and_production_alias_refused() -> None:
    cfg = TargetConfig(name="aws", run_id="g", allow_accounts=frozenset({"999999999999"}))
    target = make_target(cfg, session_factory=factory())
    assert target.account == "999999999999" and target.name == "aws"
    with pytest.raises(UsageError, match="looks like production"):
        make_target(cfg, session_factory=factory(aliases=["acme-prod"]))
    forced = TargetConfig(name="aws", run_id="g", allow_accounts=frozenset({"999999999999"}), force_production=True)
    assert make_target(forced, session_factory=factory(aliases=["acme-prod"])).account == "999999999999"


def test_loopback_endpoint_needs_no_allow_list() -> None:
    cfg = TargetConfig(name="aws", endpoint_url="http://127.0.0.1:5000", run_id="g")
    target = make_target(cfg, session_factory=factory(), prove=lambda url: "moto")  # a proven emulator
    assert target.describe()["endpoint"] == "http://127.0.0.1:5000"


def test_moto_target_refuses_an_endpoint() -> None:
    with pytest.raises(UsageError, match="--target aws"):
        make_target(TargetConfig(name="moto", endpoint_url="http://127.0.0.1:1"))


def test_max_keys_makes_the_rule_an_error_not_a_crash() -> None:
    from hypothesis import strategies as st
    from kms_conformance.rules import Behavior, Citation, Rule
    from kms_conformance.runner import Profile, run_rule
    from kms_conformance.scenarios.steps import new_key
    from kms_conformance.verdicts import Verdict

    def scenario(target: Any, example: int) -> dict[str, Any]:
        new_key(target)
        return {"n": example}

    rule = Rule(id="CAP-01", title="t", service="kms", citation=Citation("004_1f23ff3028fec3c5.txt", "s", "q"),
                severity="must", operations=("kms:CreateKey",),
                behavior=Behavior(scenario=scenario, examples=lambda: st.integers(0, 3)))
    target = make_target(TargetConfig(name="moto", run_id="cap2", max_keys=2))
    reference = make_target(TargetConfig(name="moto", run_id="ref"))  # shares the mock: fine
    try:
        profile = Profile("t", max_examples=5, lifecycle_examples=1, deadline_ms=None, database=False)
        result = run_rule(rule, target, reference, profile=profile, seed=0, replay="r")
    finally:
        reference.close()
        target.close()
    assert result.verdict is Verdict.ERROR
    assert "KeyBudgetExceeded" in result.detail and "--max-keys" in result.detail


def test_rate_limiter_spaces_calls_per_service() -> None:
    from e2e_support import FakeClock
    from kms_conformance.targets.boto import _RateLimiter

    fake = FakeClock()
    limiter = _RateLimiter(4.0, clock=fake.clock, sleep=fake.sleep)
    limiter.wait("kms")
    limiter.wait("kms")
    limiter.wait("iam")  # another service: no wait
    fake.now += 1.0
    limiter.wait("kms")
    assert fake.slept == [0.25]
    assert _RateLimiter(None).interval == 0.0


def test_retry_configuration_reaches_the_clients() -> None:
    target = make_target(TargetConfig(name="moto", run_id="retry", retry_mode="adaptive", max_attempts=7))
    try:
        assert isinstance(target, BotoTarget)
        config = target.client("kms").meta.config
        assert config.retries == {"mode": "adaptive", "total_max_attempts": 7}
    finally:
        target.close()


def test_key_budget_shared_between_workers() -> None:
    import multiprocessing

    counter = multiprocessing.get_context("fork").Value("i", 0)
    a = make_target(TargetConfig(name="moto", run_id="wa", max_keys=3))
    b = make_target(TargetConfig(name="moto", run_id="wb", max_keys=3))
    try:
        assert isinstance(a, BotoTarget) and isinstance(b, BotoTarget)
        a.share_key_budget(counter)
        b.share_key_budget(counter)
        assert a.call("kms", "CreateKey", {}).ok and b.call("kms", "CreateKey", {}).ok
        assert a.call("kms", "CreateKey", {}).ok
        with pytest.raises(KeyBudgetExceeded, match="created 3 keys"):
            b.call("kms", "CreateKey", {})
        assert counter.value == 3
    finally:
        b.close()
        a.close()


def test_lazy_key_patch_is_undone_whatever_the_closing_order() -> None:
    import moto.kms.models as kms_models
    from kms_conformance.targets import _LAZY_KEYS

    before, held = kms_models.generate_private_key, _LAZY_KEYS.active
    a = make_target(TargetConfig(name="moto", run_id="pa"))
    b = make_target(TargetConfig(name="moto", run_id="pb"))
    assert kms_models.generate_private_key.__name__ == "lazy"
    a.close()
    assert kms_models.generate_private_key.__name__ == "lazy"  # b still running
    b.close()
    a.close()  # closing twice does not undo twice
    assert kms_models.generate_private_key is before and _LAZY_KEYS.active == held


def test_role_arn_is_assumed_before_the_identity_check() -> None:
    calls: list[dict[str, Any]] = []

    class RoleClient(FakeClient):
        def assume_role(self, **kw: Any) -> dict[str, Any]:
            calls.append(kw)
            return {"Credentials": {"AccessKeyId": "ASIAEXAMPLEEXAMPLE12", "SecretAccessKey": "s",
                                    "SessionToken": "t"}}

    sessions: list[dict[str, Any]] = []

    class RoleSession(FakeSession):
        def client(self, service: str, region_name: str | None = None, endpoint_url: str | None = None,
                   config: Any = None) -> FakeClient:
            return RoleClient("999999999999" if sessions[-1].get("aws_session_token") else "111111111111", [])

    def make(**kw: Any) -> RoleSession:
        sessions.append(kw)
        return RoleSession("x", [])

    cfg = TargetConfig(name="aws", run_id="role", role_arn="arn:aws:iam::999999999999:role/Conformance",
                       allow_accounts=frozenset({"999999999999"}), aws_profile="sandbox")
    target = make_target(cfg, session_factory=make)
    assert calls[0]["RoleArn"] == "arn:aws:iam::999999999999:role/Conformance"
    assert sessions[0] == {"profile_name": "sandbox", "region_name": "us-east-1"}
    assert sessions[1]["aws_session_token"] == "t"
    assert target.account == "999999999999"  # the identity checked is the assumed role's
    assert "ASIA" not in repr(target.describe())


def test_throttling_after_retries_is_the_environment_not_a_verdict(moto_target: BotoTarget) -> None:
    import botocore.exceptions
    from kms_conformance.targets.boto import TargetUnavailable

    exc = botocore.exceptions.ClientError(
        {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"},
         "ResponseMetadata": {"HTTPStatusCode": 400}}, "Decrypt")
    with pytest.raises(TargetUnavailable, match="ThrottlingException"):
        moto_target._client_error("kms", "Decrypt", exc)


def test_calls_as_a_role_wait_for_permission_writes_to_settle(monkeypatch: pytest.MonkeyPatch) -> None:
    import kms_conformance.targets.boto as boto_mod

    target = make_target(TargetConfig(name="moto", run_id="settle"))
    assert isinstance(target, BotoTarget)
    target._settle = 5.0
    slept: list[float] = []
    monkeypatch.setattr(boto_mod.time, "sleep", lambda s: slept.append(s))
    try:
        role = target.call("iam", "CreateRole", {"RoleName": "settle-r", "AssumeRolePolicyDocument": TRUST})
        target.call("kms", "ListKeys", {})  # as the administrator: no wait
        assert slept == []
        target.call("kms", "ListKeys", {}, principal=role.value["Role"]["Arn"])
        assert len(slept) == 1 and 4.0 < slept[0] <= 5.0
    finally:
        target.close()


def test_settle_time_defaults_by_endpoint_and_can_be_set() -> None:
    """IAM/KMS are eventually consistent: against AWS the target waits after a permission change
    before calling as a role; against a loopback emulator it does not; ``--settle-seconds`` decides."""
    from kms_conformance.targets import AWS_SETTLE_SECONDS

    listed = frozenset({"999999999999"})
    real = make_target(TargetConfig(name="aws", run_id="g", allow_accounts=listed), session_factory=factory())
    local = make_target(TargetConfig(name="aws", endpoint_url="http://127.0.0.1:5000", run_id="g"),
                        session_factory=factory(), prove=lambda url: "moto")  # a proven emulator
    chosen = make_target(TargetConfig(name="aws", run_id="g", allow_accounts=listed, settle_seconds=2.5),
                         session_factory=factory())
    assert (real._settle, local._settle, chosen._settle) == (AWS_SETTLE_SECONDS, 0.0, 2.5)  # type: ignore[attr-defined]


def test_permissions_boundary_is_set_on_every_role_the_kit_creates() -> None:
    """``--permissions-boundary``: the sandbox role policy (examples/ci/sandbox-role-policy.json) lets
    the kit create roles only with the boundary; the target sets it on CreateRole unless the scenario did."""
    from kms_conformance.scenarios.steps import new_role

    boundary = "arn:aws:iam::123456789012:policy/kmsc-permissions-boundary"
    target = make_target(TargetConfig(name="moto", run_id="b", permissions_boundary=boundary))
    try:
        arn = new_role(target, "bounded")
        role = target.call("iam", "GetRole", {"RoleName": arn.rsplit("/", 1)[1]}).value["Role"]
        assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
        assert role["RoleName"].startswith("kmsc-")
    finally:
        target.close()


def test_permissions_boundary_must_be_a_policy_arn(capsys: pytest.CaptureFixture[str]) -> None:
    from kms_conformance.cli import main

    assert main(["run", "--permissions-boundary", "kmsc-permissions-boundary"]) == 2
    assert "managed policy ARN" in capsys.readouterr().err


def test_make_target_refuses_malformed_role_and_boundary_arns() -> None:
    """One check (``targets.check_config``) for the CLI, the pytest plugin and the fixtures."""
    with pytest.raises(UsageError, match="IAM role ARN"):
        make_target(TargetConfig(name="aws", run_id="g", role_arn="Conformance"))
    with pytest.raises(UsageError, match="managed policy ARN"):
        make_target(TargetConfig(name="moto", run_id="g", permissions_boundary="arn:aws:iam::123456789012:role/x"))


def test_cleanup_removes_the_ledger_as_the_table_says() -> None:
    """close() with cleanup removes what the run created: alias and grant before their key (scheduled
    for deletion with the shortest window), roles with their inline and managed policies last."""
    from kms_conformance.resources import KEY_DELETION_WINDOW_DAYS

    target = make_target(TargetConfig(name="moto", run_id="clean"))
    assert isinstance(target, BotoTarget)
    try:
        key = target.call("kms", "CreateKey", {}).value["KeyMetadata"]["KeyId"]
        alias = f"alias/{target.unique('a')}"
        assert target.call("kms", "CreateAlias", {"AliasName": alias, "TargetKeyId": key}).ok
        role = target.call("iam", "CreateRole", {"RoleName": target.unique("r"), "AssumeRolePolicyDocument": TRUST})
        name = role.value["Role"]["RoleName"]
        assert target.call("kms", "CreateGrant", {"KeyId": key, "GranteePrincipal": role.value["Role"]["Arn"],
                                                  "Operations": ["Decrypt"]}).ok
        decrypt = json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]})
        assert target.call("iam", "PutRolePolicy", {"RoleName": name, "PolicyName": "p", "PolicyDocument": decrypt}).ok
        managed = target.call("iam", "CreatePolicy", {"PolicyName": target.unique("m"), "PolicyDocument": decrypt})
        assert target.call("iam", "AttachRolePolicy", {"RoleName": name,
                                                       "PolicyArn": managed.value["Policy"]["Arn"]}).ok
        assert [k.name for k, _ in target.ledger.removal_order()] == ["alias", "grant", "key", "role"]
        cleaned = target._clean()
        assert cleaned.left == () and cleaned.removed == 4
        kms, iam = target.client("kms"), target.client("iam")
        meta = kms.describe_key(KeyId=key)["KeyMetadata"]
        assert meta["KeyState"] == "PendingDeletion"
        assert (meta["DeletionDate"] - meta["CreationDate"]).days in (KEY_DELETION_WINDOW_DAYS - 1,
                                                                     KEY_DELETION_WINDOW_DAYS)
        assert alias not in {a["AliasName"] for a in kms.list_aliases()["Aliases"]}
        assert name not in {r["RoleName"] for r in iam.list_roles()["Roles"]}
    finally:
        target.close()
