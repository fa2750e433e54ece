"""Where the kit keeps what it can compute again: ``$KMS_CONFORMANCE_CACHE``, else
``~/.cache/kms-conformance``.

Two things live there: LocalStack's environments (:mod:`kms_conformance.targets.localstack`) and,
for the kit's own command-line processes, Hypothesis's storage (:func:`keep_hypothesis_storage`).

Hypothesis keeps its storage in ``.hypothesis/`` under the folder a process starts in. There, before
the first text example, it writes the tables of which Unicode characters a codec can encode and of
their categories: about 2.3 s of CPU, paid again in every new folder. A ``kms-conformance run``
started in a fresh checkout (a nightly job, a CI job) paid it every time and left a ``.hypothesis/``
folder in the user's tree. The tables depend only on the Python's Unicode version, so one copy per
user serves every folder.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from pathlib import Path

#: The cache folder's root (default ``~/.cache/kms-conformance``).
CACHE_ENV = "KMS_CONFORMANCE_CACHE"
#: Hypothesis's own variable for its storage folder (read by ``hypothesis.configuration``).
HYPOTHESIS_STORAGE_ENV = "HYPOTHESIS_STORAGE_DIRECTORY"


def cache_root(environ: Mapping[str, str] | None = None) -> Path:
    """``$KMS_CONFORMANCE_CACHE`` or ``~/.cache/kms-conformance`` (not created here)."""
    env = os.environ if environ is None else environ
    return Path(env[CACHE_ENV]).expanduser() if env.get(CACHE_ENV) else Path.home() / ".cache" / "kms-conformance"


def keep_hypothesis_storage(environ: MutableMapping[str, str] | None = None) -> Path | None:
    """Point Hypothesis's storage at ``<cache root>/hypothesis`` unless the user has pointed it somewhere
    (``HYPOTHESIS_STORAGE_DIRECTORY`` set): the folder now used, or None when the user's choice stands
    or no home folder is known.

    Only the kit's own processes call this (the console script, ``python -m kms_conformance``), before
    Hypothesis first looks for its storage; the variable passes on to the run's worker processes. A
    program that calls :func:`kms_conformance.cli.main` itself, and a pytest session with the plugin,
    keep Hypothesis's settings as the user made them. The ``dev`` profile's example database is not
    moved: it stays in ``.hypothesis/kms-conformance`` of the folder a run starts in, per project
    (:mod:`kms_conformance.engine.profiles`). Writing there is best effort on Hypothesis's side: an
    unwritable cache folder costs the 2.3 s again, never an error."""
    env = os.environ if environ is None else environ
    if env.get(HYPOTHESIS_STORAGE_ENV):
        return None
    try:
        folder = cache_root(env) / "hypothesis"
    except RuntimeError:  # no home folder (Path.home() without HOME or a passwd entry)
        return None
    env[HYPOTHESIS_STORAGE_ENV] = str(folder)
    return folder
