"""Conditions whose outcome rests on behaviour AWS does not document.

The evaluator keeps one behaviour in each case (see :mod:`~kms_conformance.policy.conditions`),
but a decision that depends on it may differ from what AWS decides, so ``simulate`` says so next
to its answer and ``check`` warns about a policy that contains such a condition:

- ``ForAnyValue:...IfExists`` on a key absent from the request. "IAM JSON policy elements:
  Condition operators" says what ``...IfExists`` does with an absent key (the condition holds)
  and "Single-valued vs. multivalued context keys" what ``ForAnyValue`` does (false when the key
  is absent or empty), but neither says which wins when both are written. Here the condition
  holds (``IfExists``).
- An operator without ``ForAnyValue:``/``ForAllValues:`` on a multivalued key (for example
  ``StringEquals`` on ``kms:EncryptionContextKeys``). "Single-valued vs. multivalued context
  keys" tells policy authors to use a set operator on such keys and does not say how a plain
  operator compares several request values. Here a positive operator holds when any value
  matches, a negated one when none does.
"""

from __future__ import annotations

from collections.abc import Sequence

from kms_conformance.policy.evaluate import principal_applies
from kms_conformance.policy.model import Condition, Policy, Request, Statement

#: Context keys that hold a set of values: "AWS global condition context keys" (the keys marked
#: multivalued) and "AWS KMS condition keys" (kms:EncryptionContextKeys, kms:GrantOperations,
#: kms:ResourceAliases). Case-folded, as the evaluator stores keys.
MULTIVALUED_KEYS = frozenset(k.lower() for k in (
    "aws:CalledVia", "aws:PrincipalOrgPaths", "aws:PrincipalServiceNamesList", "aws:ResourceOrgPaths",
    "aws:SourceOrgPaths", "aws:TagKeys", "kms:EncryptionContextKeys", "kms:GrantOperations",
    "kms:ResourceAliases",
))

ANY_VALUE_IF_EXISTS = ("AWS does not document ForAnyValue with IfExists on a key absent from the request; "
                       "here the condition holds")
PLAIN_OPERATOR_MULTIVALUED = ("AWS does not document an operator without ForAnyValue/ForAllValues on a "
                              "multivalued key; here a positive operator holds when any value matches, a negated "
                              "one when none does")


def _where(policy: Policy, stmt: Statement, cond: Condition) -> str:
    return f"{policy.name} Statement[{stmt.index}].Condition.{cond.operator}.{cond.key}"


def _any_value_if_exists(cond: Condition) -> bool:
    return cond.qualifier == "ForAnyValue" and cond.if_exists


def _plain_operator(cond: Condition) -> bool:
    return not cond.qualifier and cond.base != "Null"


def policy_notes(policy: Policy) -> tuple[str, ...]:
    """Every condition of ``policy`` whose outcome can rest on undocumented behaviour (what
    ``check`` warns about): ``ForAnyValue:...IfExists`` anywhere, and an operator without set
    qualifier on a key of :data:`MULTIVALUED_KEYS`."""
    notes: list[str] = []
    for stmt in policy.statements:
        for cond in stmt.conditions:
            if _any_value_if_exists(cond):
                notes.append(f"{_where(policy, stmt, cond)}: {ANY_VALUE_IF_EXISTS}")
            elif _plain_operator(cond) and cond.key.lower() in MULTIVALUED_KEYS:
                notes.append(f"{_where(policy, stmt, cond)}: {PLAIN_OPERATOR_MULTIVALUED}")
    return tuple(notes)


def request_notes(policies: Sequence[tuple[Policy, bool]], request: Request) -> tuple[str, ...]:
    """The conditions that this request decides by undocumented behaviour (what ``simulate``
    reports): in statements whose principal (for a resource-based policy, the ``bool`` of each
    pair), action and resource match the request, a ``ForAnyValue:...IfExists`` on a key the
    request lacks, and an operator without set qualifier on a key the request gives several
    values (or that is multivalued by nature)."""
    notes: list[str] = []
    context = request.context
    action = request.action
    for policy, check_principal in policies:
        for stmt in policy.statements:
            # The action first: a memoized matcher, where a condition key read from a KMS request's
            # context may compute the key's value; the conditions then, the principal and resource last.
            conditions = stmt.conditions
            if not conditions or not stmt.action_test(action):
                continue
            found: list[tuple[Condition, str]] = []
            for cond in conditions:
                if _any_value_if_exists(cond):
                    if not request.get(cond.key):
                        found.append((cond, ANY_VALUE_IF_EXISTS))
                elif _plain_operator(cond):
                    key = cond.key.lower()
                    values = context.get(key)  # the key's values, when the request gives it
                    if values and (len(values) > 1 or key in MULTIVALUED_KEYS):
                        found.append((cond, PLAIN_OPERATOR_MULTIVALUED))
            if not found:
                continue
            if check_principal and not principal_applies(stmt, request.principal):
                continue
            if not stmt.resource_test(request.resource, request.context):
                continue
            notes += [f"{_where(policy, stmt, cond)}: {note}" for cond, note in found]
    return tuple(notes)


__all__ = ["MULTIVALUED_KEYS", "policy_notes", "request_notes"]
