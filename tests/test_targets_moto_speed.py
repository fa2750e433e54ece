"""The moto target's per-call savings (targets/moto_speed.py) change no answer: a role's credentials
from moto's STS backend act as that role, indexed role lookups find what moto's walk finds (or raise
what it raises), requests whose signature is not computed still name the caller's access key, and moto
reads the same service models from the kit's shared botocore loader."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

pytest.importorskip("moto")

from kms_conformance.targets import (
    TargetConfig,
    make_target,
    moto_speed,
)

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]})


@pytest.fixture()
def moto_target() -> Any:
    for var, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        os.environ.setdefault(var, value)
    target = make_target(TargetConfig(name="moto", run_id="speed"))
    try:
        yield target
    finally:
        target.close()


def _role(target: Any, name: str) -> str:
    out = target.call("iam", "CreateRole", {"RoleName": name, "AssumeRolePolicyDocument": TRUST})
    assert out.ok, out
    return str(out.value["Role"]["Arn"])


def test_a_role_assumed_without_a_request_acts_as_that_role(moto_target: Any) -> None:
    sent: list[str] = []
    moto_target.client("sts").meta.events.register("before-call.sts.AssumeRole",
                                                   lambda **kw: sent.append("AssumeRole"))
    arn = _role(moto_target, "speed-a")
    who = moto_target.call("sts", "GetCallerIdentity", {}, principal=arn)
    assert who.ok and who.value["Arn"].startswith("arn:aws:sts::123456789012:assumed-role/speed-a/")
    assert sent == []  # the credentials came from moto's backend


def test_when_the_backend_cannot_answer_the_call_is_made(moto_target: Any) -> None:
    sent: list[str] = []
    moto_target.client("sts").meta.events.register("before-call.sts.AssumeRole",
                                                   lambda **kw: sent.append("AssumeRole"))
    moto_target._direct_assume = lambda role_arn, session_name: None
    arn = _role(moto_target, "speed-b")
    who = moto_target.call("sts", "GetCallerIdentity", {}, principal=arn)
    assert who.ok and "assumed-role/speed-b/" in who.value["Arn"]
    assert sent == ["AssumeRole"]


def test_a_session_name_moto_refuses_is_left_to_the_call() -> None:
    assume = moto_speed.direct_assume("123456789012", "us-east-1")
    assert assume("arn:aws:iam::123456789012:role/x", "n" * 65) is None


def test_indexed_lookups_find_what_motos_walk_finds(moto_target: Any) -> None:
    from moto.iam.exceptions import NotFoundException
    from moto.iam.models import IAMBackend, iam_backends

    backend = iam_backends["123456789012"]["aws"]
    by_name, by_arn = IAMBackend.get_role.__wrapped__, IAMBackend.get_role_by_arn.__wrapped__  # moto's walks
    arns = [_role(moto_target, f"speed-idx-{i}") for i in range(5)]
    for i, arn in enumerate(arns):
        assert backend.get_role(f"speed-idx-{i}") is by_name(backend, f"speed-idx-{i}")
        assert backend.get_role_by_arn(arn) is by_arn(backend, arn)
    # a role removed and made again under the same name: the new one, as moto's walk says
    old = backend.get_role("speed-idx-2")
    assert moto_target.call("iam", "DeleteRole", {"RoleName": "speed-idx-2"}).ok
    with pytest.raises(NotFoundException):
        backend.get_role("speed-idx-2")
    with pytest.raises(NotFoundException):
        backend.get_role_by_arn(arns[2])
    _role(moto_target, "speed-idx-2")
    again = backend.get_role("speed-idx-2")
    assert again is not old and again is by_name(backend, "speed-idx-2")
    assert backend.get_role_by_arn(arns[2]) is again
    with pytest.raises(NotFoundException):
        backend.get_role("speed-never-made")


def test_the_lookup_patch_is_undone_with_the_last_target() -> None:
    from moto.iam.models import IAMBackend

    if moto_speed.patch_role_lookups.active:
        pytest.skip("another moto target of this worker is open")
    original = IAMBackend.get_role
    undo_a, undo_b = moto_speed.patch_role_lookups(), moto_speed.patch_role_lookups()
    assert IAMBackend.get_role is not original
    undo_a()
    undo_a()  # twice: counted once
    assert IAMBackend.get_role is not original
    undo_b()
    assert IAMBackend.get_role is original


def test_a_counted_patch_is_applied_by_the_first_and_undone_by_the_last() -> None:
    state: list[str] = []

    def apply() -> Any:
        state.append("applied")
        return lambda: state.append("restored")

    patch = moto_speed.CountedPatch(apply)
    undo_a, undo_b = patch(), patch()
    assert state == ["applied"] and patch.active
    undo_b()
    undo_b()  # twice: counted once
    assert state == ["applied"]
    undo_a()
    assert state == ["applied", "restored"] and not patch.active
    assert moto_speed.CountedPatch(lambda: None)() is not None  # not applicable: an undo that does nothing


def test_moto_reads_the_shared_loaders_models_while_a_target_is_open(moto_target: Any) -> None:
    import botocore.loaders
    import moto.core.utils as utils
    from kms_conformance.sessions import shared_loader
    from moto.core.base_backend import AccountSpecificBackend

    shared = shared_loader(None)
    for service in ("kms", "iam", "opensearchserverless"):
        model = utils._load_service_model(service, "service-2")
        assert model is shared.load_service_model(service, "service-2")  # read once, by the kit's loader
        assert model == botocore.loaders.create_loader().load_service_model(service, "service-2")  # same data
    core = AccountSpecificBackend.get_session()._session
    assert core.get_component("data_loader") is shared
    assert moto_target.call("kms", "CreateKey", {}).ok


def test_moto_gets_its_own_loaders_back_with_the_last_target() -> None:
    import moto.core.utils as utils
    from moto.core.base_backend import AccountSpecificBackend

    if moto_speed.share_service_models.active:
        pytest.skip("another moto target of this worker is open")
    original = utils._load_service_model
    core = AccountSpecificBackend.get_session()._session
    own = core.get_component("data_loader")
    undo = moto_speed.share_service_models()
    assert utils._load_service_model is not original
    undo()
    assert utils._load_service_model is original
    assert core.get_component("data_loader") is own  # (the suite's own sessions share it: tests/conftest.py)


def test_unchecked_requests_name_the_callers_access_key_and_token() -> None:
    from botocore.auth import AUTH_TYPE_MAPS
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    assert moto_speed.unchecked_signing() is not None
    signer = AUTH_TYPE_MAPS[moto_speed.UNCHECKED_SIGNATURE](Credentials("AKIDEXAMPLE", "secret", "tok"), "kms",
                                                              "us-east-1")
    request = AWSRequest(method="POST", url="https://kms.us-east-1.amazonaws.com/", data=b"{}")
    signer.add_auth(request)
    auth = request.headers["Authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") and "/us-east-1/kms/aws4_request" in auth
    assert request.headers["X-Amz-Security-Token"] == "tok" and "X-Amz-Date" in request.headers


def test_every_service_the_kit_calls_skips_the_signature_but_s3(moto_target: Any,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Whoever decides the signer (KMS's operations name no auth type; IAM's name SigV4, which botocore's
    own choose-signer handler answers first), plain SigV4 requests of the moto target are not hashed;
    S3 keeps botocore's own S3 signer, and the answers are moto's as before."""
    from botocore.auth import SigV4Auth

    hashed: list[str] = []
    canonical = SigV4Auth.canonical_request
    monkeypatch.setattr(SigV4Auth, "canonical_request",
                        lambda self, request: hashed.append(type(self).__name__ + " " + request.url)
                        or canonical(self, request))
    for service, operation in (("iam", "ListRoles"), ("kms", "ListKeys"), ("sts", "GetCallerIdentity"),
                               ("opensearchserverless", "ListCollections"), ("logs", "DescribeLogGroups"),
                               ("s3", "ListBuckets")):
        assert moto_target.call(service, operation, {}).ok, (service, operation)
    assert hashed == ["S3SigV4Auth https://s3.amazonaws.com/"]
    arn = _role(moto_target, "speed-signed")  # an IAM call acting as a role: moto still sees its key
    who = moto_target.call("sts", "GetCallerIdentity", {}, principal=arn)
    assert who.ok and "assumed-role/speed-signed/" in who.value["Arn"]


def test_with_motos_authentication_on_requests_are_signed_in_full(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto import settings

    chosen: list[Any] = []

    class _Events:
        def register_first(self, event: str, handler: Any) -> None:
            chosen.append(handler)

    class _Client:
        class meta:
            events = _Events()

    hook = moto_speed.unchecked_signing()
    assert hook is not None
    hook(_Client())
    choose = chosen[0]
    assert choose(signature_version="v4") == moto_speed.UNCHECKED_SIGNATURE
    assert choose(signature_version="bearer") is None
    monkeypatch.setattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", 3)
    assert choose(signature_version="v4") is None


def test_a_session_botocore_refuses_leaves_only_moto_s_own_loader_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's own session cannot be made (``AWS_PROFILE`` names no profile): the model loading is still
    shared, nothing raises at the target's start (moto reports the profile itself when it needs the
    session), and the undo restores moto."""
    import moto.core.utils as utils
    from botocore.exceptions import ProfileNotFound
    from moto.core.base_backend import AccountSpecificBackend

    if moto_speed.share_service_models.active:
        pytest.skip("another moto target of this worker is open")

    def refused(cls: Any) -> Any:
        raise ProfileNotFound(profile="no-such-profile")

    monkeypatch.setattr(AccountSpecificBackend, "get_session", classmethod(refused))
    original = utils._load_service_model
    undo = moto_speed.share_service_models()
    assert utils._load_service_model is not original
    undo()
    assert utils._load_service_model is original
