"""A seeded generator of ``simulate --batch`` input: one JSON case a line, each with its own key
policy (or S3 bucket policy) and identity policies, as users bring them.

Every line is different (its own key id or bucket, account pair, Sids and condition values), so a
cache of parsed policies never hits: the batch measures parsing and deciding, not the cache. About
two thirds of the cases are KMS requests (decided by the KMS rule), the rest S3 requests (decided
by the general rule); same-account and cross-account callers (roles, sessions, users, account
roots, service principals); conditions of every operator family (String, Numeric, Date, Bool,
Binary, IpAddress, Arn, Null), with ``IfExists`` and the ``ForAnyValue``/``ForAllValues`` set
qualifiers. Lines are about 1.6 kB on average.

    python -m benchmarks.gen_batch --cases 20000 --seed 0 --out cases.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator, Sequence
from typing import Any

REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
SERVICES = ("forecast", "sagemaker", "aoss", "airflow", "s3", "logs")
ROLES = ("App", "Forecast", "Analyst", "Admin", "Pipeline", "Reader")
KMS_OPERATIONS = ("Encrypt", "Decrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom",
                  "DescribeKey", "CreateGrant", "ListGrants", "RevokeGrant", "PutKeyPolicy")
KMS_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant",
               "kms:DescribeKey", "kms:ListGrants", "kms:RevokeGrant", "kms:*", "kms:Get*", "kms:List*")
S3_OPERATIONS = ("GetObject", "PutObject", "DeleteObject", "ListBucket", "GetObjectTagging")
S3_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:Get*", "s3:List*", "s3:*", "s3:DeleteObject", "s3:*Object")
TAGS = ("Dept", "Project", "Stage")


def _account(rng: random.Random) -> str:
    return f"{rng.randrange(10**11, 10**12 - 1):012d}"


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _condition(rng: random.Random, account: str, other: str, kms: bool) -> tuple[str, str, Any]:
    """One (operator, key, value) entry, of a random operator family."""
    family = rng.randrange(10)
    if family == 0:
        key = rng.choice(("kms:ViaService", "kms:CallerAccount")) if kms else "s3:prefix"
        value: Any = (f"{rng.choice(SERVICES)}.{rng.choice(REGIONS)}.amazonaws.com" if key == "kms:ViaService"
                      else rng.choice((account, other)) if key == "kms:CallerAccount" else f"home/{rng.choice(ROLES)}/")
        operator = rng.choice(("StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringEqualsIfExists"))
        return operator, key, value
    if family == 1:
        key = f"kms:EncryptionContext:{rng.choice(TAGS)}" if kms else f"aws:ResourceTag/{rng.choice(TAGS)}"
        return rng.choice(("StringLike", "StringNotLike", "StringLikeIfExists")), key, rng.sample(
            ["prod*", "IT", "dev-?", "*-test", "research"], rng.randint(1, 3))
    if family == 2:
        return rng.choice(("NumericLessThan", "NumericGreaterThanEquals", "NumericEquals")), \
            rng.choice(("s3:max-keys", "aws:MultiFactorAuthAge")), str(rng.choice((10, 100, 3600)))
    if family == 3:
        return rng.choice(("DateGreaterThan", "DateLessThan")), "aws:CurrentTime", \
            rng.choice(("2020-01-01T00:00:00Z", "2030-12-31T23:59:59Z", "2024-06-01"))
    if family == 4:
        key = (rng.choice(("aws:SecureTransport", "aws:MultiFactorAuthPresent")) if not kms or rng.random() < .5
               else "kms:GrantIsForAWSResource")
        return "Bool", key, rng.choice(("true", "false"))
    if family == 5:
        return "BinaryEquals", "aws:userid", rng.choice(("QmluYXJ5VmFsdWU=", "c2Vzc2lvbg=="))
    if family == 6:
        return rng.choice(("IpAddress", "NotIpAddress")), "aws:SourceIp", rng.sample(
            ["203.0.113.0/24", "198.51.100.7/32", "10.0.0.0/8", "2001:db8::/32"], rng.randint(1, 2))
    if family == 7:
        return rng.choice(("ArnLike", "ArnEquals", "ArnNotLike")), "aws:PrincipalArn", \
            f"arn:aws:iam::{rng.choice((account, other))}:role/{rng.choice(ROLES)[:3]}*"
    if family == 8:
        key = rng.choice(("aws:SourceIp", "kms:ViaService" if kms else "s3:prefix"))
        return "Null", key, rng.choice(("true", "false"))
    key = "kms:EncryptionContextKeys" if kms else "aws:TagKeys"
    return rng.choice(("ForAnyValue:StringEquals", "ForAllValues:StringEquals", "ForAnyValue:StringLike")), key, \
        rng.sample(list(TAGS), rng.randint(1, 3))


def _conditions(rng: random.Random, account: str, other: str, kms: bool, n: int) -> dict[str, Any]:
    block: dict[str, dict[str, Any]] = {}
    for _ in range(n):
        op, key, value = _condition(rng, account, other, kms)
        block.setdefault(op, {})[key] = value
    return block


def _principal(rng: random.Random, account: str, other: str) -> Any:
    return rng.choice((
        {"AWS": f"arn:aws:iam::{account}:root"}, {"AWS": f"arn:aws:iam::{account}:role/{rng.choice(ROLES)}"},
        {"AWS": [f"arn:aws:iam::{other}:root", f"arn:aws:iam::{other}:role/{rng.choice(ROLES)}"]},
        {"AWS": other}, {"Service": f"{rng.choice(SERVICES)}.amazonaws.com"}, "*"))


def _resource_policy(rng: random.Random, kms: bool, resource: str, account: str, other: str, line: int) -> Any:
    stmts: list[dict[str, Any]] = []
    if kms:
        stmts.append({"Sid": f"Enable IAM policies {line}", "Effect": "Allow",
                      "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"})
    for i in range(rng.randint(2, 4)):
        stmt: dict[str, Any] = {
            "Sid": f"S{line}x{i}", "Effect": "Deny" if rng.random() < 0.12 else "Allow",
            "Principal": _principal(rng, account, other),
            "Action": rng.sample(KMS_ACTIONS if kms else S3_ACTIONS, rng.randint(1, 4)),
            "Resource": "*" if kms else [resource, f"{resource}/*"]}
        if rng.random() < 0.8:
            stmt["Condition"] = _conditions(rng, account, other, kms, rng.randint(1, 3))
        stmts.append(stmt)
    return {"Version": "2012-10-17", "Id": f"policy-{line}", "Statement": stmts}


def _identity_policy(rng: random.Random, kms: bool, resource: str, account: str, other: str, line: int,
                     n: int) -> Any:
    stmts: list[dict[str, Any]] = []
    for i in range(rng.randint(1, 2)):
        stmt: dict[str, Any] = {
            "Sid": f"I{line}x{n}x{i}", "Effect": "Deny" if rng.random() < 0.06 else "Allow",
            "Action": rng.sample(KMS_ACTIONS if kms else S3_ACTIONS, rng.randint(1, 3)),
            "Resource": rng.choice(("*", resource, f"{resource.rsplit('/', 1)[0]}/*" if kms else f"{resource}/*"))}
        if rng.random() < 0.5:
            stmt["Condition"] = _conditions(rng, account, other, kms, rng.randint(1, 2))
        stmts.append(stmt)
    return {"Version": "2012-10-17", "Statement": stmts}


def _caller(rng: random.Random, account: str, other: str) -> str:
    who = rng.choice((account, account, other))
    return rng.choice((f"arn:aws:sts::{who}:assumed-role/{rng.choice(ROLES)}/session-{rng.randrange(100)}",
                       f"arn:aws:iam::{who}:role/{rng.choice(ROLES)}", f"arn:aws:iam::{who}:user/u{rng.randrange(50)}",
                       f"arn:aws:iam::{who}:root", f"{rng.choice(SERVICES)}.amazonaws.com"))


def _context(rng: random.Random, kms: bool) -> dict[str, Any]:
    ctx: dict[str, Any] = {"aws:SecureTransport": rng.choice(("true", "false")),
                           "aws:CurrentTime": rng.choice(("2024-03-01T12:00:00Z", "2031-01-01T00:00:00Z"))}
    if rng.random() < 0.6:
        ctx["aws:SourceIp"] = rng.choice(("203.0.113.9", "192.0.2.1", "10.1.2.3", "2001:db8::1"))
    if rng.random() < 0.4:
        ctx["aws:MultiFactorAuthAge"] = str(rng.choice((5, 50, 5000)))
    tags = rng.sample(list(TAGS), rng.randint(0, 2))
    for tag in tags:
        name = f"kms:EncryptionContext:{tag}" if kms else f"aws:ResourceTag/{tag}"
        ctx[name] = rng.choice(("prod-eu", "IT", "dev-1", "x-test"))
    if kms:
        if rng.random() < 0.4:
            ctx["kms:ViaService"] = f"{rng.choice(SERVICES)}.{rng.choice(REGIONS)}.amazonaws.com"
    else:
        ctx["aws:TagKeys"] = tags
        if rng.random() < 0.5:
            ctx["s3:max-keys"] = str(rng.choice((5, 500)))
    return ctx


def _grant(rng: random.Random, key_arn: str, account: str) -> dict[str, Any]:
    raw: dict[str, Any] = {"KeyId": key_arn, "GranteePrincipal": rng.choice(
        (f"arn:aws:iam::{account}:role/{rng.choice(ROLES)}", f"{rng.choice(SERVICES)}.amazonaws.com")),
        "Operations": rng.sample(["Decrypt", "Encrypt", "GenerateDataKey", "DescribeKey", "CreateGrant"],
                                 rng.randint(1, 3))}
    if rng.random() < 0.5:
        raw["Constraints"] = {"EncryptionContextSubset": {rng.choice(TAGS): rng.choice(("IT", "prod-eu"))}}
    return raw


def case(rng: random.Random, line: int) -> dict[str, Any]:
    """One batch case (see the module docstring)."""
    account, other = _account(rng), _account(rng)
    region = rng.choice(REGIONS)
    kms = rng.random() < 0.67
    if kms:
        resource = f"arn:aws:kms:{region}:{account}:key/{_uuid(rng)}"
        action = f"kms:{rng.choice(KMS_OPERATIONS)}"
    else:
        resource = f"arn:aws:s3:::bucket-{line}-{rng.getrandbits(32):08x}"
        action = f"s3:{rng.choice(S3_OPERATIONS)}"
    caller = _caller(rng, account, other)
    out: dict[str, Any] = {
        "request": {"action": action, "resource": f"{resource}/data/{rng.randrange(1000)}.csv"
                    if not kms and "Object" in action else resource,
                    "principal": caller, "context": _context(rng, kms)},
        "resourcePolicy": _resource_policy(rng, kms, resource, account, other, line),
        "identityPolicies": [_identity_policy(rng, kms, resource, account, other, line, n)
                             for n in range(rng.randint(0, 2))],
    }
    if not kms:
        out["request"]["resourceAccount"] = account
    elif rng.random() < 0.3:
        out["grants"] = [_grant(rng, resource, account) for _ in range(rng.randint(1, 2))]
    return out


def cases(count: int, seed: int = 0) -> Iterator[dict[str, Any]]:
    """``count`` cases, the same for the same seed."""
    rng = random.Random(seed)
    for line in range(1, count + 1):
        yield case(rng, line)


def write(path: str, count: int, seed: int = 0) -> int:
    """Write ``count`` cases to ``path`` (``-`` for standard output); return the bytes written."""
    size = 0
    handle = sys.stdout if path == "-" else open(path, "w", encoding="utf-8")  # noqa: SIM115
    try:
        for c in cases(count, seed):
            text = json.dumps(c, separators=(",", ":")) + "\n"
            size += len(text)
            handle.write(text)
    finally:
        if handle is not sys.stdout:
            handle.close()
    return size


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="-", help="the file to write (- for standard output)")
    args = parser.parse_args(argv)
    size = write(args.out, args.cases, args.seed)
    if args.out != "-":
        print(f"{args.cases} cases, {size / args.cases:,.0f} bytes a line, in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
