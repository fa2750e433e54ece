"""``check`` never passes what it did not check: a renamed, removed or retyped member of a setup is
refused with one line (file, JSON path, what is wrong; exit status 2), or the same rules still run
and fail no less; never "fewer rules checked and OK"."""

from __future__ import annotations

import contextlib
import copy
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kms_conformance.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SETUPS = sorted([*EXAMPLES.glob("*/setup.json"), *EXAMPLES.glob("*/broken-*.json")])
MWAA = json.loads((EXAMPLES / "mwaa" / "setup.json").read_text())


def run(tmp_path: Path, data: Any) -> tuple[int, dict[str, Any] | None, str]:
    """(exit status, the --json output or None, stderr) of ``check`` on a setup."""
    path = tmp_path / "setup.json"
    path.write_text(json.dumps(data))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["check", str(path), "--json"])
    return status, (json.loads(out.getvalue()) if out.getvalue() else None), err.getvalue()


def refused(tmp_path: Path, data: Any, json_path: str, *words: str) -> None:
    status, output, err = run(tmp_path, data)
    line = err.strip()
    assert status == 2 and output is None and len(line.splitlines()) == 1 and "Traceback" not in line, err
    assert f"setup.json: {json_path}: " in line, line
    for word in words:
        assert word in line, line


def mwaa(**request: Any) -> dict[str, Any]:
    data = copy.deepcopy(MWAA)
    data["request"]["CreateEnvironment"].update(request)
    return data


def test_the_example_passes(tmp_path: Path) -> None:
    status, output, _ = run(tmp_path, MWAA)
    assert status == 0 and output is not None and output["ok"]


def test_unknown_top_level_member_with_a_hint(tmp_path: Path) -> None:
    data = copy.deepcopy(MWAA)
    data["requests"] = data.pop("request")
    refused(tmp_path, data, "requests", "unknown member 'requests'", "did you mean 'request'?")


def test_unknown_key_attribute_with_a_hint(tmp_path: Path) -> None:
    data = copy.deepcopy(MWAA)
    data["keys"][0]["keyspec"] = data["keys"][0].pop("keySpec")
    refused(tmp_path, data, "keys[0].keyspec", "did you mean 'keySpec'?")


def test_retyped_common_member(tmp_path: Path) -> None:
    data = copy.deepcopy(MWAA)
    data["keys"] = {"arn": data["keys"][0]["arn"]}
    refused(tmp_path, data, "keys", "expected a list, got object")


def test_misspelt_request_parameter_names_its_path(tmp_path: Path) -> None:
    data = mwaa()
    env = data["request"]["CreateEnvironment"]
    env["KMSKey"] = env.pop("KmsKey")
    refused(tmp_path, data, "request.CreateEnvironment.KMSKey", "unknown parameter 'KMSKey'", "did you mean 'KmsKey'?")


def test_nested_request_parameter_and_type(tmp_path: Path) -> None:
    refused(tmp_path, mwaa(LoggingConfiguration={"TaskLogs": {"Enabled": True, "LogLevl": "INFO"}}),
            "request.CreateEnvironment.LoggingConfiguration.TaskLogs.LogLevl", "did you mean 'LogLevel'?")
    refused(tmp_path, mwaa(NetworkConfiguration={"SubnetIds": "subnet-1", "SecurityGroupIds": []}),
            "request.CreateEnvironment.NetworkConfiguration.SubnetIds", "expected list")


def test_missing_required_parameter(tmp_path: Path) -> None:
    data = mwaa()
    del data["request"]["CreateEnvironment"]["ExecutionRoleArn"]
    refused(tmp_path, data, "request.CreateEnvironment.ExecutionRoleArn", "missing required parameter")


def test_misspelt_operation(tmp_path: Path) -> None:
    data = copy.deepcopy(MWAA)
    data["request"] = {"CreateEnviroment": data["request"]["CreateEnvironment"]}
    refused(tmp_path, data, "request.CreateEnviroment", "did you mean 'CreateEnvironment'?")


def test_a_named_key_must_be_a_key_of_the_setup(tmp_path: Path) -> None:
    data = copy.deepcopy(MWAA)
    data["keys"] = []
    refused(tmp_path, data, "request.CreateEnvironment.KmsKey", "is not a key of the setup", "external")


def test_an_external_key_is_declared_not_judged(tmp_path: Path) -> None:
    data = copy.deepcopy(MWAA)
    data["keys"] = [{"arn": data["keys"][0]["arn"], "external": True}]
    status, output, err = run(tmp_path, data)
    assert status in (0, 1) and output is not None, err
    described = {f["rule"]: f["status"] for f in run(tmp_path, MWAA)[1]["findings"]}  # type: ignore[index]
    assert sum(s != "not-applicable" for s in described.values()) >= sum(
        f["status"] != "not-applicable" for f in output["findings"])
    data["keys"][0]["policy"] = MWAA["keys"][0]["policy"]
    refused(tmp_path, data, "keys[0].policy", "external key")


def test_principal_elements_fit_the_kind_of_policy(tmp_path: Path) -> None:
    """A key policy statement names a Principal; an identity policy statement names none (AWS refuses
    either otherwise): the example passes, each mutation is refused at its statement."""
    assert run(tmp_path, MWAA)[0] in (0, 1)
    role = next(iter(MWAA["identityPolicies"]))
    data = copy.deepcopy(MWAA)
    data["identityPolicies"][role][0]["Statement"][0]["Principal"] = {"AWS": role}
    refused(tmp_path, data, f"identityPolicies.{role}[0].Statement[0].Principal",
            "an identity-based policy cannot have Principal")
    data = copy.deepcopy(MWAA)
    data["identityPolicies"][role][0]["Statement"][0].update(Effect="Deny", NotPrincipal={"AWS": role})
    refused(tmp_path, data, f"identityPolicies.{role}[0].Statement[0].NotPrincipal", "cannot have NotPrincipal")
    data = copy.deepcopy(MWAA)
    del data["keys"][0]["policy"]["Statement"][1]["Principal"]
    refused(tmp_path, data, "keys[0].policy.Statement[1]", "needs a Principal", "MalformedPolicyDocumentException")


def test_aws_managed_key_is_external_by_nature(tmp_path: Path) -> None:
    data = mwaa(KmsKey="alias/aws/airflow")
    data["keys"] = []
    status, _, err = run(tmp_path, data)
    assert status in (0, 1), err


def test_nothing_checked_is_refused(tmp_path: Path) -> None:
    refused(tmp_path, {"service": "opensearch-serverless"}, "request", "no request")
    data = {"service": "opensearch-serverless", "request": {"CreateCollection": [{"name": "logs"}]}}
    status, output, err = run(tmp_path, data)
    if status != 2:  # a rule applied: then it was checked, and said so
        assert output is not None and any(f["status"] != "not-applicable" for f in output["findings"])
    else:
        assert "nothing was checked" in err and "opensearch-serverless" in err


def test_a_template_handed_to_plain_check_is_refused(tmp_path: Path) -> None:
    template = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}}
    status, _, err = run(tmp_path, template)
    assert status == 2 and len(err.strip().splitlines()) == 1


# --- fuzz: every JSON path of every shipped example, renamed, removed or retyped -------------------------

def paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*prefix, k)
            yield from paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield (*prefix, i)
            yield from paths(v, (*prefix, i))


def near_miss(name: str) -> str:
    return name[:-1] if len(name) > 2 else name + "x"


def retype(value: Any) -> Any:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return 7
    return "7" if not isinstance(value, dict) else [value]


def mutate(data: Any, path: tuple[Any, ...], how: str) -> Any:
    new = copy.deepcopy(data)
    parent = new
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if how == "remove":
        del parent[last]
    elif how == "rename" and isinstance(last, str):
        parent[near_miss(last)] = parent.pop(last)
    else:
        parent[last] = retype(parent[last])
    return new


def applied(output: dict[str, Any]) -> set[str]:
    return {f["rule"] for f in output["findings"] if f["status"] != "not-applicable"}


def statuses(output: dict[str, Any]) -> dict[str, str]:
    return {f["rule"]: f["status"] for f in output["findings"]}


#: What each rule is about: a rule that applied may stop applying only when the mutation takes away
#: (removes, or renames a key of a condition block holding) a member that holds one of these words:
#: the member the rule's applicability is about, which a valid request or policy may leave out (no
#: kms:ViaService condition, no online store key, no KmsKey for MWAA's AWS owned key, no collection to
#: create...). Any other loss of a rule is check passing something it did not read.
ABOUT: dict[str, tuple[str, ...]] = {
    "KMS-": ("arn:aws:kms:", "kms:ViaService"),  # a described key; KMS-12's kms:ViaService Region
    "FS-04": ("KmsKeyId", "EnableOnlineStore"), "FS-09": ("KmsKeyId", "EnableOnlineStore"),
    "FS-05": ("kms:ViaService", "KmsKeyId", "EnableOnlineStore"),
    "FS-06": ("KmsKeyId",), "FS-10": ("KmsKeyId",),
    "FS-13": ("kms:RevokeGrant",),  # the key administrators' statement
    "MWAA-": ("KmsKey",),
    "AOSS-05": ("CreateCollection",), "AOSS-19": ("CreateCollection",),
    "AOSS-": ("CreateSecurityPolicy", "KmsARN", "identityPolicies"),
}


def explained(rule_id: str, taken: str) -> bool:
    """Whether ``taken`` (the key and the JSON text of what a mutation took away) holds a member rule
    ``rule_id`` is about (:data:`ABOUT`, by exact id, else by prefix)."""
    words = ABOUT.get(rule_id) or next((w for k, w in ABOUT.items() if k.endswith("-") and rule_id.startswith(k)),
                                       ())
    return any(word in taken for word in words)


def at(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def in_policy_document(path: tuple[Any, ...]) -> bool:
    return "policy" in path or "identityPolicies" in path


def equivalent_retype(data: Any, path: tuple[Any, ...]) -> bool:
    """A string of a policy document made a one-element list: the IAM grammar reads both alike
    (Action, Resource, Principal and condition values take a string or a list of strings)."""
    return in_policy_document(path) and isinstance(at(data, path), str) and path[-1] not in ("Version", "Sid",
                                                                                            "Effect")


def condition_key(path: tuple[Any, ...]) -> bool:
    """A key of a condition block (``Condition.StringEquals.kms:ViaService``): data, not a member
    name; renamed it is another condition key, and its value retyped to a number or a list is another
    condition value, both of which the IAM grammar accepts."""
    return len(path) >= 3 and path[-3] == "Condition"


def compliant_twin(example: Path) -> Any:
    return json.loads((example.parent / "setup.json").read_text())


def mutations(example: Path) -> list[tuple[tuple[Any, ...], str]]:
    """Every (JSON path, how) of the example; for a broken example, only the paths whose value differs
    from the compliant setup of its service (the others are mutated on that setup)."""
    data = json.loads(example.read_text())
    twin = compliant_twin(example) if example.name != "setup.json" else None
    out = []
    for path in sorted(set(paths(data)), key=repr):
        if twin is not None:
            with contextlib.suppress(KeyError, IndexError, TypeError):
                if at(twin, path) == at(data, path):
                    continue
        out += [(path, how) for how in ("rename", "remove", "retype")]
    return out


@pytest.mark.parametrize("example", SETUPS, ids=lambda p: p.relative_to(EXAMPLES).as_posix())
def test_fuzz_a_mutated_setup_is_refused_or_checked_no_less(example: Path, tmp_path: Path) -> None:
    """Every mutation of every JSON path of the example (renamed, removed, retyped; derandomized by being
    exhaustive): refused with one line (exit 2); or, for a retype the IAM grammar reads alike, the very
    same findings; or, for a removal or a changed condition key or value, checked no less: every rule that
    applied still applies unless what was taken is what the rule is about (:data:`ABOUT`), and a rule
    that was violated is still violated or the setup is refused. A renamed or retyped member is refused."""
    data = json.loads(example.read_text())
    status, original, err = run(tmp_path, data)
    assert status in (0, 1) and original is not None, err
    before = statuses(original)
    problems = []
    for path, how in mutations(example):
        new = mutate(data, path, how)
        status, output, err = run(tmp_path, new)
        if status == 2:
            if not (output is None and len(err.strip().splitlines()) == 1 and "Traceback" not in err):
                problems.append((path, how, "refusal is not one line", err))
            continue
        assert output is not None
        after = statuses(output)
        if how == "retype" and equivalent_retype(data, path):
            if after != before:
                problems.append((path, how, "an equivalent retype changed the findings",
                                 {r: (before[r], after.get(r)) for r in before if before[r] != after.get(r)}))
            continue
        if how != "remove" and not condition_key(path):  # a renamed or retyped member
            problems.append((path, how, f"not refused (exit {status})"))
            continue
        taken = f"{path[-1]} {json.dumps(at(data, path))}"
        lost = sorted(r for r in applied(original) - applied(output) if not explained(r, taken))
        if lost:
            problems.append((path, how, f"exit {status}, rules no longer checked", lost))
        hidden = sorted(r for r, st_ in before.items() if st_ == "violated" and after.get(r) == "not-applicable"
                        and not explained(r, taken))
        if hidden:
            problems.append((path, how, "a violation became not applicable", hidden))
    assert not problems, "\n".join(map(repr, problems))
