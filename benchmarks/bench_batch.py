"""Benchmark of ``kms-conformance simulate --batch`` on generated cases (:mod:`benchmarks.gen_batch`:
each line its own key or bucket policy and identity policies), against a peer evaluator.

Measured, medians over ``--rounds``:

- whole process: ``python -m kms_conformance simulate --batch FILE`` (start-up, reading, parsing,
  deciding, writing), lines/s, and the largest resident set of those processes;
- in process, fresh policies: :func:`~kms_conformance.commands.simulate.run_batch`, each round on
  lines it has never seen (generated with another seed), after a first pass over the main file:
  every case parses its own policies, and the parser's memo caches (condition entries, matchers)
  hold only what earlier, different lines left there, as in a long batch; never a replay of the
  same lines, whose entries would all be cached. Each round also times
  :func:`~kms_conformance.commands.simulate.run_case` on decoded cases of yet another seed (its
  policies parsed and the case decided, no JSON text read or written: what the in-process goal
  is stated in, and what the peer's core engine does on decoded cases), under the collector
  setting of the kit's batches (:func:`~kms_conformance.commands.simulate.collector_set_for_batch`);
- in process, parsed once: only :func:`~kms_conformance.commands.simulate.decide`, on cases parsed
  (and decided twice, so that each policy's memo is built) before the timing.

The peer is ``@cloud-copilot/iam-simulate`` (Node.js). When ``node`` and ``npm`` are on the PATH it
is installed with npm into a scratch folder under the system temporary directory (once), and run
on the same cases: whole process (``node``, one pass, writing a decision a line; each round runs
the kit's process and then the peer's, and the kit/peer ratio is the median of the rounds' ratios,
with their range, since a shared machine's load changes from minute to minute) and in process
(its own loop over ``runSimulation``, policies validated and loaded by it on every case; and its
core engine's ``authorize`` after ``loadPolicy`` on every case, :data:`PEER_CORE_RUNNER`; each of the
kit's fresh-policy rounds is followed by one round of the core engine, and their ratio is given as the
median of the rounds' ratios, as for the whole process). Grants
have no counterpart there and are left out of its cases. Without node the peer rows are skipped
with one line saying so.

The share of cases on which the kit and each of the peer's loops give the same decision is printed
too, the kit deciding the same grant-less cases; then once more, the core engine given each request
with the whole context the kit evaluates it against
(:func:`~kms_conformance.commands.simulate.evaluation_context`: the keys AWS sets that the kit
derives, which the peer does not, such as ``kms:CallerAccount`` and ``kms:EncryptionContextKeys``),
the cases still decided apart counted by the kind of caller (:func:`caller_kind`). Those left are
where the two evaluators apply different rules, not different condition keys: the kit lets the
root user act in its own account unless a policy denies it, and reads no identity policy for a
service principal (see benchmarks/README.md, "Agreement with the peer").

    python -m benchmarks batch -- [--cases 20000] [--rounds 5] [--no-peer]
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kms_conformance.commands.simulate import (
    Parsed,
    collector_set_for_batch,
    decide,
    evaluation_context,
    parse_request,
    run_batch,
    run_case,
)
from kms_conformance.policy import principal_info

from benchmarks import gen_batch, ratio_summary

PEER = "@cloud-copilot/iam-simulate"
PEER_RUNNER = r"""
const { runSimulation } = require('@cloud-copilot/iam-simulate');
const fs = require('fs');
const [file, roundsText] = process.argv.slice(2);
const rounds = Number(roundsText);
function simulation(c) {
  const r = c.request;
  return {
    request: { action: r.action, principal: r.principal, contextVariables: r.context || {},
               resource: { resource: r.resource, accountId: r.resourceAccount || r.resource.split(':')[4] } },
    identityPolicies: (c.identityPolicies || []).map((p, i) => ({ name: 'identity ' + i, policy: p })),
    serviceControlPolicies: [], resourceControlPolicies: [], resourcePolicy: c.resourcePolicy,
  };
}
(async () => {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim());
  const rates = [];
  let decisions = [];
  for (let round = 0; round < rounds; round++) {
    decisions = [];
    const start = process.hrtime.bigint();
    for (const line of lines) {
      const res = await runSimulation(simulation(JSON.parse(line)), {});
      decisions.push(res.resultType === 'error' ? 'error' : res.overallResult);
    }
    rates.push(lines.length / (Number(process.hrtime.bigint() - start) / 1e9));
  }
  process.stdout.write(decisions.join('\n') + '\n');
  process.stderr.write(JSON.stringify({ rates }) + '\n');
})();
"""

#: The peer's core engine in process (the figure the in-process speed goal is stated against):
#: for each case, its policies loaded with the peer's own loader (``loadPolicy`` of
#: ``@cloud-copilot/iam-policy``), then ``authorize`` of ``core_engine/CoreSimulatorEngine`` (which
#: "assumes all policies have been validated": no validation runs here) on an ``AwsRequestImpl``
#: built as ``runSimulation`` builds it (Strict mode, no SCPs or RCPs, the context as written:
#: ``runSimulation`` first drops the keys its data does not list for the action and normalises
#: their types, which this loop does not do). The package exports only its index, so the engine's
#: modules are required by file path. Whether an action is "wildcard only"
#: (``isWildcardOnlyAction``, an asynchronous data lookup) is asked once per distinct action before
#: the timing, which favours the peer. Each round times two loops: from the text lines
#: (``JSON.parse`` of each line included, as in the kit's lines/s) and from cases decoded before
#: the timing. Should a later version of the package move these modules, the row says that the
#: engine could not be called, and why.
PEER_CORE_RUNNER = r"""
const path = require('path');
const fs = require('fs');
const cjs = path.dirname(require.resolve('@cloud-copilot/iam-simulate'));
const { authorize } = require(path.join(cjs, 'core_engine', 'CoreSimulatorEngine.js'));
const { AwsRequestImpl } = require(path.join(cjs, 'request', 'request.js'));
const { RequestContextImpl } = require(path.join(cjs, 'requestContext.js'));
const { DiscoveryContextKeyConstraints } = require(path.join(cjs, 'context_keys', 'discoveryContextKeyConstraints.js'));
const { isWildcardOnlyAction } = require('@cloud-copilot/iam-simulate');
const { loadPolicy } = require('@cloud-copilot/iam-policy');
const [file, roundsText] = process.argv.slice(2);
const rounds = Number(roundsText);
const parameters = { simulationMode: 'Strict', discoveryContextKeyConstraints: new DiscoveryContextKeyConstraints([]) };
function decide(c, wildcardOnly) {
  const r = c.request;
  try {
    return authorize({
      request: new AwsRequestImpl(r.principal,
                                  { resource: r.resource, accountId: r.resourceAccount || r.resource.split(':')[4] },
                                  r.action, new RequestContextImpl(r.context || {}), wildcardOnly.get(r.action)),
      sessionPolicy: undefined,
      identityPolicies: (c.identityPolicies || []).map((p, i) => loadPolicy(p, { name: 'identity ' + i })),
      serviceControlPolicies: [], resourceControlPolicies: [],
      resourcePolicy: c.resourcePolicy ? loadPolicy(c.resourcePolicy, { name: 'resource' }) : undefined,
      permissionBoundaries: undefined, vpcEndpointPolicies: undefined, simulationParameters: parameters,
    }).result;
  } catch (e) { return 'error'; }
}
(async () => {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim());
  const wildcardOnly = new Map();
  for (const line of lines) {
    const action = JSON.parse(line).request.action;
    if (!wildcardOnly.has(action)) {
      const [service, name] = action.split(':');
      wildcardOnly.set(action, await isWildcardOnlyAction(service, name).catch(() => false));
    }
  }
  const rates = [], decodedRates = [];
  let decisions = [];
  for (let round = 0; round < rounds; round++) {
    decisions = [];
    let start = process.hrtime.bigint();
    for (const line of lines) decisions.push(decide(JSON.parse(line), wildcardOnly));
    rates.push(lines.length / (Number(process.hrtime.bigint() - start) / 1e9));
    const cases = lines.map((l) => JSON.parse(l));
    start = process.hrtime.bigint();
    for (const c of cases) decide(c, wildcardOnly);
    decodedRates.push(cases.length / (Number(process.hrtime.bigint() - start) / 1e9));
  }
  process.stdout.write(decisions.join('\n') + '\n');
  process.stderr.write(JSON.stringify({ rates, decodedRates }) + '\n');
})();
"""


def _median(values: Sequence[float]) -> float:
    return statistics.median(values)


#: Runs ``kms-conformance ARGS`` in its process and, at exit, writes that process's own peak resident
#: memory (``VmHWM`` of ``/proc/self/status``, kB) to the file named by ``KMS_BENCH_PEAK_FILE``. The
#: kernel's ``ru_maxrss`` of a child is no measure of it on Linux: a child started by ``fork``/``vfork``
#: and ``exec`` reports at least the launching process's peak (its memory before ``exec``), and this
#: benchmark's process holds every case of the file (a child measured at 79.5 MB that way from a
#: process holding 70 MB, 53.4 MB from a small one; ``/usr/bin/time`` agrees with the latter).
PEAK_PROBE = """
import atexit, os, runpy, sys

def _peak():
    try:
        with open("/proc/self/status") as status:
            kb = next((line.split()[1] for line in status if line.startswith("VmHWM:")), "")
    except OSError:
        kb = ""
    with open(os.environ["KMS_BENCH_PEAK_FILE"], "w") as out:
        out.write(kb)

atexit.register(_peak)
sys.argv = ["kms-conformance", *sys.argv[1:]]
runpy.run_module("kms_conformance", run_name="__main__", alter_sys=True)
"""


def _run_kit(path: Path) -> tuple[float, float | None]:
    """Seconds of one ``simulate --batch`` process on ``path``, and its own peak resident memory in MB
    (:data:`PEAK_PROBE`; None where ``/proc`` does not say)."""
    with tempfile.TemporaryDirectory(prefix="kms-conformance-bench-peak-") as tmp:
        peak_file = Path(tmp) / "peak"
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", PEAK_PROBE, "simulate", "--batch", str(path)],
                       stdout=subprocess.DEVNULL, check=True, env={**os.environ, "KMS_BENCH_PEAK_FILE": str(peak_file)})
        seconds = time.perf_counter() - start
        kb = peak_file.read_text().strip() if peak_file.exists() else ""
    return seconds, int(kb) / 1024 if kb.isdigit() else None


def whole_process(path: Path, rounds: int,
                  peer_run: tuple[Path, Path] | None) -> tuple[list[float], list[float], float | None]:
    """Lines/s of each ``simulate --batch`` process and, with ``peer_run`` (the peer's folder and
    its cases), of the peer's process run right after it in the same round: the two of a round
    see the same load on a shared machine, so their ratio is steadier than a ratio of medians.
    Also the largest peak resident memory (MB) of the kit's processes (None where it is not known)."""
    lines = sum(1 for _ in path.open(encoding="utf-8"))
    kit: list[float] = []
    other: list[float] = []
    rss: float | None = None
    for _ in range(rounds):
        seconds, peak = _run_kit(path)
        kit.append(lines / seconds)
        if peak is not None:
            rss = peak if rss is None else max(rss, peak)
        if peer_run is not None:
            folder, cases = peer_run
            start = time.perf_counter()
            subprocess.run(["node", "run_batch.js", str(cases), "1"], cwd=folder, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True)
            other.append(lines / (time.perf_counter() - start))
    return kit, other, rss


@dataclass(frozen=True)
class InProcess:
    """Rates of the in-process rounds (one entry a round): the kit from text lines (``run_batch``:
    decoding, deciding, writing) and from decoded cases (``run_case``: its policies parsed and the
    case decided, the figure the in-process goal is stated in), and the peer's core engine right
    after each round, from text lines and from decoded cases (empty without a peer)."""

    kit_lines: list[float]
    kit_decoded: list[float]
    peer_lines: list[float]
    peer_decoded: list[float]


def kit_in_process(lines: list[str], fresh: Sequence[list[str]], fresh_decoded: Sequence[list[Any]] = (),
                   after_round: Callable[[], tuple[float, float]] | None = None) -> InProcess:
    """Lines/s of run_batch over each list of ``fresh`` lines, and cases/s of run_case over each list
    of ``fresh_decoded`` cases (policies never seen before in this process: every case parses its
    own; the two lists of a round hold different cases, so neither finds the other's entries in the
    memo caches), after an untimed pass over ``lines``. ``after_round`` (the peer's
    core engine, :func:`peer_core_round`) runs right after each round and gives its own two rates:
    the two of a round see the same load on a shared machine, so their ratio is steadier than a
    ratio of medians taken minutes apart."""
    run_batch(lines, io.StringIO(), parsed=Parsed())
    result = InProcess([], [], [], [])
    for r, batch in enumerate(fresh):
        start = time.perf_counter()
        run_batch(batch, io.StringIO(), parsed=Parsed())
        result.kit_lines.append(len(batch) / (time.perf_counter() - start))
        if r < len(fresh_decoded):
            cases, parsed = fresh_decoded[r], Parsed()
            # Under the collector setting every batch of the kit runs under (run_batch above sets it
            # itself), not Python's default thresholds, under which the collector took 6-12% of a
            # round (timed with gc.callbacks, 5,000 cases a round).
            with collector_set_for_batch():
                start = time.perf_counter()
                for case in cases:
                    run_case(case, parsed, "<batch>")
                result.kit_decoded.append(len(cases) / (time.perf_counter() - start))
        if after_round is not None:
            on_lines, on_decoded = after_round()
            result.peer_lines.append(on_lines)
            result.peer_decoded.append(on_decoded)
    return result


def fresh_lines(cases: int, seed: int, rounds: int, *, offset: int = 0) -> list[list[str]]:
    """One list of ``cases`` lines a round, each generated with its own seed (never ``seed``);
    ``offset`` gives other lists again (the decoded rounds' cases)."""
    return [[json.dumps(c, separators=(",", ":")) for c in gen_batch.cases(cases, seed + 1000 * (r + 1) + offset)]
            for r in range(rounds)]


def kit_parsed_once(lines: list[str], rounds: int) -> float:
    """Median decisions/s of decide() on cases whose policies and grants were parsed before, and
    decided twice before the timing (each policy's memo built, as in a batch that repeats them)."""
    parsed = Parsed(size=len(lines) * 4)
    cases: list[tuple[Any, Any, list[Any], list[Any]]] = []
    for line in lines:
        raw = json.loads(line)
        rp = raw.get("resourcePolicy")
        cases.append((parse_request(raw["request"], source="bench"),
                      parsed.policy(rp, source="bench") if rp is not None else None,
                      [parsed.policy(p, source="bench") for p in raw.get("identityPolicies", [])],
                      [parsed.grant(g, source="bench") for g in raw.get("grants", [])]))
    for _ in range(2):  # untimed: a policy's first evaluation scans it, the second builds its memo
        for req, rp, ids, grants in cases:
            decide(req, rp, ids, grants)
    rates = []
    for _ in range(rounds):
        start = time.perf_counter()
        for req, rp, ids, grants in cases:
            decide(req, rp, ids, grants)
        rates.append(len(cases) / (time.perf_counter() - start))
    return _median(rates)


def peer_folder() -> Path | None:
    """The scratch folder with the peer installed (installing it with npm when needed); None
    (after printing why) when node or npm is absent or the installation fails."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        print(f"peer: skipped ({PEER} needs node and npm, which are not on the PATH)")
        return None
    folder = Path(tempfile.gettempdir()) / "kms-conformance-bench-peer"
    if not (folder / "node_modules" / PEER / "package.json").exists():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "package.json").write_text('{"name": "kms-conformance-bench-peer", "private": true}\n')
        done = subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", PEER], cwd=folder,
                              capture_output=True, text=True)
        if done.returncode != 0:
            print(f"peer: skipped (npm install {PEER} failed: {done.stderr.strip().splitlines()[-1:]})")
            return None
    (folder / "run_batch.js").write_text(PEER_RUNNER)
    (folder / "core_batch.js").write_text(PEER_CORE_RUNNER)
    return folder


def _without_grants(path: Path, folder: Path) -> Path:
    target = folder / "cases.jsonl"
    with path.open(encoding="utf-8") as src, target.open("w", encoding="utf-8") as dst:
        for line in src:
            raw = json.loads(line)
            raw.pop("grants", None)
            dst.write(json.dumps(raw, separators=(",", ":")) + "\n")
    return target


def peer_in_process(cases: Path, folder: Path, rounds: int) -> tuple[float, list[str]]:
    """The peer's median in-process lines/s (its own loop over ``runSimulation``) and its decisions."""
    done = subprocess.run(["node", "run_batch.js", str(cases), str(rounds)], cwd=folder, capture_output=True,
                          text=True, check=True)
    rates = json.loads(done.stderr.strip().splitlines()[-1])["rates"]
    return _median(rates), done.stdout.split()


def peer_core_in_process(cases: Path, folder: Path, rounds: int) -> tuple[float, float, list[str]] | str:
    """The peer's core engine in process (:data:`PEER_CORE_RUNNER`): median lines/s from the text
    lines, median decisions/s from cases decoded before the timing, and its decisions; or why it
    could not be called (the runner's last line of errors)."""
    figures = _peer_core_run(cases, folder, rounds)
    if isinstance(figures, str):
        return figures
    return _median(figures["rates"]), _median(figures["decodedRates"]), figures["decisions"]


def _peer_core_run(cases: Path, folder: Path, rounds: int) -> dict[str, Any] | str:
    done = subprocess.run(["node", "core_batch.js", str(cases), str(rounds)], cwd=folder, capture_output=True,
                          text=True)
    if done.returncode != 0:
        lines = [x for x in done.stderr.splitlines() if "Error" in x] or done.stderr.strip().splitlines() or ["?"]
        return lines[0].strip()
    figures: dict[str, Any] = json.loads(done.stderr.strip().splitlines()[-1])
    figures["decisions"] = done.stdout.split()
    return figures


def peer_core_round(cases: Path, folder: Path) -> tuple[float, float]:
    """One round of the peer's core engine, paired with a round of the kit: lines/s from the text
    lines and cases/s from decoded cases, of the second of two passes over ``cases`` in one node
    process (the first warms its JIT compiler, as the kit's first pass warms its memo caches)."""
    figures = _peer_core_run(cases, folder, 2)
    if isinstance(figures, str):
        raise RuntimeError(figures)
    return float(figures["rates"][-1]), float(figures["decodedRates"][-1])


def agreement(decisions: Sequence[str], other: Sequence[str]) -> str:
    same = sum(a == b for a, b in zip(decisions, other, strict=True))
    return f"{same}/{len(decisions)} cases ({100 * same / len(decisions):.1f}%); peer refused {other.count('error')}"


def peer_core_decisions(cases: Path, folder: Path) -> list[str] | str:
    """The peer's core engine's decision on each line of ``cases`` (one pass), or why it could not
    be called."""
    figures = _peer_core_run(cases, folder, 1)
    return figures if isinstance(figures, str) else list(figures["decisions"])


def caller_kind(principal: str) -> str:
    """``root user`` (an account's root ARN or a bare account id), ``service principal`` (a
    service's name) or ``IAM principal`` (any other): the kit's own reading of the principal
    (:func:`~kms_conformance.policy.principal_info`), in the words the agreement lines use."""
    kind = principal_info(principal).kind
    return "root user" if kind == "Account" else "service principal" if kind == "Service" else "IAM principal"


def kit_decisions(cases: Path) -> list[str]:
    """The kit's decision on each line of ``cases`` (fresh policies, as any batch); ``error`` for a
    line the kit refuses, as the peer's runners write for a case they refuse."""
    out = io.StringIO()
    run_batch(cases.read_text(encoding="utf-8").splitlines(), out)
    return [json.loads(x).get("decision", "error") for x in out.getvalue().splitlines()]


def with_evaluation_context(cases: Path, target: Path) -> Path:
    """``cases`` again, each request's context replaced by the kit's whole evaluation context (a
    single value as a string, several as a list)."""
    with cases.open(encoding="utf-8") as src, target.open("w", encoding="utf-8") as dst:
        for line in src:
            raw = json.loads(line)
            context = evaluation_context(parse_request(raw["request"], source="bench"))
            raw["request"]["context"] = {k: v[0] if len(v) == 1 else list(v) for k, v in context.items()}
            dst.write(json.dumps(raw, separators=(",", ":")) + "\n")
    return target


def apart_by_caller(cases: Path, decisions: Sequence[str], other: Sequence[str]) -> str:
    """The cases decided apart, counted by :func:`caller_kind` of the request's principal."""
    principals = [json.loads(line)["request"]["principal"]
                  for line in cases.read_text(encoding="utf-8").splitlines() if line.strip()]
    kinds: dict[str, int] = {}
    for principal, a, b in zip(principals, decisions, other, strict=True):
        if a != b:
            kind = caller_kind(principal)
            kinds[kind] = kinds.get(kind, 0) + 1
    return ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items(), key=lambda x: -x[1])) or "none"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-peer", action="store_true", help="measure the kit only")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kms-conformance-bench-") as tmp:
        path = Path(tmp) / "cases.jsonl"
        size = gen_batch.write(str(path), args.cases, args.seed)
        lines = path.read_text(encoding="utf-8").splitlines()
        print(f"batch: {args.cases} cases ({size / args.cases:,.0f} bytes a line, seed {args.seed}), "
              f"medians of {args.rounds} rounds")
        folder = None if args.no_peer else peer_folder()
        cases = _without_grants(path, folder) if folder is not None else None
        kit_whole, peer_whole, rss = whole_process(
            path, args.rounds, (folder, cases) if folder is not None and cases is not None else None)
        peak = f"peak RSS {rss:,.0f} MB" if rss is not None else "peak RSS not known (no /proc)"
        print(f"  kit whole process (simulate --batch): {_median(kit_whole):,.0f} lines/s, {peak}")
        # The core engine's own rounds first: they also say whether it can be called at all (see
        # PEER_CORE_RUNNER), and only then are the kit's rounds paired with one of its rounds each.
        core_run: tuple[float, float, list[str]] | str = "no peer"
        paired: Callable[[], tuple[float, float]] | None = None
        if folder is not None and cases is not None:
            core_run = peer_core_in_process(cases, folder, args.rounds)
            if not isinstance(core_run, str):
                paired = functools.partial(peer_core_round, cases, folder)
        decoded = [[json.loads(x) for x in batch]
                   for batch in fresh_lines(args.cases, args.seed, args.rounds, offset=500)]
        rounds = kit_in_process(lines, fresh_lines(args.cases, args.seed, args.rounds), decoded, paired)
        fresh = _median(rounds.kit_lines)
        print(f"  kit in process, fresh policies:      {fresh:,.0f} lines/s (each round on lines never seen); "
              f"{_median(rounds.kit_decoded):,.0f} cases/s on decoded cases (run_case)")
        once = kit_parsed_once(lines, args.rounds)
        print(f"  kit in process, parsed once:         {once:,.0f} decisions/s")
        if folder is not None and cases is not None:
            p_fresh, p_decisions = peer_in_process(cases, folder, args.rounds)
            print(f"  peer whole process (node):           {_median(peer_whole):,.0f} lines/s; kit/peer "
                  f"{ratio_summary(kit_whole, peer_whole)}")
            print(f"  peer in process (runSimulation):     {p_fresh:,.0f} lines/s; kit fresh/peer "
                  f"{fresh / p_fresh:.2f}x")
            if isinstance(core_run, str):
                print(f"  peer in process (core engine):       not run: its modules could not be called ({core_run})")
            else:
                core, core_decoded, _ = core_run
                print(f"  peer in process (core engine):       {core:,.0f} lines/s; kit fresh/peer "
                      f"{fresh / core:.2f}x (loadPolicy + authorize, no validation; {core_decoded:,.0f}/s on "
                      "decoded cases)")
                lines_ratio = ratio_summary(rounds.kit_lines, rounds.peer_lines)
                decoded_ratio = ratio_summary(rounds.kit_decoded, rounds.peer_decoded)
                print(f"  kit fresh/peer core engine, paired:  {lines_ratio} from text lines; {decoded_ratio} on "
                      "decoded cases (each kit round followed by one of the peer's)")
            same_cases = kit_decisions(cases)  # the peer's cases: no grants
            print(f"  same decision, runSimulation:        {agreement(same_cases, p_decisions)}")
            if not isinstance(core_run, str):
                print(f"  same decision, core engine:          {agreement(same_cases, core_run[2])}; apart: "
                      f"{apart_by_caller(cases, same_cases, core_run[2])}")
                derived = with_evaluation_context(cases, folder / "cases_context.jsonl")
                told = peer_core_decisions(derived, folder)
                if not isinstance(told, str):
                    print(f"  same, the kit's context given:       {agreement(same_cases, told)}; apart: "
                          f"{apart_by_caller(cases, same_cases, told)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
