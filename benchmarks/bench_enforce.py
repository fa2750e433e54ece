"""Benchmark of KMS authorization inside moto (:func:`kms_conformance.enforce`): the time of one
``kms.encrypt`` call through boto3 to moto in process, plain and enforced, by an assumed-role
session whose access the key policy delegates to the account and an inline role policy grants
(the enforced path reads the key policy, the role's policies and the key's grants on every call,
and rebuilds the kit's view of them only when they changed).

Prints the median time per call of each, over the repeats (wall clock, and CPU time: on a shared
machine the wall clock also counts other processes), the ratio enforced / plain, and the CPU time
of the enforcement's own decision (``check_call``) called alone on the arguments of one call.

Each repeat measures both modes, one right after the other, and gives one ratio; the first mode
alternates between repeats. The ratio printed first is the median of these paired ratios, with
their range: on this shared machine the speed of the whole process drifts by a fifth within
minutes, and a ratio of the two medians alone swung between 0.99x and 1.18x over three invocations
in one quarter of an hour, where the check itself costs about 1% of a call.

    python -m benchmarks enforce [-- --calls 200 --repeats 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks import ratio_summary

REGION = "us-east-1"


def _setup() -> Callable[[], Any]:
    """A key with the default key policy and a role allowed kms:Encrypt; returns one encrypt call."""
    import boto3

    iam = boto3.client("iam", region_name=REGION)
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName="Bench", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName="Bench", PolicyName="kms", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"}]}))
    key = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    creds = boto3.client("sts", region_name=REGION).assume_role(RoleArn=role, RoleSessionName="bench")["Credentials"]
    kms = boto3.client("kms", region_name=REGION, aws_access_key_id=creds["AccessKeyId"],
                       aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    return lambda: kms.encrypt(KeyId=key, Plaintext=b"benchmark", EncryptionContext={"app": "bench"})


def _per_call(call: Callable[[], Any], calls: int) -> tuple[float, float]:
    """Wall-clock and CPU seconds per call."""
    start, start_cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        call()
    return (time.perf_counter() - start) / calls, (time.process_time() - start_cpu) / calls


def _check_call_alone(call: Callable[[], Any], calls: int, repeats: int) -> list[float]:
    """CPU seconds per call of the enforcement's own decision (``check_call``) on the arguments
    of one enforced call, called directly: what enforcement adds besides decoding the body."""
    import kms_conformance.enforcement as enforcement

    captured: list[tuple[Any, ...]] = []
    original = enforcement.check_call

    def spy(enforcer: Any, operation: str, params: Any, **kwargs: Any) -> Any:
        captured.append((enforcer, operation, params, kwargs))
        return original(enforcer, operation, params, **kwargs)

    enforcement.check_call = spy  # type: ignore[assignment]
    try:
        with enforcement.enforce():
            call()
    finally:
        enforcement.check_call = original  # type: ignore[assignment]
    enforcer, operation, params, kwargs = captured[-1]
    times = []
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(calls):
            original(enforcer, operation, params, **kwargs)
        times.append((time.process_time() - start) / calls)
        enforcer.clear()
    return times


def measure_pairs(call: Callable[[], Any], calls: int, repeats: int,
                  enforced_mode: Callable[[], Any]) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """``repeats`` measurements of each mode, paired: repeat ``i`` measures both, plain first when
    ``i`` is even and enforced first when it is odd (``enforced_mode()`` is a context manager
    whose value has ``last_decision``, as :func:`~kms_conformance.enforcement.enforce`).
    Returns the plain and the enforced (wall, CPU) seconds per call, in repeat order."""
    plain: list[tuple[float, float]] = []
    enforced: list[tuple[float, float]] = []

    def enforced_once() -> None:
        with enforced_mode() as enforcer:
            enforced.append(_per_call(call, calls))
            assert enforcer.last_decision is not None and enforcer.last_decision.allowed

    for i in range(repeats):
        if i % 2:
            enforced_once()
            plain.append(_per_call(call, calls))
        else:
            plain.append(_per_call(call, calls))
            enforced_once()
    return plain, enforced


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=200, help="encrypt calls per measurement (default 200)")
    parser.add_argument("--repeats", type=int, default=7, help="measurements of each mode (default 7)")
    args = parser.parse_args(list(argv) if argv is not None else None)
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    from kms_conformance.enforcement import enforce
    from moto import mock_aws

    with mock_aws():
        call = _setup()
        call()  # warm up: clients, moto's lazy state, the policy cache
        plain, enforced = measure_pairs(call, args.calls, args.repeats, enforce)
        alone = _check_call_alone(call, args.calls, args.repeats)
    p, e = statistics.median(t for t, _ in plain), statistics.median(t for t, _ in enforced)
    pc, ec = statistics.median(c for _, c in plain), statistics.median(c for _, c in enforced)
    paired = ratio_summary([t for t, _ in enforced], [t for t, _ in plain], "repeats")
    print(f"kms.encrypt through moto in process, {args.calls} calls x {args.repeats} repeats (medians)")
    print(f"  enforced/plain, paired: {paired}")
    print(f"  plain moto:  {p * 1e6:9.1f} us/call  (CPU {pc * 1e6:.1f})")
    print(f"  enforced:    {e * 1e6:9.1f} us/call  (CPU {ec * 1e6:.1f})")
    print(f"  ratio of the medians: {e / p:.2f}x  (+{(e - p) * 1e6:.1f} us/call); CPU {ec / pc:.2f}x")
    print(f"  check_call alone (CPU): median {statistics.median(alone) * 1e6:.1f} us/call, "
          f"best {min(alone) * 1e6:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
