"""The suite's own guards (tests/conftest.py) do what they say: a test that leaves a moto mock started
fails, naming itself, and the test after it is not blamed. The suite's moto servers (tests/e2e_support.py)
leave moto as they found it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_a_test_that_leaves_a_moto_mock_started_fails(tmp_path: Path) -> None:
    shutil.copy(HERE / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_leak.py").write_text(
        "from moto import mock_aws\n\n"
        "def test_leaves_one_started():\n"
        "    mock_aws().start()\n\n"
        "def test_stops_what_it_starts():\n"
        "    with mock_aws():\n"
        "        pass\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                           str(tmp_path)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 moto mock(s) left started by this test" in done.stdout
    assert "ERROR test_leak.py::test_leaves_one_started" in done.stdout
    # its own call passes and its teardown errs; the test after it (1 started before, 1 after) passes
    assert "2 passed, 1 error" in done.stdout


def test_a_moto_server_leaves_moto_unpatched() -> None:
    import urllib.request

    import moto.backends as backends
    import moto.core.responses as responses
    import moto.kms.models as kms_models
    from e2e_support import moto_server

    keys, names, listing = (kms_models.generate_private_key, responses.method_names_from_class,
                            backends.list_of_moto_modules)
    with moto_server() as url:
        assert kms_models.generate_private_key is not keys  # keys made when first used, while it serves
        assert tuple(backends.list_of_moto_modules()) == tuple(listing())  # read once, the same list
        urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=30).close()
    assert kms_models.generate_private_key is keys and responses.method_names_from_class is names
    assert backends.list_of_moto_modules is listing
