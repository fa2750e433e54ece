"""Matching of actions, resources and principals ("IAM JSON policy elements: Action", "...:
Resource", "AWS JSON policy elements: Principal", IAM User Guide).

Wildcards are IAM's, not fnmatch's: ``*`` matches any run of characters (also none), ``?`` exactly
one character, and every other character, ``[`` and ``]`` included, matches itself. Patterns are
compiled once and cached.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from kms_conformance.policy.model import PrincipalBlock

_ACCOUNT_RE = re.compile(r"\d{12}")


def has_wildcard(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


@lru_cache(maxsize=65536)
def compile_wildcard(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """The regular expression equivalent to an IAM wildcard pattern (anchored with fullmatch)."""
    parts = []
    for ch in pattern:
        if ch == "*":
            parts.append(".*")
        elif ch == "?":
            parts.append(".")
        else:
            parts.append(re.escape(ch))
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile("".join(parts), flags)


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """True when ``value`` matches ``pattern`` with IAM's ``*``/``?`` wildcards.

    >>> wildcard_match("kms:ReEncrypt*", "kms:ReEncryptFrom")
    True
    >>> wildcard_match("a[b]", "a[b]"), wildcard_match("a[b]", "ab")
    (True, False)
    """
    if not has_wildcard(pattern):
        return pattern.lower() == value.lower() if ignore_case else pattern == value
    return compile_wildcard(pattern, ignore_case).fullmatch(value) is not None


def string_set_matcher(patterns: Iterable[str], *, ignore_case: bool) -> Callable[[str], bool]:
    """A predicate: does a value match any of ``patterns``? Exact patterns go to a set lookup,
    wildcard ones to one combined regular expression."""
    exact: set[str] = set()
    wild: list[str] = []
    for p in patterns:
        if p == "*":
            return lambda _v: True
        if has_wildcard(p):
            wild.append(p)
        else:
            exact.add(p.lower() if ignore_case else p)
    regex = None
    if wild:
        flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
        regex = re.compile("|".join(f"(?:{compile_wildcard(p).pattern})" for p in wild), flags)
    frozen = frozenset(exact)
    if regex is None:
        if ignore_case:
            return lambda v: v.lower() in frozen
        return frozen.__contains__
    fullmatch = regex.fullmatch
    if ignore_case:
        return lambda v: v.lower() in frozen or fullmatch(v) is not None
    return lambda v: v in frozen or fullmatch(v) is not None


# --- principals ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PrincipalInfo:
    """What an authorization request's principal string says about the caller.

    ``kind`` is the value of ``aws:PrincipalType`` ("Account", "User", "AssumedRole",
    "FederatedUser", "Role" for a bare role ARN, "Service", "Unknown"); ``arn`` the value of
    ``aws:PrincipalArn`` (for an assumed-role session, the role's ARN, as "AWS global condition
    context keys: aws:PrincipalArn" documents; the session ARN carries no role path, so the derived
    role ARN has none); ``role_name`` the role of a session or role.
    """

    kind: str
    partition: str | None
    account: str | None
    arn: str | None
    name: str | None = None
    role_name: str | None = None


@lru_cache(maxsize=65536)
def principal_info(principal: str) -> PrincipalInfo:
    """Classify a principal string: an IAM/STS ARN, a bare 12-digit account id, or a service
    principal (``logs.us-west-2.amazonaws.com``)."""
    if _ACCOUNT_RE.fullmatch(principal):
        return PrincipalInfo("Account", None, principal, f"arn:aws:iam::{principal}:root")
    if principal.startswith("arn:"):
        parts = principal.split(":", 5)
        if len(parts) == 6:
            _, partition, service, _region, account, res = parts
            if service == "iam":
                if res == "root":
                    return PrincipalInfo("Account", partition, account, principal)
                if res.startswith("user/"):
                    return PrincipalInfo("User", partition, account, principal, name=res.rsplit("/", 1)[1])
                if res.startswith("role/"):
                    name = res.rsplit("/", 1)[1]
                    return PrincipalInfo("Role", partition, account, principal, name=name, role_name=name)
            if service == "sts":
                if res.startswith("assumed-role/"):
                    bits = res.split("/")
                    if len(bits) >= 3:
                        role_arn = f"arn:{partition}:iam::{account}:role/{bits[1]}"
                        return PrincipalInfo("AssumedRole", partition, account, role_arn,
                                             name=bits[-1], role_name=bits[1])
                if res.startswith("federated-user/"):
                    return PrincipalInfo("FederatedUser", partition, account, principal,
                                         name=res.split("/", 1)[1])
            return PrincipalInfo("Unknown", partition, account or None, principal)
    if "." in principal and ":" not in principal and "/" not in principal:
        return PrincipalInfo("Service", None, None, None, name=principal)
    return PrincipalInfo("Unknown", None, None, None)


def _aws_value_matches(value: str, principal: str, who: PrincipalInfo) -> bool:
    """One ``"AWS"`` value against the caller. A bare account id or ``arn:P:iam::A:root`` stands
    for the account: it matches every IAM principal of account A (users, roles, sessions,
    service-linked role sessions), never a service principal. A role ARN matches the role and
    its sessions (``arn:P:sts::A:assumed-role/NAME/SESSION``); anything else matches itself."""
    if value == principal:
        return True
    if who.kind == "Service":
        return False
    if _ACCOUNT_RE.fullmatch(value):
        return who.account == value
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return False
    _, partition, service, _region, account, res = parts
    if service != "iam" or partition != who.partition or account != who.account:
        return False
    if res == "root":
        return True
    if res.startswith("role/") and who.kind in ("AssumedRole", "Role"):
        return res.rsplit("/", 1)[1] == who.role_name  # role names are unique in an account, paths aside
    return False


def principal_matches(principal_block: PrincipalBlock, principal: str) -> bool:
    """Does the ``Principal`` element name this caller? ("AWS JSON policy elements: Principal").

    ``"*"`` and ``{"AWS": "*"}`` match everyone, service principals included. ``{"Service": S}``,
    ``{"Federated": F}`` and ``{"CanonicalUser": C}`` match those principals exactly.

    Partial wildcards: the Principal page says a wildcard cannot match part of a principal name
    or ARN (only the full ``"*"`` is a wildcard there). AWS rejects such a policy when it is
    saved; this parser accepts it and, in keeping with that rule, compares such a value
    literally: ``arn:aws:iam::111122223333:role/*`` matches only a principal whose ARN is exactly
    that string, i.e. nothing real.
    """
    if principal_block.everyone:
        return True
    who = principal_info(principal)
    if who.kind == "Service":
        return principal in principal_block.service or principal in principal_block.federated
    for value in principal_block.aws:
        if value == "*" or _aws_value_matches(value, principal, who):
            return True
    return principal in principal_block.federated or principal in principal_block.canonical_user


def not_principal_excludes(block: PrincipalBlock, principal: str) -> bool:
    """Is the caller exempt from a ``NotPrincipal`` statement? ("AWS JSON policy elements:
    NotPrincipal"). AWS checks the caller at every level it belongs to, the account first, then
    the user or role, then the role session, and the statement applies if any level is not
    listed: so an IAM principal is exempt only when the element names its account (``A`` or
    ``arn:aws:iam::A:root``) and names the principal (the account, its user or role ARN, or
    the session ARN). Listing only a role ARN leaves its sessions (and the whole account) under
    the Deny, which is the trap the page warns about. A service principal is exempt when named."""
    if block.everyone:
        return True
    if not principal_matches(block, principal):
        return False
    who = principal_info(principal)
    if who.account is None or who.kind in ("Service", "Account"):
        return True
    return principal_matches(block, f"arn:{who.partition or 'aws'}:iam::{who.account}:root")


def principal_account(principal: str) -> str | None:
    """The account of an IAM principal; None for a service principal or an unknown form."""
    return principal_info(principal).account
