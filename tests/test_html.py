"""The HTML page: self-contained, one section per claim, figures drawn from comparisons; checked in Chromium."""

import re
from html.parser import HTMLParser

import pytest

from verify import figures, html, report
from verify.claims import CLAIM_IDS
from verify.evidence import Control, Finding, compare


def _report():
    rate = Finding("NTK", "empirical", tuple(
        compare("sqrt(y^T H^-1 y)", "Lemma 6", 2.0**d, "ci_above", 1.0, interval=(2.0**d * 0.9, 2.0**d * 1.1),
                params={"d": d}) for d in (4, 6, 8, 10)))
    bound = Finding("OUT", "empirical", tuple(compare("|f_t| / T^6", "eq. 73", 0.1 * t, "le", 1.0, params={"T": t})
                                              for t in (8, 16, 32)))
    erratum = Finding("L2", "exact", (compare("eq. 19", "eq. 19", 1, "eq", 2, role="printed"),
                                      compare("corrected eq. 19", "eq. 19", 2, "eq", 2, role="corrected")),
                      printed="4z^2 - 4z + 1", corrected="4z^2 - 4 sqrt(2) z + 1", conclusion_survives=True)
    controls = [Control("L2", "the printed polynomial as construction", Finding("L2", "exact", (
        compare("eq. 19", "eq. 19", 1, "eq", 2),)))]
    return report.rows([rate, bound, erratum], controls)


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.links, self.tags = [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "section" and "id" in a:
            self.ids.append(a["id"])
        if tag == "a" and a.get("href", "").startswith("#"):
            self.links.append(a["href"][1:])
        for name in ("href", "src"):  # nothing is fetched: no external link or source
            assert not (a.get(name) or "").startswith(("http://", "https://", "//")), a


def test_page_is_self_contained_with_a_section_and_a_link_per_claim():
    page = html.page(_report(), provenance={"commit": "abc", "wall_seconds": 1.0})
    parsed = _Collect()
    parsed.feed(page)
    assert parsed.ids == list(CLAIM_IDS) and parsed.links[: len(CLAIM_IDS)] == list(CLAIM_IDS)  # summary first
    assert "script" not in parsed.tags and "link" not in parsed.tags
    assert "4z^2 - 4 sqrt(2) z + 1" in page and "wall_seconds" in page


def test_figures_come_from_comparisons_measured_at_several_sizes():
    rows = {r.id: r for r in _report()}
    (ntk,) = figures.from_finding(rows["NTK"].parts[0])
    assert ntk.x_label == "d" and ntk.series[0].x == (4, 6, 8, 10) and ntk.series[0].hi[0] == pytest.approx(17.6)
    (out,) = figures.from_finding(rows["OUT"].parts[0])
    assert [s.name for s in out.series] == ["measured", "bound"]
    assert figures.from_finding(rows["L2"].parts[0]) == []  # nothing measured at several sizes
    svg = figures.svg(out)
    assert svg.count('class="series"') == 2 and svg.count("<circle") == 3


def test_a_module_can_attach_its_own_figure():
    fig = figures.Figure("steps vs d", "d", "steps", (figures.Series("with", (8, 16), (10, 40), style="line"),),
                         log_y=True)
    f = Finding("TAB1", "empirical", (compare("q", "s", 1.0, "le", 2.0),), details={"figures": [fig.to_json()]})
    assert figures.from_finding(f) == [fig]


def test_page_renders_in_headless_chromium_without_errors(tmp_path, render):
    page_path = tmp_path / "report.html"
    report.write(_report(), page_path)
    shown = render(page_path, tmp_path / "shot.png")
    assert shown["errors"] == []
    assert shown["sections"] == list(CLAIM_IDS)
    assert shown["series_per_figure"] == [2, 2]  # NTK: measured + reference line; OUT: measured + bound
    assert all(n > 0 for n in shown["drawn_per_figure"])
    assert (tmp_path / "shot.png").stat().st_size > 10_000


def test_verdict_badges_are_coloured_by_verdict():
    page = html.page(_report())
    assert re.search(r'background:#b7791f">erratum<', page) and re.search(r'background:#2f8f5b">consistent<', page)


def test_see_id_in_a_scope_links_to_that_claims_section():
    """T4's scope points at KSF (footnote 3 made concrete): ``see KSF`` renders as a link to #KSF; a word that is
    not a claim ID stays text."""
    assert html.cross_links("not covered (see KSF: the oracle); see XYZ") == (
        "not covered (see <a href='#KSF'>KSF</a>: the oracle); see XYZ")
    f = Finding("T4", "empirical", (compare("q", "s", 1.0, "le", 2.0),), scope="Theorem 4 (see KSF)")
    parsed = _Collect()
    parsed.feed(html.page(report.rows([f], [])))
    assert "KSF" in parsed.links[len(CLAIM_IDS):]
