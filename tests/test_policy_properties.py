"""Laws of the evaluator ("Policy evaluation logic", IAM User Guide), checked with Hypothesis over
the kit's own policy strategies (strategies/policies.py)."""

from __future__ import annotations

import copy
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from kms_conformance.policy import (
    KMS_ACTIONS,
    Decision,
    Request,
    evaluate,
    evaluate_policy,
    make_request,
    parse_policy,
)
from kms_conformance.policy.match import principal_account, principal_info
from kms_conformance.strategies.aws import principals
from kms_conformance.strategies.policies import identity_policies, key_policies, kms_actions, statements

ACCOUNT = "111122223333"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
LAWS = settings(max_examples=30, deadline=None)


def _unwild(value: str) -> str:
    """A concrete value a Like pattern matches (wildcards replaced by plain characters)."""
    return value.replace("*", "x").replace("?", "y")


@st.composite
def contexts_for(draw: st.DrawFn, doc: dict[str, Any]) -> dict[str, Any]:
    """A request context that hits the policy's condition keys often: each key is left out, set to
    one of the policy's own values (so conditions can hold), or to a value of another key."""
    stmts = doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]
    seen: dict[str, list[str]] = {}
    for stmt in stmts:
        for block in stmt.get("Condition", {}).values():
            for key, value in block.items():
                vals = value if isinstance(value, list) else [value]
                seen.setdefault(key, []).extend(str(v) for v in vals)
    ctx: dict[str, Any] = {}
    pool = sorted(v for vs in seen.values() for v in vs) or ["x"]
    for key in sorted(seen):
        choice = draw(st.integers(0, 3))
        if choice == 0:
            continue
        if choice == 1:
            ctx[key] = _unwild(draw(st.sampled_from(seen[key])))
        elif choice == 2:
            ctx[key] = _unwild(draw(st.sampled_from(pool)))
        else:
            ctx[key] = [_unwild(v) for v in draw(st.lists(st.sampled_from(seen[key]), max_size=3))]
    return ctx


@st.composite
def cases(draw: st.DrawFn) -> tuple[dict[str, Any], Request]:
    """A key policy and a request against it (principals mostly of the key's account)."""
    doc = draw(key_policies(account=ACCOUNT, max_statements=4))
    action = draw(kms_actions(wildcards=False, case_variants=True))
    principal = draw(st.one_of(principals(ACCOUNT), principals()))
    ctx = draw(contexts_for(doc))
    return doc, make_request(action, KEY, principal, ctx)


def decide(doc: dict[str, Any], request: Request) -> Decision:
    return evaluate_policy(parse_policy(doc), request, check_principal=True).decision


def decide_with_extra(doc: dict[str, Any], request: Request, extra: dict[str, Any]) -> tuple[Decision, Decision]:
    """The decision for ``request`` under ``doc``, and under ``doc`` with ``extra`` (less its Sid) added."""
    before = decide(doc, request)
    grown = copy.deepcopy(doc)
    extra.pop("Sid", None)
    grown["Statement"].append(extra)
    return before, decide(grown, request)


@LAWS
@given(cases(), statements(effect="Allow", principal=True, account=ACCOUNT))
def test_adding_an_allow_never_turns_allowed_into_a_deny(case: Any, extra: dict[str, Any]) -> None:
    before, after = decide_with_extra(*case, extra)
    if before is Decision.ALLOWED:
        assert after is Decision.ALLOWED
    if before is Decision.EXPLICITLY_DENIED:
        assert after is Decision.EXPLICITLY_DENIED


@LAWS
@given(cases(), statements(effect="Deny", principal=True, account=ACCOUNT))
def test_adding_a_deny_never_turns_a_deny_into_allowed(case: Any, extra: dict[str, Any]) -> None:
    before, after = decide_with_extra(*case, extra)
    if before is not Decision.ALLOWED:
        assert after is not Decision.ALLOWED
    if after is Decision.ALLOWED:
        assert before is Decision.ALLOWED


@LAWS
@given(cases(), st.randoms(use_true_random=False))
def test_statement_order_never_matters(case: Any, rnd: Any) -> None:
    doc, request = case
    shuffled = copy.deepcopy(doc)
    rnd.shuffle(shuffled["Statement"])
    a = evaluate_policy(parse_policy(doc), request, check_principal=True)
    b = evaluate_policy(parse_policy(shuffled), request, check_principal=True)
    assert a.decision is b.decision
    assert sorted((m.sid or "", m.effect) for m in a.matched) == sorted((m.sid or "", m.effect) for m in b.matched)


def _map_actions(doc: dict[str, Any], fn: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    for stmt in out["Statement"]:
        acts = stmt["Action"] if isinstance(stmt["Action"], list) else [stmt["Action"]]
        new: list[str] = []
        for a in acts:
            new.extend(fn(a))
        stmt["Action"] = new
    return out


@LAWS
@given(cases())
def test_kms_star_decides_like_every_kms_action_listed(case: Any) -> None:
    doc, request = case
    expanded = _map_actions(doc, lambda a: list(KMS_ACTIONS) if a.lower() == "kms:*" else [a])
    assert decide(doc, request) is decide(expanded, request)


@LAWS
@given(cases())
def test_wildcard_actions_decide_like_their_expansion(case: Any) -> None:
    doc, request = case

    def expand(a: str) -> list[str]:
        if "*" not in a and "?" not in a:
            return [a]
        regex = re.compile(re.escape(a).replace(r"\*", ".*").replace(r"\?", "."), re.IGNORECASE)
        return [x for x in KMS_ACTIONS if regex.fullmatch(x)] or ["kms:NoSuchAction"]

    assert decide(doc, request) is decide(_map_actions(doc, expand), request)


def _recase(text: str, how: int) -> str:
    return (text.upper(), text.lower(), text.swapcase())[how]


@LAWS
@given(cases(), st.integers(0, 2), st.integers(0, 2))
def test_condition_key_case_never_matters(case: Any, policy_case: int, context_case: int) -> None:
    doc, request = case
    recased = copy.deepcopy(doc)
    for stmt in recased["Statement"]:
        if "Condition" in stmt:
            stmt["Condition"] = {op: {_recase(k, policy_case): v for k, v in block.items()}
                                 for op, block in stmt["Condition"].items()}
    ctx = {_recase(k, context_case): list(v) for k, v in request.context.items()}
    other = make_request(request.action, request.resource, request.principal, ctx)
    assert decide(doc, request) is decide(recased, other)


@LAWS
@given(key_policies(account=ACCOUNT), principals(), st.sampled_from(["sqs:SendMessage", "s3:GetObject"]))
def test_a_request_matching_no_statement_is_implicitly_denied(doc: dict[str, Any], who: str, action: str) -> None:
    """The strategies' key policies name only kms: actions: a request for another service's
    action matches no statement."""
    result = evaluate_policy(parse_policy(doc), make_request(action, KEY, who), check_principal=True)
    assert result.decision is Decision.IMPLICITLY_DENIED and result.matched == ()


def _without_account_principals(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The policy with every AWS principal that names a whole account (``A``, ``arn:...:A:root``)
    left out, and statements naming nobody else dropped: what names principals directly."""
    out = copy.deepcopy(doc)
    kept = []
    for stmt in out["Statement"]:
        principal = stmt.get("Principal")
        if isinstance(principal, dict) and "AWS" in principal:
            values = principal["AWS"] if isinstance(principal["AWS"], list) else [principal["AWS"]]
            direct = [v for v in values if not (re.fullmatch(r"\d{12}", v) or v.endswith(":root"))]
            if direct:
                principal["AWS"] = direct
            else:
                del principal["AWS"]
            if not principal:
                continue
        kept.append(stmt)
    if not kept:
        return None
    out["Statement"] = kept
    return out


@LAWS
@given(cases(), identity_policies(account=ACCOUNT, max_statements=3))
def test_evaluate_combines_policies_by_the_general_rule(case: Any, ident_doc: dict[str, Any]) -> None:
    """"Policy evaluation logic": an explicit Deny anywhere wins; within the key's account an
    identity-policy Allow suffices, and so does a resource-policy Allow naming the principal
    itself (naming only the account delegates to the identity policies: "AWS JSON policy
    elements: Principal"); the account's root user is allowed unless denied; across accounts
    both must allow (the other account's root user needs no identity policy); identity policies
    do not apply to service principals."""
    doc, request = case
    key = parse_policy(doc)
    ident = parse_policy(ident_doc)
    combined = evaluate(request, resource_policy=key, identity_policies=[ident])
    kp = evaluate_policy(key, request, check_principal=True)
    service = request.get("aws:PrincipalServiceName") is not None
    ip = None if service else evaluate_policy(ident, request, check_principal=False)
    parts = [kp] if ip is None else [kp, ip]
    if any(p.decision is Decision.EXPLICITLY_DENIED for p in parts):
        assert combined.decision is Decision.EXPLICITLY_DENIED
        assert all(m.effect == "Deny" for m in combined.matched) and combined.matched
        return
    root = principal_info(request.principal).kind == "Account"
    identity_allows = ip is not None and ip.allowed
    if service:
        expected = kp.allowed
    elif principal_account(request.principal) == ACCOUNT:  # who the principal is, not a context value
        # (a generated context may carry any aws:PrincipalAccount value for the conditions to test;
        # AWS decides same- vs cross-account from the principal itself)
        direct_doc = _without_account_principals(doc)
        direct = direct_doc is not None and evaluate_policy(
            parse_policy(direct_doc), request, check_principal=True).allowed
        expected = root or identity_allows or direct
    else:
        expected = kp.allowed and (root or identity_allows)
    assert combined.allowed is expected
    assert combined.decision is (Decision.ALLOWED if expected else Decision.IMPLICITLY_DENIED)
