"""What every page's specification must satisfy, checked once over the four service pages.

Each service's own test file (tests/test_spec_<service>.py) holds the tests particular to its
rules; the properties every spec module shares are here, one parametrized test per property:
its citations quote the page verbatim and stand in the section they name, its rules are declared
in the page's order, each config rule has a mutator that it catches, the generated compliant setups
pass, and the behaviour examples are deterministic on the reference model.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kms_conformance.rules import catalogue, services
from kms_conformance.specs import kms as kms_spec
from kms_conformance.targets.model import ModelTarget
from spec_support import (
    check_compliant_and_one_mutation,
    check_deterministic_on_the_model,
    check_generated_example_runs,
    check_quotes_are_in_the_page,
    check_quotes_stand_in_their_section,
    pages,
)


@dataclass(frozen=True)
class Page:
    """One service page: its spec module, rule-id prefix and section headings (in page order)."""

    service: str
    module: str
    prefix: str
    headings: tuple[str, ...]

    @property
    def doc(self) -> str:
        return str(importlib.import_module(f"kms_conformance.specs.{self.module}").DOC)


PAGES = (
    Page("forecast", "forecast", "FORECAST-", (
        "Data Protection in Amazon Forecast",
        "Encryption at Rest",
        "Encryption in Transit and Processing",
        "How Amazon Forecast uses grants in AWS KMS",
        "Create a customer managed key",
        "Monitoring your encryption keys for Amazon Forecast Service",
    )),
    Page("feature-store", "feature_store", "FS-", (
        "Keamanan dan kontrol akses EMR Studio",
        "Menggunakan AWS KMS izin untuk Amazon SageMaker Feature Store",
        "Mengizinkan penggunaan kunci yang dikelola pelanggan",
        "Kebijakan kunci CMK yang dikelola pelanggan",
        "Menggunakan hibah untuk mengotorisasi Toko Fitur",
        "Memantau interaksi Feature Store dengan AWS KMS",
        "Mengakses data di toko online Anda",
    )),
    Page("opensearch-serverless", "opensearch_serverless", "AOSS-", (
        "Amazon OpenSearch 서버리스에서의 암호화", "저장 중 암호화", "암호화 정책", "고려 사항", "필요한 권한",
        "고객 관리형 키에 대한 키 정책", "OpenSearch 서버리스에서 권한 부여를 사용하는 방법 AWS KMS",
        "암호화 정책 생성(콘솔)", "암호화 정책 생성(AWS CLI)", "암호화 정책 보기", "암호화 정책 업데이트",
        "암호화 정책 삭제", "전송 중 암호화",
    )),
    Page("mwaa", "mwaa", "MWAA-", (
        "암호화를 위한 고객 관리형 키 사용", "지원되는 항목", "암호화를 위한 권한 사용", "작동 방식",
        "권한 부여 정책", "고객 관리형 키에 대한 키 정책 연결",
    )),
)
BY_SERVICE = {p.service: p for p in PAGES}
SERVICES = [p.service for p in PAGES]
KMS_CONFIG = [r for r in catalogue() if r.service == "kms" and r.check is not None]


def _rules(service: str) -> dict[str, object]:
    return {r.id: r for r in catalogue() if r.service == service}


def test_every_service_page_is_here() -> None:
    assert set(SERVICES) == set(services()) - {"kms"}, "a service spec without the shared page tests"
    assert kms_spec.__name__ not in [f"kms_conformance.specs.{p.module}" for p in PAGES]


@pytest.mark.parametrize("service", SERVICES)
def test_quotes_are_in_the_page(service: str) -> None:
    page = BY_SERVICE[service]
    check_quotes_are_in_the_page(page.prefix, page.doc)


@pytest.mark.parametrize("service", SERVICES)
def test_quotes_stand_in_their_section(service: str) -> None:
    page = BY_SERVICE[service]
    check_quotes_stand_in_their_section(page.prefix, page.doc, page.headings)


@pytest.mark.parametrize("service", SERVICES)
def test_rules_follow_the_page(service: str) -> None:
    """The module reads like the page: each rule is declared at or after the place where the
    previous rule's quote (its first part, before an elision) stands."""
    page = BY_SERVICE[service]
    text = " ".join((pages() / page.doc).read_text(encoding="utf-8").split())
    rules = [r for r in catalogue() if r.service == service]
    at = [text.find(" ".join(r.citation.quote.split("...")[0].split())) for r in rules]
    assert -1 not in at, [r.id for r, i in zip(rules, at, strict=True) if i < 0]
    assert at == sorted(at), [r.id for _, r in sorted(zip(at, rules, strict=True), key=lambda p: p[0])]


@pytest.mark.parametrize("service", SERVICES)
def test_every_config_rule_has_a_mutator(service: str) -> None:
    config = {r.id for r in catalogue() if r.service == service and r.check is not None}
    assert config == set(services()[service].mutators)


@pytest.mark.parametrize("service", SERVICES)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_compliant_setups_pass_and_each_mutation_is_caught(service: str, data: st.DataObject) -> None:
    check_compliant_and_one_mutation(service, _rules(service), KMS_CONFIG, data)  # type: ignore[arg-type]


@pytest.mark.parametrize("service", SERVICES)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_behaviour_examples_are_deterministic_on_the_model(service: str, data: st.DataObject) -> None:
    """Any drawn example gives the same JSON facts on two fresh reference models of different
    accounts and Regions (the runner compares the model's facts with the target's)."""
    check_deterministic_on_the_model(BY_SERVICE[service].prefix, data)


@pytest.fixture(scope="module")
def model() -> ModelTarget:
    return ModelTarget()


@pytest.mark.parametrize("service", SERVICES)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_generated_examples_run_on_the_model(service: str, model: ModelTarget, data: st.DataObject) -> None:
    """A drawn example's facts are JSON and do not depend on what earlier examples left in the
    (never reset) model."""
    check_generated_example_runs(_rules(service), model, data)  # type: ignore[arg-type]
