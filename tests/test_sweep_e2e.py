"""``kms-conformance sweep`` after a run that was killed mid-way (SIGKILL: no ``finally`` runs).

A moto server (loopback) stands in for the sandbox account. The run is a real subprocess that is
killed once it has created something; the sweep, another subprocess, must then remove exactly the
run's tagged leftovers (aliases and grants, keys scheduled for deletion, roles with their inline
policies) and leave the account's other resources alone. The sweeps make one attempt per call
(``--max-attempts 1``): moto's server answers what it lacks with a 500 every time, which botocore would
retry with back-off.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import ROOT, cli, client, moto_server, plumbing_profile
from kms_conformance.resources import RUN_TAG, creation_tags, new_run_id

pytestmark = pytest.mark.slow

#: A run that creates a role, a key, an alias and a grant through the aws target, then hangs.
HANGING_RUN = textwrap.dedent('''
    import sys, time
    from kms_conformance.scenarios.steps import new_key, new_role
    from kms_conformance.targets import TargetConfig, make_target

    target = make_target(TargetConfig(name="aws", endpoint_url=sys.argv[1], run_id=sys.argv[2]))
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}
    role = new_role(target, "kmsc-role", inline_policies={"decrypt": policy})
    key = new_key(target)
    target.call("kms", "CreateAlias", {"AliasName": "alias/kmsc-killed", "TargetKeyId": key["KeyId"]})
    target.call("kms", "CreateGrant", {"KeyId": key["KeyId"], "GranteePrincipal": role, "Operations": ["Decrypt"]})
    print("created", flush=True)
    time.sleep(600)
''')


@pytest.fixture
def url() -> Iterator[str]:
    with moto_server("127.0.0.1") as server_url:
        yield server_url


def _described(kms: Any, key_id: str) -> dict[str, Any] | None:
    """The key's ``KeyMetadata``, or None where moto refuses ``DescribeKey``: it does, whoever asks, on a
    key whose policy has any Deny statement for it (``moto.kms.policy_validator``), and a killed run may
    leave such a key (the KMS rules' Deny examples)."""
    from botocore.exceptions import ClientError

    try:
        return dict(kms.describe_key(KeyId=key_id)["KeyMetadata"])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "AccessDeniedException":
            raise
        return None


def _key_state(kms: Any, key_id: str) -> str:
    """A key's state; of a key moto will not describe, read from moto's own backend, which the server
    shares with this process."""
    meta = _described(kms, key_id)
    if meta is not None:
        return str(meta["KeyState"])
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.kms.models import kms_backends

    return str(kms_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].keys[key_id].key_state)


def _tagged(url: str) -> dict[str, set[str]]:
    """The kit's tagged resources still live in the account: keys not pending deletion, roles."""
    kms, iam = client(url, "kms"), client(url, "iam")
    keys = set()
    for key in kms.list_keys()["Keys"]:
        tags = {t["TagKey"] for t in kms.list_resource_tags(KeyId=key["KeyId"]).get("Tags", [])}
        if RUN_TAG in tags and _key_state(kms, key["KeyId"]) != "PendingDeletion":
            keys.add(key["KeyId"])
    roles = {r["RoleName"] for r in iam.list_roles()["Roles"]
             if RUN_TAG in {t["Key"] for t in iam.list_role_tags(RoleName=r["RoleName"]).get("Tags", [])}}
    return {"keys": keys, "roles": roles}


def _settled(url: str) -> dict[str, set[str]]:
    """The leftovers once the server has finished the requests the killed run had in flight (two listings
    alike, 0.2 s apart: the run is dead, only the server's threads may still be answering it)."""
    before = _tagged(url)
    while True:
        time.sleep(0.2)
        now = _tagged(url)
        if now == before:
            return now
        before = now


def _users_resources(url: str) -> tuple[str, str]:
    """A key and a role of the account's owner: the sweep must not touch them."""
    key = client(url, "kms").create_key(Description="the team's own key")["KeyMetadata"]["KeyId"]
    client(url, "iam").create_role(RoleName="teams-own-role", AssumeRolePolicyDocument="{}")
    return key, "teams-own-role"


def _sweep(url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """``kms-conformance sweep`` of everything the runs left on the server at ``url``, one attempt per call
    (see the module docstring)."""
    return cli("sweep", "--endpoint-url", url, "--max-attempts", "1", "--older-than", "0", *extra)


def _sweep_and_check(url: str, users_key: str, users_role: str, leftovers: dict[str, set[str]]) -> None:
    dry = _sweep(url, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would remove" in dry.stdout
    assert _tagged(url) == leftovers  # a dry run removes nothing

    out = _sweep(url)
    assert out.returncode == 0, out.stdout + out.stderr
    assert _tagged(url) == {"keys": set(), "roles": set()}
    kms = client(url, "kms")
    for key_id in leftovers["keys"]:
        assert _key_state(kms, key_id) == "PendingDeletion"
        assert kms.list_grants(KeyId=key_id)["Grants"] == []
    assert not [a for a in kms.list_aliases()["Aliases"] if a["AliasName"].startswith("alias/kmsc-")]
    assert kms.describe_key(KeyId=users_key)["KeyMetadata"]["KeyState"] == "Enabled"
    assert client(url, "iam").get_role(RoleName=users_role)["Role"]["RoleName"] == users_role
    again = _sweep(url)
    assert again.returncode == 0, again.stdout + again.stderr
    # A key whose policy denies DescribeKey is judged by its tags alone; moto accepts a second
    # ScheduleKeyDeletion for it (AWS answers KMSInvalidStateException, which the sweep counts as going:
    # resources.key_pending_deletion), so the second sweep may remove such a key again, and nothing else.
    undescribed = {key_id for key_id in leftovers["keys"] if _described(kms, key_id) is None}
    if not undescribed:
        assert "nothing to sweep" in again.stdout, again.stdout
    removed = [line for line in again.stdout.splitlines() if line.strip().startswith("removed ")]
    assert all(any(f"kms key {key_id} " in line for key_id in undescribed) for line in removed), again.stdout


def _wait_and_kill(proc: subprocess.Popen[Any], ready: Any, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    try:
        while not ready():
            if proc.poll() is not None:
                out = proc.stdout.read() if proc.stdout else ""
                pytest.fail(f"the run ended (status {proc.returncode}) before it created anything: {out[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail("the run created nothing in time")
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def test_sweep_removes_what_a_killed_target_left(url: str, tmp_path: Path) -> None:
    users_key, users_role = _users_resources(url)
    script = tmp_path / "hang.py"
    script.write_text(HANGING_RUN)
    proc = subprocess.Popen([sys.executable, str(script), url, "e2e-killed-run"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=ROOT, env=dict(os.environ))
    assert proc.stdout is not None
    _wait_and_kill(proc, lambda: proc.stdout.readline().strip() == "created")  # type: ignore[union-attr]
    leftovers = _settled(url)
    assert len(leftovers["keys"]) == 1 and len(leftovers["roles"]) == 1, leftovers
    _sweep_and_check(url, users_key, users_role, leftovers)


def test_sweep_after_killing_kms_conformance_run(url: str, tmp_path: Path) -> None:
    """The real thing: ``kms-conformance run --target aws`` killed with SIGKILL once it has created
    a key or a role, then ``kms-conformance sweep``."""
    users_key, users_role = _users_resources(url)
    proc = subprocess.Popen([sys.executable, "-m", "kms_conformance", "run", "--target", "aws", "--endpoint-url", url,
                             "--profile", "ci", "--report-dir", str(tmp_path / "reports")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))

    def created() -> bool:
        found = _tagged(url)
        return bool(found["keys"] or found["roles"])

    _wait_and_kill(proc, created)
    leftovers = _settled(url)
    assert leftovers["keys"] or leftovers["roles"]
    assert not (tmp_path / "reports" / "report.json").exists()  # killed: no report, no cleanup
    _sweep_and_check(url, users_key, users_role, leftovers)


#: A run that leaves what OpenSearch Serverless scenarios make: an encryption policy (no tags: found
#: by its kmsc- name) for a new key, and a tagged collection it matches; then hangs.
HANGING_AOSS_RUN = textwrap.dedent('''
    import sys, time
    from kms_conformance.scenarios.opensearch_serverless import call as _aoss
    from kms_conformance.scenarios.opensearch_serverless import create_policy as _create_policy
    from kms_conformance.scenarios.opensearch_serverless import names as _names
    from kms_conformance.scenarios.steps import new_key
    from kms_conformance.targets import TargetConfig, make_target
    from kms_conformance.strategies.opensearch_serverless import encryption_policies

    target = make_target(TargetConfig(name="aws", endpoint_url=sys.argv[1], run_id=sys.argv[2]))
    name, stem = _names(target, {"stem": "ab"})
    # an exact name, not the scenarios' stem*: moto's server matches no wildcard patterns
    created = _create_policy(target, name, encryption_policies([f"collection/{stem}"], new_key(target)["Arn"]))
    assert created.ok, created
    coll = _aoss(target, "CreateCollection", {"name": stem, "type": "SEARCH"})
    print("created", name, stem, coll.code, flush=True)
    time.sleep(600)
''')


def test_sweep_finds_the_untagged_aoss_policies_of_a_killed_run(url: str, tmp_path: Path) -> None:
    """The kit's AOSS names start with kmsc-, so the sweep finds the run's encryption policy, which
    takes no tags, besides its tagged collection and key; the account's own policy stays out of it.
    (moto's server has no DeleteSecurityPolicy, so only the plan is checked here, by a dry run.)"""
    import json

    aoss = client(url, "opensearchserverless")
    users_key = client(url, "kms").create_key()["KeyMetadata"]["Arn"]
    aoss.create_security_policy(name="teams-policy", type="encryption", policy=json.dumps({
        "Rules": [{"ResourceType": "collection", "Resource": ["collection/teams"]}],
        "AWSOwnedKey": False, "KmsARN": users_key}))
    script = tmp_path / "hang_aoss.py"
    script.write_text(HANGING_AOSS_RUN)
    proc = subprocess.Popen([sys.executable, str(script), url, "e2e-killed-aoss"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=ROOT, env=dict(os.environ))
    assert proc.stdout is not None
    line: list[str] = []

    def ready() -> bool:
        line.append(proc.stdout.readline().strip())  # type: ignore[union-attr]
        return line[-1].startswith("created")

    _wait_and_kill(proc, ready)
    _, policy, collection, code = line[-1].split()
    assert policy.startswith("kmsc-") and collection.startswith("kmsc-") and code == "OK", line
    dry = _sweep(url, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    planned = [ln for ln in dry.stdout.splitlines() if ln.startswith("would remove")]
    assert any(f"opensearchserverless encryption-policy {policy} " in ln for ln in planned), dry.stdout
    assert any("opensearchserverless collection" in ln and "run e2e-killed-aoss" in ln for ln in planned), dry.stdout
    assert any(ln.startswith("would remove kms key") and "run e2e-killed-aoss" in ln for ln in planned), dry.stdout
    assert not any("teams-policy" in ln for ln in planned), dry.stdout
    # the collection comes before the policy that matches it, and both before the key
    kinds = [ln.split()[3] for ln in planned]
    assert kinds.index("collection") < kinds.index("encryption-policy") < kinds.index("key"), planned


class _KilledBeforeCleanup:
    """The ``aws`` target of a run whose process dies before its cleanup: every call goes through, and
    closing it removes nothing (what SIGKILL leaves, without racing a signal against the run)."""

    def __init__(self, target: Any) -> None:
        self._target = target

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)

    def close(self) -> None:
        """Nothing: the process is gone."""


def test_sweep_json_reports_every_kind_a_real_run_left_on_a_moto_server(url: str, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A real run (a small selection covering each service, a few examples per rule: the plumbing
    profile) against a moto server leaves everything it created; ``sweep --json`` finds it all by tag
    or name, removes what moto can remove, lists the rest under ``left`` with moto's error (exit status
    1), leaves the account's untagged resources alone, and says which kinds it could not search."""
    import json

    from kms_conformance.runner import RunOptions, run
    from kms_conformance.targets import TargetConfig, make_target
    from test_sweep import RUN_RULES, created_by, moto_cannot_remove, still_there, teams_own_resources

    built: list[Any] = []

    def build(config: TargetConfig) -> Any:
        built.append(make_target(config))
        return _KilledBeforeCleanup(built[-1])

    killed = TargetConfig(name="aws", endpoint_url=url, run_id="20260101T000000Z-run-e2e0ff", max_attempts=1)
    run(RunOptions(target=killed, rules=RUN_RULES, profile=plumbing_profile(monkeypatch),
                   report_dir=tmp_path / "reports"), build_target=build)
    made = created_by(built[0].ledger)

    def make(service: str) -> Any:
        return client(url, service)

    teams = teams_own_resources(make)
    before = still_there(make)
    out = _sweep(url, "--json")
    assert out.returncode == 1, out.stdout + out.stderr
    doc = json.loads(out.stdout)
    planned = {(a["service"], a["kind"], a["id"]) for a in doc["actions"]}
    for (service, kind), ids in made.items():
        if kind not in ("grant", "alias"):
            live = ids & before[(service, kind)]
            assert live and {(service, kind, i) for i in live} <= planned, (service, kind)
    assert not {(s, k, i) for (s, k), i in teams.items()} & planned
    assert doc["failed"] == len(doc["left"]) > 0 and doc["removed"] == len(doc["actions"]) - doc["failed"]
    rows = {(r["service"], r["kind"]): r for r in doc["kinds"]}
    assert sum(r["removed"] for r in rows.values()) == doc["removed"]
    for entry in doc["left"]:
        service, kind = entry["kind"].split(" ")
        assert entry["error"], entry
        assert {"id": entry["id"], "error": entry["error"]} in rows[(service, kind)]["left"]
    left_kinds = {tuple(e["kind"].split(" ")) for e in doc["left"]}
    # left: the kinds whose removal call moto lacks (DeleteFeatureGroup, DeleteSecurityPolicy in moto 5.2),
    # unless the kind has a call that removes it alone (Forecast's DeleteResourceTree -> DeleteDatasetGroup)
    lacking = {(service, kind) for service, kind, _ in planned if moto_cannot_remove(service, kind)}
    assert left_kinds == lacking and lacking
    assert rows[("mwaa", "environment")]["planned"] == 0 and rows[("mwaa", "environment")]["skipped"]
    after = still_there(make)
    for (service, kind), ident in teams.items():
        assert ident in after[(service, kind)], (service, kind)
    for service, kind, ident in planned:
        if (service, kind) in after:
            assert (ident in after[(service, kind)]) == ((service, kind) in left_kinds), (service, kind, ident)
    again = json.loads(_sweep(url, "--json").stdout)
    assert {(a["service"], a["kind"], a["id"]) for a in again["actions"]} == {
        (*e["kind"].split(" "), e["id"]) for e in doc["left"]}


def test_sweep_removes_a_key_whose_policy_denies_describe_key(url: str) -> None:
    """A killed run may leave a key whose policy has a Deny statement for ``kms:*`` (the KMS rules' Deny
    examples); moto then refuses ``DescribeKey`` on it to everyone. The sweep finds it by its tags and
    schedules its deletion all the same; the user's own key is left alone; a second sweep removes
    nothing else."""
    users_key, users_role = _users_resources(url)
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
    kms = client(url, "kms")
    tags = creation_tags(new_run_id("run"))
    key_id = kms.create_key(Policy=json.dumps(policy), Tags=[{"TagKey": k, "TagValue": v} for k, v in tags.items()],
                            )["KeyMetadata"]["KeyId"]
    with pytest.raises(kms.exceptions.ClientError, match="AccessDeniedException"):
        kms.describe_key(KeyId=key_id)
    leftovers = _tagged(url)
    assert leftovers == {"keys": {key_id}, "roles": set()}
    _sweep_and_check(url, users_key, users_role, leftovers)
