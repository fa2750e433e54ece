"""Agreement of the kit's evaluator with an independent one, on generated cases: not a timing.

The other evaluator is the peer of :mod:`benchmarks.bench_batch` (``@cloud-copilot/iam-simulate``'s
core engine, installed with npm into a scratch folder when node is on the PATH; without node this
prints one line saying so). Both decide the same grant-less cases of :mod:`benchmarks.gen_batch`
(grants have no counterpart in the peer), in three passes:

1. the cases as written;
2. each request given the whole context the kit evaluates it against
   (:func:`~kms_conformance.commands.simulate.evaluation_context`): the keys AWS sets that the kit
   derives and the peer does not (``kms:CallerAccount``, ``kms:EncryptionContextKeys``,
   ``kms:GrantIsForAWSResource``...);
3. besides, both deciding the policies rewritten so that the two read them alike: a policy
   variable in ``Resource``/``NotResource`` replaced by its value for the request (the same policy
   for the kit; the peer's core engine left ``${aws:PrincipalAccount}`` unresolved there), and each
   IAM principal that a ``NotPrincipal`` names followed by the ARN of its account (another policy,
   decided anew by both: without the account, AWS does not exempt the principal, "AWS JSON policy
   elements: NotPrincipal", the account of a principal not denied must be given too; the kit
   applies this and the peer does not).

After each pass the cases decided apart are counted by the kind of caller. Two kinds remain apart by
design, the rules the peer does not share: the root user (the kit: full access in its own account
unless a policy denies it) and a service principal given identity policies (the kit reads none).
The cases of IAM principals still apart after the third pass are written to ``--out`` and the exit
status is 1: there the evaluators differ where neither a documented rule of the kit nor a known gap
of the peer explains it, and one of them is wrong.

``--rich`` first rewrites the generated statements (seeded): ``NotAction`` for about one ``Action``
in seven, ``NotResource`` for as many ``Resource`` elements, ``NotPrincipal`` (the caller, or
another account) for some ``Deny`` statements of resource policies, and policy variables in the
``Resource`` of some identity-policy statements; the generator itself writes none of these.

    python -m benchmarks agreement [-- --cases 3000 --seed 0 --rich --out apart.jsonl]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from kms_conformance.commands.simulate import evaluation_context, parse_request

from benchmarks import bench_batch, gen_batch

#: Not part of ``python -m benchmarks`` without names: it checks decisions, it does not time them.
ONLY_WHEN_NAMED = True

_VARIABLE = re.compile(r"\$\{([^}*?$]+)\}")


def _statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    found = policy["Statement"]
    return found if isinstance(found, list) else [found]


def _policies(case: dict[str, Any]) -> Iterator[tuple[dict[str, Any], bool]]:
    """Each policy of a case, and whether it is the resource policy."""
    if case.get("resourcePolicy"):
        yield case["resourcePolicy"], True
    for policy in case.get("identityPolicies", []):
        yield policy, False


def enrich(case: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """``case`` (a copy, without grants) with some of its statements rewritten to use ``NotAction``,
    ``NotResource``, ``NotPrincipal`` and policy variables (see the module docstring)."""
    case = json.loads(json.dumps(case))
    case.pop("grants", None)
    caller = case["request"]["principal"]
    for policy, resource_side in _policies(case):
        for stmt in _statements(policy):
            draw = rng.random()
            if draw < 0.15 and "Action" in stmt:
                stmt["NotAction"] = stmt.pop("Action")
            elif draw < 0.3 and "Resource" in stmt:
                resource = stmt.pop("Resource")
                stmt["NotResource"] = resource if isinstance(resource, str) and resource != "*" else [
                    "arn:aws:s3:::other-bucket/*", "arn:aws:kms:*:111111111111:key/*"]
            if resource_side and stmt["Effect"] == "Deny" and "Principal" in stmt and rng.random() < 0.3:
                del stmt["Principal"]
                named = caller if caller.startswith("arn:") and rng.random() < 0.5 else "arn:aws:iam::111111111111:root"
                stmt["NotPrincipal"] = {"AWS": named}
            if not resource_side and "Resource" in stmt and rng.random() < 0.1:
                stmt["Resource"] = ["arn:aws:s3:::${aws:PrincipalAccount}-*",
                                    "arn:aws:kms:*:${aws:PrincipalAccount}:key/*"]
    return case


def _account_root(arn: str) -> str | None:
    """The ARN of the account of an IAM principal's ARN; None for an account's own ARN or another value."""
    parts = arn.split(":")
    if len(parts) < 6 or not parts[4] or arn.endswith(":root"):
        return None
    return f"arn:{parts[1]}:iam::{parts[4]}:root"


def as_the_peer_reads(case: dict[str, Any]) -> dict[str, Any]:
    """``case`` (a copy) with its policies written so that the peer reads them as the kit does:
    policy variables in ``Resource``/``NotResource`` (policy version 2012-10-17) replaced by their
    single value in the kit's evaluation context (a variable without one is left as written), and
    each IAM principal of an ``AWS`` ``NotPrincipal`` followed by its account's ARN."""
    case = json.loads(json.dumps(case))
    context = evaluation_context(parse_request(case["request"], source="agreement"))

    def value(match: re.Match[str]) -> str:
        found = context.get(match.group(1).lower())
        return found[0] if found is not None and len(found) == 1 else match.group(0)

    for policy, _ in _policies(case):
        variables = policy.get("Version") == "2012-10-17"
        for stmt in _statements(policy):
            for element in ("Resource", "NotResource"):
                if variables and element in stmt:
                    stmt[element] = json.loads(_VARIABLE.sub(value, json.dumps(stmt[element])))
            named = stmt.get("NotPrincipal", {}).get("AWS") if isinstance(stmt.get("NotPrincipal"), dict) else None
            if named is not None:
                names = [named] if isinstance(named, str) else list(named)
                accounts = [a for a in (_account_root(n) for n in names) if a is not None and a not in names]
                stmt["NotPrincipal"]["AWS"] = names + list(dict.fromkeys(accounts))
    return case


def _caller(line: str) -> str:
    return bench_batch.caller_kind(json.loads(line)["request"]["principal"])


def _write(cases: Sequence[dict[str, Any]], path: Path) -> Path:
    path.write_text("".join(json.dumps(c, separators=(",", ":")) + "\n" for c in cases), encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rich", action="store_true",
                        help="rewrite statements to use NotAction, NotResource, NotPrincipal and policy variables")
    parser.add_argument("--out", default=None,
                        help="where the cases of IAM principals still decided apart go (default: agreement-apart.jsonl "
                        "in the peer's scratch folder)")
    args = parser.parse_args(list(argv) if argv is not None else None)
    folder = bench_batch.peer_folder()
    if folder is None:
        return 0
    rng = random.Random(args.seed)
    cases = [enrich(c, rng) if args.rich else {k: v for k, v in c.items() if k != "grants"}
             for c in gen_batch.cases(args.cases, args.seed)]
    written = _write(cases, folder / "agreement.jsonl")
    decisions = bench_batch.kit_decisions(written)
    print(f"agreement: {args.cases} cases (seed {args.seed}{', rich' if args.rich else ''}), the kit and the peer's "
          "core engine")
    peer_read = _write([as_the_peer_reads(c) for c in cases], folder / "agreement-peer-read.jsonl")
    for label, path, kit_path in (
            ("as written", written, written),
            ("given the kit's context",
             bench_batch.with_evaluation_context(written, folder / "agreement-context.jsonl"), written),
            ("and policies as both read them",
             bench_batch.with_evaluation_context(peer_read, folder / "agreement-peer-read-context.jsonl"), peer_read)):
        if kit_path is not written:
            decisions = bench_batch.kit_decisions(kit_path)
        peer = bench_batch.peer_core_decisions(path, folder)
        if isinstance(peer, str):
            print(f"  peer not run: its modules could not be called ({peer})")
            return 0
        print(f"  {label + ':':37s}{bench_batch.agreement(decisions, peer)}; apart: "
              f"{bench_batch.apart_by_caller(written, decisions, peer)}")
    # the last pass's cases (the policies as both read them) of IAM principals still decided apart
    apart = [line for line, kit, other in zip(path.read_text(encoding="utf-8").splitlines(), decisions, peer,
                                              strict=True)
             if kit != other and _caller(line) == "IAM principal"]
    if apart:
        out = Path(args.out) if args.out else folder / "agreement-apart.jsonl"
        out.write_text("\n".join(apart) + "\n", encoding="utf-8")
        print(f"  {len(apart)} case(s) of IAM principals decided apart, with neither rule nor gap to explain it: {out}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
