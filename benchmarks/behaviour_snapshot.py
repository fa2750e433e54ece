"""Behaviour snapshot: the reports of a fixed set of runs, with what varies between runs removed.

A refactoring must leave verdicts, counterexamples and facts exactly as they were. This script runs
``kms-conformance run`` on the model and moto targets (profile ci, seeds 0, 1, 2), strips what
legitimately changes from run to run (timestamps, durations, host, argv, report folder, and inside the
findings' calls what the target makes up per run: the run's name token, key and collection ids,
grant ids and tokens, dates, random data keys), and either writes the result or compares it with an
earlier snapshot (``compare`` masks both sides again, so older snapshots still compare)::

    python benchmarks/behaviour_snapshot.py write /tmp/before     # on the old commit
    python benchmarks/behaviour_snapshot.py write /tmp/after      # on the new one
    python benchmarks/behaviour_snapshot.py compare /tmp/before /tmp/after

``compare`` prints every difference (rule, field, before, after) and exits 1 when there is one.
The command to run the kit is ``kms-conformance`` on PATH, or ``--kit CMD``.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

RUNS = [(target, seed) for target in ("model", "moto") for seed in (0, 1, 2)]
VOLATILE_META = ("started", "finished", "host", "argv", "kit_version")
VOLATILE_RESULT = ("duration",)


#: What a target makes up per run inside the findings' calls, masked: (pattern, replacement).
_PER_RUN = [
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<uuid>"),
    (re.compile(r"([a-z0-9])-[0-9a-f]{6}-(\d+)"), r"\1-<token>-\2"),  # BotoTarget.unique's run token
    (re.compile(r"([a-z0-9])_[0-9a-f]{6}_(\d+)"), r"\1_<token>_\2"),
    (re.compile(r"\b[0-9a-f]{8}\b"), "<hex8>"),  # moto's grant ids and tokens
    (re.compile(r"collection/[a-z0-9]{20}\b"), "collection/<id>"),
    (re.compile(r"\d{8}T\d{6}Z-run-[0-9a-f]{6}"), "<run-id>"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)?"), "<date>"),
    (re.compile(r"[_-]\d{10}\b"), "-<epoch>"),
]
#: Response fields whose values are made up per run (ids, dates, versions, random bytes).
_PER_RUN_FIELDS = frozenset({"Plaintext", "CiphertextBlob", "createdDate", "lastModifiedDate", "id", "Id",
                             "RoleId", "policyVersion"})


def mask(value: Any) -> Any:
    """``value`` with what a target makes up per run replaced by placeholders (see ``_PER_RUN``)."""
    if isinstance(value, str):
        for pattern, replacement in _PER_RUN:
            value = pattern.sub(replacement, value)
        return value
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value > 10**12:  # epoch milliseconds
        return "<epoch-ms>"
    if isinstance(value, dict):
        return {k: "<per-run>" if k in _PER_RUN_FIELDS else mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    return value


def normalise(report: dict[str, Any]) -> dict[str, Any]:
    """The report without what varies between two runs of the same code and seed."""
    meta = {k: v for k, v in report.get("meta", {}).items() if k not in VOLATILE_META}
    results = []
    for r in report.get("results", []):
        r = {k: v for k, v in r.items() if k not in VOLATILE_RESULT}
        if isinstance(r.get("replay"), str):  # the replay line names the report folder
            r["replay"] = r["replay"].split(" --report-dir")[0]
        if r.get("findings"):
            r["findings"] = mask(r["findings"])
        results.append(r)
    return {"meta": meta, "summary": report.get("summary"), "results": results}


def write(out: Path, kit: list[str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for target, seed in RUNS:
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [*kit, "run", "--target", target, "--profile", "ci", "--seed", str(seed), "--report-dir", tmp]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode not in (0, 1):
                sys.exit(f"{shlex.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
            report = json.loads((Path(tmp) / "report.json").read_text())
        name = f"{target}-seed{seed}.json"
        (out / name).write_text(json.dumps(normalise(report), indent=1, sort_keys=True) + "\n")
        print(f"{name}: {report['summary']['counts']}")


def compare(before: Path, after: Path) -> int:
    differences = 0
    for target, seed in RUNS:
        name = f"{target}-seed{seed}.json"
        old = normalise(json.loads((before / name).read_text()))
        new = normalise(json.loads((after / name).read_text()))
        if old["meta"] != new["meta"]:
            differences += 1
            print(f"{name}: meta {old['meta']} -> {new['meta']}")
        old_rules = {r["rule_id"]: r for r in old["results"]}
        new_rules = {r["rule_id"]: r for r in new["results"]}
        for rid in sorted(old_rules.keys() | new_rules.keys()):
            a, b = old_rules.get(rid, {}), new_rules.get(rid, {})
            for field in sorted(a.keys() | b.keys()):
                if a.get(field) != b.get(field):
                    differences += 1
                    print(f"{name} {rid} {field}: {a.get(field)!r} -> {b.get(field)!r}")
    print(f"{differences} difference(s) over {len(RUNS)} runs")
    return 1 if differences else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write")
    w.add_argument("out", type=Path)
    w.add_argument("--kit", default="kms-conformance", help="command that runs the kit")
    c = sub.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "write":
        write(args.out, shlex.split(args.kit))
    else:
        sys.exit(compare(args.before, args.after))


if __name__ == "__main__":
    main()
