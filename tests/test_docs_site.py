"""The built site, read as a reader would: formulas typeset by MathJax, images that load.

Needs the site (``tox -e docs``) and Chromium (``apt-get install chromium``); skipped without either.
"""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("docs_screenshots", ROOT / "tools" / "docs_screenshots.py")
shots = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(shots)

needs_site = pytest.mark.skipif(not (shots.SITE / "index.html").is_file() or shots.chromium() is None,
                                reason="needs the built site (tox -e docs) and chromium")


@pytest.mark.slow
@needs_site
@pytest.mark.parametrize("name", shots.PAGES)
def test_a_page_has_its_formulas_typeset_and_its_images(name, tmp_path):
    page = shots.SITE / name
    assert page.is_file(), f"{name} was not built"
    assert shots.check_page(page, shots.rendered_dom(page), page.read_text()) == []
    assert shots.screenshot(page, tmp_path / "page.png").stat().st_size > 0


def test_the_checker_sees_raw_latex_and_a_broken_image(tmp_path):
    """A page whose math MathJax never typeset, with an image that is not there: both are reported."""
    page = tmp_path / "page.html"
    source = ('<p><span class="math notranslate nohighlight">\\(x^2\\)</span> <img src="missing.png"></p>'
              '<li>NL step: $\\left[\\begin{matrix}x\\end{matrix}\\right]$</li>')
    page.write_text(source)
    problems = shots.check_page(page, source, source)
    assert any("raw LaTeX" in p for p in problems)
    assert any("raw TeX left in the text: '$\\\\left'" in p for p in problems)  # a Markdown output's $…$ left as text
    assert any("MathJax typeset none" in p for p in problems)
    assert any("broken image: missing.png" in p for p in problems)


def test_the_checker_passes_a_typeset_page_with_a_real_image(tmp_path):
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(1, 1))
    fig.savefig(tmp_path / "ok.png")
    plt.close(fig)
    page = tmp_path / "page.html"
    source = '<p><span class="math notranslate nohighlight">\\(x\\)</span></p><img src="ok.png">'
    dom = '<p><span class="math"><mjx-container>x</mjx-container></span></p><img src="ok.png">'
    page.write_text(source)
    assert shots.check_page(page, dom, source) == []


def _generate():
    spec = importlib.util.spec_from_file_location("generate", ROOT / "docs" / "_ext" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_claims_page_is_the_registry():
    """Every claim and every inventory row of the registry is on the generated page, with the registry's totals."""
    from sosverify.claims.inventory import inventory, totals
    from sosverify.claims.registry import CLAIMS

    page = _generate().claims_page()
    assert all(f"`{cid}`" in page for cid in CLAIMS)
    rows = inventory(CLAIMS)
    assert all(row["location"] in page for row in rows)
    assert totals(rows) in page and "Strength of the" in page


def test_the_gallery_shows_every_figure():
    page = _generate().gallery_page()
    figures = sorted((ROOT / "docs" / "figures").glob("*.png"))
    assert figures and all(f"../figures/{f.name}" in page for f in figures)
