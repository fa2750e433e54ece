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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
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


def failed(output: dict[str, Any]) -> set[str]:
    return {f["rule"] for f in output["findings"] if f["status"] in ("violated", "error")}


ORIGINALS: dict[Path, dict[str, Any]] = {}


@pytest.mark.parametrize("example", SETUPS, ids=lambda p: p.relative_to(EXAMPLES).as_posix())
def test_fuzz_a_mutated_setup_is_refused_or_checked_no_less(example: Path, tmp_path: Path) -> None:
    data = json.loads(example.read_text())
    status, original, err = run(tmp_path, data)
    assert status in (0, 1) and original is not None, err
    all_paths = sorted(set(paths(data)), key=repr)

    @settings(max_examples=25, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.sampled_from(all_paths), st.sampled_from(["rename", "remove", "retype"]))
    def mutated(path: tuple[Any, ...], how: str) -> None:
        new = mutate(data, path, how)
        status, output, err = run(tmp_path, new)
        if status == 2:
            assert output is None and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
            return
        assert output is not None
        lost = applied(original) - applied(output)
        # never "fewer rules checked and OK": a rule the original setup was checked on still runs,
        # or the mutated setup fails (a removed statement or condition may break a rule)
        assert not lost or status == 1, (path, how, sorted(lost))
        if not lost and status == 0:
            assert not failed(original) - failed(output) or not failed(original), (path, how)

    mutated()
