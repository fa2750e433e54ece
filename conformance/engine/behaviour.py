"""One behaviour rule on one target, driven by Hypothesis.

Hypothesis draws examples from ``rule.behavior.examples()``; each example's scenario runs on the
reference model and on the target under test, and ``rule.behavior.compare`` says whether their
facts differ. Every distinct divergence (its signature: :func:`call_signature` when a subject call
answers another code than on the model, else :func:`signature` of the facts) is shrunk to a minimal
counterexample of its own and becomes a :class:`~kms_conformance.verdicts.Finding` with the
expected and observed facts and the calls both sides made. A stage or control step the model
completes that fails on the target makes the rule ``inconclusive`` (``blocked_by``:
:func:`subject_index`); a missing operation ``unsupported``; an exception in the kit ``error``.

Cost: an example runs on both sides once per rule. Its result is kept (:class:`_Seen`), so the
shrink passes, which draw the exploration's examples again up to the one they shrink, and
Hypothesis's replays of an example already tried, cost nothing; each shrink pass may run at most
the profile's ``shrink_budget`` new examples.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kms_conformance.engine.isolation import isolated
from kms_conformance.engine.outcome import Stop, describe_exc, jsonable
from kms_conformance.engine.profiles import Profile, hypothesis_settings
from kms_conformance.rules import Rule
from kms_conformance.targets.base import Target, UnsupportedOperation
from kms_conformance.verdicts import Finding, Inconclusive, Verdict


class _Divergence(Exception):
    """The target's facts differ from the model's on one example (Hypothesis shrinks these). Each
    signature raises its own subclass (:func:`_divergence_type`): Hypothesis tells failures apart
    by exception type and location (``InterestingOrigin``), so with ``report_multiple_bugs`` it
    shrinks every distinct divergence on its own."""

    def __init__(self, diff: str) -> None:
        super().__init__(diff)
        self.diff = diff


_DIVERGENCE_TYPES: dict[str, type[_Divergence]] = {}


def _divergence_type(signature: str) -> type[_Divergence]:
    """The exception class of one signature (created once, then reused)."""
    found = _DIVERGENCE_TYPES.get(signature)
    if found is None:
        found = type(f"Divergence{len(_DIVERGENCE_TYPES)}", (_Divergence,), {"signature": signature})
        _DIVERGENCE_TYPES[signature] = found
    return found


#: The fact a scenario may add to tell kinds of example apart (``"Allow"``, ``"Deny"``): part of a
#: finding's signature, never compared.
FEATURE = "_feature"
#: While exploring, an example that repeats a known divergence does not count as one of the profile's
#: examples (Hypothesis draws another, so that rarer divergences are reached), up to this many such
#: repeats per example of the profile: exploration runs at most twice the profile's examples.
REPEATS_PER_EXAMPLE = 1
#: Each distinct finding gets the profile's shrink budget, up to this many findings per rule (the
#: others keep their first, unshrunk example).
MAX_BUDGETS = 4



@dataclass
class _Group:
    """The failures of one signature: the latest one (Hypothesis's final replay of a shrunk example
    comes last, so it ends as the minimal one) and the calls both sides made for it."""

    signature: str
    count: int = 0
    order: int = 0
    last: tuple[Any, Any, Any, str] | None = None  # example, expected, observed, diff
    calls: list[Any] = field(default_factory=list)
    reference_calls: list[Any] = field(default_factory=list)
    shrunk: bool = False


@dataclass(frozen=True)
class _Seen:
    """What one example did on both sides, kept for the rule's run so that it runs once: the facts,
    the divergence (``diff`` empty: none) and its signature, or the stage that failed before the
    rule's subject (``blocked``), and the calls both sides made."""

    expected: Mapping[str, Any]
    observed: Mapping[str, Any]
    diff: str
    signature: str
    blocked: Inconclusive | None
    calls: list[Any]
    reference_calls: list[Any]


@dataclass
class _State:
    examples: int = 0
    steps: int = 0  # examples run (not known already) in the current shrink pass
    groups: dict[str, _Group] = field(default_factory=dict)
    blocked: Inconclusive | None = None
    blocked_examples: int = 0
    notes: list[str] = field(default_factory=list)
    pass_seen: set[str] = field(default_factory=set)  # signatures seen in this Hypothesis run
    pass_repeats: int = 0
    seen: dict[str, _Seen] = field(default_factory=dict)


def subject_index(catalogue: Iterable[Rule]) -> dict[str, str]:
    """``service:Operation`` -> the rule whose subject it is: the first behaviour rule of the
    catalogue whose ``operations`` names it first (a rule lists its subject operation first, then
    what it stages or reads back). ``blocked_by`` of an inconclusive verdict comes from here."""
    out: dict[str, str] = {}
    for rule in catalogue:
        if rule.behavior is not None and rule.operations:
            out.setdefault(rule.operations[0], rule.id)
    return out


def _observe(rule: Rule, target: Any, example: Any) -> tuple[Mapping[str, Any], Any]:
    """Run the scenario on the target: its facts and None, or ``{}`` and the failed stage or
    control step (``StepFailed``)."""
    from hypothesis.errors import UnsatisfiedAssumption
    from kms_conformance.scenarios.steps import StepFailed

    assert rule.behavior is not None
    try:
        with target:
            return dict(rule.behavior.scenario(target, example)), None
    except UnsatisfiedAssumption:  # the target refused to send this example (steps.new_key): draw another
        raise
    except StepFailed as exc:  # what the target did: a step the model completes failed there
        return {}, exc
    except UnsupportedOperation as exc:
        raise Stop(Verdict.UNSUPPORTED, f"the target lacks {exc.name}" + (f" ({exc.detail})" if exc.detail else ""),
                   operation=exc.name) from None
    except (KeyboardInterrupt, Stop):
        raise
    except Exception as exc:  # the kit or the environment failed while talking to the target
        raise Stop(Verdict.ERROR, f"exception while running on the target: {describe_exc(exc)}") from None


def _expect(rule: Rule, reference: Any, example: Any) -> Mapping[str, Any]:
    """Run the scenario on the reference model; any failure there is a defect of the model."""
    assert rule.behavior is not None
    try:
        with reference:
            return dict(rule.behavior.scenario(reference, example))
    except (KeyboardInterrupt, Stop):
        raise
    except UnsupportedOperation as exc:
        raise Stop(Verdict.ERROR, f"reference model lacks {exc.name} (a model defect)") from None
    except Exception as exc:
        raise Stop(Verdict.ERROR, f"reference model failed (a model defect): {describe_exc(exc)}") from None


def _norm(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def signature(compare: Callable[..., str | None], expected: Mapping[str, Any], observed: Mapping[str, Any],
              feature: Any) -> str:
    """What tells one divergence from another: the facts that differ (as the rule's compare judges
    each on its own), expected vs observed, counts reduced to fewer/more, plus the scenario's
    ``_feature``. ``{"call": "OK"}`` vs ``{"call": "AccessDeniedException"}`` with feature Deny:
    ``call: "AccessDeniedException" vs "OK" [Deny]``."""
    missing = "<missing>"
    differing = [k for k in expected if observed.get(k, missing) != expected[k]]
    judged = [k for k in differing if compare({k: expected[k]}, {k: observed.get(k, missing)})] or differing
    # a fact the target never reached (the scenario stopped earlier) follows from the others
    judged = [k for k in judged if k in observed] or judged
    parts = []
    for k in judged:
        e, o = expected[k], observed.get(k, missing)
        if isinstance(e, int) and isinstance(o, int) and not isinstance(e, bool) and not isinstance(o, bool):
            parts.append(f"{k}: {'fewer' if o < e else 'more'} than expected" + (" (none)" if o == 0 else ""))
        else:
            parts.append(f"{k}: {_norm(e)} vs {_norm(o)}")
    text = "; ".join(parts) or "facts differ"
    return text + (f" [{feature}]" if feature is not None else "")


def call_signature(calls: Sequence[Any], feature: Any) -> str | None:
    """The signature of a divergence a call shows (``calls``: the report's calls, subject calls with the
    model's ``expected``): the service of the first subject call whose code differs from the reference
    model's, expected vs observed code, plus the scenario's ``_feature``; None when every call answered
    as on the model (the facts differ in what the responses held: :func:`signature`). The operation is
    not part of it: one defect (moto authorizes no KMS call) shows on whichever call an example makes
    first, and a scenario whose kinds of example must stay apart says so with ``_feature``.
    ``kms: "AccessDeniedException" vs "OK" [Deny]``."""
    for call in calls:
        expected = call.expected.get("code") if call.role == "subject" and call.expected else None
        if expected is not None and expected != call.outcome.get("code"):
            text = f"{call.service}: {_norm(expected)} vs {_norm(call.outcome.get('code'))}"
            return text + (f" [{feature}]" if feature is not None else "")
    return None


def _example_key(example: Any) -> str:
    """The identity of an example within one rule's run (equal examples, equal keys)."""
    try:
        return json.dumps(example, sort_keys=True, default=repr)
    except (TypeError, ValueError):  # keys of mixed types
        return repr(example)


def _run_example(rule: Rule, target: Target, reference: Target, example: Any,
                 owners: Mapping[str, str]) -> _Seen:
    """Run one example on the reference model and on the target, and judge it."""
    from kms_conformance.targets.recording import RecordingTarget, to_calls

    behavior = rule.behavior
    assert behavior is not None
    ref, tgt = RecordingTarget(reference), RecordingTarget(target)
    expected = dict(_expect(rule, ref, example))
    seen, failed = _observe(rule, tgt, example)
    observed = dict(seen)
    feature = expected.pop(FEATURE, None)
    observed.pop(FEATURE, None)
    if failed is not None:
        blocked_by = owners.get(failed.step)
        if blocked_by != rule.id:  # a step before the subject: nothing observed, nothing diverged
            blocked = Inconclusive(step=failed.step, expected=failed.expected, observed=failed.outcome.code,
                                   message=failed.outcome.message, blocked_by=blocked_by)
            return _Seen(expected, observed, "", "", blocked, tgt.calls, ref.calls)
        observed = {"failed_step": failed.step, "error": failed.outcome.code, "message": failed.outcome.message}
        diff = f"{failed.role} step {failed.step} failed on the target: {failed.outcome.code}: " \
               f"{failed.outcome.message}"
        return _Seen(expected, observed, diff, f"{failed.step}: {_norm(failed.expected)} vs "
                     f"{_norm(failed.outcome.code)}", None, tgt.calls, ref.calls)
    try:
        diff = behavior.compare(expected, observed) or ""
        sig = signature(behavior.compare, expected, observed, feature) if diff else ""
    except Exception as exc:
        raise Stop(Verdict.ERROR, f"the rule's compare failed: {describe_exc(exc)}") from None
    if diff:
        sig = call_signature(to_calls(tgt.calls, ref.calls, responses=False), feature) or sig
    return _Seen(expected, observed, diff, sig, None, tgt.calls, ref.calls)


def run_behavior(rule: Rule, target: Target, reference: Target, profile: Profile, seed: int,
                 subjects: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Two passes. *Explore*: Hypothesis draws the profile's examples and every divergence is
    recorded under its signature; none stops the search (Hypothesis stops generating soon after a
    first failure, which would hide the others), and a repeat of a known signature is rejected (not
    counted, at most :data:`REPEATS_PER_EXAMPLE` per example) so that rarer ones are reached.
    *Shrink*: for each signature found (the most frequent first, at most :data:`MAX_BUDGETS`), a run
    with the same seed in which only that signature fails: the same examples are drawn up to its
    first occurrence (known already: not run again), then Hypothesis shrinks it on its own (its
    exception class is the signature's, :func:`_divergence_type`), running at most the profile's
    ``shrink_budget`` new examples; the last failing example is the minimal one (Hypothesis
    replays it last). A signature beyond the cap keeps its first, unshrunk example."""
    from hypothesis import given, reject
    from hypothesis import seed as hyp_seed
    from hypothesis.errors import DeadlineExceeded, Flaky, HypothesisException, UnsatisfiedAssumption

    behavior = rule.behavior
    assert behavior is not None
    state = _State()
    n = profile.lifecycle_examples if behavior.lifecycle else profile.max_examples
    owners = subjects or {}
    hunted: list[str | None] = [None]  # None: explore; a signature: shrink that one
    refused: set[str] = set()  # examples the target refused to send (steps.new_key)

    def check(example: Any) -> None:
        only = hunted[0]
        key = _example_key(example)
        if key in refused:
            reject()
        known = state.seen.get(key)
        if only is None:
            state.examples += 1
        if known is None:
            if only is not None:
                if state.steps >= profile.shrink_budget:  # bounded shrink: keep the smallest so far
                    raise Stop(Verdict.NONCONFORMANT, "shrink budget spent")
                state.steps += 1
                state.examples += 1
            try:
                known = state.seen[key] = _run_example(rule, target, reference, example, owners)
            except UnsatisfiedAssumption:
                refused.add(key)
                raise
        if known.blocked is not None:
            if only is None:
                state.blocked_examples += 1
                if state.blocked is None:
                    state.blocked = known.blocked
            return
        if not known.diff:
            return
        sig = known.signature
        if sig != only and sig in state.pass_seen:
            if only is None:
                state.groups[sig].count += 1
            # a known divergence again: draw another example (the shrink passes decide as exploration
            # did, so that they draw the same examples up to the one they shrink)
            if state.pass_repeats < n * REPEATS_PER_EXAMPLE:
                state.pass_repeats += 1
                reject()
            return
        state.pass_seen.add(sig)
        if only is not None and sig != only:
            return
        group = state.groups.get(sig)
        if group is None:
            group = state.groups[sig] = _Group(sig, order=len(state.groups))
        if only is None:
            group.count += 1
        group.last = (example, known.expected, known.observed, known.diff)
        group.calls, group.reference_calls = known.calls, known.reference_calls
        if only is not None:
            group.shrunk = True
            raise _divergence_type(sig)(known.diff)

    check.__name__ = check.__qualname__ = f"rule_{rule.id.replace('-', '_')}"
    check._hypothesis_internal_add_digest = rule.id.encode()  # type: ignore[attr-defined]
    try:
        strategy = behavior.examples()
    except Exception as exc:
        return {"verdict": Verdict.ERROR, "detail": f"the rule's strategy failed: {describe_exc(exc)}"}

    def one_pass(explore: bool) -> dict[str, Any] | None:
        """Run Hypothesis once; a verdict that ends the rule, or None."""
        test = hypothesis_settings(profile, n, explore=explore)(hyp_seed(seed)(given(strategy)(check)))
        if not profile.database:  # nothing to store under a key: skip hashing check's source on every pass
            test._hypothesis_internal_database_key = None
        try:
            with isolated():  # the examples depend on the seed, not on what the process imported
                test()
        except Stop as stop:
            if stop.verdict is not Verdict.NONCONFORMANT:
                return {"verdict": stop.verdict, "detail": stop.detail, "unsupported_operation": stop.operation,
                        "examples": state.examples}
        except _Divergence:
            pass
        except (Flaky, DeadlineExceeded) as exc:
            if not state.groups:
                return {"verdict": Verdict.ERROR, "detail": f"{describe_exc(exc)}"[:2000],
                        "examples": state.examples}
            state.notes.append(f"Hypothesis: {type(exc).__name__}: the failure did not reproduce identically")
        except HypothesisException as exc:
            return {"verdict": Verdict.ERROR, "detail": f"Hypothesis: {describe_exc(exc)}"[:2000],
                    "examples": state.examples}
        except Exception as exc:  # e.g. the strategy raised while drawing an example: a kit defect
            return {"verdict": Verdict.ERROR, "detail": f"while generating examples: {describe_exc(exc)}"[:2000],
                    "examples": state.examples}
        return None

    stopped = one_pass(explore=True)
    if stopped is not None:
        return stopped
    if not state.groups:
        if state.blocked is not None:
            b = state.blocked
            owner = f"; {b.step} is the subject of {b.blocked_by}" if b.blocked_by else ""
            return {"verdict": Verdict.INCONCLUSIVE, "examples": state.examples, "inconclusive": b,
                    "detail": f"{b.step} failed on the target ({b.observed}, the reference model: {b.expected}) "
                              f"in {state.blocked_examples} of {state.examples} example(s): the rule's subject "
                              f"was not reached{owner}"}
        return {"verdict": Verdict.CONFORMANT, "examples": state.examples}
    by_frequency = sorted(state.groups.values(), key=lambda g: (-g.count, g.order))
    for group in by_frequency[:MAX_BUDGETS]:
        hunted[0] = group.signature
        state.steps = 0
        state.pass_seen, state.pass_repeats = set(), 0
        stopped = one_pass(explore=False)
        if stopped is not None and stopped["verdict"] is not Verdict.NONCONFORMANT:
            return stopped
    return _nonconformant(state, by_frequency)


def _summary_line(group: _Group, diff: str) -> str:
    """One line for humans: the first subject call whose answer differs from the model's."""
    from kms_conformance.targets.recording import to_calls

    for call in to_calls(group.calls, group.reference_calls):
        if call.role == "subject" and call.expected and call.expected["code"] != call.outcome["code"]:
            return (f"{call.service}:{call.operation} answered {call.outcome['code']} where the reference model "
                    f"answers {call.expected['code']}" + (f" ({group.signature.rsplit(' [', 1)[1][:-1]})"
                                                          if group.signature.endswith("]") else ""))
    return diff.splitlines()[0] if diff else group.signature


def _nonconformant(state: _State, groups: Sequence[_Group]) -> dict[str, Any]:
    """Every group as a finding, the most frequent first (in exploration; ties: first found); the
    first finding also fills the result's own fields."""
    import dataclasses

    from kms_conformance.targets.recording import NOT_REPRODUCIBLE, to_calls, until_divergence

    findings = []
    for g in groups:
        assert g.last is not None
        example, expected, observed, diff = g.last
        calls = to_calls(g.calls, g.reference_calls)
        summary = _summary_line(g, diff) + ("" if g.shrunk else " (not shrunk)")
        if not until_divergence([dataclasses.asdict(c) for c in calls]):
            summary += f" ({NOT_REPRODUCIBLE})"
        findings.append(Finding(signature=g.signature, summary=summary, counterexample=jsonable(example),
                                expected=jsonable(expected), observed=jsonable(observed), calls=calls))
    assert groups[0].last is not None
    example, expected, observed, diff = groups[0].last
    more = f" (+{len(findings) - 1} more distinct finding(s))" if len(findings) > 1 else ""
    blocked = ""
    if state.blocked is not None:
        blocked = (f"; {state.blocked_examples} example(s) inconclusive: {state.blocked.step} failed on the target "
                   f"({state.blocked.observed})")
    notes = "".join(f" ({n})" for n in dict.fromkeys(state.notes))
    return {"verdict": Verdict.NONCONFORMANT, "examples": state.examples, "counterexample": jsonable(example),
            "expected": jsonable(expected), "observed": jsonable(observed), "detail": diff + more + blocked + notes,
            "findings": tuple(findings)}

