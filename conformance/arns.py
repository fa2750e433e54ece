"""ARNs: parse, validate and build the ones the pages use (KMS keys and aliases, IAM roles, S3
buckets, the services' resources). Every place that reads an ARN uses this module.

Parsing is botocore's :class:`botocore.utils.ArnParser` (``arn:partition:service:region:account:
resource``); on top of it this module knows the shape of each resource the kit meets, from the
"Amazon Resource Names (ARNs)" page of the IAM User Guide and each service's API reference:

- a KMS key: ``arn:PARTITION:kms:REGION:ACCOUNT:key/KEY_ID``, the key id a UUID or, for a
  multi-Region key, ``mrk-`` and 32 hex digits (``mrk-`` ids are in the id itself);
- a KMS alias: ``arn:PARTITION:kms:REGION:ACCOUNT:alias/NAME``;
- an IAM role: ``arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`` (no Region), NAME up to 64 of
  ``[\\w+=,.@-]``;
- an S3 bucket: ``arn:PARTITION:s3:::BUCKET`` (no Region, no account).

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

_PARSER = ArnParser()
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d+$")
_KEY_ID = re.compile(r"^(?:mrk-[0-9a-fA-F]{32}|[0-9a-fA-F]+(?:-[0-9a-fA-F]+)*)$")
_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
_ROLE_PATH = re.compile(r"^(?:[\x21-\x7e]+/)*$")
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
    if not isinstance(text, str):
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
    if regional != bool(arn.region) or (regional and not _REGION.match(arn.region)):
        return None
    if account != bool(arn.account) or (account and not _ACCOUNT.match(arn.account)):
        return None
    return arn


def parse_key_arn(text: object) -> Arn | None:
    """A KMS key ARN (``key/<id>``), or None."""
    arn = _checked(parse_arn(text), "kms", regional=True)
    if arn is None or arn.resource_type != "key" or not _KEY_ID.match(arn.resource_id):
        return None
    return arn


def parse_alias_arn(text: object) -> Arn | None:
    """A KMS alias ARN (``alias/<name>``), or None."""
    arn = _checked(parse_arn(text), "kms", regional=True)
    if arn is None or not _ALIAS_NAME.match(arn.resource):
        return None
    return arn


def parse_role_arn(text: object) -> Arn | None:
    """An IAM role ARN (``role/[path/]name``), or None."""
    arn = _checked(parse_arn(text), "iam", regional=False)
    if arn is None or arn.resource_type != "role":
        return None
    rest = arn.resource[len("role/"):]
    path, _, name = rest.rpartition("/")
    if not _ROLE_NAME.match(name) or (path and not _ROLE_PATH.match(path + "/")):
        return None
    return arn


def parse_bucket_arn(text: object) -> Arn | None:
    """An S3 bucket ARN (``arn:aws:s3:::bucket``), or None."""
    arn = _checked(parse_arn(text), "s3", regional=False, account=False)
    if arn is None or not _BUCKET.match(arn.resource):
        return None
    return arn


def is_key_id(text: object) -> bool:
    """A bare KMS key id (UUID or ``mrk-`` id)."""
    return isinstance(text, str) and bool(_KEY_ID.match(text))


def key_arn(partition: str, region: str, account: str, key_id: str) -> str:
    """``arn:PARTITION:kms:REGION:ACCOUNT:key/KEY_ID``."""
    return f"arn:{partition}:kms:{region}:{account}:key/{key_id}"


def alias_arn(partition: str, region: str, account: str, alias_name: str) -> str:
    """``arn:PARTITION:kms:REGION:ACCOUNT:alias/NAME`` (``alias_name`` starts with ``alias/``)."""
    return f"arn:{partition}:kms:{region}:{account}:{alias_name}"


def role_arn(partition: str, account: str, name: str, path: str = "/") -> str:
    """``arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME``."""
    return f"arn:{partition}:iam::{account}:role{path}{name}"


def account_of(text: object) -> str | None:
    """The account of any ARN that has one (``arn:aws:iam::111122223333:root`` -> the id)."""
    arn = parse_arn(text)
    return arn.account if arn is not None and _ACCOUNT.match(arn.account) else None


__all__ = [
    "PARTITIONS",
    "Arn",
    "account_of",
    "alias_arn",
    "is_key_id",
    "key_arn",
    "parse_alias_arn",
    "parse_arn",
    "parse_bucket_arn",
    "parse_key_arn",
    "parse_role_arn",
    "role_arn",
]
