"""Decisions ("Policy evaluation logic", IAM User Guide).

:func:`evaluate_policy` decides one policy: a matching Deny statement gives ``ExplicitlyDenied``,
else a matching Allow gives ``Allowed``, else ``ImplicitlyDenied``. A statement matches when its
principal (resource-based policies only), action, resource and every condition entry match.

:func:`evaluate` combines a resource-based policy with the caller's identity-based policies by the
general rule: an explicit Deny in any of them wins; within one account (the principal's account is
the resource's) an Allow in the identity policies, or a resource-policy Allow that names the
principal itself, allows (a resource policy naming only the account delegates to the account's
identity policies); the account's root user is allowed unless denied; across accounts both must
allow. A service principal is not an IAM principal of any account: identity policies do not apply
to it, only the resource policy decides. (KMS's own rule, "the key policy must allow", is built on
:func:`evaluate_policy` in ``kms_conformance.kms``.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from kms_conformance.policy.match import (
    match_once,
    names_principal_directly,
    not_principal_excludes,
    principal_info,
    principal_matches,
)
from kms_conformance.policy.model import (
    Context,
    Decision,
    Evaluation,
    Match,
    Policy,
    Request,
    Statement,
    builder,
    new_match,
)

_CACHE_LIMIT = 4096

#: A statement, its Match, whether it matches whatever the resource and context, and whether it
#: names the principal directly (for the candidates of one principal; False otherwise).
_Candidate = tuple[Statement, Match, bool, bool]
#: A matching Allow statement's Match and whether the statement names the principal directly.
_Allow = tuple[Match, bool]


def principal_applies(stmt: Statement, principal: str) -> bool:
    """Does a resource-policy statement apply to the principal (its Principal names it, or its
    NotPrincipal does not exempt it)? A statement with neither applies to nobody."""
    return _principal_ok(stmt, principal)


def _principal_ok(stmt: Statement, principal: str) -> bool:
    if stmt.principal is not None:
        return principal_matches(stmt.principal, principal)
    if stmt.not_principal is not None:
        return not not_principal_excludes(stmt.not_principal, principal)
    return False  # a resource-based policy statement names whom it applies to


def names_directly(stmt: Statement, principal: str) -> bool:
    """Does a resource-policy statement name the principal itself, not only its account
    (:func:`~kms_conformance.policy.match.names_principal_directly`)? A NotPrincipal statement
    applies to whoever it does not exempt, as such."""
    if stmt.principal is None:
        return True
    return names_principal_directly(stmt.principal, principal)


def _always(stmt: Statement) -> bool:
    """Does the statement match whatever the resource and the context (no Condition, and a
    ``Resource`` holding ``"*"``)? Its action and principal still decide."""
    return not stmt.conditions and stmt.resource is not None and "*" in stmt.resource


def _candidates(policy: Policy, action: str, principal: str | None) -> tuple[_Candidate, ...]:
    """The statements (as :data:`_Candidate`) whose Action/NotAction covers ``action`` and, when
    ``principal`` is given, whose Principal/NotPrincipal covers the principal. Cached per policy
    (by action, and by action and principal); what is cached depends only on the policy, the
    action and the principal, never on the context."""
    cache = policy.cache
    key: str | tuple[str, str] = action if principal is None else (action, principal)
    found: tuple[_Candidate, ...] | None = cache.get(key)
    if found is not None:
        return found
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    by_action: tuple[_Candidate, ...] | None = cache.get(action)
    if by_action is None:
        by_action = tuple((s, m, _always(s), False) for s, m in policy.pairs if s.action_test(action))
        cache[action] = by_action
    if principal is None:
        return by_action
    found = tuple((s, m, always, names_directly(s, principal))
                  for s, m, always, _ in by_action if _principal_ok(s, principal))
    cache[key] = found
    return found


def statement_applies(stmt: Statement, request: Request, *, check_principal: bool) -> bool:
    """Does one statement match the request (principal when asked, action, resource, conditions)?"""
    if not stmt.action_test(request.action):
        return False
    if check_principal and not _principal_ok(stmt, request.principal):
        return False
    return _rest_applies(stmt, request)


def _rest_applies(stmt: Statement, request: Request) -> bool:
    ctx = request.context
    if not stmt.resource_test(request.resource, ctx):
        return False
    for cond in stmt.conditions:  # noqa: SIM110  (a loop is faster than all() here)
        if not cond.test(ctx):
            return False
    return True


def _first_use(policy: Policy) -> bool:
    """Is this the policy's first evaluation (its memo not built yet)? If so, the memo is created
    now, empty, so the next evaluation builds and keeps what it works out: the first one scans the
    statements directly (:func:`_direct`), since most policies of a batch are met once, and building
    a memo (a Match per statement, candidates, plans) for one use costs more than it saves."""
    d = vars(policy)
    if "cache" in d:
        return False
    d["cache"] = {}
    return True


def _direct(policy: Policy, action: str, resource: str, principal: str | None, context: Context) -> _Sets:
    """:func:`statement_sets` worked out statement by statement, without the memo: the same
    statements, in the same order, by the same tests (action, then the principal when given, then
    the resource unless ``Resource`` holds ``"*"``, then every condition entry)."""
    allows: list[Match] = []
    direct: list[Match] = []
    denies: list[Match] = []
    name = policy.name
    for stmt in policy.statements:
        if not stmt.action_test(action):
            continue
        if principal is not None and not _principal_ok(stmt, principal):
            continue
        res = stmt.resource
        if (res is None or "*" not in res) and not resource_first_test(stmt, resource, context):
            continue
        for cond in stmt.conditions:
            if not cond.test(context):
                break
        else:
            match = new_match(name, stmt.index, stmt.sid, stmt.effect)
            if stmt.effect == "Deny":
                denies.append(match)
            else:
                allows.append(match)
                if principal is not None and names_directly(stmt, principal):
                    direct.append(match)
    return (tuple(allows) if allows else _EMPTY, tuple(direct) if direct else _EMPTY,
            tuple(denies) if denies else _EMPTY)


def resource_first_test(stmt: Statement, resource: str, context: Context) -> bool:
    """``stmt.resource_test(resource, context)``, without compiling the statement's resource matcher
    when it is not compiled yet and its ``Resource`` holds no policy variable (a fresh statement's
    first and often only test): each pattern compared by
    :func:`~kms_conformance.policy.match.match_once`. A statement with ``NotResource``, an already
    compiled matcher, or a variable, takes ``resource_test`` itself."""
    patterns = stmt.resource
    if patterns is None or "resource_test" in vars(stmt):
        return stmt.resource_test(resource, context)
    if stmt.variables:
        for p in patterns:
            if "${" in p:
                return stmt.resource_test(resource, context)
    return any(match_once(p, resource) for p in patterns)


def _scan(policy: Policy, request: Request, check_principal: bool) -> tuple[list[Match], list[Match]]:
    """The matching Allow and Deny statements of one policy."""
    if _first_use(policy):
        found = _direct(policy, request.action, request.resource, request.principal if check_principal else None,
                        request.context)
        return list(found[0]), list(found[2])
    allows: list[Match] = []
    denies: list[Match] = []
    for stmt, match, always, _ in _candidates(policy, request.action,
                                              request.principal if check_principal else None):
        if always or _rest_applies(stmt, request):
            (denies if stmt.effect == "Deny" else allows).append(match)
    return allows, denies


def matching_statements(policy: Policy, request: Request, *,
                        check_principal: bool) -> tuple[list[_Allow], list[Match]]:
    """The statements of one policy that match the request, as :func:`evaluate_policy` decides
    them without building an :class:`Evaluation`: the Match of each Allow statement with whether
    it names the principal directly (:func:`names_directly`; always False when
    ``check_principal`` is False), and the Matches of the Deny statements."""
    if _first_use(policy):
        principal = request.principal if check_principal else None
        allowed, named, denied = _direct(policy, request.action, request.resource, principal, request.context)
        direct_ids = {id(m) for m in named}  # the Matches of ``named`` are objects of ``allowed``
        return [(m, id(m) in direct_ids) for m in allowed], list(denied)
    allows: list[_Allow] = []
    denies: list[Match] = []
    for stmt, match, always, direct in _candidates(policy, request.action,
                                                   request.principal if check_principal else None):
        if always or _rest_applies(stmt, request):
            if stmt.effect == "Deny":
                denies.append(match)
            else:
                allows.append((match, direct))
    return allows, denies


#: What a policy's statements give one (action, principal) before the resource and the context are
#: known: the three tuples of :func:`statement_sets` when every candidate matches whatever they are
#: (None otherwise); each candidate as (its Match, how it is tested, the statement, whether it is a
#: Deny, whether it names the principal directly); and, when no candidate reads the context, the
#: answers already worked out by resource (None when some candidate reads the context). How a
#: candidate is tested: 0 not at all (:func:`_always`), 1 its conditions only (its ``Resource``
#: holds ``"*"``), 2 its resource and its conditions.
_Sets = tuple[tuple[Match, ...], tuple[Match, ...], tuple[Match, ...]]
_Step = tuple[Match, int, Statement, bool, bool]
_Plan = tuple[_Sets | None, tuple[_Step, ...], dict[str, _Sets] | None]
_PLANS = object()  # the key of the plans in a policy's memo
_EMPTY: tuple[Match, ...] = ()
_BY_RESOURCE_LIMIT = 256


def _reads_context(stmt: Statement, how: int) -> bool:
    """Does testing the statement read the request context: a condition, or a policy variable
    (``${...}``, Version 2012-10-17) in its ``Resource``/``NotResource``?"""
    if how == 0:
        return False
    if stmt.conditions:
        return True
    patterns = stmt.resource if stmt.resource is not None else stmt.not_resource or ()
    return stmt.variables and any("${" in p for p in patterns)


def _plan(policy: Policy, action: str, principal: str | None) -> _Plan:
    cands = _candidates(policy, action, principal)
    steps = tuple((m, 0 if always else 1 if s.resource is not None and "*" in s.resource else 2, s,
                   s.effect == "Deny", named) for s, m, always, named in cands)
    if any(how for _, how, _, _, _ in steps):
        by_resource: dict[str, _Sets] | None = \
            None if any(_reads_context(s, how) for _, how, s, _, _ in steps) else {}
        return None, steps, by_resource
    allows = tuple(m for m, _, _, deny, _ in steps if not deny)
    direct = tuple(m for m, _, _, deny, named in steps if not deny and named)
    denies = tuple(m for m, _, _, deny, _ in steps if deny)
    return (allows or _EMPTY, direct or _EMPTY, denies or _EMPTY), steps, None


def statement_sets(policy: Policy, action: str, resource: str, principal: str | None,
                   context: Context) -> _Sets:
    """:func:`matching_statements` of a request given by its parts (``principal`` None for an
    identity-based policy, whose statements apply to whoever it is attached to), as three tuples:
    the Matches of the Allow statements, of those among them that name the principal directly,
    and of the Deny statements. What depends only on the policy, the action and the principal is
    worked out once (:data:`_Plan`, in the policy's memo): when no candidate statement has a
    condition or a ``Resource`` without ``"*"``, the answer itself; when none reads the context,
    the answer for each resource met; otherwise only the statements that need it read the
    resource or the context."""
    if _first_use(policy):
        return _direct(policy, action, resource, principal, context)
    try:
        fixed, steps, by_resource = policy.cache[_PLANS][action, principal]
    except KeyError:
        plans = policy.cache.setdefault(_PLANS, {})
        if len(plans) >= _CACHE_LIMIT:
            plans.clear()
        fixed, steps, by_resource = plans[action, principal] = _plan(policy, action, principal)
    if fixed is not None:
        return fixed
    if by_resource is not None:
        found = by_resource.get(resource)
        if found is None:
            if len(by_resource) >= _BY_RESOURCE_LIMIT:
                by_resource.clear()
            found = by_resource[resource] = _run(steps, resource, context)
        return found
    return _run(steps, resource, context)


def _run(steps: tuple[_Step, ...], resource: str, context: Context) -> _Sets:
    allows: list[Match] = []
    direct: list[Match] = []
    denies: list[Match] = []
    for match, how, stmt, deny, named in steps:
        if how:
            if how == 2 and not stmt.resource_test(resource, context):
                continue
            for cond in stmt.conditions:
                if not cond.test(context):
                    break
            else:
                how = 0
            if how:
                continue
        if deny:
            denies.append(match)
        else:
            allows.append(match)
            if named:
                direct.append(match)
    return (tuple(allows) if allows else _EMPTY, tuple(direct) if direct else _EMPTY,
            tuple(denies) if denies else _EMPTY)


#: ``Evaluation(decision, matched, reason)`` without the frozen dataclass's ``__init__``
#: (:func:`~kms_conformance.policy.model.builder`): the same value, for about half the cost.
new_evaluation: Callable[[Decision, tuple[Match, ...], str], Evaluation] = builder(Evaluation)


def evaluate_policy(policy: Policy, request: Request, *, check_principal: bool) -> Evaluation:
    """Decide one policy. ``check_principal=True`` for a resource-based policy (a key policy):
    a statement then applies only to the principals its Principal/NotPrincipal names; False for
    an identity-based policy, whose statements apply to the principal it is attached to."""
    allows, denies = _scan(policy, request, check_principal)
    if denies:
        return Evaluation(Decision.EXPLICITLY_DENIED, tuple(denies),
                          f"{policy.name}: a Deny statement matches {request.action}")
    if allows:
        return Evaluation(Decision.ALLOWED, tuple(allows),
                          f"{policy.name}: an Allow statement matches {request.action}")
    return Evaluation(Decision.IMPLICITLY_DENIED, (),
                      f"{policy.name}: no statement allows {request.action} for {request.principal}")


def resource_account_of(request: Request) -> str | None:
    """``request.resource_account``, else the account field of the resource ARN (None if neither)."""
    if request.resource_account:
        return request.resource_account
    parts = request.resource.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and parts[4]:
        return parts[4]
    return None


def ignored_for_service(identity_policies: Sequence[Policy]) -> str:
    """What a decision's reason adds when identity policies were given for a service principal's
    request: they are not read. Identity-based policies are attached to IAM identities (users,
    groups, roles: "Identity-based policies and resource-based policies"), and a service principal
    is none; a service is given access by a resource-based policy naming it ("AWS JSON policy
    elements: Principal", AWS service principals). So nothing of them applies, not even a Deny.
    Empty when none were given."""
    n = len(identity_policies)
    if not n:
        return ""
    return f" (a service principal has no identity policies: the {n} given {'was' if n == 1 else 'were'} not read)"


def evaluate(
    request: Request,
    *,
    resource_policy: Policy | None = None,
    identity_policies: Sequence[Policy] = (),
) -> Evaluation:
    """Decide a request under a resource-based policy and the caller's identity-based policies
    ("Policy evaluation logic": "Determining whether a request is allowed or denied within an
    account" and "Cross-account policy evaluation logic"). When the resource's account is not
    known (no ``resource_account``, no account in the resource ARN) the request is taken as
    same-account.

    - An explicit Deny in any policy wins.
    - A service principal is decided by the resource policy alone: identity policies given for it
      are not read, and the reason says so (:func:`ignored_for_service`).
    - The root user ("How AWS enforcement code logic evaluates requests to allow or deny
      access": every request is implicitly denied "with the exception of the AWS account root
      user, which has full access"): in the resource's own account it is allowed unless a policy
      denies it; from another account its own account's side is always granted, so the resource
      policy alone decides.
    - An IAM user or role of the resource's account: an identity policy allows, or the resource
      policy allows it *directly*, naming the user, the role (or its session) or ``"*"``. A
      resource policy that names only the account (``arn:aws:iam::A:root`` or ``A``) delegates to
      the account ("AWS JSON policy elements: Principal", AWS account principals): it does not
      allow by itself; an identity policy must allow too.
    - Across accounts both must allow: the resource policy (naming the principal or its account)
      and the principal's identity policies.

    KMS keys follow their own rule (:func:`kms_conformance.kms.authorize`): the key policy must
    allow, even the root user.
    """
    who = principal_info(request.principal)
    service = who.kind == "Service"
    resource_pairs: list[_Allow] = []
    denies: list[Match] = []
    if resource_policy is not None:
        resource_pairs, denies = matching_statements(resource_policy, request, check_principal=True)
    identity_list: list[Match] = []
    if not service:
        for p in identity_policies:
            allows, deny = _scan(p, request, False)
            identity_list += allows
            denies += deny
    if denies:
        return Evaluation(Decision.EXPLICITLY_DENIED, tuple(denies), "an explicit Deny matches; it overrides any Allow")
    resource_allow = tuple(m for m, _ in resource_pairs)
    identity_allow = tuple(identity_list)
    if service:
        ignored = ignored_for_service(identity_policies)
        if resource_allow:
            return Evaluation(Decision.ALLOWED, resource_allow,
                              "the resource policy allows the service principal" + ignored)
        return Evaluation(Decision.IMPLICITLY_DENIED, (), "a service principal is allowed only by the resource "
                          "policy, which does not allow it" + ignored)
    res_account = resource_account_of(request)
    same = res_account is None or res_account == who.account
    root = who.kind == "Account"
    if same:
        if root:
            return Evaluation(Decision.ALLOWED, identity_allow + resource_allow,
                              "the root user of the resource's account has full access unless a policy denies it")
        direct = tuple(m for m, named in resource_pairs if named)
        if identity_allow or direct:
            which = "an identity policy" if identity_allow else "the resource policy, naming the principal,"
            return Evaluation(Decision.ALLOWED, identity_allow + direct,
                              f"same account: {which} allows and nothing denies")
        if resource_allow:
            return Evaluation(Decision.IMPLICITLY_DENIED, (),
                              "same account: the resource policy names only the account, which delegates to the "
                              "account's identity policies, and no identity policy allows")
        return Evaluation(Decision.IMPLICITLY_DENIED, (), "same account: no identity or resource policy allows")
    if root and resource_allow:
        return Evaluation(Decision.ALLOWED, resource_allow,
                          "cross account: the resource policy allows the other account, whose root user needs "
                          "no identity policy")
    if identity_allow and resource_allow:
        return Evaluation(Decision.ALLOWED, identity_allow + resource_allow,
                          "cross account: both the identity policy and the resource policy allow")
    missing = "the resource policy" if identity_allow or root else (
        "an identity policy" if resource_allow else "both the identity and the resource policy")
    return Evaluation(Decision.IMPLICITLY_DENIED, (),
                      f"cross account ({who.account} -> {res_account}): {missing} must allow and does not")
