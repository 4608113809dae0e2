"""The built documentation looked at as a reader would: headless Chromium renders each page (MathJax
runs), a screenshot is saved, and the rendered DOM is checked.

    python tools/docs_screenshots.py [--site docs/_build/html] [--out docs/_build/screenshots]

A page fails when, after rendering, its text still holds raw LaTeX delimiters (``$$``, ``\\(``, ``\\[``:
MathJax did not typeset them), when it has math but MathJax produced nothing (no ``mjx-container``),
or when an image's source does not resolve to a file of the site that decodes as an image.
Chromium: Debian's ``chromium`` (``apt-get install chromium``), or ``SOSVERIFY_CHROMIUM``.
"""

from __future__ import annotations

import argparse
import html.parser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "docs" / "_build" / "html"
PAGES = ("index.html", "tutorials/your_game.html", "tutorials/audit_rule.html", "tutorials/paper.html",
         "equilibria.html", "_generated/gallery.html", "api.html", "cli.html", "verify.html", "reproduce.html",
         "analyse.html", "audit.html", "python.html", "speed.html", "development.html", "_generated/claims.html")
#: Milliseconds of page time Chromium lets scripts run before it dumps the DOM or takes the screenshot.
RENDER_BUDGET_MS = 15000
RAW_LATEX = ("$$", "\\(", "\\[")
#: TeX left as text: a command after a dollar sign, or an environment (``$\\left[…``, ``\\begin{matrix}``).
RAW_TEX = re.compile(r"\$[^$\n]{0,200}?\\[A-Za-z]+|\\begin\{[a-z]+\}")


def chromium() -> str | None:
    """The Chromium executable, or None."""
    return os.environ.get("SOSVERIFY_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def _run(args: list, timeout: float = 120) -> str:
    base = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--allow-file-access-from-files", f"--virtual-time-budget={RENDER_BUDGET_MS}"]
    out = subprocess.run(base + args, capture_output=True, text=True, timeout=timeout, check=True)
    return out.stdout


def rendered_dom(page: Path) -> str:
    """The page's DOM after its scripts ran (MathJax included)."""
    return _run(["--dump-dom", page.as_uri()])


def screenshot(page: Path, out: Path, width: int = 1200, height: int = 2000) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    _run([f"--screenshot={out}", f"--window-size={width},{height}", page.as_uri()])
    return out


class _Text(html.parser.HTMLParser):
    """Visible text (outside script, style, code and pre) and image sources of a page."""

    SKIP = {"script", "style", "code", "pre", "textarea"}

    def __init__(self):
        super().__init__()
        self.depth, self.text, self.images, self.math = 0, [], [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.depth += 1
        if tag == "img":
            self.images.append(dict(attrs).get("src", ""))
        if tag == "mjx-container":
            self.math += 1

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.text.append(data)


def _decodes(path: Path) -> bool:
    if path.suffix.lower() == ".svg":
        return path.stat().st_size > 0 and b"<svg" in path.read_bytes()[:4096]
    try:
        import matplotlib.image

        return matplotlib.image.imread(path).size > 0
    except Exception:  # not an image matplotlib can decode
        return False


def check_page(page: Path, dom: str, source_html: str) -> list[str]:
    """Problems of one rendered page (empty: none)."""
    parsed = _Text()
    parsed.feed(dom)
    text = "".join(parsed.text)
    problems = [f"raw LaTeX {d!r} left in the text" for d in RAW_LATEX if d in text]
    problems += [f"raw TeX left in the text: {m!r}" for m in sorted(set(RAW_TEX.findall(text)))[:3]]
    if ('class="math' in source_html) and parsed.math == 0:
        problems.append("the page has math but MathJax typeset none (no mjx-container)")
    for src in parsed.images:
        url = urlparse(src)
        if url.scheme in ("http", "https"):
            problems.append(f"image from the network: {src}")
            continue
        if url.scheme == "data":
            continue
        target = (page.parent / unquote(url.path)).resolve() if url.scheme in ("", "file") else None
        if target is None or not target.is_file() or not _decodes(target):
            problems.append(f"broken image: {src}")
    return problems


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--site", default=str(SITE))
    p.add_argument("--out", default=str(ROOT / "docs" / "_build" / "screenshots"))
    args = p.parse_args(argv)
    site, out = Path(args.site), Path(args.out)
    if chromium() is None:
        print("no chromium: apt-get install chromium (or set SOSVERIFY_CHROMIUM)", file=sys.stderr)
        return 2
    failed = 0
    for name in PAGES:
        page = site / name
        if not page.is_file():
            print(f"{name}: not built", file=sys.stderr)
            failed += 1
            continue
        problems = check_page(page, rendered_dom(page), page.read_text())
        shot = screenshot(page, out / (name.replace("/", "_").replace(".html", ".png")))
        print(f"{name}: {'ok' if not problems else '; '.join(problems)} (screenshot {shot})")
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
