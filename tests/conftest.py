"""Suite-wide settings: fake AWS credentials and region, so that no test reaches a real account by accident
and boto3 never reads a developer's ~/.aws profile; the source pages' folder made absolute; where the
processes the suite starts keep their bytecode and Hypothesis's storage; a test that leaves a moto mock
started fails; botocore's data files read once per process, not once per session; the slow tests first,
and a test left out of its xdist group fails; fewer full garbage collections in the suite's own
processes. Kept minimal: every test file relies on it."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest

os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
os.environ.pop("AWS_PROFILE", None)

# The source pages (tests/spec_support.py, pages()): a relative KMS_CONFORMANCE_DOCS is taken from where
# pytest was started, whatever directory a test later changes to.
if os.environ.get("KMS_CONFORMANCE_DOCS"):
    os.environ["KMS_CONFORMANCE_DOCS"] = os.path.abspath(os.environ["KMS_CONFORMANCE_DOCS"])

# Compiled bytecode of the Python processes the suite starts (xdist workers; the CLI and pytest runs
# of the end-to-end tests, about seventy): kept in one folder under the system temporary folder
# (PYTHONPYCACHEPREFIX), also where the environment sets PYTHONDONTWRITEBYTECODE, so that each process
# does not compile the kit again (0.7-0.9 s of CPU each). The source tree gets no __pycache__; Python
# checks every cached file against its source's modification time and size before using it.
if not os.environ.get("PYTHONPYCACHEPREFIX"):
    os.environ["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "kms-conformance-test-pycache")
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

# Hypothesis's storage folder. This process keeps its own, fixed here: HYPOTHESIS_STORAGE_DIRECTORY as the
# user set it, else .hypothesis/ where pytest started (a developer's example database). The processes the
# suite starts (pytest runs in fresh folders, the CLI) share one folder under the system temporary folder,
# unless the user set one: there Hypothesis keeps what it computes once, the constants it reads from the
# kit's modules and its Unicode tables, 1.7 s of CPU for each process that started in an empty folder. An
# xdist worker inherits that value from the controller and is given its own folder like any process.
from hypothesis import settings
from hypothesis.configuration import storage_directory

_HYPOTHESIS_STORAGE = "HYPOTHESIS_STORAGE_DIRECTORY"
_SHARED_HYPOTHESIS = os.path.join(tempfile.gettempdir(), "kms-conformance-test-hypothesis")
if os.environ.get(_HYPOTHESIS_STORAGE) == _SHARED_HYPOTHESIS:
    del os.environ[_HYPOTHESIS_STORAGE]
storage_directory(intent_to_write=False)  # fixes this process's folder before the variable changes
os.environ.setdefault(_HYPOTHESIS_STORAGE, _SHARED_HYPOTHESIS)

# Hypothesis: on CI (CI=true, as `.ci/run` runs) the property tests are derandomized, so a landing
# is decided by the code, not by the draw; on a developer's machine they explore fresh examples
# every run (and keep failures in .hypothesis/), which is where new counterexamples are found.
# `pytest --hypothesis-profile kms-explore` forces exploring on CI too.
settings.register_profile("kms-suite-ci", derandomize=True, print_blob=True)
settings.register_profile("kms-explore", derandomize=False, print_blob=True)
if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
    settings.load_profile("kms-suite-ci")

# botocore reads its service models and endpoint data once per session, and nearly every test makes new
# sessions (moto starts each mock without a default session; the kit makes one per target): test_enforce
# spent about half its time, test_sweep a third, reading and parsing the same JSON files again. The suite's
# own processes share one loader per data path, the one the kit's sessions share
# (kms_conformance.sessions): the files are botocore's read-only data. Processes the suite starts
# (the CLI, users' suites) are left as they are.
def _share_botocore_loader() -> None:
    import botocore.session
    from kms_conformance.sessions import shared_loader

    def create_loader(search_path_string: str | None = None) -> object:
        loader = shared_loader(search_path_string)
        # boto3 appends its own data folder to every new session's loader: kept once, not once per session
        paths = loader.search_paths
        paths[:] = list(dict.fromkeys(paths))
        return loader

    botocore.session.create_loader = create_loader


_share_botocore_loader()

# tests/user_suite/ is a user's own test suite, run in subprocesses by tests/test_plugin_isolation.py
# (with and without the kit's plugin); collected here it would share this session's state.
collect_ignore = ["user_suite"]


def _moto_mocks_started() -> int:
    """How many of moto's mocks (``mock_aws``, decorator or context) are started in this process."""
    from moto.core.models import MockAWS

    return int(getattr(MockAWS, "_nested_count", 0))


@pytest.fixture(autouse=True)
def _no_moto_mock_left_started(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test must stop every moto mock it starts (a moto target left open keeps its ``mock_aws``):
    a mock left started keeps moto's state alive, and each later test of the same worker that starts
    its own then begins with the roles and keys of the earlier one ("Role with name ... already
    exists"), failures that depend on the order xdist hands tests out. The test that left it fails
    here instead. Not applied to tests/user_suite, a user's suite run in subprocesses, one of whose
    runs keeps a session-wide mock on purpose."""
    if "user_suite" in request.node.path.parts:
        yield
        return
    before = _moto_mocks_started()
    yield
    after = _moto_mocks_started()
    if after != before:
        pytest.fail(f"{after - before} moto mock(s) left started by this test (started {before} before it, {after} "
                    "after): stop what it starts, e.g. close the moto target it made", pytrace=False)


#: Per xdist worker, the tests marked ``xdist_group`` that pytest-xdist did not group, and why.
_UNGROUPED: dict[str, str] = {}


@pytest.hookimpl(trylast=True)  # after pytest-xdist's own, which names the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Two things, in every process that collects:

    - the tests marked ``slow`` (seconds each: subprocesses, moto servers, whole-catalogue runs) run
      first, in their collection order, the rest after: under ``-n 2`` the workers then end on tests of
      a few milliseconds and finish together, instead of one running the last slow test alone (about
      10 s of the suite's time, idle). Every worker sorts the same way, as xdist requires;
    - under ``--dist loadgroup`` (the suite's command), a test marked ``xdist_group`` that pytest-xdist
      did not give its group fails (:func:`_grouped_as_marked`): xdist would hand that module's tests to
      both workers, and each would compute the module's shared run (tens of seconds) or wait on the
      other's lock, silently (pytest 9.2 with pytest-xdist 3.8 did so: the ``test`` extra pins pytest
      below 9.2)."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
    if not getattr(config.option, "loadgroup", False):  # set on xdist workers only
        return
    ungrouped = [item.nodeid for item in items if item.get_closest_marker("xdist_group") and "@" not in item.nodeid]
    if ungrouped:
        import xdist

        why = (f"--dist loadgroup did not group the {len(ungrouped)} test(s) marked xdist_group: pytest "
               f"{pytest.__version__} with pytest-xdist {xdist.__version__} ignores the groups; install the "
               "'test' extra's versions (pip install -e '.[test]')")
        _UNGROUPED.update(dict.fromkeys(ungrouped, why))


@pytest.fixture(autouse=True)
def _grouped_as_marked(request: pytest.FixtureRequest) -> None:
    """Fails a test that :func:`pytest_collection_modifyitems` found left out of its xdist group."""
    why = _UNGROUPED.get(request.node.nodeid)
    if why:
        pytest.fail(why, pytrace=False)


def pytest_collection_finish(session: pytest.Session) -> None:
    """The garbage collector of the suite's own processes (each xdist worker, or a plain run): what is
    alive once the tests are collected (modules, botocore's models, Hypothesis's tables) is frozen, out of
    every later collection, and a full collection runs after 200 collections of the middle generation, not
    10. A worker keeps some 400,000 objects alive; with Python's defaults it ran 30-50 full collections of
    0.15-0.25 s each, some 20 s of the two workers' CPU in all, and about 10 s with these settings
    (measured with ``gc.callbacks`` over a whole ``-n 2`` run). Processes the suite starts keep Python's
    defaults."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(gc.get_threshold()[0], gc.get_threshold()[1], 200)
