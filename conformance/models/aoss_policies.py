"""The encryption policy language of Amazon OpenSearch Serverless: grammar, parsing and matching.

Source: ``002_c2442b383cdbec83.txt`` ("Encryption in Amazon OpenSearch Serverless", in Korean),
section "암호화 정책" (Encryption policies): a policy has ``Rules`` (one or more collection matching
rules, each ``ResourceType`` ``"collection"`` and a ``Resource`` list of ``collection/<name>`` or
``collection/<prefix>*``), ``AWSOwnedKey`` and, with ``AWSOwnedKey`` false, ``KmsARN``; a KmsARN given
makes ``AWSOwnedKey`` ignored; the more specific rule wins when rules of several policies match;
a name or prefix can be in one policy only.

The reference model (:mod:`kms_conformance.models.opensearch_serverless`) and the static checks of
the page's rules both read policies through this module.

>>> policy = parse_encryption_policy('{"Rules": [{"ResourceType": "collection", '
...                                  '"Resource": ["collection/sales*"]}], "AWSOwnedKey": true}')
>>> policy.patterns, policy.key
(('collection/sales*',), 'auto')
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kms_conformance.arns import parse_key_arn

#: ``kmsKeyArn`` of a collection encrypted with an AWS owned key.
AWS_OWNED = "auto"

#: ``collection/<name>`` or ``collection/<prefix>*`` (a single trailing wildcard), or ``collection/*``.
_RESOURCE = re.compile(r"^collection/(?:[A-Za-z0-9][A-Za-z0-9_-]*\*?|\*)$")

#: Policy documents whose ``Rules`` break the grammar, by defect (``none``: well-formed), with the
#: placeholder ``<<NAME>>`` for a collection name.
BAD_RULES: Mapping[str, Any] = {
    "resource-type": {"Rules": [{"ResourceType": "index", "Resource": ["collection/<<NAME>>"]}]},
    "no-prefix": {"Rules": [{"ResourceType": "collection", "Resource": ["<<NAME>>"]}]},
    "empty-rules": {"Rules": []},
    "inner-wildcard": {"Rules": [{"ResourceType": "collection", "Resource": ["collection/<<NAME>>*x"]}]},
    "none": {"Rules": [{"ResourceType": "collection", "Resource": ["collection/<<NAME>>"]}]},
}


class PolicyDocError(ValueError):
    """An encryption policy document that breaks the grammar: what, and where (``Rules[0].Resource[1]``)."""

    def __init__(self, message: str, path: str = "$") -> None:
        super().__init__(f"{path}: {message}")
        self.message = message
        self.path = path


@dataclass(frozen=True)
class EncryptionPolicy:
    """A parsed encryption policy: its resource patterns (``collection/sales*``), and its key:
    ``kms_arn`` when given (then ``AWSOwnedKey`` is ignored), else the AWS owned key."""

    patterns: tuple[str, ...]
    aws_owned_key: bool
    kms_arn: str | None = None

    @property
    def key(self) -> str:
        """The key collections matching this policy get: the KmsARN, or ``"auto"``."""
        return self.kms_arn if self.kms_arn is not None else AWS_OWNED


def load_policy_document(policy: Any) -> Any:
    """The policy as the API takes it (a JSON string) or already decoded; PolicyDocError if not JSON."""
    if isinstance(policy, str):
        try:
            return json.loads(policy)
        except json.JSONDecodeError as exc:
            raise PolicyDocError(f"not valid JSON: {exc.msg}") from None
    return policy


def rule_errors(doc: Any) -> list[PolicyDocError]:
    """Grammar errors of the ``Rules`` element: one or more rules, each ``ResourceType``
    ``"collection"`` and a non-empty ``Resource`` list of ``collection/<name>`` or
    ``collection/<prefix>*`` (a wildcard only at the end)."""
    if not isinstance(doc, Mapping):
        return [PolicyDocError("an encryption policy is a JSON object")]
    rules = doc.get("Rules")
    if not isinstance(rules, list) or not rules:
        return [PolicyDocError("Rules must be a non-empty list of collection matching rules", "Rules")]
    errors = []
    for i, r in enumerate(rules):
        where = f"Rules[{i}]"
        if not isinstance(r, Mapping):
            errors.append(PolicyDocError("a rule is an object with ResourceType and Resource", where))
            continue
        if r.get("ResourceType") != "collection":
            errors.append(PolicyDocError(
                f"ResourceType must be \"collection\" (the only option), got {r.get('ResourceType')!r}",
                f"{where}.ResourceType"))
        resources = r.get("Resource")
        if not isinstance(resources, list) or not resources:
            errors.append(PolicyDocError("Resource must be a non-empty list of collection/<name|prefix*>",
                                         f"{where}.Resource"))
            continue
        for j, res in enumerate(resources):
            if not isinstance(res, str) or not _RESOURCE.match(res):
                errors.append(PolicyDocError(
                    f"{res!r} is not collection/<collection name> or collection/<prefix>*", f"{where}.Resource[{j}]"))
    return errors


def key_errors(doc: Any) -> list[PolicyDocError]:
    """Errors of the key elements: ``AWSOwnedKey`` a boolean; with ``AWSOwnedKey`` false a
    ``KmsARN``; a ``KmsARN`` must be a KMS key ARN (``arn:aws:kms:REGION:ACCOUNT:key/ID``)."""
    if not isinstance(doc, Mapping):
        return []
    errors = []
    owned = doc.get("AWSOwnedKey")
    if owned is not None and not isinstance(owned, bool):
        errors.append(PolicyDocError(f"AWSOwnedKey must be true or false, got {owned!r}", "AWSOwnedKey"))
    arn = doc.get("KmsARN")
    if arn is None:
        if owned is not True:
            errors.append(PolicyDocError("with AWSOwnedKey false (or absent) the policy needs a KmsARN",
                                         "KmsARN"))
    elif parse_key_arn(arn) is None:
        hint = " (the page's sample uses the service name 'encryption'; a KMS key ARN is arn:aws:kms:...)" \
            if isinstance(arn, str) and arn.startswith("arn:aws:encryption:") else ""
        errors.append(PolicyDocError(f"KmsARN {arn!r} is not a KMS key ARN{hint}", "KmsARN"))
    return errors


def parse_encryption_policy(policy: Any) -> EncryptionPolicy:
    """Parse and validate an encryption policy (string or object); PolicyDocError on the first error."""
    doc = load_policy_document(policy)
    errors = rule_errors(doc) + key_errors(doc)
    if errors:
        raise errors[0]
    patterns = tuple(p for r in doc["Rules"] for p in r["Resource"])
    return EncryptionPolicy(patterns=patterns, aws_owned_key=doc.get("AWSOwnedKey") is True,
                            kms_arn=doc.get("KmsARN"))


def collection_of(pattern: str) -> str:
    """The collection name or prefix of a pattern: ``collection/sales*`` -> ``sales*``."""
    return pattern.split("/", 1)[1] if pattern.startswith("collection/") else pattern


def pattern_matches(pattern: str, collection: str) -> bool:
    """``collection/sales*`` matches every collection whose name starts with ``sales``;
    ``collection/autopartsinventory`` only that name.

    >>> pattern_matches("collection/sales*", "sales-2024"), pattern_matches("collection/log", "logs")
    (True, False)
    """
    body = collection_of(pattern)
    if body.endswith("*"):
        return collection.startswith(body[:-1])
    return collection == body


def specificity(pattern: str) -> tuple[int, int]:
    """How specific a pattern is: an exact name beats any prefix; a longer prefix beats a shorter."""
    wildcard = pattern.endswith("*")
    return (0 if wildcard else 1, len(pattern))


def best_match(policies: Mapping[str, EncryptionPolicy], collection: str) -> tuple[str, str] | None:
    """The (policy name, pattern) whose rule is the most specific match of ``collection``; None if
    no policy matches. Ties (the same pattern twice cannot happen: a pattern is in one policy only)
    go to the first name."""
    found = [(specificity(p), name, p) for name, pol in policies.items() for p in pol.patterns
             if pattern_matches(p, collection)]
    if not found:
        return None
    found.sort(key=lambda t: (-t[0][0], -t[0][1], t[1]))
    return found[0][1], found[0][2]


def pattern_conflicts(patterns: Iterable[str], others: Mapping[str, EncryptionPolicy]) -> list[tuple[str, str]]:
    """(pattern, other policy name) for each pattern another policy already uses."""
    return [(p, name) for p in dict.fromkeys(patterns) for name, pol in others.items() if p in pol.patterns]


__all__ = [
    "AWS_OWNED",
    "BAD_RULES",
    "EncryptionPolicy",
    "PolicyDocError",
    "best_match",
    "collection_of",
    "key_errors",
    "load_policy_document",
    "parse_encryption_policy",
    "pattern_conflicts",
    "pattern_matches",
    "rule_errors",
    "specificity",
]
