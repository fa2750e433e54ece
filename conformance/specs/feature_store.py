"""Amazon SageMaker Feature Store and AWS KMS, made executable.

Source: ``001_33dc1ec0c5fdd4cf.txt``, an Indonesian machine translation of the Feature Store page
"Security and access control" / "Using AWS KMS permissions for Amazon SageMaker Feature Store".
Rules follow the page's order and quote the Indonesian text as it stands, with the English
meaning. Translation artefacts:

- the title reads "Keamanan dan kontrol akses EMR Studio" (EMR Studio): the page is Feature Store's;
- the list of required permissions is scrambled ("kms: ", "kms: ", ``ListAliases ListGrants
  RevokeGrant`` trailing the list); the intended set is Encrypt, Decrypt, DescribeKey, CreateGrant,
  RetireGrant, ReEncryptFrom, ReEncryptTo, GenerateDataKey, ListAliases, ListGrants, RevokeGrant.
  FS-04 encodes all eleven for the principal, as the list says and as the SageMaker API Reference
  says of the caller of CreateFeatureGroup (OnlineStoreSecurityConfig, KmsKeyId). The page's own
  sample key policy disagrees with its list: it gives the principal the first ten and RevokeGrant
  to the key administrators only (the administrators' statement is KMS-18 in
  ``kms_conformance.specs.kms`` and FS-13); with the sample's root statement the principal can get RevokeGrant
  from an IAM policy;
- many sentences say "DynamoDB" where Feature Store is meant (the online store is kept in
  DynamoDB; the text was adapted from DynamoDB's page): read as Feature Store;
- "RoLearn" is ``RoleArn``; "sepertiPutRecord,,. GetRecord DeleteRecord" lists PutRecord, GetRecord,
  DeleteRecord; "kunci yang dikelola pelanggan yang AWS dimiliki untuk OnlineStore" is "an AWS owned
  key for the OnlineStore" (and "AWS managed key for the OfflineStore");
- the sample key policy's root principal ``arn:aws:iam::123456789:root`` has 9 digits, not 12.

Sentences not encoded (nothing a setup holds or a target's API shows decides them): the two
kinds of store and their use cases; cross-account and feature-group-level access control in
general; pricing ("Anda tidak membayar biaya bulanan ..."); "Anda memiliki kontrol penuh atas
kebijakan dan hibah" (informative); "DynamoDB menggunakan izin yang diberikan ketika melakukan
pemeliharaan sistem latar belakang" (background use of the grant, covered by FS-08 where
observable); CloudTrail monitoring; and the S3 bucket key cost note ("mengurangi biaya ... hingga
99 persen"), which concerns bucket configuration outside the setup. "tetapi hanya ketika bertindak atas
nama pengguna utama di akun yang memiliki izin untuk menggunakan DynamoDB" (the caller also needs IAM
permission to use Feature Store) is FS-12: the model evaluates the caller's IAM policies for
``sagemaker:CreateFeatureGroup`` and the data plane actions. Encoded once elsewhere: "Pengguna
utama ini tidak dapat memanggil operasi ini secara langsung" (no direct calls under kms:ViaService) and
the sentence before it ("Kunci kondisi kms:ViaService memungkinkan izin hanya ketika permintaan
berasal dari DynamoDB atas nama pengguna utama ...") are KMS-11; "Untuk melihat pemberian izin pada
kunci KMS di akun Anda, gunakan operasi ListGrants" is KMS-10; the administrators' RevokeGrant
("Memberikan administrator ... izin untuk mencabut hibah") is KMS-18, all in
``kms_conformance.specs.kms``; the same sentence's read-only access is FS-13. The
sentence-by-sentence disposition of the page is docs/traceability/feature-store.md.

What the service does (the reference behaviour the behaviour rules are compared against) is
:mod:`kms_conformance.models.feature_store`; the scenarios' staging is
:mod:`kms_conformance.scenarios.feature_store`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from kms_conformance.models.feature_store import SAGEMAKER, SERVICE, parse_request
from kms_conformance.policy import KMS_ACTIONS, Statement, names_principal_directly, wildcard_match
from kms_conformance.rules import ServiceSpec, register_service, rule
from kms_conformance.scenarios.feature_store import (
    administrator_calls,
    can_create,
    create_group,
    created_group,
    data_plane,
    describe_group,
    grant_count,
    new_reader,
    stage,
    staged_group,
    store_keys,
)
from kms_conformance.setup import KeySetup, Setup
from kms_conformance.specs import access
from kms_conformance.strategies import feature_store as fss
from kms_conformance.targets.base import Target

DOC = "001_33dc1ec0c5fdd4cf.txt"

_S_INTRO = "Keamanan dan kontrol akses EMR Studio"
_S_PERMS = "Menggunakan AWS KMS izin untuk Amazon SageMaker Feature Store"
_S_ALLOW = "Mengizinkan penggunaan kunci yang dikelola pelanggan"
_S_POLICY = "Kebijakan kunci CMK yang dikelola pelanggan"
_S_GRANTS = "Menggunakan hibah untuk mengotorisasi Toko Fitur"
_S_DATA = "Mengakses data di toko online Anda"

#: An IAM policy that lets the caller look at feature groups and pass roles, but not create one.
_NO_CREATE_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["sagemaker:DescribeFeatureGroup", "iam:PassRole"], "Resource": "*"}]}


def _online(setup: Setup) -> KeySetup | None:
    """The setup's key of the online store (None: no online store, or no customer managed key)."""
    req = parse_request(setup)
    return setup.find_key(req.online_key) if req.online and req.online_key else None


def _offline(setup: Setup) -> KeySetup | None:
    """The setup's key of the offline store (None: no offline store, or no customer managed key)."""
    req = parse_request(setup)
    return setup.find_key(req.offline_key) if req.offline and req.offline_key else None


def _admits(operator: str, values: tuple[str, ...], endpoint: str) -> bool:
    """Whether a positive kms:ViaService condition (``StringEquals``, ``StringLike``, their
    ``ForAnyValue:``/``IfExists`` forms) admits requests through ``endpoint``; a negated operator
    (``StringNotEquals``...) limits nothing to one service and admits nothing here.

    >>> _admits("StringLike", ("sagemaker.*.amazonaws.com",), "sagemaker.us-east-1.amazonaws.com")
    True
    >>> _admits("StringEquals", ("s3.us-east-1.amazonaws.com",), "sagemaker.us-east-1.amazonaws.com")
    False
    """
    op = operator.lower()
    if "not" in op.split(":")[-1]:
        return False
    like = "like" in op
    return any(wildcard_match(v, endpoint) if like else v == endpoint for v in values)


def _online_applies(setup: Setup) -> bool:
    return _online(setup) is not None


def _offline_applies(setup: Setup) -> bool:
    return _offline(setup) is not None


def _where(stmt: Statement) -> str:
    return f"Statement[{stmt.index}]" + (f" (Sid {stmt.sid!r})" if stmt.sid else "")


def _via_entries(key: KeySetup) -> list[tuple[Statement, str, tuple[str, ...]]]:
    """Each kms:ViaService condition of an Allow statement of the key's policy: the statement, the
    operator and the values."""
    out = []
    for stmt in access.key_policy(key).statements:
        if stmt.effect != "Allow":
            continue
        for cond in stmt.conditions:
            if cond.key.lower() == "kms:viaservice":
                out.append((stmt, cond.operator, tuple(cond.values)))
    return out


# --- Keamanan dan kontrol akses EMR Studio -------------------------------------------------------

FS_01 = rule(
    "FS-01", "Without a customer managed key the stores use AWS keys, with no extra authorization",
    service=SERVICE, doc=DOC, section=_S_INTRO,
    quote="Jika Anda tidak memberikan AWS KMS kunci maka kami memastikan bahwa data Anda dienkripsi di sisi server",
    quote_en="If you do not provide an AWS KMS key, we make sure your data is encrypted on the server side",
    operations=("sagemaker:CreateFeatureGroup", "sagemaker:DescribeFeatureGroup"),
)


@FS_01.behavior_(examples=fss.default_examples)
def default_keys(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"Jika Anda tidak memberikan AWS KMS kunci maka kami memastikan bahwa data Anda dienkripsi di
    sisi server menggunakan kunci yang AWS dimiliki atau AWS KMS kunci AWS terkelola" (if you provide
    no KMS key, your data is encrypted server side with an AWS owned or AWS managed key); "Toko Fitur
    tidak memerlukan otorisasi tambahan untuk menggunakan kunci KMS yang AWS dimiliki default" (no
    additional authorization for the default AWS owned key) and "Toko Fitur tidak memerlukan hibah,
    atau izin tambahan apa pun" (no grant or other permission); "Secara default, ia menggunakan kunci
    ... AWS dimiliki untuk OnlineStore dan kunci yang AWS dikelola ... untuk OfflineStore" (by default
    an AWS owned key for the online store and an AWS managed key for the offline store); "Jika kunci
    AWS KMS enkripsi tidak ditentukan, secara default kami mengenkripsi semua data saat istirahat
    menggunakan AWS KMS kunci" (the offline store's S3 location without a key is still encrypted).
    A caller without any KMS permission
    creates a feature group without KmsKeyId; DescribeFeatureGroup shows no KmsKeyId."""
    online = example["stores"] in ("online", "both")
    offline = example["stores"] in ("offline", "both")
    st_ = stage(target, {}, online=False, offline=False)
    out, name = create_group(target, st_, online=online, offline=offline, with_keys=False)
    facts: dict[str, Any] = {"create": out.code}
    if out.ok:
        described = describe_group(target, name, st_.caller)
        facts["describe"] = described.code
        facts["kms_key_ids"] = [k for k in store_keys(described.value) if k]
    return facts


# --- Menggunakan AWS KMS izin untuk Amazon SageMaker Feature Store --------------------------------

FS_02 = rule(
    "FS-02", "The online and offline stores may use different customer managed keys",
    service=SERVICE, doc=DOC, section=_S_PERMS,
    quote="mereka dapat berbeda untuk setiap toko",
    quote_en="they can be different for each store",
    operations=("sagemaker:CreateFeatureGroup", "sagemaker:DescribeFeatureGroup", "kms:ListGrants"),
)


@FS_02.behavior_(examples=fss.two_key_examples)
def separate_keys(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"Anda dapat memilih kunci yang dikelola pelanggan untuk Toko Fitur saat Anda membuat toko
    online atau offline, dan mereka dapat berbeda untuk setiap toko" (you can choose a customer
    managed key for the online or offline store, and they can differ per store). With two keys,
    each store keeps its own (OnlineStoreConfig.SecurityConfig.KmsKeyId,
    OfflineStoreConfig.S3StorageConfig.KmsKeyId), and the grant goes on the online key only (each
    grant is specific to an online store: the sentence is FS-07's)."""
    st_ = stage(target, example)
    out, name = create_group(target, st_)
    facts: dict[str, Any] = {"create": out.code}
    if out.ok:
        online_key, offline_key = store_keys(describe_group(target, name, st_.caller).value)
        facts["online_key_kept"] = online_key == st_.online_key
        facts["offline_key_kept"] = offline_key == st_.offline_key
        facts["grants_online"] = grant_count(target, st_.online_key)
        facts["grants_offline"] = grant_count(target, st_.offline_key)
    return facts


FS_03 = rule(
    "FS-03", "Only symmetric customer managed keys",
    service=SERVICE, doc=DOC, section=_S_PERMS,
    quote="Feature Store hanya mendukung kunci yang dikelola pelanggan simetris",
    quote_en="Feature Store supports only symmetric customer managed keys",
    operations=("kms:CreateKey", "sagemaker:CreateFeatureGroup"),
    inferred="error code",
)


@FS_03.config(applies=lambda s: _online(s) is not None or _offline(s) is not None)
def keys_symmetric(setup: Setup) -> list[str]:
    """"Feature Store hanya mendukung kunci yang dikelola pelanggan simetris. Anda tidak dapat
    menggunakan kunci yang dikelola pelanggan asimetris untuk mengenkripsi data Anda di toko online
    atau offline Anda" (Feature Store supports only symmetric customer managed keys; you cannot use
    an asymmetric one for the online or offline store)."""
    reasons = []
    for store, key in (("OnlineStoreConfig.SecurityConfig.KmsKeyId", _online(setup)),
                       ("OfflineStoreConfig.S3StorageConfig.KmsKeyId", _offline(setup))):
        if key is not None and (key.key_spec != "SYMMETRIC_DEFAULT" or key.key_usage != "ENCRYPT_DECRYPT"):
            reasons.append(f"request.CreateFeatureGroup.{store} names {key.arn}, a {key.key_spec}/{key.key_usage} "
                           "key; Feature Store supports only symmetric encryption keys")
    return reasons


@FS_03.behavior_(examples=fss.symmetric_examples)
def asymmetric_refused(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """An asymmetric (RSA ENCRYPT_DECRYPT) key for either store makes CreateFeatureGroup fail; a
    symmetric one succeeds. Fact: ``fails`` (refused, or accepted and ended CreateFailed) or ``OK``.
    Inferred: the page says only that an asymmetric key cannot be used, not how the call fails, so any
    refusal counts (the reference model answers ValidationException)."""
    spec = tuple(example["spec"])
    sym = ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")
    st_ = stage(target, example, online_spec=spec if example["store"] == "online" else sym,
                offline_spec=spec if example["store"] == "offline" else sym)
    return {"create": created_group(target, st_)[0].fact}


# --- Kebijakan kunci CMK yang dikelola pelanggan -----------------------------------------------

FS_04 = rule(
    "FS-04", "The principal choosing the online store key has the minimal permissions on it",
    service=SERVICE, doc=DOC, section=_S_POLICY,
    quote="Minimal, DynamoDB memerlukan izin berikut pada kunci yang dikelola pelanggan",
    quote_en="At a minimum, DynamoDB needs the following permissions on the customer managed key",
    operations=("sagemaker:CreateFeatureGroup", "kms:DescribeKey", "kms:CreateGrant", "kms:GenerateDataKey"),
    inferred="error code",
)


@FS_04.config(applies=_online_applies)
def caller_minimal_permissions(setup: Setup) -> list[str]:
    """"Jika Anda menggunakan kunci yang dikelola pelanggan untuk melindungi toko online Anda,
    kebijakan pada kunci ... harus memberikan izin Toko Fitur untuk menggunakannya atas nama Anda"
    (the key's policy must let Feature Store use it on your behalf); "Pengguna utama tersebut ... harus
    memiliki izin pada kunci KMS ... Anda dapat memberikan izin ini dalam kebijakan kunci, kebijakan
    IAM, atau pemberian izin. Minimal, DynamoDB memerlukan izin berikut" (that principal needs, in the
    key policy, an IAM policy or a grant, at least these permissions). The list is scrambled by the
    translation; encoded: its intended eleven actions (Encrypt, Decrypt, DescribeKey, CreateGrant,
    RetireGrant, ReEncryptFrom, ReEncryptTo, GenerateDataKey, ListAliases, ListGrants, RevokeGrant)
    for ``caller`` through SageMaker, which is also what the SageMaker API Reference requires of the
    caller of CreateFeatureGroup (OnlineStoreSecurityConfig, KmsKeyId). Page defect: the page's
    sample policy gives that principal only the first ten, and RevokeGrant to the key administrators
    (KMS-18); the sample therefore satisfies this rule only with an IAM policy adding
    kms:RevokeGrant. (kms:ListAliases is not a key resource action: listed on a key it is evaluated
    as written.)"""
    key = _online(setup)
    assert key is not None
    return access.access_reasons(setup, key, setup.caller, list(fss.REQUIRED_ACTIONS), via_service=SAGEMAKER)


@FS_04.behavior_(examples=fss.missing_action_examples)
def minimal_permissions_needed(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """Without DescribeKey, CreateGrant or GenerateDataKey (the actions CreateFeatureGroup exercises),
    from the key policy or an IAM policy, CreateFeatureGroup fails: refused (the reference model
    answers AccessDeniedException) or accepted and ended CreateFailed. Fact: ``fails`` or ``OK``
    (inferred: the page names no error). The group has an online store, and an offline one without a
    key when ``stores`` is ``both``; after a failure, the control step :func:`can_create` shows that the
    target creates such a group without a key at all (else the rule is inconclusive, blocked by FS-01)."""
    both = example.get("stores") == "both"
    st_ = stage(target, example, offline=False)
    settled = created_group(target, st_, offline=both)[0]
    if not settled.ok:
        can_create(target, st_, offline=both)
    return {"create": settled.fact}


FS_12 = rule(
    "FS-12", "The principal must itself be allowed to use Feature Store",
    service=SERVICE, doc=DOC, section=_S_POLICY,
    quote="Jika pengguna utama yang disebutkan dalam pernyataan kebijakan tidak memiliki izin untuk menggunakan "
          "DynamoDB, panggilan gagal, bahkan ketika panggilan berasal dari layanan DynamoDB",
    quote_en="If the principal named in the policy statement has no permission to use DynamoDB, the call fails, "
             "even when it comes from the DynamoDB service",
    operations=("iam:PutRolePolicy", "sagemaker:CreateFeatureGroup"),
    inferred="error code",
)


@FS_12.behavior_(examples=fss.service_permission_examples)
def principal_needs_feature_store_permission(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"Memungkinkan DynamoDB untuk menggunakan kunci KMS ... tetapi hanya ketika bertindak atas nama
    pengguna utama di akun yang memiliki izin untuk menggunakan DynamoDB. Jika pengguna utama yang
    disebutkan dalam pernyataan kebijakan tidak memiliki izin untuk menggunakan DynamoDB, panggilan
    gagal, bahkan ketika panggilan berasal dari layanan DynamoDB" (the sample lets the service use
    the key only on behalf of principals allowed to use the service; if the principal the statement
    names may not use it, the call fails even though it would come from the service; "DynamoDB" is
    Feature Store here, an artefact of the page's DynamoDB origin). A caller whose key policy
    statement is the page's sample (all the KMS permissions, through SageMaker) but whose IAM
    policies do not allow ``sagemaker:CreateFeatureGroup`` gets AccessDeniedException; with it, the
    request succeeds (an online store, and an offline one without a key when ``stores`` is ``both``).
    Config half: not encoded, since a setup's ``identityPolicies`` need not list the
    caller's SageMaker permissions. Fact: ``fails`` (refused, or accepted and ended CreateFailed) or
    ``OK``; the page says "panggilan gagal" (the call fails) and names no error (inferred: the
    reference model answers AccessDeniedException)."""
    both = example.get("stores") == "both"
    if example["allowed"]:
        st_ = stage(target, example, offline=False)
    else:
        st_ = stage(target, example, offline=False, feature_store_policy=_NO_CREATE_POLICY)
    settled = created_group(target, st_, offline=both)[0]
    if not settled.ok:  # FS-04's control: the target creates such a group at all
        can_create(target, st_, offline=both)
    return {"create": settled.fact}


FS_05 = rule(
    "FS-05", "kms:ViaService names SageMaker",
    service=SERVICE, doc=DOC, section=_S_POLICY,
    quote="Nilai untuk kms:ViaService seharusnyasagemaker.*.amazonaws.com",
    quote_en="The value of kms:ViaService should be sagemaker.*.amazonaws.com (the translation runs the two words "
             "together)",
    severity="should",
    operations=("sagemaker:CreateFeatureGroup",),
)


def _has_via(setup: Setup) -> bool:
    key = _online(setup)
    return key is not None and bool(_via_entries(key))


@FS_05.config(applies=_has_via)
def via_service_is_sagemaker(setup: Setup) -> list[str]:
    """"Nilai untuk kms:ViaService seharusnya sagemaker.*.amazonaws.com" (the condition's value
    should be ``sagemaker.*.amazonaws.com``; what the condition does, allowing only requests from
    the service on the principal's behalf, is KMS-11). A kms:ViaService condition on the online key
    should match ``sagemaker.<region>.amazonaws.com``."""
    key = _online(setup)
    assert key is not None
    want = access.via_service_name(SAGEMAKER, setup.region)
    assert want is not None
    reasons = []
    for stmt, operator, values in _via_entries(key):
        like = "like" in operator.lower()
        if not any(wildcard_match(v, want) if like else v == want for v in values):
            reasons.append(f"{key.arn} policy {_where(stmt)}: {operator} kms:ViaService {list(values)} "
                           f"does not match {want}")
    return reasons


FS_06 = rule(
    "FS-06", "No kms:ViaService condition on the offline store key",
    service=SERVICE, doc=DOC, section=_S_POLICY,
    quote="Kunci kms:ViaService kondisi hanya dapat digunakan untuk AWS KMS kunci yang dikelola pelanggan toko online",
    quote_en="The kms:ViaService condition key can be used only for the online store's AWS KMS customer managed key",
    operations=("sagemaker:CreateFeatureGroup", "kms:GenerateDataKey"),
)


@FS_06.config(applies=_offline_applies)
def no_via_service_offline(setup: Setup) -> list[str]:
    """"Kunci kms:ViaService kondisi hanya dapat digunakan untuk AWS KMS kunci yang dikelola pelanggan
    toko online, dan tidak dapat digunakan untuk toko offline. Jika Anda menambahkan kondisi khusus
    ini ... dan menggunakan AWS KMS kunci yang sama untuk toko online dan offline, maka itu akan gagal
    operasi CreateFeatureGroup API" (the condition can only be used for the online store's key, not
    the offline store's; with it on one key used for both, CreateFeatureGroup fails) and "Kebijakan
    utama untuk toko online juga berfungsi untuk toko offline, hanya ketika kms:ViaService kondisinya
    tidak ditentukan" (the online store's key policy also works for the offline store only without
    the condition). "Kondisi khusus ini" (this particular condition) is the one the page has just
    shown: kms:ViaService limited to SageMaker (``sagemaker.*.amazonaws.com``), which lets the key be
    used only through the online store. Reported: each Allow statement of the offline key's policy
    that grants kms:GenerateDataKey (what the offline store needs) under a kms:ViaService condition
    that admits SageMaker's endpoint in the setup's Region and not S3's (the offline store is written
    through S3, FS-10). A kms:ViaService condition naming S3 (``s3.<region>.amazonaws.com``), or any
    other service, is not the page's condition: whether it lets the RoleArn write is FS-10's to say."""
    key = _offline(setup)
    assert key is not None
    same = _online(setup) is key
    sagemaker = access.via_service_name(SAGEMAKER, setup.region)
    s3 = access.via_service_name("s3", setup.region)
    assert sagemaker is not None and s3 is not None
    reasons = []
    for stmt, operator, values in _via_entries(key):
        if not (_admits(operator, values, sagemaker) and not _admits(operator, values, s3)):
            continue
        if any(wildcard_match(a, "kms:GenerateDataKey", ignore_case=True) for a in stmt.action or ()):
            reasons.append(f"offline store key {key.arn} policy {_where(stmt)} allows kms:GenerateDataKey only under "
                           f"{operator} kms:ViaService {list(values)}"
                           + ("; the same key serves the online store, so CreateFeatureGroup fails" if same else ""))
    return reasons


@FS_06.behavior_(examples=fss.shared_key_examples)
def shared_key_with_via_service_fails(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """One key for both stores: with the kms:ViaService condition on its statements CreateFeatureGroup
    fails ("maka itu akan gagal operasi CreateFeatureGroup API": refused, or accepted and ended
    CreateFailed); without it, it succeeds."""
    st_ = stage(target, example, shared=True)
    return {"create": created_group(target, st_)[0].fact}


FS_13 = rule(
    "FS-13", "The key administrators get read-only access to the key, and RevokeGrant",
    service=SERVICE, doc=DOC, section=_S_POLICY,
    quote="Memberikan administrator kunci yang dikelola pelanggan akses hanya-baca ke kunci yang dikelola "
          "pelanggan dan izin untuk mencabut hibah",
    quote_en="Gives the customer managed key's administrators read-only access to the key and permission to revoke "
             "grants",
    severity="should",
    operations=("kms:DescribeKey", "kms:GetKeyPolicy", "kms:ListGrants", "kms:Encrypt", "kms:RevokeGrant"),
)
#: What "akses hanya-baca" (read-only access) to the key is at least: its description, its policy
#: and its grants (the sample's kms:Describe*, kms:Get*, kms:List*).
_ADMIN_READ = ("kms:DescribeKey", "kms:GetKeyPolicy", "kms:ListGrants")
#: Actions a key policy cannot give (IAM policy only: "AWS KMS permissions"), and the read-only ones.
_NOT_IN_KEY_POLICY = ("kms:CreateKey", "kms:GenerateRandom", "kms:ListKeys", "kms:ListAliases",
                      "kms:ConnectCustomKeyStore", "kms:CreateCustomKeyStore", "kms:DeleteCustomKeyStore",
                      "kms:DescribeCustomKeyStores", "kms:DisconnectCustomKeyStore", "kms:UpdateCustomKeyStore")
_ADMIN_BEYOND = tuple(a for a in KMS_ACTIONS if a not in _NOT_IN_KEY_POLICY and a != "kms:RevokeGrant"
                      and not a.startswith(("kms:Describe", "kms:Get", "kms:List")))


def _administrators(setup: Setup, key: KeySetup) -> list[str]:
    """The key administrators of the sample's second statement: IAM principals of the key's account
    that a key policy Allow statement names and lets revoke grants, other than the account itself and
    the principals of the request (the caller, the RoleArn), which use the key."""
    users = {setup.caller, str(setup.request.get("CreateFeatureGroup", {}).get("RoleArn", ""))}
    found: list[str] = []
    for stmt in access.key_policy(key).statements:
        if stmt.effect != "Allow" or stmt.principal is None or not stmt.action_test("kms:RevokeGrant"):
            continue
        found += [p for p in stmt.principal.aws if p not in users and p not in found and f":{key.account}:" in p
                  and (":role/" in p or ":user/" in p)]
    return found


def _has_administrators(setup: Setup) -> bool:
    return any(_administrators(setup, key) for key in setup.keys)


@FS_13.config(applies=_has_administrators)
def administrators_read_only(setup: Setup) -> list[str]:
    """"Memberikan administrator kunci yang dikelola pelanggan akses hanya-baca ke kunci yang dikelola
    pelanggan dan izin untuk mencabut hibah" (gives the key administrators read-only access to the key
    and permission to revoke grants), the sample's ``"kms:Describe*", "kms:Get*", "kms:List*",
    "kms:RevokeGrant"``. The RevokeGrant half, for any principal of the account, is KMS-18; this rule
    is the read-only half, for the administrators the key policy names (:func:`_administrators`):
    each may DescribeKey, GetKeyPolicy and ListGrants, and the key policy statements naming it give
    nothing beyond reading and RevokeGrant (no use of the key, no change to it). The sample's
    kms:List* also names ListAliases, which only an IAM policy can give ("AWS KMS permissions"):
    not checked here. ``should``: the page describes its sample."""
    reasons = []
    for i, key in enumerate(setup.keys):
        policy = access.key_policy(key)
        for admin in _administrators(setup, key):
            reasons += [f"keys[{i}] administrator {reason}"
                        for reason in access.access_reasons(setup, key, admin, list(_ADMIN_READ))]
            named = tuple(s for s in policy.statements
                          if s.principal is not None and names_principal_directly(s.principal, access.caller_of(admin)))
            alone = replace(setup, identity_policies={}, grants=())
            own = replace(key, policy=replace(policy, statements=named))
            beyond = [a for a in _ADMIN_BEYOND if access.evaluate_access(alone, own, admin, a).allowed]
            if beyond:
                reasons.append(f"keys[{i}] {key.arn}: the key policy gives administrator {admin} "
                               f"{', '.join(beyond)}: more than read-only access and kms:RevokeGrant")
    return reasons


@FS_13.behavior_(examples=fss.administrator_examples)
def administrator_reads_and_revokes(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """With the sample's administrators' statement (and the account statement, which delegates to
    IAM policies the administrator does not have) the administrator may DescribeKey, GetKeyPolicy,
    ListGrants and RevokeGrant, and may not Encrypt; ListAliases is refused (an IAM-policy-only
    permission: "ListAliases", AWS KMS API Reference). Without one of kms:Describe*, kms:Get*,
    kms:List* the matching read is refused; with a use added, Encrypt succeeds."""
    return administrator_calls(target, list(example["actions"]))


FS_11 = rule(
    "FS-11", "The sample key policy's principals are replaced",
    service=SERVICE, doc=DOC, section=_S_POLICY,
    quote="Sebelum menggunakan kebijakan kunci contoh, ganti pengguna utama contoh dengan pengguna utama aktual",
    quote_en="Before you use the example key policy, replace the example principals with real ones",
    operations=("kms:PutKeyPolicy",),
)


@FS_11.config(applies=lambda s: bool(s.keys))
def sample_principals_replaced(setup: Setup) -> list[str]:
    """"Sebelum menggunakan kebijakan kunci contoh, ganti pengguna utama contoh dengan pengguna utama
    aktual dari AWS Anda" (before using the example key policy, replace the example principals with
    actual principals of your AWS account). Severity ``must``: the sentence is an instruction, not a
    recommendation, and a key policy naming principals that do not exist is refused by AWS KMS
    (PutKeyPolicy: MalformedPolicyDocumentException, "Policy contains a statement with one or more
    invalid principals"). Page defect: the sample's root principal ``arn:aws:iam::123456789:root``
    has a 9-digit account id."""
    reasons = []
    for i, key in enumerate(setup.keys):
        for stmt in access.key_policy(key).statements:
            block = stmt.principal
            for value in (block.aws if block is not None else ()):
                if value in fss.SAMPLE_PRINCIPALS:
                    reasons.append(f"keys[{i}].policy Statement[{stmt.index}] still names the page's sample "
                                   f"principal {value}")
    return reasons


# --- Menggunakan hibah untuk mengotorisasi Toko Fitur ---------------------------------------------

FS_07 = rule(
    "FS-07", "One grant per feature group on a shared online store key",
    service=SERVICE, doc=DOC, section=_S_GRANTS,
    quote="akan ada hibah unik per FeatureGroup menggunakan kunci yang dikelola pelanggan yang sama",
    quote_en="there is one grant per FeatureGroup that uses the same customer managed key",
    operations=("sagemaker:CreateFeatureGroup", "kms:ListGrants"),
)


@FS_07.behavior_(examples=fss.grant_count_examples)
def grant_per_group(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"Setiap hibah spesifik pada toko online. Jika akun menyertakan beberapa toko yang dienkripsi di
    bawah kunci yang dikelola pelanggan yang sama, akan ada hibah unik per FeatureGroup" (each grant
    is specific to an online store; several stores under one key have one grant per feature group).
    The grants are counted with ListGrants (KMS-10). The groups are stage steps (:func:`staged_group`:
    a target that cannot create them leaves the rule inconclusive, blocked by FS-01); with ``stores``
    ``both`` each also has an offline store without a key."""
    both = example.get("stores") == "both"
    st_ = stage(target, example, offline=False)
    for _ in range(example["groups"]):
        staged_group(target, st_, offline=both)
    return {"grants": grant_count(target, st_.online_key)}


FS_08 = rule(
    "FS-08", "Revoking the grant of an active online store breaks it",
    service=SERVICE, doc=DOC, section=_S_GRANTS,
    quote="jika Anda mencabut hibah di toko online terenkripsi yang aktif, Toko Fitur tidak akan dapat melindungi "
          "dan memelihara toko",
    quote_en="if you revoke the grant on an active encrypted online store, Feature Store cannot protect and "
             "maintain the store",
    operations=("sagemaker:CreateFeatureGroup", "kms:ListGrants", "kms:RevokeGrant",
                "sagemaker-featurestore-runtime:PutRecord"),
)


@FS_08.behavior_(examples=fss.revoke_examples, lifecycle=True)
def revoked_grant(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """"Kebijakan kunci juga dapat memungkinkan akun untuk mencabut pemberian izin pada kunci KMS.
    Namun, jika Anda mencabut hibah di toko online terenkripsi yang aktif, Toko Fitur tidak akan
    dapat melindungi dan memelihara toko" (the key policy may let the account revoke grants; but if
    you revoke the grant of an active encrypted online store, Feature Store cannot protect and
    maintain it). The data plane operation succeeds before and fails after RevokeGrant (the fact is
    whether it succeeded; the model answers AccessForbidden). The group is a stage step
    (:func:`staged_group`), with an offline store without a key when ``stores`` is ``both``."""
    st_ = stage(target, example, offline=False)
    name = staged_group(target, st_, offline=example.get("stores") == "both")
    facts: dict[str, Any] = {}
    op = example["operation"]
    facts["before"] = data_plane(target, op, name, st_.caller).ok
    listed = target.call("kms", "ListGrants", {"KeyId": st_.online_key})
    grants = listed.value.get("Grants", []) if listed.ok else []
    facts["grants"] = len(grants) if listed.ok else listed.code
    for grant in grants:
        facts["RevokeGrant"] = target.call("kms", "RevokeGrant", {"KeyId": st_.online_key,
                                                                  "GrantId": grant["GrantId"]}).code
    facts["after"] = data_plane(target, op, name, st_.caller).ok
    return facts


# --- Mengakses data di toko online Anda ----------------------------------------------------------

FS_09 = rule(
    "FS-09", "Data plane callers need kms:Decrypt on the online store key",
    service=SERVICE, doc=DOC, section=_S_DATA,
    quote="Penelepon (baik pengguna atau peran) ke SEMUA DataPlane operasi (Put, Get, DeleteRecord) harus memiliki "
          "izin di bawah ini",
    quote_en="The caller (a user or a role) of ALL DataPlane operations (Put, Get, DeleteRecord) must have the "
             "permissions below",
    operations=("sagemaker-featurestore-runtime:PutRecord", "sagemaker-featurestore-runtime:GetRecord",
                "sagemaker-featurestore-runtime:DeleteRecord", "kms:Decrypt"),
)


@FS_09.config(applies=_online_applies)
def data_plane_decrypt(setup: Setup) -> list[str]:
    """"Penelepon (baik pengguna atau peran) ke SEMUA DataPlane operasi (Put, Get, DeleteRecord) harus
    memiliki izin di bawah ini pada kunci yang dikelola pelanggan: "kms:Decrypt"" (the caller, user or
    role, of ALL data plane operations must have kms:Decrypt on the customer managed key). Checked
    for the setup's ``caller`` through SageMaker."""
    key = _online(setup)
    assert key is not None
    return [f"data plane caller: {r}" for r in
            access.access_reasons(setup, key, setup.caller, ["kms:Decrypt"], via_service=SAGEMAKER)]


@FS_09.behavior_(examples=fss.data_plane_examples)
def data_plane_needs_decrypt(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """A second principal calls PutRecord/GetRecord/DeleteRecord: with kms:Decrypt (an IAM policy,
    delegated by the key policy's root statement) it succeeds, without it the runtime answers
    AccessForbidden. The group is a stage step (:func:`staged_group`), with an offline store without
    a key when ``stores`` is ``both``."""
    st_ = stage(target, example, offline=False)
    name = staged_group(target, st_, offline=example.get("stores") == "both")
    facts: dict[str, Any] = {}
    reader = new_reader(target, st_.online_key, decrypt=example["decrypt"])
    facts[example["operation"]] = data_plane(target, example["operation"], name, reader).code
    return facts


# --- Mengizinkan penggunaan kunci yang dikelola pelanggan (the offline store) --------------------

FS_10 = rule(
    "FS-10", "The RoleArn has kms:GenerateDataKey on the offline store key",
    service=SERVICE, doc=DOC, section=_S_ALLOW,
    quote="RoLearn yang diteruskan sebagai parameter createFeatureGroup harus memiliki izin di bawah ini untuk: "
          "OfflineStore KmsKeyId",
    quote_en="The RoleArn (\"RoLearn\" in the translation) passed as a parameter of createFeatureGroup must have "
             "the permissions below on: OfflineStore KmsKeyId",
    operations=("sagemaker:CreateFeatureGroup", "kms:GenerateDataKey"),
)


@FS_10.config(applies=_offline_applies)
def role_generates_data_keys(setup: Setup) -> list[str]:
    """"RoLearn yang diteruskan sebagai parameter createFeatureGroup harus memiliki izin di bawah ini
    untuk: OfflineStore KmsKeyId "kms:GenerateDataKey"" (the RoleArn passed to CreateFeatureGroup
    must have kms:GenerateDataKey on the OfflineStore KmsKeyId; "RoLearn" is RoleArn). Evaluated as
    the role writing to S3 with SSE-KMS, so through S3 (kms:ViaService s3.<region>.amazonaws.com)."""
    key = _offline(setup)
    role = parse_request(setup).role_arn
    assert key is not None and role is not None
    return [f"request.CreateFeatureGroup.RoleArn: {r}" for r in
            access.access_reasons(setup, key, role, ["kms:GenerateDataKey"], via_service="s3")]


@FS_10.behavior_(examples=fss.offline_role_examples)
def role_needs_generate_data_key(target: Target, example: Mapping[str, Any]) -> dict[str, Any]:
    """Without kms:GenerateDataKey for the RoleArn on the offline key, CreateFeatureGroup fails
    (refused, or accepted and ended CreateFailed)."""
    st_ = stage(target, example, online=False)
    return {"create": created_group(target, st_, online=False)[0].fact}


SPEC = register_service(ServiceSpec(
    name=SERVICE,
    compliant=fss.feature_store_setups,
    mutators={
        "FS-03": fss.make_asymmetric,
        "FS-04": fss.take_from_caller,
        "FS-05": fss.swap_via_service,
        "FS-06": fss.share_online_key,
        "FS-09": lambda s: fss.take_from_caller(s, ["kms:Decrypt"]),
        "FS-10": fss.take_from_role,
        "FS-11": fss.add_sample_principal,
        "FS-13": fss.widen_administrator,
    },
    parse_request=parse_request,
))
