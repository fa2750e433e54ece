"""Authorization requests: :func:`make_request` builds a :class:`Request` and derives the global
context keys AWS sets from the calling principal ("AWS global condition context keys", IAM User
Guide): ``aws:PrincipalArn`` (for an assumed-role session, the ARN of the role), ``aws:PrincipalAccount``,
``aws:PrincipalType``, ``aws:userid`` / ``aws:username`` where the principal string says them,
and for a service principal ``aws:PrincipalServiceName`` and ``aws:PrincipalIsAWSService``.
Keys the caller passes win over derived ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

from kms_conformance.policy.match import CACHE_SIZE, principal_info
from kms_conformance.policy.model import Request

ContextValue = str | bool | int | float | Sequence[str]


def _as_strings(value: ContextValue) -> tuple[str, ...]:
    kind = type(value)
    if kind is str:  # the common forms first
        return (value,)  # type: ignore[return-value]
    if kind is tuple and all(type(v) is str for v in value):  # type: ignore[union-attr]
        return value  # type: ignore[return-value]
    if isinstance(value, bool):
        return ("true" if value else "false",)
    if isinstance(value, str):
        return (value,)
    if isinstance(value, int | float):
        return (str(value),)
    return tuple("true" if v is True else "false" if v is False else str(v) for v in value)


def context_values(value: ContextValue) -> tuple[str, ...]:
    """A context value as a request holds it: a tuple of strings (booleans and numbers become
    their string forms; a string becomes a tuple of one)."""
    return _as_strings(value)


def derived_context(principal: str) -> dict[str, tuple[str, ...]]:
    """The context keys AWS derives from the principal (case-folded names)."""
    return dict(derived_view(principal))


@lru_cache(maxsize=CACHE_SIZE)
def derived_view(principal: str) -> Mapping[str, tuple[str, ...]]:
    """:func:`derived_context` without the copy, computed once per principal: the mapping shared
    by every request of the principal, to be read, never changed. Its names all begin with ``aws:``."""
    who = principal_info(principal)
    out: dict[str, tuple[str, ...]] = {}
    if who.kind == "Service":
        out["aws:principalservicename"] = (principal,)
        out["aws:principalisawsservice"] = ("true",)
        return out
    out["aws:principalisawsservice"] = ("false",)
    if who.arn is not None:
        out["aws:principalarn"] = (who.arn,)
    if who.account is not None:
        out["aws:principalaccount"] = (who.account,)
    if who.kind != "Unknown":
        # A role acts only through its sessions: a bare role ARN as caller stands for a session.
        out["aws:principaltype"] = ("AssumedRole" if who.kind == "Role" else who.kind,)
    if who.kind == "Account" and who.account is not None:
        out["aws:userid"] = (who.account,)
    elif who.kind == "User" and who.name is not None:
        out["aws:username"] = (who.name,)
    elif who.kind == "FederatedUser" and who.account is not None and who.name is not None:
        out["aws:userid"] = (f"{who.account}:{who.name}",)
    return out


def make_request(
    action: str,
    resource: str,
    principal: str,
    context: Mapping[str, ContextValue] | None = None,
    *,
    resource_account: str | None = None,
) -> Request:
    """A request for ``action`` on ``resource`` by ``principal``, with ``context`` (key -> a
    string or a list of strings; booleans and numbers become their string forms). Key names are
    case-insensitive. An empty list means the key is present with no values (``ForAllValues``
    then holds, ``ForAnyValue`` does not, ``Null: true`` holds).

    >>> r = make_request("kms:Decrypt", "*", "arn:aws:sts::111122223333:assumed-role/R/s")
    >>> r.get("aws:PrincipalArn")
    ('arn:aws:iam::111122223333:role/R',)
    """
    ctx = dict(derived_view(principal))
    if context:
        for key, value in context.items():
            ctx[key.lower()] = (value,) if type(value) is str else _as_strings(value)
    return Request(action, resource, principal, ctx, resource_account)
