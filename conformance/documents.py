"""The source documents the rules cite (``../shared/docs``): file name -> the short name users pass.

Rules cite a document by file name (``rules.Citation.doc``); users select one with ``--doc`` by
file name or short name; reports label it ``forecast (004_1f23ff3028fec3c5.txt)``. Page 000 is a
translation of page 004 (the same AWS page), so selecting the original selects the translation too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: Document file names to the short names users pass as ``--doc``.
DOCS: Mapping[str, str] = {
    "004_1f23ff3028fec3c5.txt": "forecast",
    "000_e5ea019ba961ed74.txt": "forecast-ko",
    "001_33dc1ec0c5fdd4cf.txt": "feature-store",
    "002_c2442b383cdbec83.txt": "opensearch-serverless",
    "003_38db2e13c46896ae.txt": "mwaa",
}

@dataclass(frozen=True)
class Page:
    """A source page as a reader finds it: its English title, the AWS page it was taken from, and
    the language of the file's text (``en``, ``ko``, ``id``; BCP 47, as HTML's ``lang`` takes it)."""

    title: str
    url: str
    lang: str


#: Document file names to the English title and the URL of the AWS page each was taken from (the
#: English original: AWS's translations say the English version prevails where they differ). Page
#: 001's own heading ("Keamanan dan kontrol akses EMR Studio") is a translation artefact: its text is
#: the Indonesian rendering of the SageMaker Developer Guide page "Security and access control"
#: (section "Using AWS KMS permissions for Amazon SageMaker Feature Store").
PAGES: Mapping[str, Page] = {
    "004_1f23ff3028fec3c5.txt": Page("Data Protection in Amazon Forecast",
                                     "https://docs.aws.amazon.com/forecast/latest/dg/data-protection.html", "en"),
    "000_e5ea019ba961ed74.txt": Page("Data Protection in Amazon Forecast",
                                     "https://docs.aws.amazon.com/forecast/latest/dg/data-protection.html", "ko"),
    "001_33dc1ec0c5fdd4cf.txt": Page("Security and access control (Amazon SageMaker Feature Store)",
                                     "https://docs.aws.amazon.com/sagemaker/latest/dg/feature-store-security.html",
                                     "id"),
    "002_c2442b383cdbec83.txt": Page(
        "Encryption in Amazon OpenSearch Serverless",
        "https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-encryption.html", "ko"),
    "003_38db2e13c46896ae.txt": Page("Using customer managed keys for encryption (Amazon MWAA User Guide)",
                                     "https://docs.aws.amazon.com/mwaa/latest/userguide/custom-keys-certs.html", "ko"),
}

#: The languages of the pages, named for readers.
LANGUAGES: Mapping[str, str] = {"en": "English", "ko": "Korean", "id": "Indonesian"}


def page_of(doc: str) -> Page | None:
    """The :class:`Page` of a document file name (None for a file the kit does not know)."""
    return PAGES.get(doc)


def page_dict(doc: str) -> dict[str, str] | None:
    """The JSON form of a document's :class:`Page` (``title``, ``url``, ``lang``), None when unknown."""
    page = PAGES.get(doc)
    return None if page is None else {"title": page.title, "url": page.url, "lang": page.lang}


#: Group names as reports head them.
GROUP_TITLES: Mapping[str, str] = {"kms": "AWS KMS semantics shared by the pages"}


def cited_as(doc: str) -> str:
    """How every output names a source page: short name, file name, English title and URL.

    >>> for part in cited_as("002_c2442b383cdbec83.txt").split(", "): print(part)
    opensearch-serverless (002_c2442b383cdbec83.txt): Encryption in Amazon OpenSearch Serverless
    Korean translation
    https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-encryption.html
    >>> cited_as("other.txt")
    'other.txt'
    """
    page = PAGES.get(doc)
    short = DOCS.get(doc)
    name = f"{short} ({doc})" if short else doc
    if page is None:
        return name
    lang = "" if page.lang == "en" else f", {LANGUAGES.get(page.lang, page.lang)} translation"
    return f"{name}: {page.title}{lang}, {page.url}"


#: A translated page -> the page it translates (rules citing it are selected with the original).
TRANSLATION_OF: Mapping[str, str] = {
    "000_e5ea019ba961ed74.txt": "004_1f23ff3028fec3c5.txt",
}


#: Document groups: rules filed under a group rather than one page. ``kms``: the AWS KMS semantics
#: every page relies on (``kms_conformance.specs.kms``); its sources are the pages that carry the
#: KMS sentences, and each rule still quotes the one page it cites, verbatim. ``--doc kms`` selects
#: the group.
GROUPS: Mapping[str, tuple[str, ...]] = {
    "kms": ("004_1f23ff3028fec3c5.txt", "001_33dc1ec0c5fdd4cf.txt", "002_c2442b383cdbec83.txt",
            "003_38db2e13c46896ae.txt"),
}

#: Sources outside the pages that a rule rests on, by id: (title, URL). They are not page files: a
#: rule naming one (``source=``) still cites, and quotes, the page sentence that depends on it.
EXTERNAL: Mapping[str, tuple[str, str]] = {
    "kms-key-states": ("AWS KMS Developer Guide: Key states of AWS KMS keys",
                       "https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html"),
}
