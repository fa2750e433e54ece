"""The reference model's grant lifecycle, tested as Hypothesis stateful programs.

A :class:`hypothesis.stateful.RuleBasedStateMachine` drives ``kms_conformance.targets.model.ModelTarget``
through random interleavings of CreateGrant, RetireGrant, RevokeGrant, ListGrants and the roles'
Encrypt/Decrypt/GenerateDataKey calls, and checks every answer against :class:`Oracle`, a few
lines of bookkeeping written here from the documentation alone ("Grants in AWS KMS", "Retiring and
revoking grants", "GrantConstraints", RevokeGrant's "Required permissions"), sharing no code
with ``kms_conformance.kms``:

- a live grant allows exactly its operations, to its grantee, when the call's encryption context
  meets its constraint; a retired or revoked grant allows nothing;
- ListGrants lists exactly the live grants;
- RetireGrant succeeds for the grant's retiring principal, or its grantee when the grant lists
  RetireGrant, and for nobody else the grant names (a stranger never);
- the grantee never gets ListGrants or RevokeGrant through a grant (they are not grant operations).

The same oracle predicts KMS-19's facts for generated grant programs (``test_kms19_facts_match_the_oracle``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from kms_conformance.scenarios import steps
from kms_conformance.strategies import kms_scenarios as ks
from kms_conformance.targets.model import ModelTarget
from kms_conformance.targets.mutant import MutantTarget

ADMIN = None  # the target's administrator: the key's account statement allows it everything
STRANGER = 2  # the third role: no grant ever names it


@dataclass
class OracleGrant:
    """What the documentation says a grant is: grantee and retiring principal (role indexes), its
    operations, its constraint kind (the pairs are always ``ks.PROGRAM_CONSTRAINT``), and whether it
    is still live."""

    grantee: int
    operations: frozenset[str]
    constraint: str | None
    retiring: int | None
    live: bool = True


def constraint_met(kind: str | None, context: Mapping[str, str]) -> bool:
    """"GrantConstraints": Equals needs exactly the pairs; Subset needs them among the request's."""
    pairs = ks.PROGRAM_CONSTRAINT
    if kind is None:
        return True
    if kind == "EncryptionContextEquals":
        return dict(context) == pairs
    return all(context.get(k) == v for k, v in pairs.items())


@dataclass
class Oracle:
    grants: list[OracleGrant]

    def allows(self, role: int, operation: str, context: Mapping[str, str]) -> bool:
        return any(g.live and g.grantee == role and operation in g.operations and constraint_met(g.constraint, context)
                   for g in self.grants)

    @staticmethod
    def may_retire(grant: OracleGrant, caller: int) -> bool:
        return grant.retiring == caller or (grant.grantee == caller and "RetireGrant" in grant.operations)

    def live(self) -> list[OracleGrant]:
        return [g for g in self.grants if g.live]


def predict(program: list[dict[str, Any]]) -> list[str]:
    """KMS-19's facts for a grant program, from the oracle alone (the scenario's retiring
    principal is the grantee's other role; ``by`` names the caller)."""
    oracle = Oracle([])
    out: list[str] = []
    for step in program:
        kind = step["step"]
        if kind == "CreateGrant":
            g = step["grantee"]
            oracle.grants.append(OracleGrant(g, frozenset(step["operations"]), step["constraint"],
                                             1 - g if step["retiring"] else None))
            out.append("OK")
        elif kind in ("RetireGrant", "RevokeGrant"):
            if step["grant"] >= len(oracle.grants):
                out.append("skipped")
                continue
            grant = oracle.grants[step["grant"]]
            if not grant.live:
                out.append("gone")
                continue
            if kind == "RevokeGrant":
                allowed = True
            else:
                caller = {"retiring": 1 - grant.grantee, "grantee": grant.grantee, "stranger": STRANGER}[step["by"]]
                allowed = oracle.may_retire(grant, caller)
            grant.live = grant.live and not allowed
            out.append("OK" if allowed else "AccessDeniedException")
        elif kind == "ListGrants":
            out.append(f"OK {len(oracle.live())} grants")
        else:
            allowed = oracle.allows(step["role"], kind, ks.PROGRAM_CONTEXTS[step["context"]])
            out.append("OK" if allowed else "AccessDeniedException")
    return out


class GrantLifecycle(RuleBasedStateMachine):
    """The model against the oracle, one random program at a time."""

    grants = Bundle("grants")
    #: The flips of a MutantTarget wrapped around the model (empty: the model itself).
    flips: frozenset[tuple[str, str]] = frozenset()

    @initialize()
    def setup(self) -> None:
        self.target: Any = ModelTarget(account="123456789012")
        if self.flips:
            self.target = MutantTarget(self.target, flips=self.flips)
        self.roles = [steps.new_role(self.target, f"kmsc-r{i}") for i in range(3)]
        # The default key policy: the account statement (kms:*) only; the roles have no identity
        # policy, so grants are their only source of access.
        self.key = str(steps.new_key(self.target)["Arn"])
        self.blobs: dict[str, bytes] = {}
        for name, context in ks.PROGRAM_CONTEXTS.items():
            params: dict[str, Any] = {"KeyId": self.key, "Plaintext": b"x"}
            if context:
                params["EncryptionContext"] = context
            self.blobs[name] = bytes(steps.must("Encrypt", self.target.call("kms", "Encrypt", params))
                                     .value["CiphertextBlob"])
        self.oracle = Oracle([])
        self.ids: list[str] = []

    def kms(self, operation: str, params: Mapping[str, Any], caller: int | None) -> Any:
        return self.target.call("kms", operation, params, principal=None if caller is None else self.roles[caller])

    @rule(target=grants, grantee=st.integers(0, 1),
          operations=st.lists(st.sampled_from(ks.PROGRAM_OPERATIONS), min_size=1, max_size=4, unique=True),
          constraint=st.sampled_from((None, "EncryptionContextSubset", "EncryptionContextEquals")),
          retiring=st.sampled_from((None, 0, 1)))
    def create_grant(self, grantee: int, operations: list[str], constraint: str | None, retiring: int | None) -> int:
        params: dict[str, Any] = {"KeyId": self.key, "GranteePrincipal": self.roles[grantee], "Operations": operations}
        if constraint:
            params["Constraints"] = {constraint: dict(ks.PROGRAM_CONSTRAINT)}
        if retiring is not None:
            params["RetiringPrincipal"] = self.roles[retiring]
        out = self.kms("CreateGrant", params, ADMIN)
        assert out.code == "OK", out.message
        self.oracle.grants.append(OracleGrant(grantee, frozenset(operations), constraint, retiring))
        self.ids.append(str(out.value["GrantId"]))
        return len(self.ids) - 1

    @rule(index=grants, caller=st.integers(0, 2))
    def retire_grant(self, index: int, caller: int) -> None:
        grant = self.oracle.grants[index]
        out = self.kms("RetireGrant", {"KeyId": self.key, "GrantId": self.ids[index]}, caller)
        if not grant.live:
            assert not out.ok, "a grant was retired twice"
            return
        expected = self.oracle.may_retire(grant, caller)
        assert out.ok == expected, (caller, grant, out.code)
        if not expected:
            assert out.code == "AccessDeniedException"
        grant.live = not out.ok

    @rule(index=grants, by_grantee=st.booleans())
    def revoke_grant(self, index: int, by_grantee: bool) -> None:
        grant = self.oracle.grants[index]
        if by_grantee:  # RevokeGrant is not a grant operation: a grant never allows it
            out = self.kms("RevokeGrant", {"KeyId": self.key, "GrantId": self.ids[index]}, grant.grantee)
            assert out.code == "AccessDeniedException"
            return
        out = self.kms("RevokeGrant", {"KeyId": self.key, "GrantId": self.ids[index]}, ADMIN)
        assert out.code == ("OK" if grant.live else "NotFoundException")
        grant.live = False

    @rule(role=st.integers(0, 2), operation=st.sampled_from(ks.PROGRAM_CALLS),
          context=st.sampled_from(tuple(ks.PROGRAM_CONTEXTS)))
    def call(self, role: int, operation: str, context: str) -> None:
        params: dict[str, Any] = {"KeyId": self.key}
        if operation == "Encrypt":
            params["Plaintext"] = b"x"
        elif operation == "Decrypt":
            params["CiphertextBlob"] = self.blobs[context]
        else:
            params["KeySpec"] = "AES_256"
        if ks.PROGRAM_CONTEXTS[context]:
            params["EncryptionContext"] = dict(ks.PROGRAM_CONTEXTS[context])
        out = self.kms(operation, params, role)
        expected = self.oracle.allows(role, operation, ks.PROGRAM_CONTEXTS[context])
        assert out.code == ("OK" if expected else "AccessDeniedException"), (role, operation, context, out.message)

    @rule(role=st.integers(0, 1))
    def list_grants_as_grantee(self, role: int) -> None:
        """ListGrants is not a grant operation: a grantee with live grants still may not list."""
        assert self.kms("ListGrants", {"KeyId": self.key}, role).code == "AccessDeniedException"

    @invariant()
    def list_grants_lists_the_live_grants(self) -> None:
        if not hasattr(self, "oracle"):
            return
        out = self.kms("ListGrants", {"KeyId": self.key}, ADMIN)
        assert out.ok
        listed = {str(g["GrantId"]): g for g in out.value["Grants"]}
        live = {self.ids[i]: g for i, g in enumerate(self.oracle.grants) if g.live}
        assert set(listed) == set(live)
        for grant_id, g in live.items():
            entry = listed[grant_id]
            assert set(entry["Operations"]) == g.operations
            assert entry["GranteePrincipal"] == self.roles[g.grantee]
            assert entry.get("RetiringPrincipal") == (None if g.retiring is None else self.roles[g.retiring])
            assert entry.get("Constraints") == ({g.constraint: ks.PROGRAM_CONSTRAINT} if g.constraint else None)


GrantLifecycle.TestCase.settings = settings(max_examples=30, stateful_step_count=15, deadline=None, database=None)
TestGrantLifecycle = GrantLifecycle.TestCase


@pytest.mark.parametrize("flip", [("kms", "RetireGrant"), ("kms", "RevokeGrant"), ("kms", "Decrypt"),
                                  ("kms", "GenerateDataKey"), ("kms", "ListGrants")])
def test_the_machine_catches_a_wrong_model(flip: tuple[str, str]) -> None:
    """The same machine around a MutantTarget that flips one operation's outcome fails."""
    mutant = type("MutantLifecycle", (GrantLifecycle,), {"flips": frozenset({flip})})
    with pytest.raises(AssertionError):
        run_state_machine_as_test(mutant, settings=settings(
            max_examples=100, stateful_step_count=15, deadline=None, database=None, report_multiple_bugs=False,
            phases=(Phase.generate,)))


@settings(max_examples=30, deadline=None, database=None)
@given(ks.grant_programs())
def test_kms19_facts_match_the_oracle(program: list[dict[str, Any]]) -> None:
    """KMS-19's scenario on the model gives, step for step, what the oracle predicts."""
    from kms_conformance.rules import catalogue

    (kms19,) = [r for r in catalogue() if r.id == "KMS-19"]
    assert kms19.behavior is not None
    facts = kms19.behavior.scenario(ModelTarget(account="123456789012"), program)
    assert facts == {"outcomes": predict(program)}


def test_the_oracle_is_not_vacuous() -> None:
    """The oracle tells allowed from denied: a grant's constraint, retirement and the stranger matter."""
    create = {"step": "CreateGrant", "grantee": 0, "operations": ["Encrypt"], "constraint": "EncryptionContextEquals",
              "retiring": True}
    program = [create, {"step": "Encrypt", "role": 0, "context": "exact"},
               {"step": "Encrypt", "role": 0, "context": "more"},
               {"step": "RetireGrant", "grant": 0, "by": "stranger"},
               {"step": "RetireGrant", "grant": 0, "by": "retiring"},
               {"step": "Encrypt", "role": 0, "context": "exact"}]
    assert predict(program) == ["OK", "OK", "AccessDeniedException", "AccessDeniedException", "OK",
                                "AccessDeniedException"]
