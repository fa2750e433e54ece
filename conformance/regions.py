"""Region names a user gives (``--region``): known to botocore, or refused before anything runs.

A region botocore does not list for KMS (``us-fake-9``) would otherwise reach the target and come
back as an endpoint error blamed on the target; a malformed one (``bad region!``) as a botocore
traceback. Both are bad usage: one line, exit status 2. A region newer than the installed
botocore passes with ``--allow-unknown-region`` when it is well formed (the shape of the
partitions' region regexes in botocore's endpoint data: ``us-east-1``, ``cn-north-1``,
``us-gov-west-1``, ``us-isob-east-1``).
"""

from __future__ import annotations

import re
from functools import cache

from kms_conformance.errors import UsageError

#: The shape every AWS region name has had (lower-case words joined by ``-``, ending in a number).
WELL_FORMED = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")


@cache
def known_regions() -> frozenset[str]:
    """Every region botocore's endpoint data lists for KMS, across all partitions."""
    import botocore.session
    from kms_conformance.sessions import share_loader

    # the process's shared loader: the endpoint data and KMS's model read here are the ones the
    # targets' sessions use next, not read again
    session = share_loader(botocore.session.get_session())
    return frozenset(region for partition in session.get_available_partitions()
                     for region in session.get_available_regions("kms", partition_name=partition))


def check_region(region: str, *, allow_unknown: bool = False, option: str = "--region") -> str:
    """``region`` when it is usable; ``UsageError`` otherwise.

    >>> check_region("eu-west-1")
    'eu-west-1'
    >>> check_region("us-fake-9", allow_unknown=True)
    'us-fake-9'
    """
    if region in known_regions():
        return region
    shown = region if len(region) <= 40 else region[:39] + "…"
    if not WELL_FORMED.match(region):
        raise UsageError(f"{option} {shown!r} is not a region name (like us-east-1)")
    if allow_unknown:
        return region
    raise UsageError(f"{option} {shown!r} is not a region this botocore knows for KMS; check the name, or pass "
                     "--allow-unknown-region for a region newer than botocore")
