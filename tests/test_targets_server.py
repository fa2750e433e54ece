"""The ``aws`` target against a moto server on loopback (``--endpoint-url``): the same boto3 code
as the in-process ``moto`` target, so the whole catalogue gives the same verdicts over HTTP as
in-process (but for one listed, explained residual: operations moto's server answers with a bare
HTTP 500), and ``close`` cleans up what the run created (aliases and grants first, keys scheduled
for deletion, roles)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import moto_speedups, plumbing_profile, served, started_moto_server
from hypothesis import strategies as st
from kms_conformance.rules import Behavior, Citation, Rule, catalogue
from kms_conformance.runner import Profile, RunOptions, run, run_rule
from kms_conformance.scenarios.steps import default_key_policy, kms, new_key, new_role
from kms_conformance.targets import MOTO_LAZY_KEYS_NOTE, TargetConfig, _patch_moto_keys, make_target
from kms_conformance.targets.base import Outcome, Target
from kms_conformance.targets.boto import BotoTarget, not_implemented_evidence
from kms_conformance.verdicts import RuleResult, Verdict

pytestmark = pytest.mark.slow

PROFILE = Profile("test", max_examples=4, lifecycle_examples=2, deadline_ms=None, database=False, shrink_budget=10)


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with moto_speedups():
        server = started_moto_server()
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
        server.stop()


def rule(rule_id: str, scenario: Any, examples: Any) -> Rule:
    return Rule(id=rule_id, title=rule_id, service="kms",
                citation=Citation("004_1f23ff3028fec3c5.txt", "s", "q"), severity="must",
                operations=("kms:CreateKey",), behavior=Behavior(scenario=scenario, examples=examples))


def encrypt_roundtrip(target: Target, context: dict[str, str]) -> dict[str, Any]:
    key = new_key(target)
    enc = kms(target, "Encrypt", {"KeyId": key["Arn"], "Plaintext": b"secret", "EncryptionContext": context})
    dec = kms(target, "Decrypt", {"CiphertextBlob": enc.value.get("CiphertextBlob", b""),
                                  "EncryptionContext": context})
    wrong = kms(target, "Decrypt", {"CiphertextBlob": enc.value.get("CiphertextBlob", b""),
                                    "EncryptionContext": {**context, "extra": "x"}})
    return {"Encrypt": enc.code, "Decrypt": dec.code, "plaintext": dec.value.get("Plaintext") == b"secret",
            "DecryptOtherContext": wrong.code}


def grant_as_role(target: Target, ops: list[str]) -> dict[str, Any]:
    role = new_role(target, "grantee")
    key = new_key(target, default_key_policy(target.account))
    alias = f"alias/{target.unique('kmsc')}"
    created = kms(target, "CreateAlias", {"AliasName": alias, "TargetKeyId": key["KeyId"]})
    grant = kms(target, "CreateGrant", {"KeyId": key["KeyId"], "GranteePrincipal": role, "Operations": ops})
    listed = kms(target, "ListGrants", {"KeyId": key["KeyId"]})
    who = target.call("sts", "GetCallerIdentity", {}, principal=role)
    return {"CreateAlias": created.code, "CreateGrant": grant.code,
            "operations": sorted(listed.value["Grants"][0]["Operations"]) if listed.ok else None,
            "assumed": who.value.get("Arn", "").split("/")[0] if who.ok else who.code}


def missing_key(target: Target, name: str) -> dict[str, Any]:
    return {"DescribeKey": kms(target, "DescribeKey", {"KeyId": f"alias/{name}"}).code}


def mwaa_env(target: Target, name: str) -> dict[str, Any]:
    out = target.call("mwaa", "CreateEnvironment", {
        "Name": name, "ExecutionRoleArn": f"arn:aws:iam::{target.account}:role/r", "SourceBucketArn": "arn:aws:s3:::b",
        "DagS3Path": "dags", "NetworkConfiguration": {}})
    return {"CreateEnvironment": out.code}


class HasMwaa:
    """A reference that answers mwaa calls with OK and passes the rest to ``inner``."""

    def __init__(self, inner: Target) -> None:
        self.inner = inner
        self.name, self.account, self.region = "ref", inner.account, inner.region

    def call(self, service: str, operation: str, params: Any = None, *, principal: str | None = None) -> Outcome:
        if service == "mwaa":
            return Outcome(ok=True)
        return self.inner.call(service, operation, params, principal=principal)

    def unique(self, prefix: str) -> str:
        return self.inner.unique(prefix)

    def describe(self) -> Any:
        return {}

    def close(self) -> None:
        return None


RULES = (
    rule("SRV-01", encrypt_roundtrip, lambda: st.dictionaries(st.sampled_from(["a", "b", "purpose"]),
                                                              st.text("xyz", min_size=1, max_size=3), max_size=2)),
    rule("SRV-02", grant_as_role, lambda: st.lists(st.sampled_from(["Decrypt", "Encrypt", "GenerateDataKey"]),
                                                   min_size=1, max_size=3, unique=True)),
    rule("SRV-03", missing_key, lambda: st.from_regex(r"[a-z]{3,8}", fullmatch=True)),
    rule("SRV-04", mwaa_env, lambda: st.just("env")),
)


def test_server_and_in_process_give_the_same_verdicts(server_url: str) -> None:
    server = make_target(TargetConfig(name="aws", endpoint_url=server_url, run_id="srv"))
    in_process = make_target(TargetConfig(name="moto", run_id="inproc"))
    try:
        # Each target in turn is the reference of the other: both directions must agree.
        forward = [run_rule(r, server, in_process, profile=PROFILE, seed=0, replay="") for r in RULES[:3]]
        backward = [run_rule(r, in_process, server, profile=PROFILE, seed=0, replay="") for r in RULES[:3]]
        # MWAA: a reference that has it; both moto flavours lack it.
        forward.append(run_rule(RULES[3], server, HasMwaa(in_process), profile=PROFILE, seed=0, replay=""))
        backward.append(run_rule(RULES[3], in_process, HasMwaa(server), profile=PROFILE, seed=0, replay=""))
        check_server(server, server_url, forward, backward)
    finally:
        # moto's in-process mock shares its backends with a server in the same process, and resets
        # them when it stops: stop it last.
        in_process.close()


def check_server(server: Target, server_url: str, forward: list[Any], backward: list[Any]) -> None:
    verdicts = [r.verdict for r in forward]
    assert verdicts == [Verdict.CONFORMANT] * 3 + [Verdict.UNSUPPORTED], [r.detail for r in forward]
    assert [r.verdict for r in backward] == verdicts
    assert forward[3].unsupported_operation == "mwaa:CreateEnvironment"
    assert isinstance(server, BotoTarget)
    ledger = server.ledger
    assert ledger.keys and ledger.aliases and ledger.grants and ledger.roles
    keys, aliases, roles_made = list(ledger.keys), list(ledger.aliases), list(ledger.roles)  # close() empties it
    import boto3

    client_kms = boto3.client("kms", endpoint_url=server_url, region_name="us-east-1")
    client_iam = boto3.client("iam", endpoint_url=server_url, region_name="us-east-1")
    server.close()
    assert server.cleanup_failures == []
    states = {client_kms.describe_key(KeyId=k)["KeyMetadata"]["KeyState"] for k in keys}
    assert states == {"PendingDeletion"}
    remaining_aliases = {a["AliasName"] for a in client_kms.list_aliases()["Aliases"]}
    assert not remaining_aliases & set(aliases)
    roles = {r["RoleName"] for r in client_iam.list_roles()["Roles"]}
    assert not roles & set(roles_made)


#: Operations that in-process moto lacks (NotImplementedError: `unsupported`) and that moto's server answers
#: with a bare HTTP 500, the Werkzeug "Internal Server Error" page, exactly as it answers a crash. The target
#: tells them apart by evidence (BotoTarget.moto_lacks: the endpoint is moto, moto has no such action, and the
#: 500 does not depend on the input), so they are `unsupported` over HTTP too.
BARE_500_OPERATIONS = frozenset({"forecast:CreateDataset", "forecast:CreatePredictor",
                                 "opensearchserverless:DeleteSecurityPolicy"})
#: Operations moto's server has no route for at all (HTTP 404): `unsupported` in both places.
NO_ROUTE_OPERATIONS = frozenset({"sagemaker-featurestore-runtime:GetRecord",
                                 "sagemaker-featurestore-runtime:DeleteRecord",
                                 "sagemaker-featurestore-runtime:PutRecord"})


def _without_cleanup(config: TargetConfig) -> Target:
    """The target ``run`` would build, minus the end-of-run cleanup over HTTP (about 2,200 calls, 20 s):
    the server is discarded with this module, and cleanup is checked by the first test of this file."""
    target = make_target(config)
    if isinstance(target, BotoTarget):
        target._cleanup = False
    return target


def _run_catalogue(config: TargetConfig, tmp: Path, rules: tuple[str, ...] = (),
                   profile: str = "ci") -> dict[str, RuleResult]:
    report = run(RunOptions(target=config, profile=profile, seed=0, rules=rules, report_dir=tmp),
                 build_target=_without_cleanup)
    assert not report.meta.incomplete
    return {r.rule_id: r for r in report.results}


def test_full_catalogue_same_verdicts_in_process_and_over_http(server_url: str, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Every rule of the catalogue, seed 0: the moto server (``--target aws --endpoint-url``) gives the
    verdict in-process moto gives, but for the listed bare-500 operations. The plumbing profile (a few
    examples per rule, e2e_support.PLUMBING_PROFILE) runs every rule's scenario over both paths, and the
    comparison is checked not to be vacuous below: every verdict kind occurs on both sides."""
    profile = plumbing_profile(monkeypatch)
    # The server runs in this process: the moto target's lazy-key speed-up (same behaviour) is held for
    # both runs, so the server's CreateKey is as fast as in-process.
    undo, note = _patch_moto_keys()
    try:
        direct = _run_catalogue(TargetConfig(name="moto", run_id="par-direct"), tmp_path, profile=profile)
        # One attempt per call: a loopback moto answers the same way every time, and botocore would retry
        # each bare 500 four more times with back-off (about 1 min 40 s more for the catalogue).
        over_http = _run_catalogue(TargetConfig(name="aws", endpoint_url=server_url, run_id="par-http",
                                                max_attempts=1), tmp_path, profile=profile)
    finally:
        undo()
    assert note == MOTO_LAZY_KEYS_NOTE
    assert set(direct) == set(over_http) == {r.id for r in catalogue()}
    differing = {rid for rid in direct if direct[rid].verdict is not over_http[rid].verdict}
    assert not differing, {rid: (direct[rid].verdict.value, direct[rid].detail, over_http[rid].verdict.value,
                                 over_http[rid].detail) for rid in differing}
    bare_500 = {rid for rid, r in over_http.items() if r.unsupported_operation in BARE_500_OPERATIONS}
    assert bare_500 >= {"FORECAST-01", "AOSS-10", "AOSS-17"}
    assert all("whatever the input" in over_http[rid].detail for rid in bare_500)
    # The comparison is not vacuous: every verdict kind a target can reach occurs on both sides.
    assert {r.verdict for r in over_http.values()} >= {Verdict.CONFORMANT, Verdict.NONCONFORMANT,
                                                       Verdict.UNSUPPORTED, Verdict.SKIPPED}
    assert Verdict.ERROR not in {r.verdict for r in over_http.values()}
    unsupported = {r.unsupported_operation for r in over_http.values() if r.verdict is Verdict.UNSUPPORTED}
    assert unsupported - NO_ROUTE_OPERATIONS == {"mwaa:CreateEnvironment", *BARE_500_OPERATIONS}


@pytest.fixture(scope="module")
def debugger_server_url() -> Iterator[str]:
    """moto's server app under Werkzeug's debugger (no console): a 500 then carries the traceback."""

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.debug import DebuggedApplication
    from werkzeug.serving import make_server

    app = DebuggedApplication(DomainDispatcherApplication(create_backend_app), evalex=False)
    with served(make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)) as server:
        yield f"http://127.0.0.1:{server.server_port}"


def test_a_500_that_names_not_implemented_is_unsupported(debugger_server_url: str, tmp_path: Path) -> None:
    """When the body says why (``NotImplementedError: The create_dataset action has not been implemented``),
    the residual above disappears: same verdicts as in-process."""
    rules = ("FORECAST-01", "FORECAST-05", "AOSS-10")
    direct = _run_catalogue(TargetConfig(name="moto", run_id="dbg-direct"), tmp_path, rules)
    over_http = _run_catalogue(TargetConfig(name="aws", endpoint_url=debugger_server_url, run_id="dbg-http",
                                            max_attempts=1), tmp_path, rules)
    for rid in rules:
        assert direct[rid].verdict is over_http[rid].verdict is Verdict.UNSUPPORTED, over_http[rid].detail
        assert direct[rid].unsupported_operation == over_http[rid].unsupported_operation
        assert "has not been implemented" in over_http[rid].detail


@pytest.mark.parametrize(("body", "evidence"), [
    # moto's server, default: Werkzeug's generic page names nothing.
    ("<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>\n"
     "<p>The server encountered an internal error and was unable to complete your request.</p>\n", None),
    ("KeyError: 'KeyId'", None),
    ("<div class=exc>NotImplementedError: The create_dataset action has not been implemented</div>",
     "NotImplementedError: The create_dataset action has not been implemented"),
    ('{"message": "The delete_security_policy action has not been implemented"}',
     "The delete_security_policy action has not been implemented"),
    ("<pre>NotImplementedError</pre>", "NotImplementedError"),
    ("AttributeError: &#39;NoneType&#39; object has no attribute &#39;replace&#39;", None),
])
def test_not_implemented_evidence(body: str, evidence: str | None) -> None:
    assert not_implemented_evidence(body) == evidence


# -- an operation moto lacks vs a crash, over HTTP --------------------------------------------------

UNIMPLEMENTED_RULES = ("FORECAST-01", "AOSS-10", "AOSS-17", "FS-08", "FS-09")


def test_unimplemented_operations_get_the_in_process_verdicts(server_url: str, tmp_path: Path) -> None:
    """FORECAST-01 (forecast:CreateDataset), AOSS-10 and AOSS-17 (opensearchserverless:DeleteSecurityPolicy):
    moto lacks the operation; over HTTP as in process the verdict is `unsupported`, naming it. FS-08/FS-09
    need sagemaker-featurestore-runtime (moto: 404 over HTTP, "Not yet implemented" in process): examples
    whose online-only staging group crashes inside moto are inconclusive, those with an offline store
    reach the runtime, which moto lacks: `unsupported` on both sides, naming it."""
    direct = _run_catalogue(TargetConfig(name="moto", run_id="un-direct"), tmp_path / "a", UNIMPLEMENTED_RULES)
    over_http = _run_catalogue(TargetConfig(name="aws", endpoint_url=server_url, run_id="un-http", max_attempts=1),
                               tmp_path / "b", UNIMPLEMENTED_RULES)
    for rid in UNIMPLEMENTED_RULES:
        assert direct[rid].verdict is over_http[rid].verdict, (rid, direct[rid].detail, over_http[rid].detail)
        assert direct[rid].unsupported_operation == over_http[rid].unsupported_operation
    assert over_http["FORECAST-01"].unsupported_operation == "forecast:CreateDataset"
    for rid in ("AOSS-10", "AOSS-17"):
        assert over_http[rid].verdict is Verdict.UNSUPPORTED
        assert over_http[rid].unsupported_operation == "opensearchserverless:DeleteSecurityPolicy"
        assert "delete_security_policy" in over_http[rid].detail
    for rid in ("FS-08", "FS-09"):
        assert over_http[rid].verdict is Verdict.UNSUPPORTED, over_http[rid].detail
        assert over_http[rid].unsupported_operation.startswith("sagemaker-featurestore-runtime:")


def test_the_runtime_404_is_unsupported(server_url: str) -> None:
    """sagemaker-featurestore-runtime: moto's server has no route (HTTP 404), in process moto answers
    "Not yet implemented": both are `unsupported` (UnsupportedOperation), never a failure."""
    from kms_conformance.errors import UnsupportedOperation

    params = {"FeatureGroupName": "g", "RecordIdentifierValueAsString": "r1"}
    for config in (TargetConfig(name="aws", endpoint_url=server_url, run_id="rt", max_attempts=1),
                   TargetConfig(name="moto", run_id="rt-direct")):
        target = _without_cleanup(config)
        try:
            with pytest.raises(UnsupportedOperation) as exc:
                target.call("sagemaker-featurestore-runtime", "GetRecord", params)
        finally:
            target.close()  # the moto target's mock_aws, too: left open, it would carry this state into later tests
        assert exc.value.name == "sagemaker-featurestore-runtime:GetRecord"


def test_a_crash_over_http_stays_a_crash(server_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An exception inside an operation moto implements is a bare HTTP 500 like an unimplemented one,
    and stays ``InternalFailure``: the installed moto has the action. And when the installed moto is
    taken not to have it (another version than the server's), the input-independence probe refutes
    it: the operation answers an empty request in AWS's format, so the 500 is still a crash."""
    import kms_conformance.targets.boto as boto
    from moto.forecast.models import ForecastBackend
    from moto.opensearchserverless.models import OpenSearchServiceServerlessBackend

    def crash(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("injected")

    monkeypatch.setattr(ForecastBackend, "describe_dataset_group", crash)
    target = _without_cleanup(TargetConfig(name="aws", endpoint_url=server_url, run_id="crash", max_attempts=1))
    assert isinstance(target, BotoTarget)
    out = target.call("forecast", "DescribeDatasetGroup",
                      {"DatasetGroupArn": f"arn:aws:forecast:us-east-1:{target.account}:dataset-group/g"})
    assert (out.ok, out.error) == (False, "InternalFailure") and "HTTP 500" in out.message
    assert target.moto_lacks("forecast", "DescribeDatasetGroup") is None
    # the installed moto said to lack GetSecurityPolicy; the server crashes on a named policy only
    original = OpenSearchServiceServerlessBackend.get_security_policy

    def crash_on_name(self: Any, name: Any, type: Any) -> Any:
        if name is not None:
            raise KeyError("injected")
        return original(self, name, type)

    monkeypatch.setattr(OpenSearchServiceServerlessBackend, "get_security_policy", crash_on_name)
    monkeypatch.setattr(boto, "moto_missing_action", lambda service, operation: "get_security_policy")
    out = target.call("opensearchserverless", "GetSecurityPolicy", {"name": "kmsc-policy", "type": "encryption"})
    assert (out.ok, out.error) == (False, "InternalFailure")
    assert target.moto_lacks("opensearchserverless", "GetSecurityPolicy") is None
    # the evidence is asked once per (service, operation) and per target
    assert ("opensearchserverless", "GetSecurityPolicy") in target._moto_lacks


def test_an_endpoint_that_is_not_moto_gives_no_evidence() -> None:
    """Without moto's /moto-api/ the first fact fails: no bare 500 becomes `unsupported` by it."""
    import http.server

    class Bare500(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return None

    with served(http.server.HTTPServer(("127.0.0.1", 0), Bare500)) as server:
        import boto3

        session = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1")
        target = BotoTarget("aws", session, region="us-east-1", run_id="nm", account="123456789012",
                            endpoint_url=f"http://127.0.0.1:{server.server_port}", cleanup=False)
        assert target.moto_lacks("forecast", "CreateDataset") is None
