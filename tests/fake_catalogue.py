"""A small fake rule catalogue for the `rules` and `check` command tests, installed with
monkeypatch in place of the spec modules (which other engineers write in parallel)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import strategies as st
from kms_conformance import rules as R
from kms_conformance.errors import InputError
from kms_conformance.setup import Setup

FORECAST = "004_1f23ff3028fec3c5.txt"
MWAA = "003_38db2e13c46896ae.txt"


def _kms_key(setup: Setup) -> str | None:
    env = setup.request.get("CreateEnvironment", {})
    key = env.get("KmsKey") if isinstance(env, dict) else None
    return key if isinstance(key, str) else None


def _parse_request(setup: Setup) -> Any:
    env = setup.request.get("CreateEnvironment")
    if not isinstance(env, dict):
        raise InputError("expected an object", source=setup.source, path="request.CreateEnvironment")
    if "KmsKey" in env and not isinstance(env["KmsKey"], str):
        raise InputError(f"expected a key ARN string, got {type(env['KmsKey']).__name__}", source=setup.source,
                         path="request.CreateEnvironment.KmsKey")
    return env


def install(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replace the catalogue by four fake rules (two mwaa, one kms, one forecast) and an mwaa ServiceSpec."""
    monkeypatch.setattr(R, "SPEC_MODULES", ())
    monkeypatch.setattr(R, "_REGISTRY", {})
    monkeypatch.setattr(R, "_SERVICES", {})

    key_known = R.rule("MWAA-T1", "The KmsKey names a key of the setup", service="mwaa", doc=MWAA,
                       section="Create an environment", quote="KmsKey must name your key",
                       operations=("CreateEnvironment",))

    @key_known.config(applies=lambda s: _kms_key(s) is not None)
    def _key_known(setup: Setup) -> list[str]:
        ref = _kms_key(setup)
        return [] if ref is not None and setup.find_key(ref) else [f"KmsKey {ref!r} is not a key of the setup"]

    symmetric = R.rule("MWAA-T2", "Use a symmetric key", service="mwaa", doc=MWAA, section="Keys",
                       quote="we recommend a symmetric key", severity="should")

    @symmetric.config
    def _symmetric(setup: Setup) -> list[str]:
        return [f"{k.arn} is {k.key_spec}" for k in setup.keys if not k.symmetric]

    enabled = R.rule("KMS-T1", "The key is enabled", service="kms", doc=FORECAST, section="KMS",
                     quote="the key must be enabled", operations=("DescribeKey",))

    @enabled.config
    def _enabled(setup: Setup) -> list[str]:
        return [f"{k.arn} is {k.key_state}" for k in setup.keys if k.key_state != "Enabled"]

    other = R.rule("FORECAST-T1", "A forecast-only rule", service="forecast", doc=FORECAST, section="Forecast",
                   quote="forecast only", operations=("CreateDataset",))

    @other.config
    def _other(setup: Setup) -> list[str]:
        return ["always violated: must never be applied to an mwaa setup"]

    behaviour = R.rule("FORECAST-T2", "A behaviour rule", service="forecast", doc=FORECAST, section="Forecast",
                       quote="forecast does something", operations=("CreatePredictor",))
    behaviour.behavior_(examples=lambda: st.just({}))(lambda target, example: {})

    R.register_service(R.ServiceSpec("mwaa", compliant=lambda: st.just({}), mutators={},
                                     parse_request=_parse_request))
