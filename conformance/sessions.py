"""One botocore data loader for every boto3 session the kit makes in a process.

botocore reads a service's model, its endpoint rules and the partition data from JSON files, once per
*session* (its loader caches what it read). The kit makes a new session for every target (every
``run``, every test using the pytest plugin's target fixtures), and a session's first clients cost
0.1-0.3 s of reading and parsing the same files again. Those files
are read-only data of the installed botocore; a loader is shared here per data path (the
``data_path`` setting, ``AWS_DATA_PATH``), so a session sees exactly the files its own loader would
have read. Sessions the kit does not make (a user's ``boto3.client``) are left alone.
"""

from __future__ import annotations

import threading
from typing import Any

_LOCK = threading.Lock()
#: data path (None: botocore's default search path) -> the loader every kit session with it shares
_LOADERS: dict[str | None, Any] = {}


def shared_loader(data_path: str | None = None) -> Any:
    """The process's botocore loader for ``data_path`` (made on first use); the signature of
    ``botocore.loaders.create_loader``, whose loaders it hands out."""
    with _LOCK:
        loader = _LOADERS.get(data_path)
        if loader is None:
            import botocore.loaders

            loader = _LOADERS[data_path] = botocore.loaders.create_loader(data_path)
        return loader


def share_loader(session: Any) -> Any:
    """Give a boto3 session (or a botocore one) the shared loader of its data path; returns ``session``.
    Anything else (a stand-in session of a test) is returned untouched."""
    import botocore.session

    core = getattr(session, "_session", session)
    if isinstance(core, botocore.session.Session):
        core.register_component("data_loader", shared_loader(core.get_config_variable("data_path")))
    return session
