"""ARNs: parse, validate and build the ones the pages use (KMS keys and aliases, IAM roles, S3
buckets, the services' resources). Every place that reads an ARN uses this module.

Parsing is botocore's :class:`botocore.utils.ArnParser` (``arn:partition:service:region:account:
resource``); on top of it this module knows the shape of each resource the kit meets, from the
"Amazon Resource Names (ARNs)" page of the IAM User Guide and each service's API reference:

- a KMS key: ``arn:PARTITION:kms:REGION:ACCOUNT:key/KEY_ID``, the key id a UUID or, for a
  multi-Region key, ``mrk-`` and 32 hex digits (``mrk-`` ids are in the id itself);
- a KMS alias: ``arn:PARTITION:kms:REGION:ACCOUNT:alias/NAME``;
- an IAM role: ``arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`` (no Region), NAME up to 64 of
  ``[\\w+=,.@-]``; one of its sessions: ``arn:PARTITION:sts::ACCOUNT:assumed-role/NAME/SESSION``;
- an IAM managed policy: ``arn:PARTITION:iam::ACCOUNT:policy/[PATH/]NAME``, ACCOUNT ``aws`` for an
  AWS managed policy ("IAM identifiers", IAM User Guide);
- an S3 bucket: ``arn:PARTITION:s3:::BUCKET`` (no Region, no account).

An account id is 12 digits ("AWS account identifiers"); a key id is a UUID, or ``mrk-`` and 32 hex
digits for a multi-Region key ("Key identifiers (KeyId)", AWS KMS Developer Guide).

>>> key = parse_key_arn("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab")
>>> (key.region, key.account, key.resource_id)
('us-east-1', '111122223333', '1234abcd-12ab-34cd-56ef-1234567890ab')
>>> parse_key_arn("arn:aws:kms:us-east-1:111122223333:alias/x") is None
True
>>> parse_role_arn("arn:aws:iam::111122223333:role/service/R").resource_id
'R'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from botocore.utils import ArnParser, InvalidArnException

#: The partitions the pages' services exist in.
PARTITIONS = ("aws", "aws-cn", "aws-us-gov")

#: Alias names under this prefix belong to AWS managed keys ("Aliases in AWS KMS"; CreateAlias,
#: AliasName: an alias name cannot begin with it).
AWS_MANAGED_ALIAS_PREFIX = "alias/aws/"

_PARSER = ArnParser()
_ACCOUNT = re.compile(r"^\d{12}$", re.ASCII)
_REGION_PATTERN = r"[a-z]{2}(?:-[a-z]+)+-\d+"
_REGION = re.compile(rf"^{_REGION_PATTERN}$", re.ASCII)
_HEX = "[0-9a-fA-F]"
_KEY_ID_PATTERN = rf"mrk-{_HEX}{{32}}|{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}"
_KEY_ID = re.compile(rf"^(?:{_KEY_ID_PATTERN})$")
#: A KMS key ARN as :func:`parse_key_arn` accepts it, in one match (the partition, the Region, the
#: account, the key id): the same parts, for :func:`key_arn_parts`.
_KEY_ARN = re.compile(rf"arn:(?:{'|'.join(map(re.escape, PARTITIONS))}):kms:({_REGION_PATTERN}):(\d{{12}}):"
                      rf"key/({_KEY_ID_PATTERN})", re.ASCII)
_IAM_NAME = re.compile(r"^[\w+=,.@-]{1,64}$", re.ASCII)
_POLICY_NAME = re.compile(r"^[\w+=,.@-]{1,128}$", re.ASCII)
_SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$", re.ASCII)
_IAM_PATH = re.compile(r"^(?:[\x21-\x7e]+/)*$")
_ALIAS_NAME = re.compile(r"^alias/[a-zA-Z0-9/_-]{1,250}$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


@dataclass(frozen=True)
class Arn:
    """One parsed ARN. ``resource`` is everything after the account (``key/ID``, ``role/p/R``);
    ``resource_type`` and ``resource_id`` split it at the first ``/`` (for a role, ``resource_id``
    is the name without the path, and ``path`` the path between)."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    @property
    def resource_type(self) -> str:
        return self.resource.split("/", 1)[0] if "/" in self.resource else ""

    @property
    def resource_id(self) -> str:
        return self.resource.rsplit("/", 1)[-1] if self.service == "iam" else self.resource.split("/", 1)[-1]

    @property
    def path(self) -> str:
        """The IAM path (``/`` or ``/service/``) of an IAM resource; empty for others."""
        if self.service != "iam" or "/" not in self.resource:
            return ""
        middle = self.resource.split("/", 1)[1].rsplit("/", 1)
        return "/" + middle[0] + "/" if len(middle) == 2 else "/"

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"


def parse_arn(text: object) -> Arn | None:
    """Any ARN of a known partition, or None (not a string, not an ARN, another partition)."""
    if not isinstance(text, str) or not text.startswith("arn:"):
        return None
    try:
        parts = _PARSER.parse_arn(text)
    except InvalidArnException:
        return None
    if parts["partition"] not in PARTITIONS:
        return None
    return Arn(parts["partition"], parts["service"], parts["region"], parts["account"], parts["resource"])


def _checked(arn: Arn | None, service: str, *, regional: bool, account: bool = True) -> Arn | None:
    if arn is None or arn.service != service:
        return None
    if regional != bool(arn.region) or (regional and not _REGION.fullmatch(arn.region)):
        return None
    if account != bool(arn.account) or (account and not _ACCOUNT.fullmatch(arn.account)):
        return None
    return arn


def parse_key_arn(text: object) -> Arn | None:
    """A KMS key ARN (``key/<id>``), or None."""
    arn = _checked(parse_arn(text), "kms", regional=True)
    if arn is None or arn.resource_type != "key" or not _KEY_ID.fullmatch(arn.resource_id):
        return None
    return arn


def key_arn_parts(text: str) -> tuple[str, str, str] | None:
    """The Region, account and key id of a KMS key ARN, exactly where :func:`parse_key_arn` gives an
    ARN (its ``region``, ``account``, ``resource_id``), else None: one regular expression, for the
    paths that read an ARN per request (``simulate --batch``), without building an :class:`Arn`."""
    m = _KEY_ARN.fullmatch(text)
    return None if m is None else (m[1], m[2], m[3])


def parse_alias_arn(text: object) -> Arn | None:
    """A KMS alias ARN (``alias/<name>``), or None."""
    arn = _checked(parse_arn(text), "kms", regional=True)
    if arn is None or not _ALIAS_NAME.fullmatch(arn.resource):
        return None
    return arn


def _iam_resource(arn: Arn | None, kind: str, name: re.Pattern[str], *,
                  accounts: tuple[str, ...] = ()) -> Arn | None:
    """An IAM resource ``KIND/[PATH/]NAME`` of a 12-digit account (or one of ``accounts``)."""
    if arn is None or arn.service != "iam" or arn.region or arn.resource_type != kind:
        return None
    if not (_ACCOUNT.fullmatch(arn.account) or arn.account in accounts):
        return None
    path, _, last = arn.resource[len(kind) + 1:].rpartition("/")
    if not name.fullmatch(last) or (path and not _IAM_PATH.fullmatch(path + "/")):
        return None
    return arn


def parse_role_arn(text: object) -> Arn | None:
    """An IAM role ARN (``role/[path/]name``), or None.

    >>> parse_role_arn("arn:aws:iam::111122223333:role/service-role/R").path
    '/service-role/'
    >>> parse_role_arn("arn:aws:iam::111122223333:user/R") is None
    True
    """
    return _iam_resource(parse_arn(text), "role", _IAM_NAME)


def parse_policy_arn(text: object) -> Arn | None:
    """An IAM managed policy ARN (``policy/[path/]name``) of an account or of AWS (account ``aws``),
    or None ("IAM identifiers", IAM User Guide).

    >>> parse_policy_arn("arn:aws:iam::111122223333:policy/boundaries/KitBoundary").resource_id
    'KitBoundary'
    >>> parse_policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess").account
    'aws'
    >>> parse_policy_arn("arn:aws:iam::111122223333:role/KitBoundary") is None
    True
    """
    return _iam_resource(parse_arn(text), "policy", _POLICY_NAME, accounts=("aws",))


def parse_session_arn(text: object) -> Arn | None:
    """An assumed-role session ARN (``arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION``), or
    None. ``resource_id`` is ``ROLE/SESSION``; :func:`role_name_of` gives the role's name.

    >>> parse_session_arn("arn:aws:sts::111122223333:assumed-role/R/s1").account
    '111122223333'
    """
    arn = _checked(parse_arn(text), "sts", regional=False)
    if arn is None or arn.resource_type != "assumed-role":
        return None
    parts = arn.resource.split("/")
    if len(parts) != 3 or not _IAM_NAME.fullmatch(parts[1]) or not _SESSION_NAME.fullmatch(parts[2]):
        return None
    return arn


def role_name_of(text: object) -> str | None:
    """The role name of a role ARN (its path dropped) or of one of its sessions, else None.

    >>> role_name_of("arn:aws:iam::111122223333:role/service-role/R")
    'R'
    >>> role_name_of("arn:aws:sts::111122223333:assumed-role/R/s1")
    'R'
    """
    role = parse_role_arn(text)
    if role is not None:
        return role.resource_id
    session = parse_session_arn(text)
    return session.resource.split("/")[1] if session is not None else None


def parse_bucket_arn(text: object) -> Arn | None:
    """An S3 bucket ARN (``arn:aws:s3:::bucket``), or None."""
    arn = _checked(parse_arn(text), "s3", regional=False, account=False)
    if arn is None or not _BUCKET.fullmatch(arn.resource):
        return None
    return arn


def is_key_id(text: object) -> bool:
    """A bare KMS key id (UUID or ``mrk-`` id).

    >>> is_key_id("mrk-1234abcd12ab34cd56ef1234567890ab"), is_key_id("alias/x")
    (True, False)
    """
    return isinstance(text, str) and bool(_KEY_ID.fullmatch(text))


def is_account_id(text: object) -> bool:
    """A 12-digit AWS account id ("AWS account identifiers")."""
    return isinstance(text, str) and bool(_ACCOUNT.fullmatch(text))


def is_aws_managed_key_ref(ref: object) -> bool:
    """Whether a key reference names an AWS managed key: an alias under :data:`AWS_MANAGED_ALIAS_PREFIX`,
    as a name or as the resource of an ARN ("AWS managed keys" and "Aliases in AWS KMS", AWS KMS
    Developer Guide: ``alias/aws/SERVICE`` names belong to the keys services create; their key
    policies cannot be changed). A key id or key ARN is never one: this says nothing about keys
    named otherwise.

    >>> is_aws_managed_key_ref("alias/aws/forecast"), is_aws_managed_key_ref("alias/my-key")
    (True, False)
    >>> is_aws_managed_key_ref("arn:aws:kms:us-east-1:111122223333:alias/aws/sagemaker")
    True
    """
    if not isinstance(ref, str):
        return False
    arn = parse_arn(ref)
    return (arn.resource if arn is not None else ref).startswith(AWS_MANAGED_ALIAS_PREFIX)


def key_arn(partition: str, region: str, account: str, key_id: str) -> str:
    """``arn:PARTITION:kms:REGION:ACCOUNT:key/KEY_ID``."""
    return f"arn:{partition}:kms:{region}:{account}:key/{key_id}"


def alias_arn(partition: str, region: str, account: str, alias_name: str) -> str:
    """``arn:PARTITION:kms:REGION:ACCOUNT:alias/NAME`` (``alias_name`` starts with ``alias/``)."""
    return f"arn:{partition}:kms:{region}:{account}:{alias_name}"


def role_arn(partition: str, account: str, name: str, path: str = "/") -> str:
    """``arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME``."""
    return f"arn:{partition}:iam::{account}:role{path}{name}"


def root_arn(partition: str, account: str) -> str:
    """The account principal ``arn:PARTITION:iam::ACCOUNT:root``."""
    return f"arn:{partition}:iam::{account}:root"


def session_arn(partition: str, account: str, role_name: str, session: str) -> str:
    """``arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE_NAME/SESSION`` (the role's path is not in it)."""
    return f"arn:{partition}:sts::{account}:assumed-role/{role_name}/{session}"


def account_of(text: object) -> str | None:
    """The account of any ARN that has one (``arn:aws:iam::111122223333:root`` -> the id)."""
    arn = parse_arn(text)
    return arn.account if arn is not None and _ACCOUNT.fullmatch(arn.account) else None


__all__ = [
    "AWS_MANAGED_ALIAS_PREFIX",
    "PARTITIONS",
    "Arn",
    "account_of",
    "alias_arn",
    "is_account_id",
    "is_aws_managed_key_ref",
    "is_key_id",
    "key_arn",
    "parse_alias_arn",
    "parse_arn",
    "parse_bucket_arn",
    "parse_key_arn",
    "parse_policy_arn",
    "parse_role_arn",
    "parse_session_arn",
    "role_arn",
    "role_name_of",
    "root_arn",
    "session_arn",
]
