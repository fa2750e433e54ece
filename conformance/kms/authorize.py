"""KMS authorization of one request by one principal (AWS KMS Developer Guide: "Key policies in
AWS KMS" / "Determining access to an AWS KMS key", "Default key policy", "Allowing users in other
accounts to use a KMS key", "Grants in AWS KMS", "Retiring and revoking grants").

The decision procedure, in full:

1. An explicit ``Deny`` that matches, in the key policy or in an identity policy of the caller,
   denies. Grants do not override it. A service principal has no identity policies: those given
   for one are not read, and the reason says so (:func:`~kms_conformance.policy.evaluate.ignored_for_service`).
2. The key policy must allow the request. A statement allows *directly* when its ``Principal``
   names the caller (its ARN, its role for a role session, or ``"*"``); it *delegates* when it
   names only the caller's account (``arn:aws:iam::A:root`` or ``A``), and then an identity
   policy of the caller must allow too ("Default key policy": the root statement "allows IAM
   policies to allow access to the KMS key"). The account root itself is allowed directly.
3. A caller of another account needs both: the key policy must allow it (directly or through
   its account) and its own identity policy must allow ("Allowing users in other accounts to
   use a KMS key"); that account's root user needs no identity policy (it has full access in
   its own account), but the key policy must still allow it.
4. Otherwise a grant for the caller on this key allows exactly its operations, when its
   encryption context constraint is met ("GrantConstraints"); a grant never allows anything
   outside :data:`GRANT_OPERATIONS` (ListGrants, RevokeGrant, PutKeyPolicy, ...), and a grantee
   who got CreateGrant from a grant may only create grants at most as permissive.
5. RetireGrant is authorized by the grant, not the key policy ("Retiring and revoking grants"):
   its retiring principal; its grantee if it lists RetireGrant; the account that issued it; IAM
   principals of the key's account to whom that account delegated ``kms:RetireGrant`` in an
   identity policy (an identity-policy Deny of ``kms:RetireGrant`` still wins; the key policy
   is "not effective" for it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

from kms_conformance.kms.context import KmsRequest, LazyPolicyContext, policy_context, principal_account
from kms_conformance.kms.grants import GRANT_OPERATIONS, Grant, at_least_as_strict, constraints_met
from kms_conformance.kms.world import World
from kms_conformance.policy import (
    Decision,
    Evaluation,
    Match,
    Policy,
    Request,
    evaluate,
    evaluate_policy,
    make_request,
    principal_matches,
)
from kms_conformance.policy.evaluate import (  # one rule for KMS and the general evaluator
    ignored_for_service,
    names_directly,  # noqa: F401  (exported by kms_conformance.kms)
    new_evaluation,
    statement_sets,
)
from kms_conformance.policy.match import CACHE_SIZE, principal_info
from kms_conformance.policy.model import PrincipalBlock
from kms_conformance.policy.request import derived_context


def _is_account(value: str) -> bool:
    return (len(value) == 12 and value.isdigit()) or (value.startswith("arn:") and value.endswith(":root"))


@lru_cache(maxsize=CACHE_SIZE)
def grantee_matches(grantee: str, caller: str) -> bool:
    """A grant's grantee against the caller: a role grantee covers its sessions; a service
    principal matches itself; an account grantee covers the account's principals. Computed
    once per (grantee, caller)."""
    if grantee == caller:
        return True
    if "." in grantee and not grantee.startswith("arn:"):
        return False
    return principal_matches(PrincipalBlock(aws=(grantee,)), caller)


def identity_allows(world: World, caller: str, action: str, resource: str,
                    context: Mapping[str, str | tuple[str, ...]] | None = None) -> bool:
    """Whether the caller's identity policies in ``world`` allow ``action`` on ``resource`` ("Policy
    evaluation logic": an explicit deny wins, else an allow is needed): how the operations on no key
    (CreateKey, ListKeys, ListAliases, ListRetirableGrants), the alias side of the alias operations,
    and the IAM, STS and service operations of the models are authorized. ``context`` adds condition
    keys (CreateKey's ``kms:KeySpec``...)."""
    request = make_request(action, resource, caller, dict(context or {}))
    return evaluate(request, identity_policies=world.identity_policies(caller)).allowed


def _grant_match(grant: Grant, why: str) -> Match:
    return Match(policy=f"grant {grant.grant_id}", index=0, sid=grant.name, effect=f"Allow ({why})")


def policy_request(req: KmsRequest) -> Request:
    """The request the key policy and identity policies are evaluated against."""
    key = req.key
    caller = req.caller
    ctx = derived_context(caller)
    ctx.update(policy_context(req))  # what make_request(..., request_context(req)) gives, built directly
    return Request(req.action, key.arn, caller, ctx, key.account)


def authorize(req: KmsRequest, *, identity_policies: Sequence[Policy] = (), grants: Sequence[Grant] = (),
              request: Request | None = None) -> Evaluation:
    """Decide one KMS request (see the module docstring for the procedure and its sources).
    ``identity_policies`` are the caller's; ``grants`` any grants (those of other keys or other
    grantees are ignored). ``request`` is ``policy_request(req)`` when the caller has built it
    already; otherwise the condition keys are computed only as far as conditions read them
    (:class:`~kms_conformance.kms.context.LazyPolicyContext`)."""
    if identity_policies and principal_info(req.caller).kind == "Service":
        # A service principal has no identity policies: decided without them, and the reason says so.
        ev = authorize(req, grants=grants, request=request)
        return new_evaluation(ev.decision, ev.matched, ev.reason + ignored_for_service(identity_policies))
    key = req.key
    if request is None:
        action, resource, principal = "kms:" + req.operation, key.arn, req.caller  # req.action
        context: Mapping[str, tuple[str, ...]] = LazyPolicyContext(req)
    else:
        action, resource, principal, context = request.action, request.resource, request.principal, request.context
    if req.operation == "RetireGrant" and req.grant is not None:
        if request is None:
            request = Request(action, resource, principal, context, key.account)
        return _authorize_retire(req, request, identity_policies)
    kp_allow = kp_direct = denies = _NONE
    if key.policy is not None:
        kp_allow, kp_direct, denies = statement_sets(key.policy, action, resource, principal, context)
    id_allow = _NONE
    for p in identity_policies:
        allows, _, deny = statement_sets(p, action, resource, None, context)
        if deny:
            denies += deny
        elif allows:
            id_allow += allows
    if denies:
        return new_evaluation(Decision.EXPLICITLY_DENIED, denies, "an explicit Deny matches")
    caller_account, root = _caller_facts(req.caller)
    same_account = caller_account is None or caller_account == key.account
    reason = "the key policy does not allow the caller"
    if kp_allow:
        if same_account:
            if kp_direct:  # names_directly
                return new_evaluation(Decision.ALLOWED, kp_direct, "the key policy allows the caller")
            if id_allow:
                return new_evaluation(Decision.ALLOWED, kp_allow + id_allow,
                                      "the key policy delegates to the account and an identity policy allows")
            reason = "the key policy delegates to the account, but no identity policy of the caller allows"
        else:
            if id_allow:
                return new_evaluation(Decision.ALLOWED, kp_allow + id_allow,
                                      "cross-account: the key policy and the caller's identity policy both allow")
            if root:
                # "How AWS enforcement code logic evaluates requests to allow or deny access": the
                # root user has full access in its own account, so its side needs no identity
                # policy; the key policy allowing it (or its account) is enough.
                return new_evaluation(Decision.ALLOWED, kp_allow,
                                      "cross-account: the key policy allows the other account, whose root user needs "
                                      "no identity policy")
            reason = "cross-account: the key policy allows, but no identity policy of the caller allows"
    elif not same_account and id_allow:
        reason = "cross-account: the caller's identity policy allows, but the key policy does not"
    if grants:
        granted = _by_grant(req, grants, bool(id_allow) or root)
        if granted is not None:
            return new_evaluation(Decision.ALLOWED, (granted,), "a grant allows the operation")
    return new_evaluation(Decision.IMPLICITLY_DENIED, (), reason)


_NONE: tuple[Match, ...] = ()


@lru_cache(maxsize=CACHE_SIZE)
def _caller_facts(caller: str) -> tuple[str | None, bool]:
    """The caller's account and whether it is the root user of its account, once per caller."""
    return principal_account(caller), _is_account(caller)


def _by_grant(req: KmsRequest, grants: Sequence[Grant], identity_allows: bool) -> Match | None:
    """The first grant that allows the request, as a Match; None when none does."""
    op = req.operation
    if op not in GRANT_OPERATIONS or op == "RetireGrant":
        return None
    for g in grants:
        if g.key_arn != req.key.arn or op not in g.operations or not grantee_matches(g.grantee, req.caller):
            continue
        if _is_account(g.grantee) and g.grantee != req.caller and not identity_allows:
            continue  # a grant to an account is used by its principals through their IAM policies
        if not constraints_met(g, op, req.encryption_context):
            continue
        if op == "CreateGrant" and req.grant is not None and not at_least_as_strict(req.grant, g):
            continue
        return _grant_match(g, op)
    return None


def _authorize_retire(req: KmsRequest, request: Request, identity_policies: Sequence[Policy]) -> Evaluation:
    grant = req.grant
    assert grant is not None
    evals = [evaluate_policy(p, request, check_principal=False) for p in identity_policies]
    denies = tuple(m for e in evals if e.decision is Decision.EXPLICITLY_DENIED for m in e.matched
                   if m.effect == "Deny")
    if denies:
        return Evaluation(Decision.EXPLICITLY_DENIED, denies, "an identity policy denies kms:RetireGrant")
    caller = req.caller
    if grant.retiring_principal is not None and grantee_matches(grant.retiring_principal, caller) \
            and not (_is_account(grant.retiring_principal) and grant.retiring_principal != caller
                     and not any(e.allowed for e in evals)):
        return Evaluation(Decision.ALLOWED, (_grant_match(grant, "retiring principal"),),
                          "the caller is the grant's retiring principal")
    if "RetireGrant" in grant.operations and grantee_matches(grant.grantee, caller):
        return Evaluation(Decision.ALLOWED, (_grant_match(grant, "grantee with RetireGrant"),),
                          "the caller is the grantee and the grant includes RetireGrant")
    issuing = principal_account(grant.issuing_account) if grant.issuing_account else None
    if _is_account(caller) and principal_account(caller) == issuing:
        return Evaluation(Decision.ALLOWED, (_grant_match(grant, "issuing account"),),
                          "the account that created the grant may retire it")
    allow = tuple(m for e in evals if e.allowed for m in e.matched)
    if allow and principal_account(caller) in (req.key.account, issuing):
        return Evaluation(Decision.ALLOWED, allow, "the key's account delegated kms:RetireGrant in an identity policy")
    return Evaluation(Decision.IMPLICITLY_DENIED, (), "the caller may not retire this grant")
