"""Strategies for Amazon MWAA (page 003, "Using customer managed keys for encryption"): compliant
setups in the ``kms-conformance check`` format, one mutator per config rule of
``kms_conformance.specs.mwaa``, and the examples of its behaviour rules. The key policy statements
are the reference model's (:mod:`kms_conformance.models.mwaa`).

A setup's ``request`` holds the CreateEnvironment parameters as boto3 takes them::

    {"CreateEnvironment": {"Name": "MyEnv", "KmsKey": "arn:aws:kms:...:key/...",
                           "ExecutionRoleArn": "arn:aws:iam::111122223333:role/mwaa-exec",
                           "SourceBucketArn": "arn:aws:s3:::my-dags", "DagS3Path": "dags",
                           "NetworkConfiguration": {"SubnetIds": [...], "SecurityGroupIds": [...]}}}
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from kms_conformance.arns import alias_arn, key_arn, parse_key_arn, role_arn
from kms_conformance.models.mwaa import LOG_MODULES, caller_key_statement, logs_statement
from kms_conformance.strategies.aws import (
    account_ids,
    alias_names,
    environment_names,
    key_ids,
    other_region,
    regions,
    role_names,
)
from kms_conformance.strategies.mutators import drop_action, mutate_at, swap_service_in_via_service
from kms_conformance.strategies.policies import admin_statement

_STEM = st.from_regex(r"[A-Za-z]{1,6}", fullmatch=True)
#: S3 bucket names: 3-31 of lower-case letters, digits, ``.`` and ``-``, starting and ending with a
#: letter or digit ("Bucket naming rules", Amazon S3 User Guide).
_BUCKETS = st.from_regex(r"[a-z0-9][a-z0-9.-]{1,29}[a-z0-9]", fullmatch=True)


def logging_configurations() -> SearchStrategy[dict[str, Any]]:
    """A LoggingConfiguration: some modules enabled at a level, or ``{}`` (MWAA's default, TaskLogs).

    Example: ``{"TaskLogs": {"Enabled": True, "LogLevel": "INFO"}}``.
    """
    return st.dictionaries(st.sampled_from(list(LOG_MODULES)),
                           st.builds(lambda on, level: {"Enabled": on, "LogLevel": level}, st.booleans(),
                                     st.sampled_from(["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"])),
                           max_size=5)


@st.composite
def compliant_setups(draw: st.DrawFn) -> dict[str, Any]:
    """A setup that keeps every MWAA rule (and the KMS rules): a single-Region symmetric key in the
    environment's Region and account, given by key id or ARN; its policy the default statement, a
    statement letting the caller use the key through ``airflow.<region>.amazonaws.com`` and the page's
    CloudWatch Logs statement; the caller allowed ``airflow:*``.

    Example: see ``examples/mwaa/setup.json``.
    """
    account = draw(account_ids())
    region = draw(regions("aws"))
    caller = role_arn("aws", account, draw(role_names()))
    key_id = draw(key_ids(multi_region=False))
    arn = key_arn("aws", region, account, key_id)
    key = {"arn": arn, "keySpec": "SYMMETRIC_DEFAULT", "keyUsage": "ENCRYPT_DECRYPT", "multiRegion": False,
           "keyState": "Enabled",
           "policy": {"Version": "2012-10-17", "Statement": [
               admin_statement(account), caller_key_statement(caller, region), logs_statement(region, account)]}}
    request = {
        "Name": draw(environment_names(max_size=40)),
        "KmsKey": draw(st.sampled_from([arn, key_id])),
        "ExecutionRoleArn": role_arn("aws", account, draw(role_names().filter(lambda n: '/' not in n))),
        "SourceBucketArn": "arn:aws:s3:::" + draw(_BUCKETS),
        "DagS3Path": "dags",
        "NetworkConfiguration": {"SubnetIds": ["subnet-0a1b2c3d", "subnet-4e5f6a7b"],
                                 "SecurityGroupIds": ["sg-0a1b2c3d"]},
        "LoggingConfiguration": draw(logging_configurations()),
    }
    return {
        "service": "mwaa", "account": account, "region": region, "caller": caller, "keys": [key],
        "identityPolicies": {caller: [{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["airflow:*", "iam:PassRole"], "Resource": "*"}]}]},
        "request": {"CreateEnvironment": request},
    }


# --- mutators: one per config rule -------------------------------------------------------------------

def _rekey(setup: Mapping[str, Any], *, region: str | None = None, account: str | None = None,
           key_id: str | None = None, by_arn: bool | None = None) -> dict[str, Any]:
    """The setup with its key moved (Region, account, id) and KmsKey following it."""
    new = copy.deepcopy(dict(setup))
    key = new["keys"][0]
    old = parse_key_arn(key["arn"])
    assert old is not None
    kid = key_id or old.resource_id
    key["arn"] = key_arn(old.partition, region or old.region, account or old.account, kid)
    key["multiRegion"] = kid.startswith("mrk-")
    env = new["request"]["CreateEnvironment"]
    use_arn = by_arn if by_arn is not None else env["KmsKey"].startswith("arn:")
    env["KmsKey"] = key["arn"] if use_arn else kid
    return new


def other_region_key(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """MWAA-01: the key (and its ARN in KmsKey) in another Region than the environment."""
    return other_region(setup["region"]).map(lambda r: _rekey(setup, region=r, by_arn=True))


def alias_key(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """MWAA-02: KmsKey an alias name or alias ARN of the key."""
    def apply(alias: str, as_arn: bool) -> dict[str, Any]:
        new = copy.deepcopy(setup)
        key = new["keys"][0]
        key["aliases"] = [*key.get("aliases", []), alias]
        arn = parse_key_arn(key["arn"])
        assert arn is not None
        new["request"]["CreateEnvironment"]["KmsKey"] = (
            alias_arn(arn.partition, arn.region, arn.account, alias) if as_arn else alias)
        return new

    return st.builds(apply, alias_names(), st.booleans())


def multi_region_key(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """MWAA-03: the key a multi-Region key (``mrk-`` id)."""
    return key_ids(multi_region=True).map(lambda kid: _rekey(setup, key_id=kid))


def foreign_key_by_id(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """MWAA-04: the key in another account, named by its bare key id."""
    return account_ids().filter(lambda a: a != setup["account"]).map(
        lambda a: _rekey(setup, account=a, by_arn=False))


def break_caller_statement(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """MWAA-07: the caller's key statement loses kms:CreateGrant or kms:DescribeKey, or its
    kms:ViaService names another service."""
    drops = [mutate_at(setup, ["keys", 0, "policy"], drop_action, statement=1, action=a)
             for a in ("kms:CreateGrant", "kms:DescribeKey")]
    swap = mutate_at(setup, ["keys", 0, "policy"], swap_service_in_via_service)
    return st.one_of(*drops, swap).map(lambda m: m.document)


def break_logs_statement(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """MWAA-08: the CloudWatch Logs statement removed, bound to another Region's log groups, or
    without kms:GenerateDataKey*."""
    def logged(doc: dict[str, Any]) -> dict[str, Any]:
        env = doc["request"]["CreateEnvironment"]
        if env.get("LoggingConfiguration"):
            env["LoggingConfiguration"]["TaskLogs"] = {"Enabled": True, "LogLevel": "INFO"}
        return doc

    def remove(_: int) -> dict[str, Any]:
        new = copy.deepcopy(setup)
        del new["keys"][0]["policy"]["Statement"][2]
        return logged(new)

    def elsewhere(region: str) -> dict[str, Any]:
        new = logged(copy.deepcopy(setup))
        cond = new["keys"][0]["policy"]["Statement"][2]["Condition"]["ArnLike"]
        cond["kms:EncryptionContext:aws:logs:arn"] = f"arn:aws:logs:{region}:{setup['account']}:*"
        return new

    drop = mutate_at(setup, ["keys", 0, "policy"], drop_action, statement=2,
                     action="kms:GenerateDataKey*").map(lambda m: logged(m.document))
    return st.one_of(st.just(0).map(remove), other_region(setup["region"]).map(elsewhere), drop)


#: One mutator per config rule: ``MUTATORS[rule_id](compliant_setup)`` -> strategy of broken setups.
MUTATORS: Mapping[str, Callable[[dict[str, Any]], SearchStrategy[dict[str, Any]]]] = {
    "MWAA-01": other_region_key,
    "MWAA-02": alias_key,
    "MWAA-03": multi_region_key,
    "MWAA-04": foreign_key_by_id,
    "MWAA-07": break_caller_statement,
    "MWAA-08": break_logs_statement,
}


# --- examples of the behaviour rules -----------------------------------------------------------------

def _examples(**fields: SearchStrategy[Any]) -> SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"stem": _STEM, **fields})


def region_examples() -> SearchStrategy[dict[str, Any]]:
    """MWAA-01: ``other_region``: None (the key's own Region) or another Region for its ARN."""
    return _examples(other_region=st.one_of(st.none(), other_region("us-east-1")))


def key_form_examples() -> SearchStrategy[dict[str, Any]]:
    """MWAA-02: ``form`` id | arn | alias | alias-arn."""
    return _examples(form=st.sampled_from(["id", "arn", "alias", "alias-arn"]))


def multi_region_examples() -> SearchStrategy[dict[str, Any]]:
    """MWAA-03: ``multi_region``: whether the key is a multi-Region key."""
    return _examples(multi_region=st.booleans())


def environment_examples() -> SearchStrategy[dict[str, Any]]:
    """MWAA-05/06: just a name stem."""
    return _examples()


def caller_examples() -> SearchStrategy[dict[str, Any]]:
    """MWAA-07: ``grant_action``: the statement allows kms:CreateGrant; ``other_region``: its
    kms:ViaService names another Region."""
    return _examples(grant_action=st.booleans(), other_region=st.one_of(st.none(), other_region("us-east-1")))


def logs_examples() -> SearchStrategy[dict[str, Any]]:
    """MWAA-08: ``statement`` present | absent | other-region."""
    return _examples(statement=st.sampled_from(["present", "absent", "other-region"]),
                     other_region=other_region("us-east-1"))
