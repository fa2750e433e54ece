"""Vendor regression checks: the moto target's lazy-key patch tolerates other moto versions, and the
tox matrix (``moto-5.2``, ``moto-5.0``, ``vendor-compare``) is wired consistently."""

from __future__ import annotations

import configparser
import re
import types
from pathlib import Path
from typing import Any

import pytest
from kms_conformance.targets import (
    MOTO_LAZY_KEYS_NOTE,
    MOTO_LAZY_KEYS_SKIPPED,
    TargetConfig,
    _LazyPrivateKey,
    _patch_moto_keys,
    make_target,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _unpatched_moto() -> Any:
    """Each test starts from moto as installed: a moto target another test module left open in this
    worker (a session-scoped fixture, say) keeps the shared lazy-key patch applied; set it aside (a
    fresh counter, moto's own function) and put it back afterwards."""
    import moto.kms.models as kms_models
    from kms_conformance import targets
    from kms_conformance.targets.moto_speed import CountedPatch

    held = targets._LAZY_KEYS
    current = kms_models.generate_private_key
    if held.active and held._restore is not None:
        held._restore()
    targets._LAZY_KEYS = CountedPatch(targets._apply_lazy_keys)
    yield
    targets._LAZY_KEYS = held
    kms_models.generate_private_key = current


def _lazy_keys_held() -> bool:
    from kms_conformance import targets

    return targets._LAZY_KEYS.active


def test_the_installed_moto_is_patched_and_keys_still_sign() -> None:
    """The patch applies to this moto: a key's private key is built only when first used, and
    asymmetric operations still work on it."""
    import moto.kms.models as kms_models

    original = kms_models.generate_private_key
    target = make_target(TargetConfig(name="moto", run_id="lazy"))
    try:
        assert target.describe()["notes"] == [MOTO_LAZY_KEYS_NOTE]
        kms = target.call("kms", "CreateKey", {"KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY"})
        key_id = kms.value["KeyMetadata"]["KeyId"]
        backend = kms_models.kms_backends[target.account][target.region]
        lazy = backend.keys[key_id].private_key
        assert isinstance(lazy, _LazyPrivateKey) and lazy._real is None
        algorithm = {"SigningAlgorithm": "RSASSA_PSS_SHA_256"}
        signed = target.call("kms", "Sign", {"KeyId": key_id, "Message": b"m", **algorithm})
        assert signed.ok and lazy._real is not None
        signature = signed.value["Signature"]
        verified = target.call("kms", "Verify", {"KeyId": key_id, "Message": b"m", "Signature": signature, **algorithm})
        assert verified.ok and verified.value["SignatureValid"] is True
        # Another message: AWS raises KMSInvalidSignatureException, moto answers SignatureValid false.
        tampered = target.call("kms", "Verify", {"KeyId": key_id, "Message": b"x", "Signature": signature, **algorithm})
        assert not (tampered.ok and tampered.value.get("SignatureValid"))
    finally:
        target.close()
    assert kms_models.generate_private_key is original
    assert not _lazy_keys_held()


def test_nested_targets_restore_moto_in_any_order() -> None:
    import moto.kms.models as kms_models

    original = kms_models.generate_private_key
    undo_a, _ = _patch_moto_keys()
    undo_b, _ = _patch_moto_keys()
    undo_a()
    undo_a()  # idempotent: does not undo b's share
    assert kms_models.generate_private_key is not original
    undo_b()
    assert kms_models.generate_private_key is original


def _fake_moto(monkeypatch: pytest.MonkeyPatch, models: types.ModuleType) -> None:
    import moto.kms

    monkeypatch.setattr(moto.kms, "models", models)
    monkeypatch.setitem(__import__("sys").modules, "moto.kms.models", models)


def _module_with_key(source: str) -> types.ModuleType:
    module = types.ModuleType("moto.kms.models")
    exec(compile(source, "<fake moto.kms.models>", "exec"), module.__dict__)
    return module


@pytest.mark.parametrize(("source", "why"), [
    # a moto that renamed the helper
    ("def make_private_key(spec):\n    return spec\n"
     "class Key:\n    def __init__(self, spec):\n        self.private_key = make_private_key(spec)\n",
     "has no generate_private_key"),
    # a moto that keeps the helper but no longer calls it when a key is created
    ("def generate_private_key(spec):\n    return spec\n"
     "class Key:\n    def __init__(self, spec):\n        self.private_key = None\n",
     "does not call generate_private_key"),
    # a moto without a Key class in that module
    ("def generate_private_key(spec):\n    return spec\n", "does not call generate_private_key"),
])
def test_other_moto_internals_are_left_alone(monkeypatch: pytest.MonkeyPatch, source: str, why: str) -> None:
    """Internals that differ: nothing is patched, nothing crashes, and the note says so."""
    module = _module_with_key(source)
    before = dict(module.__dict__)
    _fake_moto(monkeypatch, module)
    undo, note = _patch_moto_keys()
    assert note.startswith(MOTO_LAZY_KEYS_SKIPPED) and why in note
    assert module.__dict__ == before
    assert not _lazy_keys_held()
    undo()
    assert not _lazy_keys_held()


def test_a_compatible_layout_is_patched(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same layout as moto 5.0/5.2 (fake module): patched, lazy, and restored."""
    built: list[str] = []
    module = _module_with_key(
        "def generate_private_key(spec):\n    built.append(spec)\n    return types.SimpleNamespace(spec=spec)\n"
        "class Key:\n    def __init__(self, spec):\n        self.private_key = generate_private_key(spec)\n")
    module.__dict__.update(built=built, types=types)
    original = module.generate_private_key
    _fake_moto(monkeypatch, module)
    undo, note = _patch_moto_keys()
    try:
        assert note == MOTO_LAZY_KEYS_NOTE
        key: Any = module.Key("RSA_2048")
        assert built == []
        assert key.private_key.spec == "RSA_2048"
        assert built == ["RSA_2048"]
    finally:
        undo()
    assert module.generate_private_key is original


def test_moto_without_kms_models_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "moto.kms.models", None)  # import raises ImportError
    undo, note = _patch_moto_keys()
    undo()
    assert note.startswith(MOTO_LAZY_KEYS_SKIPPED) and "cannot import" in note


def _tox() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "tox.ini")
    return parser


def test_tox_matrix_pins_each_moto_line_and_compares_old_to_new() -> None:
    tox = _tox()
    lines = {}
    for env in ("moto-5.2", "moto-5.0"):
        section = tox[f"testenv:{env}"]
        pin = re.fullmatch(r"moto\[server\]==(\d+)\.(\d+)\.(\d+)", section["deps"].strip())
        assert pin is not None, section["deps"]
        assert f"{pin[1]}.{pin[2]}" == env.removeprefix("moto-")  # the env runs the line it names
        command = section["commands"].strip()
        assert "--target moto" in command and "--seed 0" in command and "--profile ci" in command
        report_dir = re.search(r"--report-dir (\S+)", command)
        assert report_dir is not None
        assert report_dir[1] in section["commands_pre"]  # a crashed run leaves no stale report
        lines[env] = f"{report_dir[1]}/report.json"
    compare = tox["testenv:vendor-compare"]
    gate, matrix = [c.strip() for c in compare["commands"].strip().splitlines()]
    assert gate.split() == ["kms-conformance", "report", "compare", lines["moto-5.0"], lines["moto-5.2"]]
    assert matrix.startswith("- kms-conformance report matrix ")  # informs; `-` keeps it from failing the env
    assert {e.strip() for e in compare["depends"].split(",")} == {"moto-5.2", "moto-5.0", "localstack"}
    assert "ignore_outcome" not in compare  # the comparison is what decides


def test_dispatch_names_are_remembered_while_a_moto_target_lives() -> None:
    """The dispatcher's method names are looked up once per response class while a moto target is open
    (the same names moto computes), and moto's own function is back once the last target closes."""
    import moto.core.responses as responses
    from kms_conformance import targets

    if targets._patch_moto_dispatch.active:
        pytest.skip("another moto target of this worker is open")
    original = responses.method_names_from_class
    target = make_target(TargetConfig(name="moto", run_id="dispatch"))
    try:
        patched = responses.method_names_from_class
        assert patched is not original
        from moto.kms.responses import KmsResponse

        assert patched(KmsResponse) == original(KmsResponse)
        assert patched(KmsResponse) is patched(KmsResponse)  # computed once
        assert target.call("kms", "ListKeys", {}).ok
    finally:
        target.close()
    assert responses.method_names_from_class is original
    assert not targets._patch_moto_dispatch.active
