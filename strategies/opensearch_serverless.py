"""Strategies for OpenSearch Serverless (page 002, "Encryption in Amazon OpenSearch Serverless"):
encryption policy documents, the page's sample key-policy statement and identity policy, compliant
setups in the ``kms-conformance check`` format, one mutator per config rule of
``kms_conformance.specs.opensearch_serverless``, and the examples of its behaviour rules.

A setup's ``request`` holds the requests as the API takes them::

    {"CreateSecurityPolicy": [{"name": "enc-sales", "type": "encryption",
                               "policy": "{\\"Rules\\": [...], \\"KmsARN\\": \\"arn:aws:kms:...\\"}"}],
     "CreateCollection": [{"name": "sales-2024", "type": "SEARCH"}]}
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from kms_conformance.models.aoss_policies import BAD_RULES, pattern_matches
from kms_conformance.strategies.aws import account_ids, key_arns, other_region, regions, role_names
from kms_conformance.strategies.mutators import drop_action, mutate_at, swap_service_in_via_service
from kms_conformance.strategies.policies import admin_statement

_STEM = st.from_regex(r"[a-z]{1,4}", fullmatch=True)
_SUFFIX = st.from_regex(r"[a-z0-9]{1,4}", fullmatch=True)


def encryption_policies(patterns: list[str], key_arn: str | None) -> dict[str, Any]:
    """An encryption policy document (page 002 grammar): one rule for ``patterns``, the KMS key
    ``key_arn`` or the AWS owned key when None.

    >>> encryption_policies(["collection/sales*"], None)
    {'Rules': [{'ResourceType': 'collection', 'Resource': ['collection/sales*']}], 'AWSOwnedKey': True}
    """
    doc: dict[str, Any] = {"Rules": [{"ResourceType": "collection", "Resource": list(patterns)}]}
    if key_arn is None:
        doc["AWSOwnedKey"] = True
    else:
        doc["AWSOwnedKey"] = False
        doc["KmsARN"] = key_arn
    return doc


#: The actions of the page's key-policy sample (section "고객 관리형 키에 대한 키 정책").
KEY_POLICY_ACTIONS: tuple[str, ...] = ("kms:DescribeKey", "kms:CreateGrant")


def sample_key_statement(principal: str, region: str, *, service: str = "aoss",
                         actions: Sequence[str] = KEY_POLICY_ACTIONS) -> dict[str, Any]:
    """The page's key-policy sample (section "고객 관리형 키에 대한 키 정책") as a statement for
    ``principal``, through ``<service>.<region>.amazonaws.com`` (the page's fragment has no Principal;
    a key policy statement needs one).

    >>> sample_key_statement("arn:aws:iam::111122223333:role/R", "us-east-1")["Condition"]["StringEquals"]
    {'kms:ViaService': 'aoss.us-east-1.amazonaws.com'}
    """
    return {"Sid": "Allow OpenSearch Serverless", "Effect": "Allow", "Principal": {"AWS": principal},
            "Action": list(actions), "Resource": "*",
            "Condition": {"StringEquals": {"kms:ViaService": f"{service}.{region}.amazonaws.com"},
                          "Bool": {"kms:GrantIsForAWSResource": "true"}}}


def sample_identity_policy(collection: str | list[str]) -> dict[str, Any]:
    """The page's sample identity policy (section "필요한 권한") for ``collection`` (its
    ``aoss:collection`` value, one name or a list)."""
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["aoss:CreateSecurityPolicy", "aoss:UpdateSecurityPolicy",
                                       "aoss:DeleteSecurityPolicy", "aoss:GetSecurityPolicy"],
         "Resource": "*", "Condition": {"StringEquals": {"aoss:collection": collection}}},
        {"Effect": "Allow", "Action": ["aoss:ListSecurityPolicies"], "Resource": "*"}]}


def identity_policy(collections: list[str], key_arns_: list[str]) -> dict[str, Any]:
    """The page's sample identity policy, widened to ``collections`` (``aoss:collection`` values),
    plus kms:DescribeKey on the keys (the sample key statement does not allow DescribeKey by itself,
    see AOSS-14)."""
    doc = sample_identity_policy(sorted(set(collections)))
    if key_arns_:
        doc["Statement"].append({"Effect": "Allow", "Action": ["kms:DescribeKey"], "Resource": sorted(set(key_arns_))})
    return doc


@st.composite
def compliant_setups(draw: st.DrawFn) -> dict[str, Any]:
    """A setup that keeps every AOSS rule (and the KMS rules): 1-3 encryption policies with disjoint
    patterns (the first an exact collection name with a customer managed key), customer keys with the
    page's key statement for the caller and rotation enabled, the caller's identity policy modelled on
    the page's sample, and collections each matched by a policy.

    Example: see ``examples/opensearch-serverless/setup.json``.
    """
    account = draw(account_ids())
    region = draw(regions("aws"))
    caller = f"arn:aws:iam::{account}:role/{draw(role_names())}"
    n = draw(st.integers(1, 3))
    stems = draw(st.lists(st.from_regex(r"[a-z]{3,8}", fullmatch=True), min_size=n, max_size=n, unique=True))
    keys: list[dict[str, Any]] = []
    policies: list[dict[str, Any]] = []
    collections: list[dict[str, Any]] = []
    bodies: list[str] = []
    for i, stem in enumerate(stems):
        exact = i == 0 or draw(st.booleans())
        pattern = f"collection/{stem}" if exact else f"collection/{stem}*"
        bodies.append(pattern.split("/", 1)[1])
        key_arn = None
        if i == 0 or draw(st.booleans()):
            reuse: bool = draw(st.booleans())
            if keys and reuse:
                key_arn = keys[0]["arn"]
            else:
                key_arn = draw(key_arns(region=region, account=account, multi_region=False))
                keys.append({
                    "arn": key_arn, "keySpec": "SYMMETRIC_DEFAULT", "keyUsage": "ENCRYPT_DECRYPT",
                    "multiRegion": False, "keyState": "Enabled", "keyRotationEnabled": True,
                    "policy": {"Version": "2012-10-17", "Statement": [
                        admin_statement(account), sample_key_statement(caller, region)]},
                })
        policies.append({"name": f"enc-{stem}", "type": "encryption", "description": "kms-conformance",
                         "policy": json.dumps(encryption_policies([pattern], key_arn))})
        if exact:
            collections.append({"name": stem, "type": "SEARCH"})
        elif draw(st.booleans()):
            collections.append({"name": stem + draw(st.from_regex(r"[a-z0-9-]{0,6}", fullmatch=True)),
                                "type": "SEARCH"})
    request: dict[str, Any] = {"CreateSecurityPolicy": policies, "CreateCollection": collections}
    if draw(st.booleans()):
        request["UpdateSecurityPolicy"] = [{"name": policies[0]["name"], "type": "encryption",
                                            "policyVersion": "MTY2MzY5MzIxNzgyNl8x",
                                            "policy": policies[0]["policy"]}]
    return {
        "service": "opensearch-serverless",
        "account": account,
        "region": region,
        "caller": caller,
        "keys": keys,
        "identityPolicies": {caller: [identity_policy(bodies, [k["arn"] for k in keys])]},
        "request": request,
    }


# --- mutators: one per config rule -------------------------------------------------------------------

def _doc(setup: Mapping[str, Any], i: int) -> dict[str, Any]:
    return dict(json.loads(setup["request"]["CreateSecurityPolicy"][i]["policy"]))


def _with_doc(setup: Mapping[str, Any], i: int, doc: Any) -> dict[str, Any]:
    new = copy.deepcopy(dict(setup))
    new["request"]["CreateSecurityPolicy"][i]["policy"] = json.dumps(doc)
    return new


def _policy_index(setup: Mapping[str, Any]) -> SearchStrategy[int]:
    return st.integers(0, len(setup["request"]["CreateSecurityPolicy"]) - 1)


_RULE_DEFECTS: Mapping[str, Callable[[dict[str, Any]], Any]] = {
    "resource-type": lambda d: {**d, "Rules": [{**d["Rules"][0], "ResourceType": "index"}]},
    "no-prefix": lambda d: {**d, "Rules": [{**d["Rules"][0], "Resource": [
        r.split("/", 1)[1] for r in d["Rules"][0]["Resource"]]}]},
    "empty-rules": lambda d: {**d, "Rules": []},
    "inner-wildcard": lambda d: {**d, "Rules": [{**d["Rules"][0], "Resource": [
        r.rstrip("*") + "*x" for r in d["Rules"][0]["Resource"]]}]},
}


def break_rules(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """AOSS-01: one policy's rules break the grammar (ResourceType ``index``, a Resource without
    ``collection/``, no rules, a wildcard inside the name)."""
    return st.builds(lambda i, defect: _with_doc(setup, i, _RULE_DEFECTS[defect](_doc(setup, i))),
                     _policy_index(setup), st.sampled_from(sorted(_RULE_DEFECTS)))


def break_key_element(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """AOSS-02: the first policy's KmsARN in the page's defective ``arn:aws:encryption:`` form, or
    AWSOwnedKey false without KmsARN, or AWSOwnedKey not a boolean."""
    def apply(i: int, variant: str) -> dict[str, Any]:
        doc = _doc(setup, i)
        if variant == "encryption-arn" and "KmsARN" in doc:
            doc["KmsARN"] = doc["KmsARN"].replace(":kms:", ":encryption:", 1)
        elif variant == "owned-string":
            doc["AWSOwnedKey"] = "false"
        else:
            doc["AWSOwnedKey"] = False
            doc.pop("KmsARN", None)
        return _with_doc(setup, i, doc)

    return st.builds(apply, _policy_index(setup), st.sampled_from(["encryption-arn", "no-arn", "owned-string"]))


def _matched(setup: Mapping[str, Any], name: str) -> bool:
    return any(pattern_matches(p, name) for i in range(len(setup["request"]["CreateSecurityPolicy"]))
               for r in _doc(setup, i).get("Rules", []) for p in r.get("Resource", []))


def add_unmatched_collection(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """AOSS-05: a CreateCollection whose name no encryption policy matches."""
    def apply(name: str) -> dict[str, Any]:
        new = copy.deepcopy(setup)
        new["request"].setdefault("CreateCollection", []).append({"name": name, "type": "SEARCH"})
        return new

    names = st.from_regex(r"[a-z][a-z0-9-]{2,20}", fullmatch=True).filter(lambda n: not _matched(setup, n))
    return names.map(apply)


def duplicate_pattern(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """AOSS-07: a further policy repeating a pattern of an existing one."""
    def apply(i: int) -> dict[str, Any]:
        new = copy.deepcopy(setup)
        pattern = _doc(setup, i)["Rules"][0]["Resource"][0]
        new["request"]["CreateSecurityPolicy"].append({
            "name": f"dup-{i}-{setup['request']['CreateSecurityPolicy'][i]['name']}"[:32], "type": "encryption",
            "policy": json.dumps(encryption_policies([pattern], None))})
        return new

    return _policy_index(setup).map(apply)


def override_exact_match(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """AOSS-11: the collection of the first policy (an exact name) is created with its own key."""
    def apply(key_arn: str) -> dict[str, Any]:
        new = copy.deepcopy(setup)
        name = _doc(setup, 0)["Rules"][0]["Resource"][0].split("/", 1)[1]
        colls = new["request"].setdefault("CreateCollection", [])
        entry = next((c for c in colls if c["name"] == name), None)
        if entry is None:
            entry = {"name": name, "type": "SEARCH"}
            colls.append(entry)
        entry["encryptionConfig"] = {"aWSOwnedKey": False, "kmsKeyArn": key_arn}
        new.setdefault("keys", []).append({"arn": key_arn, "external": True})  # named, not described
        return new

    return key_arns(region=setup["region"], account=setup["account"], multi_region=False).map(apply)


def disable_rotation(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """AOSS-12: a customer managed key the policies use without automatic rotation."""
    def apply(i: int, absent: bool) -> dict[str, Any]:
        new = copy.deepcopy(setup)
        if absent:
            new["keys"][i].pop("keyRotationEnabled", None)
        else:
            new["keys"][i]["keyRotationEnabled"] = False
        return new

    return st.builds(apply, st.integers(0, len(setup["keys"]) - 1), st.booleans())


def break_iam(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """AOSS-13: the caller's identity policy loses aoss:CreateSecurityPolicy, or its aoss:collection
    condition no longer names the first policy's pattern."""
    caller = setup["caller"]

    def narrow(_: int) -> dict[str, Any]:
        new = copy.deepcopy(setup)
        cond = new["identityPolicies"][caller][0]["Statement"][0]["Condition"]["StringEquals"]
        first = _doc(setup, 0)["Rules"][0]["Resource"][0].split("/", 1)[1]
        cond["aoss:collection"] = [c for c in cond["aoss:collection"] if c != first] or ["application-logs"]
        return new

    dropped = mutate_at(setup, ["identityPolicies", caller, 0], drop_action, statement=0,
                        action="aoss:CreateSecurityPolicy").map(lambda m: m.document)
    return st.one_of(st.just(0).map(narrow), dropped)


def break_key_policy(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """AOSS-14: the first key's policy no longer lets the caller CreateGrant through aoss (the action
    dropped, or the kms:ViaService bound to another service)."""
    drop = mutate_at(setup, ["keys", 0, "policy"], drop_action, statement=1, action="kms:CreateGrant")
    swap = mutate_at(setup, ["keys", 0, "policy"], swap_service_in_via_service)
    return st.one_of(drop, swap).map(lambda m: m.document)


def break_policy_version(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """AOSS-18: an UpdateSecurityPolicy without policyVersion, or with the page's ``2``."""
    def apply(version: str | None) -> dict[str, Any]:
        new = copy.deepcopy(setup)
        first = new["request"]["CreateSecurityPolicy"][0]
        entry: dict[str, Any] = {"name": first["name"], "type": "encryption", "policy": first["policy"]}
        if version is not None:
            entry["policyVersion"] = version
        new["request"]["UpdateSecurityPolicy"] = [entry]
        return new

    return st.sampled_from([None, "2"]).map(apply)


def collection_without_policy(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """AOSS-19: a collection no policy matches, created with its own key (``encryptionConfig``)."""
    def apply(name: str, key_arn: str) -> dict[str, Any]:
        new = copy.deepcopy(setup)
        new["request"].setdefault("CreateCollection", []).append(
            {"name": name, "type": "SEARCH", "encryptionConfig": {"aWSOwnedKey": False, "kmsKeyArn": key_arn}})
        new.setdefault("keys", []).append({"arn": key_arn, "external": True})  # named, not described
        return new

    names = st.from_regex(r"[a-z][a-z0-9-]{2,20}", fullmatch=True).filter(lambda n: not _matched(setup, n))
    return st.builds(apply, names, key_arns(region=setup["region"], account=setup["account"], multi_region=False))


#: One mutator per config rule: ``MUTATORS[rule_id](compliant_setup)`` -> strategy of broken setups.
MUTATORS: Mapping[str, Callable[[dict[str, Any]], SearchStrategy[dict[str, Any]]]] = {
    "AOSS-01": break_rules,
    "AOSS-02": break_key_element,
    "AOSS-05": add_unmatched_collection,
    "AOSS-07": duplicate_pattern,
    "AOSS-11": override_exact_match,
    "AOSS-12": disable_rotation,
    "AOSS-13": break_iam,
    "AOSS-14": break_key_policy,
    "AOSS-18": break_policy_version,
    "AOSS-19": collection_without_policy,
}


# --- examples of the behaviour rules -----------------------------------------------------------------

def _examples(**fields: SearchStrategy[Any]) -> SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"stem": _STEM, "suffix": _SUFFIX, **fields})


def rule_defect_examples() -> SearchStrategy[dict[str, Any]]:
    """AOSS-01: ``{"stem": "ab", "suffix": "x1", "defect": "resource-type"}`` (or ``none``)."""
    return _examples(defect=st.sampled_from(sorted(BAD_RULES)))


def key_element_examples() -> SearchStrategy[dict[str, Any]]:
    """AOSS-02: ``variant`` aws-owned | kms-arn | missing-key | not-kms-arn | not-symmetric."""
    return _examples(variant=st.sampled_from(["aws-owned", "kms-arn", "missing-key", "not-kms-arn", "not-symmetric"]))


def owned_key_examples() -> SearchStrategy[dict[str, Any]]:
    """AOSS-03: ``with_arn``: AWSOwnedKey true with or without a KmsARN."""
    return _examples(with_arn=st.booleans())


def prefix_examples() -> SearchStrategy[dict[str, Any]]:
    """AOSS-04: ``form`` prefix | exact; ``matching``: whether the collection name matches."""
    return _examples(form=st.sampled_from(["prefix", "exact"]), matching=st.booleans())


def needs_policy_examples() -> SearchStrategy[dict[str, Any]]:
    """AOSS-05: ``with_policy``: whether a matching encryption policy exists."""
    return _examples(with_policy=st.booleans())


def specificity_examples() -> SearchStrategy[dict[str, Any]]:
    """AOSS-06: the specific rule an exact name or a longer prefix; which policy is created first."""
    return _examples(specific_form=st.sampled_from(["exact", "prefix"]), general_first=st.booleans())


def conflict_examples() -> SearchStrategy[dict[str, Any]]:
    """AOSS-07: ``form`` of the first pattern; ``same``: whether the second policy repeats it."""
    return _examples(form=st.sampled_from(["prefix", "exact"]), same=st.booleans())


def lifecycle_examples() -> SearchStrategy[dict[str, Any]]:
    """AOSS-08/09/10/15/16/17/18/20: ``second`` switches the scenario's variant (a second policy, a
    revocation, a collection, a stale version)."""
    return _examples(second=st.booleans())


def override_examples() -> SearchStrategy[dict[str, Any]]:
    """AOSS-11: ``wildcard``: whether the policy the collection matches has a wildcard pattern."""
    return _examples(wildcard=st.booleans())


def iam_examples() -> SearchStrategy[dict[str, Any]]:
    """AOSS-13: ``allowed``: the policy's pattern is the collection the identity policy names."""
    return _examples(allowed=st.booleans())


def key_policy_examples() -> SearchStrategy[dict[str, Any]]:
    """AOSS-14: ``via`` aoss | other-service | other-region; ``grant_action``: whether the statement
    allows kms:CreateGrant."""
    return _examples(via=st.sampled_from(["aoss", "other-service", "other-region"]),
                     other_region=other_region("us-east-1"), grant_action=st.booleans())
