"""What the ``moto`` target (moto in process) does to spend less time per call, without changing
any answer moto gives:

* :func:`direct_assume`: a role's credentials come from moto's own STS backend (the function
  moto's ``AssumeRole`` handler calls, with the same arguments), not through a botocore request
  that moto parses, dispatches and serialises: a run assumes hundreds of roles, and the credentials
  are plumbing (an ``AssumeRole`` is never a call of a finding). moto stores the same session and
  access key either way; any surprise (a moto whose STS backend differs) falls back to the call.
* :func:`patch_role_lookups`: moto's IAM backend finds a role by name or by ARN by walking every
  role of the account (``IAMBackend.get_role``, ``get_role_by_arn``), and it does so on every
  request signed as a role (``mark_account_as_visited``), every ``AssumeRole`` and every
  ``PutRolePolicy``: a run creates about 900 roles, so the walks grow with the run. The patch keeps
  an index per backend, checks each hit against the backend's own roles, and leaves a miss to
  moto's walk; the same role is found, or the same ``NotFoundException`` raised.
* :func:`unchecked_signing`: moto in process checks no request signature unless its IAM
  authentication is on (``INITIAL_NO_AUTH_ACTION_COUNT``); it reads the access key id from the
  ``Authorization`` header (whose account and role the call acts as) and the session token. While
  that is so, the moto target's clients write SigV4's headers as botocore does (the date, the
  session token, the credential scope naming the access key) but skip computing the signature
  (hashing the canonical request, four HMACs): a sixth of botocore's work per call. With moto's
  authentication on, every request is signed in full.
* :func:`share_service_models`: moto reads a service's botocore model (to route its requests) with a
  loader of its own (``moto.core.utils._load_service_model`` makes a new one each time: it lists every
  service's folder and parses the model's JSON again), after the kit's clients read the same files
  with the process's shared loader (:mod:`kms_conformance.sessions`, the same default search
  path); moto's own boto3 session (``AccountSpecificBackend.get_session``, for the regions of each
  service) reads them a third time. The patch hands moto that loader's models: the same data, read
  once (about 0.1 s off a process's first calls on moto).
"""


from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["UNCHECKED_SIGNATURE", "CountedPatch", "direct_assume", "patch_role_lookups", "share_service_models",
           "unchecked_signing"]

#: moto's limit on ``RoleSessionName`` (its handler refuses longer names before calling the backend).
_SESSION_NAME_LIMIT = 64


def direct_assume(account: str, region: str) -> Callable[[str, str], Mapping[str, Any] | None]:
    """``assume(role_arn, session_name)``: the role's ``Credentials`` (as ``sts:AssumeRole`` returns
    them) from moto's STS backend of ``account``, or ``None`` when that is not possible (then the
    caller makes the ``AssumeRole`` call). Only for the in-process mock, while it is open."""

    def assume(role_arn: str, session_name: str) -> Mapping[str, Any] | None:
        if len(session_name) > _SESSION_NAME_LIMIT:
            return None  # moto's handler answers a validation error: let the call say so
        try:
            from moto.sts.models import sts_backends
            from moto.utilities.utils import get_partition

            backend: Any = sts_backends[account][get_partition(region)]  # its handler passes None alike
            role = backend.assume_role(region_name=region, role_session_name=session_name, role_arn=role_arn,
                                       policy=None, duration=3600, external_id=None)
            return {"AccessKeyId": str(role.access_key_id), "SecretAccessKey": str(role.secret_access_key),
                    "SessionToken": str(role.session_token), "Expiration": role.expiration}
        except Exception:
            return None

    return assume


class CountedPatch:
    """A change to moto that nested moto targets share: the first call applies it, and the undo
    returned to the last caller still holding it restores moto, whatever order they close in.
    ``apply`` makes the change and returns the function that restores it, or ``None`` when this moto
    lacks what it changes (then nothing is changed: slower, never broken). Calling an undo twice
    counts once."""

    def __init__(self, apply: Callable[[], Callable[[], None] | None]) -> None:
        self._apply = apply
        self._lock = threading.Lock()
        self._count = 0
        self._restore: Callable[[], None] | None = None

    @property
    def active(self) -> bool:
        """Whether moto is patched now."""
        return self._count > 0

    def __call__(self) -> Callable[[], None]:
        with self._lock:
            if self._count == 0:
                restore = self._apply()
                if restore is None:
                    return lambda: None
                self._restore = restore
            self._count += 1
        undone = False

        def undo() -> None:
            nonlocal undone
            with self._lock:
                if undone:
                    return
                undone = True
                self._count -= 1
                if self._count == 0 and self._restore is not None:
                    restore, self._restore = self._restore, None
                    restore()

        return undo


def _apply_shared_models() -> Callable[[], None] | None:
    try:
        import moto.core.utils as utils
        from moto.core.base_backend import AccountSpecificBackend
    except Exception:
        return None
    original = getattr(utils, "_load_service_model", None)
    get_session = getattr(AccountSpecificBackend, "get_session", None)
    if not (callable(original) and callable(get_session)):
        return None
    from kms_conformance.sessions import shared_loader

    def load(service_name: str, model_name: str) -> Any:
        return shared_loader(None).load_service_model(service_name, model_name)

    utils._load_service_model = load
    # moto's own boto3 session (one per process), which lists each service's regions when a backend is
    # first made for an account: its loader is swapped for the shared one while the patch holds
    try:
        core = getattr(get_session(), "_session", None)
    except Exception:  # a session botocore refuses (a profile that does not exist): moto says so itself, later
        core = None
    own_loader = core.get_component("data_loader") if core is not None else None
    if core is not None:
        core.register_component("data_loader", shared_loader(None))

    def restore() -> None:
        utils._load_service_model = original
        if core is not None:
            core.register_component("data_loader", own_loader)

    return restore


#: Hand moto the kit's shared botocore loader's models (see the module docstring); returns the undo.
share_service_models = CountedPatch(_apply_shared_models)


class _Index:
    """Roles of one IAM backend by one attribute (``name`` or ``arn``), filled as lookups miss."""

    def __init__(self) -> None:
        self.by: dict[str, Any] = {}
        self.seen: set[str] = set()  # role ids already indexed
        #: ``backend.roles`` when last indexed: its size and newest id (a role added or removed changes them)
        self.shape: tuple[int, Any] = (-1, None)


def _indexed(original: Callable[[Any, str], Any], attribute: str) -> Callable[[Any, str], Any]:
    """``original`` (a walk over ``backend.roles`` returning the first role whose ``attribute`` is
    the value) answered from an index that is checked on every hit."""
    indexes: weakref.WeakKeyDictionary[Any, _Index] = weakref.WeakKeyDictionary()

    def lookup(backend: Any, value: str) -> Any:
        roles = getattr(backend, "roles", None)
        if not isinstance(roles, dict):
            return original(backend, value)
        index = indexes.get(backend)
        if index is None:
            index = indexes[backend] = _Index()
        role = index.by.get(value)
        if role is None:
            shape = (len(roles), next(reversed(roles), None))
            if shape != index.shape:
                # moto adds a role under a fresh id at the end and never reuses an id: the roles not yet
                # indexed are the newest, read from the end (a role found otherwise is left to the walk)
                fresh = []
                for role_id in reversed(roles):
                    if role_id in index.seen:
                        break
                    fresh.append(role_id)
                for role_id in reversed(fresh):
                    index.seen.add(role_id)
                    index.by.setdefault(getattr(roles[role_id], attribute), roles[role_id])
                index.shape = shape
            role = index.by.get(value)
        if role is not None and roles.get(getattr(role, "id", None)) is role and getattr(role, attribute) == value:
            return role
        found = original(backend, value)  # a role gone, or replaced under the same name: moto's walk decides
        index.by[value] = found
        return found

    lookup.__wrapped__ = original  # type: ignore[attr-defined]  # moto's walk, for comparison
    return lookup


def _apply_role_lookups() -> Callable[[], None] | None:
    try:
        from moto.iam.models import IAMBackend
    except Exception:
        return None
    by_name, by_arn = getattr(IAMBackend, "get_role", None), getattr(IAMBackend, "get_role_by_arn", None)
    if not (callable(by_name) and callable(by_arn)):
        return None
    setattr(IAMBackend, "get_role", _indexed(by_name, "name"))  # noqa: B010
    setattr(IAMBackend, "get_role_by_arn", _indexed(by_arn, "arn"))  # noqa: B010

    def restore() -> None:
        setattr(IAMBackend, "get_role", by_name)  # noqa: B010
        setattr(IAMBackend, "get_role_by_arn", by_arn)  # noqa: B010

    return restore


#: Index moto's ``IAMBackend.get_role`` and ``get_role_by_arn`` (see the module docstring); returns the
#: undo. A moto without those methods is left alone.
patch_role_lookups = CountedPatch(_apply_role_lookups)


#: The signature version the moto target's clients sign with while moto checks no signature
#: (an entry of its own in botocore's table of signers; botocore's ``v4`` is left as it is).
UNCHECKED_SIGNATURE = "kms-conformance-moto-v4"


def _moto_checks_signatures() -> bool:
    try:
        from moto import settings
    except ImportError:
        return True
    return bool(getattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0) != float("inf"))


def _unchecked_signer() -> type:
    from botocore.auth import SigV4Auth

    class UncheckedSigV4(SigV4Auth):
        """SigV4's headers without the signature's hashing (see the module docstring)."""

        def canonical_request(self, request: Any) -> str:
            return ""

        def string_to_sign(self, request: Any, canonical_request: str) -> str:
            return ""

        def signature(self, string_to_sign: str, request: Any) -> str:
            return "0" * 64

        def _inject_signature_to_request(self, request: Any, signature: str) -> Any:
            request.headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={self.scope(request)}, "
                                                f"SignedHeaders=host;x-amz-date, Signature={signature}")
            return request

    return UncheckedSigV4


def unchecked_signing() -> Callable[[Any], None] | None:
    """A hook for each botocore client of the moto target: its SigV4 requests skip computing the
    signature while moto checks none (asked at every request); ``None`` when botocore lacks what it
    needs (then clients sign as usual)."""
    try:
        import botocore.auth
        from botocore.handlers import set_operation_specific_signer
    except ImportError:
        return None
    if not isinstance(getattr(botocore.auth, "AUTH_TYPE_MAPS", None), dict):
        return None
    botocore.auth.AUTH_TYPE_MAPS.setdefault(UNCHECKED_SIGNATURE, _unchecked_signer())

    def choose(signature_version: Any = None, context: Any = None, signing_name: Any = None,
               **_: Any) -> str | None:
        # First of the generic choose-signer handlers (an operation's own, such as STS's unsigned
        # calls, still come before it): botocore's own choice, the operation's auth type (IAM's
        # operations name sigv4; KMS's name none), is asked here, and plain SigV4 becomes the
        # unchecked signer; any other choice is botocore's answer, unchanged.
        if _moto_checks_signatures():
            return None
        decided = set_operation_specific_signer(context=context if context is not None else {},
                                                signing_name=signing_name)
        if (decided if decided is not None else signature_version) == "v4":
            return UNCHECKED_SIGNATURE
        return decided

    def hook(client: Any) -> None:
        client.meta.events.register_first("choose-signer", choose)

    return hook
