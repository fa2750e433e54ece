"""Matching of actions, resources and principals ("IAM JSON policy elements: Action", "...:
Resource", "AWS JSON policy elements: Principal", IAM User Guide).

Wildcards are IAM's, not fnmatch's: ``*`` matches any run of characters (also none), ``?`` exactly
one character, and every other character, ``[`` and ``]`` included, matches itself.

Matching never backtracks: a pattern is split at its ``*`` into segments; the first segment must
start the value, the last must end it, and each middle one is taken at its leftmost place after the
one before (taking it further right can only leave less room for the rest, so the leftmost place
is never wrong). A segment without ``?`` is found with ``str.find``; one with ``?`` with a regular
expression that has no quantifier at all (``?`` is ``.``). The cost is at most the pattern's
length times the value's, never exponential, whatever the number of ``*`` (a regular expression
``.*a.*a.*b`` would backtrack catastrophically on a long value that almost matches). Compiled
matchers are cached.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from kms_conformance.policy.model import PrincipalBlock, builder

_ACCOUNT_RE = re.compile(r"\d{12}")

#: Entries kept by each memo cache of the policy language (compiled patterns, classified
#: principals, compiled condition entries, matchers): bounded, so that a long batch of distinct
#: policies runs in flat memory.
CACHE_SIZE = 4096

#: One character of a pattern: the character itself (matched literally), ``None`` for a ``?``
#: wildcard (any one character), :data:`STAR` for a ``*`` wildcard (any run of characters).
Token = str | None
STAR = "\x00STAR"  # longer than one character, so never a literal token


def has_wildcard(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


def pattern_tokens(pattern: str) -> list[Token]:
    """The tokens of a pattern whose ``*`` and ``?`` are all wildcards."""
    return [STAR if ch == "*" else None if ch == "?" else ch for ch in pattern]


def literal_tokens(text: str) -> list[Token]:
    """The tokens of text matched literally (a substituted policy variable, ``${*}``)."""
    return list(text)


class _Segment:
    """A run of tokens without ``*``: literal characters and ``?``."""

    __slots__ = ("length", "regex", "text")

    def __init__(self, tokens: Sequence[Token]) -> None:
        self.length = len(tokens)
        if None in tokens:
            self.text: str | None = None
            # No quantifier: matching or searching it cannot backtrack.
            self.regex: re.Pattern[str] | None = re.compile(
                "".join("." if t is None else re.escape(t) for t in tokens), re.DOTALL)
        else:
            self.text = "".join(t for t in tokens if t is not None)
            self.regex = None

    @classmethod
    def literal(cls, text: str) -> _Segment:
        """The segment of text without ``?`` (what the tokens of ``text`` would give, built directly)."""
        seg = cls.__new__(cls)
        seg.length, seg.text, seg.regex = len(text), text, None
        return seg

    def at(self, value: str, pos: int) -> bool:
        """Does the segment match ``value`` starting at ``pos``?"""
        if self.regex is None:
            assert self.text is not None
            return value.startswith(self.text, pos)
        return self.regex.match(value, pos) is not None

    def find(self, value: str, start: int, end: int) -> int:
        """The leftmost place in ``value[start:end]`` where the whole segment matches; -1 if none."""
        if self.regex is None:
            assert self.text is not None
            return value.find(self.text, start, end)
        m = self.regex.search(value, start, end)
        return -1 if m is None else m.start()


def _segments(tokens: Sequence[Token]) -> tuple[list[_Segment], bool]:
    runs: list[list[Token]] = [[]]
    for t in tokens:
        if t == STAR:
            runs.append([])
        else:
            runs[-1].append(t)
    return [_Segment(r) for r in runs], len(runs) > 1


def glob_from_tokens(tokens: Sequence[Token]) -> Callable[[str], bool]:
    """A predicate: does a whole value match these tokens? (see the module docstring)."""
    return _glob(*_segments(tokens))


def _glob(segments: list[_Segment], starred: bool) -> Callable[[str], bool]:
    if not starred:
        only = segments[0]
        if only.text is not None:
            return only.text.__eq__
        length = only.length
        return lambda v: len(v) == length and only.at(v, 0)
    head, tail = segments[0], segments[-1]
    middle = [s for s in segments[1:-1] if s.length]
    if not middle and head.text is not None and tail.text is not None:
        h, t = head.text, tail.text
        if not t:
            return lambda v: v.startswith(h)  # "prefix*", the common shape
        need = len(h) + len(t)
        return lambda v: len(v) >= need and v.startswith(h) and v.endswith(t)

    def match(value: str) -> bool:
        lo = head.length
        hi = len(value) - tail.length
        if hi < lo or not head.at(value, 0) or not tail.at(value, hi):
            return False
        pos = lo
        for seg in middle:
            found = seg.find(value, pos, hi)
            if found < 0:
                return False
            pos = found + seg.length
        return True

    return match


@lru_cache(maxsize=CACHE_SIZE)
def compile_glob(pattern: str) -> Callable[[str], bool]:
    """The case-sensitive matcher of an IAM wildcard pattern (whole value), cached."""
    if "?" not in pattern:  # the common case: the segments are the text between the stars
        texts = pattern.split("*")
        return _glob([_Segment.literal(t) for t in texts], len(texts) > 1)
    return glob_from_tokens(pattern_tokens(pattern))


def match_once(pattern: str, value: str) -> bool:
    """``compile_glob(pattern)(value)`` for a pattern that may be met only once: a pattern without
    ``?`` and with at most one ``*`` is compared directly (by equality, or by the text before and
    after its star), without compiling or caching a matcher; any other goes to :func:`compile_glob`."""
    if "?" not in pattern:
        star = pattern.find("*")
        if star < 0:
            return pattern == value
        if pattern.find("*", star + 1) < 0:
            return (len(value) >= len(pattern) - 1 and value.startswith(pattern[:star])
                    and value.endswith(pattern[star + 1:]))
    return compile_glob(pattern)(value)


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """True when ``value`` matches ``pattern`` with IAM's ``*``/``?`` wildcards. With
    ``ignore_case`` both are compared after Unicode case folding (``str.casefold``).

    >>> wildcard_match("kms:ReEncrypt*", "kms:ReEncryptFrom")
    True
    >>> wildcard_match("a[b]", "a[b]"), wildcard_match("a[b]", "ab")
    (True, False)
    """
    if ignore_case:
        pattern, value = pattern.casefold(), value.casefold()
    return match_once(pattern, value)


def string_set_matcher(patterns: Iterable[str], *, ignore_case: bool) -> Callable[[str], bool]:
    """A predicate: does a value match any of ``patterns``? Exact patterns go to a set lookup,
    wildcard ones to their compiled matchers (after case folding when ``ignore_case``)."""
    exact: set[str] = set()
    wild: list[Callable[[str], bool]] = []
    for p in patterns:
        if p == "*":
            return lambda _v: True
        folded = p.casefold() if ignore_case else p
        if has_wildcard(folded):
            wild.append(compile_glob(folded))
        else:
            exact.add(folded)
    frozen = frozenset(exact)
    if not wild:
        if ignore_case:
            return lambda v: v.casefold() in frozen
        return frozen.__contains__
    matchers = tuple(wild)

    def matches(v: str) -> bool:
        if ignore_case:
            v = v.casefold()
        if v in frozen:
            return True
        for m in matchers:  # noqa: SIM110  (a loop is faster than any() on the hot path)
            if m(v):
                return True
        return False

    return matches


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


#: ``PrincipalInfo(...)`` without the frozen dataclass's ``__init__`` (:func:`~kms_conformance.policy.model.builder`):
#: the same value; a batch of fresh lines meets a new principal on most lines.
_new_info = builder(PrincipalInfo)


@lru_cache(maxsize=CACHE_SIZE)
def principal_info(principal: str) -> PrincipalInfo:
    """Classify a principal string: an IAM/STS ARN, a bare 12-digit account id, or a service
    principal (``logs.us-west-2.amazonaws.com``)."""
    if _ACCOUNT_RE.fullmatch(principal):
        return _new_info("Account", None, principal, f"arn:aws:iam::{principal}:root")
    if principal.startswith("arn:"):
        parts = principal.split(":", 5)
        if len(parts) == 6:
            _, partition, service, _region, account, res = parts
            if service == "iam":
                if res == "root":
                    return _new_info("Account", partition, account, principal)
                if res.startswith("user/"):
                    return _new_info("User", partition, account, principal, name=res.rsplit("/", 1)[1])
                if res.startswith("role/"):
                    name = res.rsplit("/", 1)[1]
                    return _new_info("Role", partition, account, principal, name=name, role_name=name)
            if service == "sts":
                if res.startswith("assumed-role/"):
                    bits = res.split("/")
                    if len(bits) >= 3:
                        role_arn = f"arn:{partition}:iam::{account}:role/{bits[1]}"
                        return _new_info("AssumedRole", partition, account, role_arn,
                                             name=bits[-1], role_name=bits[1])
                if res.startswith("federated-user/"):
                    return _new_info("FederatedUser", partition, account, principal,
                                         name=res.split("/", 1)[1])
            return _new_info("Unknown", partition, account or None, principal)
    if "." in principal and ":" not in principal and "/" not in principal:
        return _new_info("Service", None, None, None, name=principal)
    return _new_info("Unknown", None, None, None)


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
    # a bare account id as caller carries no partition: it is the account in any partition
    if service != "iam" or (who.partition is not None and partition != who.partition) or account != who.account:
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
    return _block_names(principal_block, principal, principal_info(principal), skip_accounts=False)


def _block_names(block: PrincipalBlock, principal: str, who: PrincipalInfo, *, skip_accounts: bool) -> bool:
    """:func:`principal_matches`; with ``skip_accounts``, as if the block had no ``"AWS"`` value
    that names a whole account (:func:`is_account_value`)."""
    if block.everyone:
        return True
    if who.kind == "Service":
        return principal in block.service or principal in block.federated
    for value in block.aws:
        if value == "*":
            return True
        if skip_accounts and is_account_value(value):
            continue
        if _aws_value_matches(value, principal, who):
            return True
    return principal in block.federated or principal in block.canonical_user


def is_account_value(value: str) -> bool:
    """Does a Principal ``"AWS"`` value name a whole account (``A`` or ``arn:P:iam::A:root``)?"""
    return bool(_ACCOUNT_RE.fullmatch(value)) or (value.startswith("arn:") and value.endswith(":root"))


def names_principal_directly(block: PrincipalBlock, principal: str) -> bool:
    """Does the ``Principal`` element name this caller itself, not only the caller's account?

    "AWS JSON policy elements: Principal" (AWS account principals): naming an account in a
    resource-based policy delegates to that account, whose identity-based policies must then
    allow its IAM users and roles; naming the user, the role (or its session) or ``"*"`` allows
    the principal itself. For the account's root user, naming the account names it.
    """
    return _names_directly(block, principal)


def _names_directly(block: PrincipalBlock, principal: str) -> bool:
    # principal_matches() of the block without the "AWS" values that name an account (but for an
    # account's own root), worked out on the block itself (no copy of it is built).
    who = principal_info(principal)
    return _block_names(block, principal, who, skip_accounts=who.kind != "Account")


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
