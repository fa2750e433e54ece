"""Strategies of the KMS behaviour scenarios (``kms_conformance.specs.kms``): key policy statements,
identity policies, grants and the call a role then makes, as templates with ``<<ROLE>>``,
``<<OTHER>>``, ``<<ACCOUNT>>``, ``<<REGION>>`` and ``<<KEY_ARN>>`` placeholders that
``kms_conformance.scenarios.steps.fill`` completes once the scenario has created the roles and the key.

Fairness: every condition these strategies write uses a key whose value the *request* decides
(``kms:CallerAccount``, ``kms:ViaService``, ``kms:EncryptionContext:*``, ``aws:PrincipalArn``,
``kms:GrantIsForAWSResource``...), never one that depends on the network or the clock
(``aws:SourceIp``, ``aws:CurrentTime``), so the reference model and a real account see the same
request. Deny statements only ever name the role under test, and every key policy keeps an
account statement that lets the kit's administrator manage the key (the policy lockout safety
check of CreateKey, "Key policies in AWS KMS").
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from kms_conformance.kms.grants import OPERATIONS_BY_KEY_USAGE

#: The calls a scenario makes as the role on a symmetric encryption key, and the request
#: parameters they need beyond KeyId (``kms_conformance.specs.kms.use_key`` builds them).
CALLS: tuple[str, ...] = (
    "Encrypt", "Decrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "DescribeKey",
)
#: Calls that need no ciphertext prepared by the administrator.
DIRECT_CALLS: tuple[str, ...] = ("Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "DescribeKey")
#: Calls that take an encryption context.
CONTEXT_CALLS: tuple[str, ...] = ("Encrypt", "Decrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext")

#: The key administrator actions of "Default key policy" ("Allows key administrators to administer
#: the KMS key"): everything but the cryptographic operations. An account statement with only
#: these keeps the key manageable but delegates no cryptographic use to IAM policies.
KEY_ADMIN_ACTIONS: tuple[str, ...] = (
    "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*", "kms:Revoke*",
    "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource",
    "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
)

#: Action values a generated statement may carry for the calls above: exact names, the
#: documents' wildcards and a few that match nothing of interest.
_ACTIONS: tuple[str, ...] = (
    "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext",
    "kms:DescribeKey", "kms:CreateGrant", "kms:*", "kms:GenerateDataKey*", "kms:Encrypt*", "kms:Decrypt*",
    "kms:Describe*", "kms:?ecrypt", "kms:ReEncrypt*", "kms:Sign", "KMS:encrypt",
)

#: A small encryption context vocabulary, so that a request's context and a condition or grant
#: constraint often coincide.
_EC_KEYS = ("purpose", "team")
_EC_VALUES = ("test", "prod", "Test")
SERVICES: tuple[str, ...] = ("forecast", "sagemaker", "aoss", "airflow", "logs")


def encryption_contexts(min_size: int = 0) -> SearchStrategy[dict[str, str]]:
    """A small encryption context, e.g. ``{"purpose": "test"}`` (values are case-sensitive)."""
    return st.dictionaries(st.sampled_from(_EC_KEYS), st.sampled_from(_EC_VALUES), min_size=min_size, max_size=2)


def account_statement(actions: str) -> dict[str, Any]:
    """The account's statement: ``"all"`` is the default key policy's ``kms:*`` (delegating every
    action to IAM policies); ``"admin"`` only the key administrator actions."""
    return {
        "Sid": "Account", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::<<ACCOUNT>>:root"},
        "Action": "kms:*" if actions == "all" else list(KEY_ADMIN_ACTIONS), "Resource": "*",
    }


@functools.cache
def _condition() -> SearchStrategy[dict[str, Any]]:
    """One condition block with request-determined keys only (built once: a statement draws it, and
    Hypothesis validates every strategy object it has not seen before)."""
    ec_key = st.sampled_from(_EC_KEYS)
    ec_value = st.sampled_from(_EC_VALUES)
    return st.one_of(
        st.sampled_from(("<<ACCOUNT>>", "000000000000")).map(
            lambda a: {"StringEquals": {"kms:CallerAccount": a}}),
        st.builds(lambda s, op: {op: {"kms:ViaService": f"{s}.<<REGION>>.amazonaws.com"}},
                  st.sampled_from(SERVICES), st.sampled_from(("StringEquals", "StringNotEquals"))),
        st.builds(lambda k, v, op: {op: {f"kms:EncryptionContext:{k}": v}}, ec_key, ec_value,
                  st.sampled_from(("StringEquals", "StringEqualsIgnoreCase", "StringNotEquals", "StringLike"))),
        st.builds(lambda k, op: {op: {"kms:EncryptionContextKeys": [k]}}, ec_key,
                  st.sampled_from(("ForAnyValue:StringEquals", "ForAllValues:StringEquals"))),
        st.builds(lambda k, v: {"Null": {f"kms:EncryptionContext:{k}": v}}, ec_key, st.sampled_from(("true", "false"))),
        st.sampled_from(("<<ROLE>>", "<<OTHER>>", "arn:aws:iam::<<ACCOUNT>>:role/*")).map(
            lambda p: {"ArnLike": {"aws:PrincipalArn": p}}),
        st.sampled_from(("true", "false")).map(lambda b: {"Bool": {"kms:GrantIsForAWSResource": b}}),
    )


@functools.cache
def _statement_parts() -> dict[str, SearchStrategy[Any]]:
    """The strategies a statement draws from, built once (see :func:`_condition`)."""
    return {
        "effect": st.sampled_from(("Allow", "Allow", "Deny")),
        "who": st.sampled_from(({"AWS": "<<ROLE>>"}, {"AWS": "<<OTHER>>"}, "*", {"AWS": "*"},
                                {"AWS": ["<<OTHER>>", "<<ROLE>>"]})),
        "actions": st.lists(st.sampled_from(_ACTIONS), min_size=1, max_size=3, unique=True),
        "resource": st.sampled_from(("*", "<<KEY_ARN>>", "arn:aws:kms:<<REGION>>:<<ACCOUNT>>:key/*",
                                     "arn:aws:kms:<<REGION>>:<<ACCOUNT>>:key/00000000-0000-0000-0000-000000000000")),
    }


@st.composite
def _statement(draw: st.DrawFn, principal: bool) -> dict[str, Any]:
    parts = _statement_parts()
    effect = draw(parts["effect"])
    stmt: dict[str, Any] = {"Effect": effect}
    if principal:
        if effect == "Deny":
            who: Any = {"AWS": "<<ROLE>>"}
        else:
            who = copy.deepcopy(draw(parts["who"]))  # a statement of its own, as when the tuple was built per draw
        stmt["Principal"] = who
    actions = draw(parts["actions"])
    stmt["Action"] = actions[0] if len(actions) == 1 and draw(st.booleans()) else actions
    stmt["Resource"] = "*" if principal else draw(parts["resource"])
    if draw(st.booleans()):
        stmt["Condition"] = draw(_condition())
    return stmt


@st.composite
def key_policy_cases(draw: st.DrawFn) -> dict[str, Any]:
    """KMS-03: a key policy (the account statement plus 1-3 generated statements about the role),
    maybe an identity policy of the role, and one call the role makes with an encryption context.

    Example: ``{"account": "admin", "statements": [{"Effect": "Allow", "Principal": {"AWS":
    "<<ROLE>>"}, "Action": ["kms:Encrypt"], "Resource": "*", "Condition": {"StringEquals":
    {"kms:CallerAccount": "<<ACCOUNT>>"}}}], "identity": None, "call": "Encrypt", "context": {}}``.
    """
    call = draw(st.sampled_from(CALLS))
    account = "all" if call == "Decrypt" else draw(st.sampled_from(("all", "admin")))
    identity = draw(st.one_of(st.none(), st.lists(_statement(principal=False), min_size=1, max_size=2).map(
        lambda s: {"Version": "2012-10-17", "Statement": s})))
    return {
        "account": account,
        "statements": draw(st.lists(_statement(principal=True), min_size=1, max_size=3)),
        "identity": identity,
        "call": call,
        "context": draw(encryption_contexts()) if call in CONTEXT_CALLS else {},
    }


@st.composite
def delegation_cases(draw: st.DrawFn) -> dict[str, Any]:
    """KMS-04: whether the key policy delegates the call to IAM (``account``: ``all`` or
    ``admin``), an identity policy of the role that allows (or not) the call, and the call.

    Example: ``{"account": "admin", "allow": ["kms:Encrypt"], "resource": "<<KEY_ARN>>",
    "call": "Encrypt"}``.
    """
    call = draw(st.sampled_from(DIRECT_CALLS))
    allow = draw(st.lists(st.sampled_from(("kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey", "kms:*",
                                           "kms:Decrypt")), min_size=1, max_size=3, unique=True))
    return {
        "account": draw(st.sampled_from(("all", "admin"))),
        "allow": allow,
        "resource": draw(st.sampled_from(("*", "<<KEY_ARN>>"))),
        "call": call,
    }


@st.composite
def grant_cases(draw: st.DrawFn, calls: tuple[str, ...] = CALLS) -> dict[str, Any]:
    """KMS-05: a grant for the role (operations of a symmetric encryption key, sometimes an
    encryption context constraint) and one call the role makes, with a context that sometimes
    meets the constraint. Example: ``{"operations": ["Decrypt", "GenerateDataKey"],
    "constraints": {"EncryptionContextSubset": {"purpose": "test"}}, "call": "GenerateDataKey",
    "context": {"purpose": "test", "team": "prod"}}``."""
    ops = draw(st.lists(st.sampled_from(OPERATIONS_BY_KEY_USAGE["ENCRYPT_DECRYPT"]), min_size=1, max_size=5,
                        unique=True))
    call = draw(st.sampled_from(calls))
    constraints = None
    if draw(st.booleans()):
        kind = draw(st.sampled_from(("EncryptionContextEquals", "EncryptionContextSubset")))
        constraints = {kind: draw(encryption_contexts(min_size=1))}
    context: dict[str, str] = {}
    if call in CONTEXT_CALLS:
        base = dict(next(iter(constraints.values()))) if constraints and draw(st.booleans()) else {}
        context = {**draw(encryption_contexts()), **base}
    return {"operations": ops, "constraints": constraints, "call": call, "context": context}


@st.composite
def revoke_cases(draw: st.DrawFn) -> dict[str, Any]:
    """KMS-07/KMS-09: a grant for the role and a call it allows. Example: ``{"operations":
    ["Encrypt", "RetireGrant"], "call": "Encrypt"}``."""
    call = draw(st.sampled_from(DIRECT_CALLS))
    others = draw(st.lists(st.sampled_from(OPERATIONS_BY_KEY_USAGE["ENCRYPT_DECRYPT"]), max_size=3, unique=True))
    return {"operations": sorted({call, *others}), "call": call}


@st.composite
def retire_cases(draw: st.DrawFn) -> dict[str, Any]:
    """KMS-09: a grant (its operations, maybe a retiring principal) and who tries to retire it:
    ``grantee``, ``retirer`` (another role), ``other`` (a role the grant does not name) or ``account``
    (the target's administrator: a principal of the account that created the grant).
    Example: ``{"operations": ["Encrypt"], "retiring": "retirer", "by": "retirer", "call": "Encrypt"}``."""
    case = draw(revoke_cases())
    case["retiring"] = draw(st.sampled_from((None, "retirer", "grantee")))
    case["by"] = draw(st.sampled_from(("grantee", "retirer", "other", "account")))
    return case


def grant_lists() -> SearchStrategy[list[list[str]]]:
    """KMS-10: the operations of 1-3 grants on one key, e.g. ``[["Decrypt"], ["Encrypt", "DescribeKey"]]``."""
    ops = st.lists(st.sampled_from(OPERATIONS_BY_KEY_USAGE["ENCRYPT_DECRYPT"]), min_size=1, max_size=4, unique=True)
    return st.lists(ops, min_size=1, max_size=3)


@st.composite
def via_service_cases(draw: st.DrawFn) -> dict[str, Any]:
    """KMS-11: a statement allowing the role some actions only through a service
    (``StringEquals`` with the Region, or ``StringLike`` with ``*`` as page 001 writes it), and a
    direct call. Example: ``{"service": "sagemaker", "like": True, "actions": ["kms:Encrypt"],
    "call": "Encrypt"}``."""
    call = draw(st.sampled_from(DIRECT_CALLS))
    extra = draw(st.lists(st.sampled_from(("kms:Decrypt", "kms:CreateGrant", "kms:DescribeKey", "kms:Encrypt",
                                           "kms:GenerateDataKey*")), max_size=3, unique=True))
    actions = sorted({f"kms:{call}", *extra})
    return {"service": draw(st.sampled_from(SERVICES)), "like": draw(st.booleans()), "actions": actions,
            "call": call}


@st.composite
def grant_for_aws_resource_cases(draw: st.DrawFn) -> dict[str, Any]:
    """KMS-13: the grant a role creates directly (operations, grantee: itself or another role)
    under a key policy statement that allows CreateGrant only with
    ``kms:GrantIsForAWSResource`` true. Example: ``{"operations": ["Decrypt"], "grantee": "other"}``."""
    ops = draw(st.lists(st.sampled_from(("Decrypt", "Encrypt", "GenerateDataKey", "DescribeKey")), min_size=1,
                        max_size=3, unique=True))
    return {"operations": ops, "grantee": draw(st.sampled_from(("self", "other")))}


@st.composite
def encryption_context_cases(draw: st.DrawFn) -> dict[str, Any]:
    """KMS-14: a statement allowing the role cryptographic use only with an encryption context
    pair (the operator as page 003's CloudWatch Logs statement uses it, ``ArnLike``, or
    ``StringEquals``/``StringLike``), and the context of the role's call.
    Example: ``{"operator": "ArnLike", "key": "aws:logs:arn", "pattern":
    "arn:aws:logs:<<REGION>>:*:*", "context": {"aws:logs:arn":
    "arn:aws:logs:<<REGION>>:<<ACCOUNT>>:log-group:airflow-x"}, "call": "Encrypt"}``."""
    call = draw(st.sampled_from(("Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext")))
    log_arn = st.sampled_from((
        "arn:aws:logs:<<REGION>>:<<ACCOUNT>>:log-group:airflow-env-Task",
        "arn:aws:logs:eu-west-3:<<ACCOUNT>>:log-group:airflow-env-Task",
        "arn:aws:logs:<<REGION>>:<<ACCOUNT>>:log-group:other",
    ))
    kind = draw(st.sampled_from(("ArnLike", "StringEquals", "StringLike")))
    if kind == "ArnLike":
        key, pattern = "aws:logs:arn", "arn:aws:logs:<<REGION>>:*:*"
        value = draw(st.one_of(log_arn, st.just("not-an-arn")))
    else:
        key = draw(st.sampled_from(_EC_KEYS))
        pattern = draw(st.sampled_from((*_EC_VALUES, "te*", "?rod")))
        value = draw(st.sampled_from(_EC_VALUES))
    context = {key: value} if draw(st.integers(0, 3)) else {}
    context.update(draw(encryption_contexts()) if draw(st.booleans()) else {})
    return {"operator": kind, "key": key, "pattern": pattern, "context": context, "call": call}


def key_types() -> SearchStrategy[tuple[str, str]]:
    """KMS-15/KMS-06: (KeySpec, KeyUsage) pairs CreateKey accepts, half of them symmetric
    encryption keys; the others signing, MAC keys. Asymmetric *encryption* keys (RSA with
    ENCRYPT_DECRYPT) are left out: which error AWS returns for GenerateDataKey or a data key grant
    on them is not documented precisely enough to be a fair fact. Example: ``("HMAC_256",
    "GENERATE_VERIFY_MAC")``."""
    return st.one_of(
        st.just(("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")),
        st.sampled_from((("RSA_2048", "SIGN_VERIFY"), ("ECC_NIST_P256", "SIGN_VERIFY"),
                         ("HMAC_256", "GENERATE_VERIFY_MAC"))),
    )


@st.composite
def grant_type_cases(draw: st.DrawFn) -> dict[str, Any]:
    """KMS-06: a key type and grant operations drawn from every grant operation (so sometimes
    one the key type does not support). Example: ``{"key": ["HMAC_256", "GENERATE_VERIFY_MAC"],
    "operations": ["GenerateMac", "Decrypt"]}``."""
    spec, usage = draw(key_types())
    pool = tuple(sorted({op for ops in OPERATIONS_BY_KEY_USAGE.values() for op in ops}))
    valid = OPERATIONS_BY_KEY_USAGE[usage]
    ops = draw(st.one_of(st.lists(st.sampled_from(valid), min_size=1, max_size=3, unique=True),
                         st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True)))
    return {"key": [spec, usage], "operations": ops}


@st.composite
def key_state_cases(draw: st.DrawFn) -> dict[str, Any]:
    """KMS-16: the cryptographic call made on the disabled key, and whether it is re-enabled.
    Example: ``{"call": "GenerateDataKey"}``."""
    return {"call": draw(st.sampled_from(("Encrypt", "Decrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext")))}


@st.composite
def policy_documents(draw: st.DrawFn) -> dict[str, Any]:
    """KMS-01/KMS-02: a key policy template the administrator can set (the account statement
    plus generated statements about the role). Example: ``{"Version": "2012-10-17", "Statement":
    [{"Sid": "Account", ...}, {"Effect": "Allow", "Principal": {"AWS": "<<ROLE>>"}, ...}]}``."""
    stmts = draw(st.lists(_statement(principal=True), min_size=0, max_size=3))
    return {"Version": "2012-10-17", "Statement": [account_statement(draw(st.sampled_from(("all", "admin")))),
                                                   *stmts]}


@st.composite
def revoke_permission_cases(draw: st.DrawFn) -> dict[str, Any]:
    """KMS-18: whether the key policy allows the role ``kms:RevokeGrant`` (directly, through a
    wildcard, or not at all), and the grant to revoke. Example: ``{"allow": "kms:Revoke*",
    "operations": ["Decrypt"]}``."""
    allow = draw(st.sampled_from(("kms:RevokeGrant", "kms:Revoke*", "kms:*", "kms:ListGrants", "kms:RetireGrant",
                                  None)))
    ops = draw(st.lists(st.sampled_from(("Decrypt", "Encrypt", "DescribeKey")), min_size=1, max_size=3, unique=True))
    return {"allow": allow, "operations": ops}


#: The encryption contexts a grant program's calls carry: none, exactly the constraint's pair, or
#: the pair and one more (which meets EncryptionContextSubset but not EncryptionContextEquals).
PROGRAM_CONTEXTS: dict[str, dict[str, str]] = {
    "none": {}, "exact": {"purpose": "test"}, "more": {"purpose": "test", "team": "prod"},
}
#: The pairs of a grant program's constraints (``EncryptionContextSubset`` or ``...Equals``).
PROGRAM_CONSTRAINT: dict[str, str] = {"purpose": "test"}
#: The grant operations a grant program draws from, and the calls its roles make.
PROGRAM_OPERATIONS: tuple[str, ...] = ("Encrypt", "Decrypt", "GenerateDataKey", "RetireGrant")
PROGRAM_CALLS: tuple[str, ...] = ("Encrypt", "Decrypt", "GenerateDataKey")


def program_steps() -> SearchStrategy[dict[str, Any]]:
    """One step of a grant program (KMS-19). ``grant: j`` names the grant made by the program's
    j-th CreateGrant step (a step naming one not made yet is skipped); ``role``/``grantee`` is 0
    or 1; a grant's retiring principal, when ``retiring``, is the *other* role; RetireGrant is made
    ``by`` that retiring role, the grantee, or a stranger (a role no grant names).

    Examples: ``{"step": "CreateGrant", "grantee": 0, "operations": ["Encrypt"], "constraint":
    "EncryptionContextSubset", "retiring": False}``, ``{"step": "Encrypt", "role": 0, "context":
    "exact"}``, ``{"step": "RetireGrant", "grant": 0, "by": "stranger"}``, ``{"step": "RevokeGrant",
    "grant": 0}``, ``{"step": "ListGrants"}``."""
    role = st.integers(0, 1)
    grant = st.integers(0, 3)
    return st.one_of(
        st.fixed_dictionaries({"step": st.sampled_from(PROGRAM_CALLS), "role": role,
                               "context": st.sampled_from(tuple(PROGRAM_CONTEXTS))}),
        st.fixed_dictionaries({
            "step": st.just("CreateGrant"), "grantee": role,
            "operations": st.lists(st.sampled_from(PROGRAM_OPERATIONS), min_size=1, max_size=3, unique=True),
            "constraint": st.sampled_from((None, "EncryptionContextSubset", "EncryptionContextEquals")),
            "retiring": st.booleans()}),
        st.fixed_dictionaries({"step": st.just("RetireGrant"), "grant": grant,
                               "by": st.sampled_from(("retiring", "grantee", "stranger"))}),
        st.fixed_dictionaries({"step": st.just("RevokeGrant"), "grant": grant}),
        st.just({"step": "ListGrants"}),
    )


def grant_programs() -> SearchStrategy[list[dict[str, Any]]]:
    """KMS-19: a program of 1-12 :func:`program_steps` on one key, run in order as written;
    Hypothesis shrinks a failing program to the fewest, simplest steps. Example: ``[{"step":
    "CreateGrant", "grantee": 0, "operations": ["Encrypt"], "constraint": None, "retiring": True},
    {"step": "RetireGrant", "grant": 0, "by": "retiring"}, {"step": "Encrypt", "role": 0, "context":
    "none"}]``."""
    return st.lists(program_steps(), min_size=1, max_size=12)


__all__ = [
    "CALLS", "CONTEXT_CALLS", "DIRECT_CALLS", "KEY_ADMIN_ACTIONS", "PROGRAM_CALLS", "PROGRAM_CONSTRAINT",
    "PROGRAM_CONTEXTS", "PROGRAM_OPERATIONS", "SERVICES", "account_statement", "delegation_cases",
    "encryption_context_cases", "encryption_contexts", "grant_cases", "grant_for_aws_resource_cases", "grant_lists",
    "grant_programs", "grant_type_cases", "key_policy_cases", "key_state_cases", "key_types", "policy_documents",
    "program_steps", "retire_cases", "revoke_cases", "revoke_permission_cases", "via_service_cases",
]
