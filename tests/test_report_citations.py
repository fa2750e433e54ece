"""Citations a reader can follow (every page's English title and AWS URL, the kit's English rendering
of translated quotes), the bounded ``md-summary``, the overview picture and the HTML matrix."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from kms_conformance.cli import main
from kms_conformance.documents import DOCS, PAGES, cited_as
from kms_conformance.report import render, write_reports
from kms_conformance.report.md_summary import LIMIT
from kms_conformance.rules import catalogue
from kms_conformance.verdicts import Finding, Report, Verdict
from report_samples import AOSS, FORECAST, MWAA, meta, result, sample_report

FEATURE_STORE = "001_33dc1ec0c5fdd4cf.txt"


# --- the source pages ------------------------------------------------------------------------------

def test_every_page_has_an_english_title_and_an_aws_url() -> None:
    assert set(PAGES) == set(DOCS)
    for page in PAGES.values():
        assert page.title and page.url.startswith("https://docs.aws.amazon.com/") and page.lang in ("en", "ko", "id")
    # the Feature Store page's own heading ("... EMR Studio") is a translation artefact: the English page
    # it renders is SageMaker's "Security and access control"
    assert "EMR" not in PAGES[FEATURE_STORE].title and PAGES[FEATURE_STORE].lang == "id"
    assert PAGES[FEATURE_STORE].url.endswith("/sagemaker/latest/dg/feature-store-security.html")
    assert PAGES[FORECAST].title == PAGES["000_e5ea019ba961ed74.txt"].title == "Data Protection in Amazon Forecast"
    assert cited_as(MWAA).endswith(", Korean translation, " + PAGES[MWAA].url)


def test_rules_of_translated_pages_carry_an_english_rendering_and_english_pages_none() -> None:
    rules = catalogue()
    for r in rules:
        english = PAGES[r.citation.doc].lang == "en"
        assert bool(r.citation.quote_en) is not english, r.id
        if r.citation.quote_en:  # a rendering, not a copy of the original
            assert r.citation.quote_en != r.citation.quote, r.id
    assert {r.group for r in rules if r.id.startswith("KMS-")} == {"kms"}


def test_rules_json_and_text_name_the_page(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--json", "--doc", "mwaa"]) == 0
    data = json.loads(capsys.readouterr().out)
    mwaa = next(r for r in data if r["id"] == "MWAA-01")
    assert mwaa["page"] == {"title": PAGES[MWAA].title, "url": PAGES[MWAA].url, "lang": "ko"}
    assert mwaa["quote_en"].startswith("The customer managed KMS key must be created in the same Region")
    assert main(["rules", "--doc", "forecast"]) == 0
    out = capsys.readouterr().out
    assert "Sources:" in out and PAGES[FORECAST].url in out


def test_check_names_the_page_and_marks_the_translation(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    from kms_conformance.check import Finding as CheckFinding
    from kms_conformance.check import format_findings

    rule = next(r for r in catalogue() if r.id == "MWAA-02")
    text = format_findings([CheckFinding(rule, "violated", ("KmsKey is an alias",))])
    assert PAGES[MWAA].title in text and PAGES[MWAA].url in text
    assert "English rendering by kms-conformance" in text and rule.citation.quote_en in text
    assert CheckFinding(rule, "violated").to_dict()["page"]["url"] == PAGES[MWAA].url


def translated_report() -> Report:
    base = sample_report()
    results = tuple(replace(r, quote="정책과 KMS 키", quote_en="the policy and the KMS key") if r.doc == AOSS else r
                    for r in base.results)
    return replace(base, results=results)


@pytest.mark.parametrize("fmt", ["md", "junit"])
def test_text_reports_cite_title_url_and_the_marked_translation(fmt: str) -> None:
    report = translated_report()
    text = render(replace(report, results=tuple(
        replace(r, verdict=Verdict.NONCONFORMANT, known=None) for r in report.results)), fmt)
    assert PAGES[AOSS].url in text and PAGES[AOSS].title in text
    assert "English rendering by kms-conformance" in text and "the policy and the KMS key" in text


def test_html_declares_the_quote_language_and_links_the_page() -> None:
    page = render(translated_report(), "html")
    assert '<blockquote lang="ko">정책과 KMS 키</blockquote>' in page
    assert '<blockquote class="en" lang="en">' in page and "the policy and the KMS key" in page
    assert f'<a href="{PAGES[AOSS].url}">' in page


# --- md-summary ------------------------------------------------------------------------------------

def big_report(n: int = 2000) -> Report:
    docs = list(DOCS)
    results = []
    for i in range(n):
        verdict = (Verdict.NONCONFORMANT, Verdict.CONFORMANT, Verdict.ERROR, Verdict.UNSUPPORTED)[i % 4]
        finding = Finding(signature=f"s{i}", summary=f"finding of rule {i}: " + "x" * 150, counterexample={"i": i},
                          expected={"a": "OK"}, observed={"a": "AccessDeniedException"})
        results.append(result(f"R-{i:04d}", verdict, doc=docs[i % len(docs)], title="t" * 120,
                              findings=(finding,) if verdict is Verdict.NONCONFORMANT else (),
                              detail="boom " * 40 if verdict is Verdict.ERROR else ""))
    return Report(meta=meta(), results=tuple(results))


def test_md_summary_stays_under_the_limit_for_2000_rules_and_full_md_is_longer() -> None:
    report = big_report()
    summary = render(report, "md-summary")
    assert len(summary) < LIMIT
    # the overview by page counts every rule
    assert re.search(r"\| 400 \| 100 \| 100 \| 100 \| 0 \| 100 \| 0 \|", summary)
    # failures first, with their first finding; the rest folded; what does not fit is counted
    failing = summary.index("### Failing (1000)")
    assert summary.index("R-0000") > failing and "finding of rule 0:" in summary
    assert summary.index("<details><summary>Other rules (1000)</summary>") > failing
    assert re.search(r"_\d+ more failing rule\(s\): see \[report.html\]\(report.html\)._", summary)
    assert summary.rstrip().endswith("</details>")


def test_md_summary_of_a_small_report_lists_everything() -> None:
    summary = render(sample_report(), "md-summary")
    assert "FORECAST-02" in summary.split("<details>")[0] and "MWAA-02" in summary.split("<details>")[0]
    for rule_id in ("FORECAST-01", "AOSS-01", "AOSS-02", "MWAA-01", "MWAA-03"):
        assert rule_id in summary.split("<details>")[1]
    assert "more" not in summary


def test_run_writes_both_markdown_sizes(tmp_path: Path) -> None:
    paths = write_reports(sample_report(), tmp_path)
    assert paths["md"].name == "report.md" and paths["md-summary"].name == "report-summary.md"


# --- overview picture ------------------------------------------------------------------------------

def test_overview_has_one_labelled_cell_per_rule_in_page_order() -> None:
    page = render(sample_report(), "html")
    cells = re.findall(r'<a class="cell c-([a-z]+)" href="#([A-Z0-9-]+)" title="([^"]*)"[^>]*>([A-Z])</a>', page)
    assert [c[1] for c in cells] == [r.rule_id for r in sample_report().results]
    assert [(c[0], c[3]) for c in cells][:4] == [("conformant", "C"), ("nonconformant", "N"), ("conformant", "C"),
                                                 ("known", "K")]
    assert cells[5][2].startswith("MWAA-02: error.")
    assert page.index('class="overview"') < page.index('<section class="doc">')
    assert 'class="legend"' in page and '<option value="failing">' in page
    # passing rules folded, below the failing ones
    assert page.index('id="FORECAST-02"') < page.index('<details class="passing">') < page.index('id="FORECAST-01"')


# --- matrix HTML -----------------------------------------------------------------------------------

def test_matrix_html_links_into_each_report_and_highlights_differences(tmp_path: Path) -> None:
    a, b = tmp_path / "moto", tmp_path / "model"
    write_reports(sample_report(), a, formats=("json",))
    other = sample_report(target="model", target_version="")
    write_reports(replace(other, results=tuple(replace(r, verdict=Verdict.CONFORMANT, known=None)
                                               for r in other.results)), b, formats=("json",))
    out = tmp_path / "out" / "matrix.html"
    out.parent.mkdir()
    assert main(["report", "matrix", f"moto={a / 'report.json'}", f"model={b / 'report.json'}", "-o", str(out)]) == 0
    page = out.read_text()
    assert '<a href="../moto/report.html#FORECAST-02"' in page and '<a href="../model/report.html#FORECAST-02"' in page
    assert page.count('<tr class="differs">') == 5  # FORECAST-02, AOSS-02, MWAA-01..03 differ; the two conformant don't
    assert re.search(r'<tr><th scope="row"[^>]*>FORECAST-01</th>', page)
    assert "moto<br><small>moto 5.2.5</small>" in page
    assert main(["report", "matrix", str(a / "report.json"), "-o", str(out)]) == 2  # exists, no --force
