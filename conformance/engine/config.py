"""A config-only rule on the reference target (``Target.is_reference``: the ``model`` target, the
specification executed) is checked against the spec itself: compliant setups of the service's
:class:`~kms_conformance.rules.ServiceSpec` must pass it and its mutator's setups must fail it."""

from __future__ import annotations

from typing import Any

from kms_conformance.engine.isolation import isolated
from kms_conformance.engine.outcome import Stop, describe_exc, jsonable
from kms_conformance.engine.profiles import Profile, hypothesis_settings
from kms_conformance.rules import Rule
from kms_conformance.verdicts import Verdict


def run_config(rule: Rule, profile: Profile, seed: int) -> dict[str, Any]:
    """Compliant setups must pass the rule; its mutator's setups must fail it."""
    from hypothesis import given
    from hypothesis import seed as hyp_seed
    from hypothesis import strategies as st
    from kms_conformance.rules import services
    from kms_conformance.setup import parse_setup

    assert rule.check is not None
    check_fn = rule.check
    specs = services()
    if rule.service == "kms":
        candidates = list(specs.values())
    elif rule.service in specs:
        candidates = [specs[rule.service]]
    else:
        return {"verdict": Verdict.ERROR, "detail": f"no ServiceSpec registered for service {rule.service!r}"}
    mutating = [s for s in candidates if rule.id in s.mutators]
    if rule.service != "kms" and not mutating:
        return {"verdict": Verdict.ERROR,
                "detail": f"the {rule.service} ServiceSpec has no mutator for {rule.id}: "
                          "the rule cannot be shown to fail"}
    if not candidates:
        return {"verdict": Verdict.SKIPPED, "detail": "no service registers compliant setups yet"}

    state: dict[str, Any] = {"examples": 0, "applicable": 0, "last": None}

    class _Broken(Exception):
        pass

    def parsed(raw: dict[str, Any], spec_name: str) -> Any:
        try:
            return parse_setup(raw, source=f"<{spec_name} strategy>")
        except Exception as exc:
            raise Stop(Verdict.ERROR, f"{spec_name} strategy produced an unparsable setup: "
                                       f"{describe_exc(exc)}") from None

    def checked(setup: Any) -> tuple[bool, list[str]]:
        try:
            applies = rule.applies is None or bool(rule.applies(setup))
            return applies, (list(check_fn(setup)) if applies else [])
        except Exception as exc:
            raise Stop(Verdict.ERROR, f"the rule's check failed: {describe_exc(exc)}") from None

    def compliant_case(spec_name: str, raw: dict[str, Any]) -> None:
        state["examples"] += 1
        applies, reasons = checked(parsed(raw, spec_name))
        if applies:
            state["applicable"] += 1
            if reasons:
                state["last"] = ({"compliant_setup": raw}, "holds", reasons,
                                 f"a compliant {spec_name} setup breaks the rule: {'; '.join(reasons)}")
                raise _Broken()

    def mutated_case(spec_name: str, raw: dict[str, Any]) -> None:
        state["examples"] += 1
        applies, reasons = checked(parsed(raw, spec_name))
        if not applies or not reasons:
            state["last"] = ({"mutated_setup": raw}, "violated", "not applicable" if not applies else "holds",
                             f"the {spec_name} mutator for {rule.id} produced a setup the rule accepts")
            raise _Broken()

    strategies = [st.tuples(st.just(("c", s.name)), s.compliant()) for s in candidates]
    strategies += [st.tuples(st.just(("m", s.name)), s.compliant()) for s in mutating]
    by_name = {s.name: s for s in mutating}

    def one(case: tuple[tuple[str, str], dict[str, Any]], data: Any) -> None:
        from hypothesis import reject
        from kms_conformance.errors import NotApplicable

        (which, name), raw = case
        if which == "c":
            compliant_case(name, raw)
            return
        try:  # a mutator that does not fit this compliant setup says so: draw another setup
            mutated = data.draw(by_name[name].mutators[rule.id](raw), label="mutated setup")
        except NotApplicable:
            reject()
        mutated_case(name, mutated)

    one.__name__ = one.__qualname__ = f"config_{rule.id.replace('-', '_')}"
    one._hypothesis_internal_add_digest = rule.id.encode()  # type: ignore[attr-defined]
    explore = given(st.one_of(strategies), st.data())(one)
    test = hypothesis_settings(profile, profile.max_examples)(hyp_seed(seed)(explore))
    try:
        with isolated():  # the examples depend on the seed, not on what the process imported
            test()
    except Stop as stop:
        return {"verdict": stop.verdict, "detail": stop.detail, "examples": state["examples"]}
    except _Broken:
        pass
    except Exception as exc:
        if state["last"] is None:
            return {"verdict": Verdict.ERROR, "detail": f"config self-check failed: {describe_exc(exc)}"[:2000],
                    "examples": state["examples"]}
    if state["last"] is not None:
        example, expected, observed, diff = state["last"]
        return {"verdict": Verdict.NONCONFORMANT, "examples": state["examples"], "counterexample": jsonable(example),
                "expected": expected, "observed": jsonable(observed), "detail": diff}
    detail = "" if mutating else "no mutator registered: only compliant setups were checked"
    if not state["applicable"] and not mutating:
        return {"verdict": Verdict.SKIPPED, "examples": state["examples"],
                "detail": "no compliant setup of any service applies to this rule"}
    return {"verdict": Verdict.CONFORMANT, "examples": state["examples"], "detail": detail}
