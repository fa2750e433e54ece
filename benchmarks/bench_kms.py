"""Benchmark of the reference model's KMS authorization (:func:`kms_conformance.kms.authorize`).

A deterministic corpus (``random.Random(0)``) of KMS authorization cases: key policies of 3-8
statements with conditions (kms:ViaService, kms:CallerAccount, kms:EncryptionContext:*,
kms:GrantIsForAWSResource, aws:PrincipalArn, ForAnyValue over kms:GrantOperations), identity
policies, grants with and without encryption context constraints, and requests by roles,
sessions, other accounts and service principals. Everything is parsed once, outside the timing;
the benchmark times only decisions and prints the median decisions per second over the repeats
(wall clock), then the CPU time per decision (median and best: on a shared machine the wall clock
also counts the time other processes ran).

    python benchmarks/bench_kms.py [--cases 2000] [--repeats 7]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Sequence
from typing import Any

from kms_conformance.kms import Grant, Key, KmsRequest, authorize, parse_grant
from kms_conformance.policy import Policy, parse_policy

ACCOUNT = "111122223333"
OTHER = "444455556666"
REGION = "us-east-1"
ROLES = ("App", "Forecast", "Analyst", "Admin", "Pipeline", "ROLE_PASSED_TO_FORECAST")
SERVICES = ("forecast", "sagemaker", "aoss", "airflow", "logs", "s3")
OPERATIONS = ("Encrypt", "Decrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom",
              "ReEncryptTo", "DescribeKey", "CreateGrant", "ListGrants", "RevokeGrant", "PutKeyPolicy")
CONTEXT_KEYS = ("aws:logs:arn", "Dept", "aws:s3:arn", "Project")


def _role(name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def _condition(rng: random.Random) -> dict[str, Any]:
    kind = rng.randrange(6)
    if kind == 0:
        return {"StringEquals": {"kms:ViaService": f"{rng.choice(SERVICES)}.{REGION}.amazonaws.com"}}
    if kind == 1:
        return {"StringEquals": {"kms:CallerAccount": rng.choice((ACCOUNT, OTHER))}}
    if kind == 2:
        return {"StringLike": {f"kms:EncryptionContext:{rng.choice(CONTEXT_KEYS)}": rng.choice(("IT", "prod*", "*"))}}
    if kind == 3:
        return {"Bool": {"kms:GrantIsForAWSResource": rng.choice(("true", "false"))}}
    if kind == 4:
        return {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/{rng.choice(ROLES)[:3]}*"}}
    return {"ForAllValues:StringEquals": {"kms:GrantOperations": ["Decrypt", "GenerateDataKey", "DescribeKey"]}}


def _statement(rng: random.Random, i: int) -> dict[str, Any]:
    principal: Any = rng.choice((
        {"AWS": _role(rng.choice(ROLES))}, {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, {"AWS": OTHER},
        {"Service": f"{rng.choice(SERVICES)}.amazonaws.com"}, "*"))
    actions = rng.sample(["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant",
                          "kms:DescribeKey", "kms:ListGrants", "kms:RevokeGrant", "kms:*"], rng.randint(1, 4))
    stmt: dict[str, Any] = {"Sid": f"S{i}", "Effect": "Deny" if rng.random() < 0.1 else "Allow",
                            "Principal": principal, "Action": actions, "Resource": "*"}
    if rng.random() < 0.7:
        cond: dict[str, Any] = {}
        for _ in range(rng.randint(1, 2)):
            for op, body in _condition(rng).items():
                cond.setdefault(op, {}).update(body)
        stmt["Condition"] = cond
    return stmt


def _key_policy(rng: random.Random, n: int) -> Policy:
    stmts = [{"Sid": "Enable IAM User Permissions", "Effect": "Allow",
              "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}]
    stmts += [_statement(rng, i) for i in range(rng.randint(2, 7))]
    return parse_policy({"Version": "2012-10-17", "Statement": stmts}, origin=f"key policy {n}")


def _identity_policy(rng: random.Random, key_arn: str, n: int) -> Policy:
    stmts = []
    for i in range(rng.randint(1, 3)):
        stmts.append({"Sid": f"I{i}", "Effect": "Deny" if rng.random() < 0.05 else "Allow",
                      "Action": rng.sample(["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:CreateGrant",
                                            "kms:DescribeKey", "kms:ListGrants", "kms:*"], rng.randint(1, 3)),
                      "Resource": rng.choice(("*", key_arn, f"arn:aws:kms:{REGION}:{ACCOUNT}:key/*"))})
    return parse_policy({"Version": "2012-10-17", "Statement": stmts}, origin=f"identity {n}")


def _grant(rng: random.Random, key_arn: str) -> Grant:
    raw: dict[str, Any] = {"KeyId": key_arn, "GranteePrincipal": rng.choice(
        (_role(rng.choice(ROLES)), f"{rng.choice(SERVICES)}.amazonaws.com")),
        "Operations": rng.sample(["Decrypt", "Encrypt", "GenerateDataKey", "DescribeKey", "CreateGrant",
                                  "RetireGrant"], rng.randint(1, 4))}
    if rng.random() < 0.5:
        raw["Constraints"] = {rng.choice(("EncryptionContextEquals", "EncryptionContextSubset")):
                              {rng.choice(CONTEXT_KEYS): rng.choice(("IT", "prod", "x"))}}
    return parse_grant(raw)


def corpus(cases: int, seed: int = 0) -> list[tuple[KmsRequest, tuple[Policy, ...], tuple[Grant, ...]]]:
    """``cases`` parsed (request, identity policies, grants) triples, the same for the same seed."""
    rng = random.Random(seed)
    keys = []
    for n in range(max(cases // 20, 1)):
        key_id = f"{rng.getrandbits(128):032x}"
        key_id = f"{key_id[:8]}-{key_id[8:12]}-{key_id[12:16]}-{key_id[16:20]}-{key_id[20:]}"
        arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}"
        keys.append((Key(arn=arn, key_id=key_id, account=ACCOUNT, region=REGION, policy=_key_policy(rng, n)),
                     tuple(_identity_policy(rng, arn, n * 10 + i) for i in range(3)),
                     tuple(_grant(rng, arn) for _ in range(rng.randint(0, 4)))))
    out = []
    for _ in range(cases):
        key, ids, grants = rng.choice(keys)
        caller = rng.choice((f"arn:aws:sts::{ACCOUNT}:assumed-role/{rng.choice(ROLES)}/s", _role(rng.choice(ROLES)),
                             f"arn:aws:sts::{OTHER}:assumed-role/{rng.choice(ROLES)}/s",
                             f"{rng.choice(SERVICES)}.amazonaws.com"))
        ctx = {k: rng.choice(("IT", "prod", "prod-1")) for k in rng.sample(CONTEXT_KEYS, rng.randint(0, 2))}
        via = f"{rng.choice(SERVICES)}.{REGION}.amazonaws.com" if rng.random() < 0.3 else None
        op = rng.choice(OPERATIONS)
        new_grant = _grant(rng, key.arn) if op == "CreateGrant" else None
        req = KmsRequest(operation=op, caller=caller, key=key, encryption_context=ctx, via_service=via,
                         grant=new_grant)
        out.append((req, ids[: rng.randint(0, 3)], grants))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    cases = corpus(args.cases)
    allowed = sum(authorize(r, identity_policies=i, grants=g).allowed for r, i, g in cases)  # warm-up
    rates, cpu = [], []
    for _ in range(args.repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        for req, ids, grants in cases:
            authorize(req, identity_policies=ids, grants=grants)
        cpu.append((time.process_time() - start_cpu) / len(cases))
        rates.append(len(cases) / (time.perf_counter() - start))
    median = statistics.median(rates)
    print(f"kms authorize: {len(cases)} cases ({allowed} allowed), {args.repeats} repeats: "
          f"median {median:,.0f} decisions/s ({1e6 / median:.1f} us/decision)")
    print(f"  CPU time (process_time) per decision: median {statistics.median(cpu) * 1e6:.1f} us, "
          f"best {min(cpu) * 1e6:.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
