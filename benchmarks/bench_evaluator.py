"""Benchmark of the policy evaluator (``kms_conformance.policy``): decisions per second.

A fixed corpus is built with ``random.Random(seed)`` (deterministic, unlike Hypothesis' ``find``):
key policies of 3 to 8 statements shaped like the documents' (the default key policy's account
statement, service-access statements with ``kms:ViaService``/``kms:CallerAccount``, ``StringLike``,
``ArnLike`` on ``kms:EncryptionContext:aws:logs:arn``, ``Bool`` ``kms:GrantIsForAWSResource``,
``ForAllValues:StringEquals`` on ``kms:GrantOperations``, Deny statements with negated, numeric,
date and IP operators), identity policies, and requests for every mix of principal and context.
Policies are parsed once, then every request is decided in each of several repeats; the MEDIAN
rate over the repeats is printed (the machine is shared: never trust one timing), "warm" (the
per-policy (action, principal) statement cache filled by earlier passes) and "cold" (that cache
emptied before each pass).

    python -m benchmarks.bench_evaluator [--policies 50] [--requests 2000] [--repeats 7] [--seed 0]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from typing import Any

from kms_conformance.policy import KMS_ACTIONS, Policy, Request, evaluate, evaluate_policy, make_request, parse_policy

ACCOUNTS = ("111122223333", "444455556666", "777788889999")
REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
SERVICES = ("forecast", "sagemaker", "aoss", "airflow", "s3", "logs")
ROLES = ("ROLE_PASSED_TO_FORECAST", "FeatureStoreRole", "aoss-admin", "mwaa-exec", "Analyst", "Admin")
GRANT_OPS = ("Decrypt", "Encrypt", "GenerateDataKey", "ReEncryptFrom", "ReEncryptTo", "DescribeKey", "CreateGrant")
WILDCARDS = ("kms:*", "kms:Describe*", "kms:Get*", "kms:List*", "kms:ReEncrypt*", "kms:GenerateDataKey*",
             "kms:Encrypt*", "kms:Decrypt*", "kms:Create*", "kms:?ecrypt")


def _role(rng: random.Random, account: str) -> str:
    return f"arn:aws:iam::{account}:role/{rng.choice(ROLES)}"


def _actions(rng: random.Random) -> list[str]:
    pool = list(KMS_ACTIONS) + list(WILDCARDS)
    return rng.sample(pool, rng.randint(1, 6))


def _condition(rng: random.Random, account: str, region: str) -> dict[str, Any]:
    service = rng.choice(SERVICES)
    kind = rng.randrange(6)
    if kind == 0:
        return {"StringEquals": {"kms:ViaService": f"{service}.{region}.amazonaws.com", "kms:CallerAccount": account}}
    if kind == 1:
        return {"StringLike": {"kms:ViaService": f"{service}.*.amazonaws.com"},
                "StringEquals": {"kms:CallerAccount": account}}
    if kind == 2:
        return {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{region}:*:*"}}
    if kind == 3:
        return {"Bool": {"kms:GrantIsForAWSResource": "true"},
                "StringEquals": {"kms:ViaService": f"{service}.{region}.amazonaws.com"}}
    if kind == 4:
        return {"ForAllValues:StringEquals": {"kms:GrantOperations": rng.sample(GRANT_OPS, 3)},
                "StringEqualsIfExists": {"kms:CallerAccount": account}}
    return {"StringEquals": {"aws:PrincipalTag/team": rng.choice(("data", "ml"))},
            "NumericLessThanEquals": {"aws:MultiFactorAuthAge": "3600"}}


def _deny_condition(rng: random.Random, account: str) -> dict[str, Any]:
    kind = rng.randrange(4)
    if kind == 0:
        return {"StringNotEquals": {"kms:CallerAccount": account}}
    if kind == 1:
        return {"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}}
    if kind == 2:
        return {"DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}
    return {"Bool": {"aws:SecureTransport": "false"}}


def key_policy(rng: random.Random, account: str, region: str) -> dict[str, Any]:
    """A key policy of 3 to 8 statements, one of them the default account statement."""
    stmts: list[dict[str, Any]] = [{"Sid": "Enable IAM User Permissions", "Effect": "Allow",
                                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                                    "Action": "kms:*", "Resource": "*"}]
    for i in range(rng.randint(2, 7)):
        if rng.random() < 0.25:
            principal: Any = "*" if rng.random() < 0.5 else {"AWS": rng.choice(ACCOUNTS)}
            stmts.append({"Sid": f"Deny{i}", "Effect": "Deny", "Principal": principal,
                          "Action": _actions(rng), "Resource": "*", "Condition": _deny_condition(rng, account)})
            continue
        if rng.random() < 0.2:
            principal = {"Service": f"logs.{region}.amazonaws.com"}
        else:
            principal = {"AWS": [_role(rng, account) for _ in range(rng.randint(1, 3))]}
        stmts.append({"Sid": f"Allow{i}", "Effect": "Allow", "Principal": principal, "Action": _actions(rng),
                      "Resource": "*", "Condition": _condition(rng, account, region)})
    rng.shuffle(stmts)
    return {"Version": "2012-10-17", "Statement": stmts}


def identity_policy(rng: random.Random, account: str, region: str) -> dict[str, Any]:
    stmts = []
    for _ in range(rng.randint(1, 4)):
        stmt: dict[str, Any] = {"Effect": "Allow" if rng.random() < 0.8 else "Deny", "Action": _actions(rng),
                                "Resource": rng.choice(("*", f"arn:aws:kms:{region}:{account}:key/*"))}
        if rng.random() < 0.5:
            stmt["Condition"] = _condition(rng, account, region)
        stmts.append(stmt)
    return {"Version": "2012-10-17", "Statement": stmts}


def request(rng: random.Random, account: str, region: str) -> Request:
    key = f"arn:aws:kms:{region}:{account}:key/1234abcd-12ab-34cd-56ef-{rng.randrange(16**12):012x}"
    caller_account = account if rng.random() < 0.8 else rng.choice(ACCOUNTS)
    kind = rng.randrange(4)
    if kind == 0:
        principal = _role(rng, caller_account)
    elif kind == 1:
        principal = f"arn:aws:sts::{caller_account}:assumed-role/{rng.choice(ROLES)}/session{rng.randrange(9)}"
    elif kind == 2:
        principal = f"arn:aws:iam::{caller_account}:user/u{rng.randrange(9)}"
    else:
        principal = f"logs.{region}.amazonaws.com"
    service = rng.choice(SERVICES)
    ctx: dict[str, Any] = {"kms:CallerAccount": caller_account, "aws:SecureTransport": "true",
                           "aws:SourceIp": rng.choice(("203.0.113.7", "198.51.100.1", "2001:db8::1")),
                           "aws:CurrentTime": "2026-11-24T02:00:00Z"}
    if rng.random() < 0.6:
        ctx["kms:ViaService"] = f"{service}.{rng.choice(REGIONS)}.amazonaws.com"
    if rng.random() < 0.3:
        ctx["kms:GrantOperations"] = rng.sample(GRANT_OPS, rng.randint(1, 3))
        ctx["kms:GrantIsForAWSResource"] = "true"
    if rng.random() < 0.3:
        ctx["kms:EncryptionContext:aws:logs:arn"] = (
            f"arn:aws:logs:{rng.choice(REGIONS)}:{account}:log-group:airflow-env-Task")
    if rng.random() < 0.3:
        ctx["aws:PrincipalTag/team"] = rng.choice(("data", "ml", "web"))
        ctx["aws:MultiFactorAuthAge"] = str(rng.randrange(7200))
    action = rng.choice(KMS_ACTIONS)
    if rng.random() < 0.3:
        action = action.lower()
    return make_request(action, key, principal, ctx)


Case = tuple[Policy, tuple[Policy, ...], Request]


def corpus(n_policies: int, n_requests: int, seed: int = 0) -> list[Case]:
    """The fixed corpus: ``n_requests`` (key policy, identity policies, request) cases over
    ``n_policies`` key policies, every policy parsed once."""
    rng = random.Random(seed)
    account, region = ACCOUNTS[0], REGIONS[0]
    keys = [parse_policy(key_policy(rng, account, region), origin=f"key policy {i}") for i in range(n_policies)]
    idents = [parse_policy(identity_policy(rng, account, region), origin=f"identity policy {i}")
              for i in range(n_policies)]
    cases = []
    for _ in range(n_requests):
        kp = rng.choice(keys)
        ips = tuple(rng.sample(idents, rng.randint(0, 2)))
        cases.append((kp, ips, request(rng, account, region)))
    return cases


def _clear_caches(cases: list[Case]) -> None:
    for kp, ips, _ in cases:
        kp.cache.clear()
        for p in ips:
            p.cache.clear()


def _rate(fn: Any, cases: list[Case], repeats: int, cold: bool = False) -> tuple[float, dict[str, int]]:
    """Median decisions per second over ``repeats`` passes; ``cold`` clears the per-policy
    (action, principal) caches before each pass, so every first lookup is paid again."""
    rates = []
    tally: dict[str, int] = {}
    for _ in range(repeats):
        if cold:
            _clear_caches(cases)
        start = time.perf_counter()
        results = [fn(c) for c in cases]
        elapsed = time.perf_counter() - start
        rates.append(len(cases) / elapsed)
        tally = {}
        for e in results:
            tally[e.decision.value] = tally.get(e.decision.value, 0) + 1
    return statistics.median(rates), tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_evaluator", description=__doc__.splitlines()[0])
    parser.add_argument("--policies", type=int, default=50, help="key policies (and identity policies)")
    parser.add_argument("--requests", type=int, default=2000, help="requests decided per repeat")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.policies < 1 or args.requests < 1 or args.repeats < 1:
        parser.error("--policies, --requests and --repeats must be at least 1")
    cases = corpus(args.policies, args.requests, args.seed)
    sizes = [len(kp.statements) for kp, _, _ in cases]
    print(f"corpus: {args.policies} key policies ({min(sizes)}-{max(sizes)} statements), "
          f"{args.policies} identity policies, {len(cases)} requests, seed {args.seed}, {args.repeats} repeats")
    one = lambda c: evaluate_policy(c[0], c[2], check_principal=True)  # noqa: E731
    full = lambda c: evaluate(c[2], resource_policy=c[0], identity_policies=c[1])  # noqa: E731
    for label, fn in (("evaluate_policy (key policy alone)", one), ("evaluate (key + identity policies)", full)):
        warm, tally = _rate(fn, cases, args.repeats)
        cold, _ = _rate(fn, cases, args.repeats, cold=True)
        print(f"{label}: median {warm:,.0f} decisions/s warm, {cold:,.0f} cold caches  {tally}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
