"""The kit's boto3 sessions share one botocore data loader per data path
(:mod:`kms_conformance.sessions`): botocore's files are read once per process, not once per target.

The suite itself shares loaders for every session (tests/conftest.py); these tests put botocore's own
loader factory back first, so that what they see is the kit's doing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import pytest
from kms_conformance.sessions import share_loader, shared_loader
from kms_conformance.targets import TargetConfig, make_target


@pytest.fixture(autouse=True)
def botocore_as_shipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(botocore.session, "create_loader", botocore.loaders.create_loader)


def loader_of(session: Any) -> Any:
    return session._session.get_component("data_loader")


def test_sessions_given_the_shared_loader_share_it_per_data_path(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DATA_PATH", raising=False)
    a, b = boto3.session.Session(), boto3.session.Session()
    assert loader_of(a) is not loader_of(b)  # botocore alone: one loader per session
    assert share_loader(a) is a and share_loader(b) is b
    assert loader_of(a) is loader_of(b) is shared_loader(None)
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    other = share_loader(boto3.session.Session())
    assert loader_of(other) is not loader_of(a)
    assert str(tmp_path) in loader_of(other).search_paths  # the session's own data path is kept
    stand_in = object()
    assert share_loader(stand_in) is stand_in


def test_two_moto_targets_read_botocore_files_once() -> None:
    first = make_target(TargetConfig(name="moto", run_id="share-a"))
    try:
        first_loader = loader_of(first._session)  # type: ignore[attr-defined]
    finally:
        first.close()
    second = make_target(TargetConfig(name="moto", run_id="share-b"))
    try:
        assert loader_of(second._session) is first_loader  # type: ignore[attr-defined]
    finally:
        second.close()
