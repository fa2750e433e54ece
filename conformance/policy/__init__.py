"""The IAM policy language: parse policy documents, match requests, decide.

Public API (docs/interfaces.md, section ``kms_conformance.policy``)::

    policy = parse_policy(text_or_dict, origin="key policy")
    request = make_request("kms:Decrypt", key_arn, role_arn, {"kms:ViaService": "..."})
    evaluate_policy(policy, request, check_principal=True).decision   # Decision.ALLOWED ...
    evaluate(request, resource_policy=policy, identity_policies=[...])

Semantics follow "Policy evaluation logic", "IAM JSON policy elements reference", "IAM JSON policy
elements: Condition operators" and "Single-valued vs. multivalued context keys" (IAM User Guide).

Modules: ``model`` (values), ``parse`` (documents <-> values, PolicyError with JSON paths),
``match`` (wildcards, principals), ``conditions`` (operators and set qualifiers), ``variables``
(``${...}``), ``request`` (make_request and derived context keys), ``evaluate`` (decisions),
``actions`` (the KMS action list), ``undocumented`` (conditions decided by behaviour AWS does not
document).

Decisions taken where the pages leave room (each explained where it is implemented):

- a partial wildcard in a Principal ARN is compared literally (``match.principal_matches``);
- NotPrincipal exempts an IAM principal only when its account is listed too, and is rejected
  with ``"Effect": "Allow"`` (``match.not_principal_excludes``, ``parse``);
- a multivalued context key under an operator without set qualifier: any value for a positive
  operator, none for a negated one (``conditions``);
- ARN operators: a pattern of fewer than six components treats its last one as the resource
  component, so ``"*"`` matches every ARN (``conditions.arn_matcher``);
- a statement without Resource/NotResource applies to every resource (trust policies);
- a resource whose account is unknown is evaluated as same-account (``evaluate.evaluate``);
- a context key with several values cannot be a policy variable (it counts as missing);
- where AWS documents nothing at all (``ForAnyValue:...IfExists`` on an absent key; an operator
  without set qualifier on a multivalued key) one behaviour is kept and reported
  (``undocumented``).
"""

from kms_conformance.policy.actions import KMS_ACTIONS, expand_kms_actions
from kms_conformance.policy.conditions import OPERATORS, compile_condition, split_operator
from kms_conformance.policy.evaluate import evaluate, evaluate_policy, resource_account_of, statement_applies
from kms_conformance.policy.match import (
    PrincipalInfo,
    names_principal_directly,
    not_principal_excludes,
    principal_account,
    principal_info,
    principal_matches,
    wildcard_match,
)
from kms_conformance.policy.model import (
    Condition,
    Decision,
    Evaluation,
    Match,
    Policy,
    PolicyError,
    PrincipalBlock,
    Request,
    Statement,
)
from kms_conformance.policy.parse import (
    parse_policy,
    policy_to_dict,
    principal_element_problem,
    serialize_policy,
    statement_to_dict,
)
from kms_conformance.policy.request import derived_context, make_request
from kms_conformance.policy.undocumented import MULTIVALUED_KEYS, policy_notes, request_notes

__all__ = [
    "KMS_ACTIONS",
    "MULTIVALUED_KEYS",
    "OPERATORS",
    "Condition",
    "Decision",
    "Evaluation",
    "Match",
    "Policy",
    "PolicyError",
    "PrincipalBlock",
    "PrincipalInfo",
    "Request",
    "Statement",
    "compile_condition",
    "derived_context",
    "evaluate",
    "evaluate_policy",
    "expand_kms_actions",
    "make_request",
    "names_principal_directly",
    "not_principal_excludes",
    "parse_policy",
    "policy_notes",
    "policy_to_dict",
    "principal_account",
    "principal_element_problem",
    "principal_info",
    "principal_matches",
    "request_notes",
    "resource_account_of",
    "serialize_policy",
    "split_operator",
    "statement_applies",
    "statement_to_dict",
    "wildcard_match",
]
