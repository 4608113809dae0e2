"""Sphinx configuration of the sosverify documentation (``tox -e docs``: built with warnings as errors).

At build time this file writes ``_generated/``: the claims table, the paper's inventory and the
strength totals from the claims registry (never copied by hand), and the gallery of the GAN figures
in ``figures/``.  The tutorials (``tutorials/*.ipynb``) are executed by myst-nb on every build.

Formulas are rendered by MathJax 3.  Set ``SOSVERIFY_MATHJAX`` to a local ``tex-svg-full.js`` (npm
package ``mathjax@3``, as ``tox -e docs`` does) for a site that renders offline; without it the
pages load MathJax from its CDN.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the sosverify of this checkout, whatever is installed
sys.path.insert(0, str(HERE / "_ext"))

import sosverify  # noqa: E402

project = "sosverify"
author = "the sosverify authors"
release = version = sosverify.__version__
copyright = "the sosverify authors, MIT licence"  # noqa: A001 - Sphinx's name

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "myst_nb",
    "generate",  # _ext/generate.py: the registry's tables and the gallery, written at build time
]

exclude_patterns = ["_build", "runs", "jupyter_execute", "**/.ipynb_checkpoints", "equilibria/table.md"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb", ".rst": "restructuredtext"}
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

# notebooks: executed on every build, a failing cell fails the build
nb_execution_mode = "force"
nb_execution_raise_on_error = True
nb_execution_timeout = 120
nb_execution_show_tb = True
nb_merge_streams = True
nb_render_markdown_format = "myst"  # Markdown outputs (the verify report) with tables and $…$ formulas

autodoc_member_order = "bysource"
autodoc_typehints = "none"
autodoc_default_options = {"members": True, "undoc-members": False}
napoleon_google_docstring = True
napoleon_numpy_docstring = False

html_theme = "alabaster"
html_title = "sosverify"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_theme_options = {"description": "Check the claims of Stable Opponent Shaping (ICLR 2019) and run its rules",
                      "fixed_sidebar": True, "page_width": "1150px", "body_max_width": "none"}

_mathjax = os.environ.get("SOSVERIFY_MATHJAX")
if _mathjax:
    # a local MathJax 3 (one self-contained file: SVG output, every TeX extension): the site renders offline
    (HERE / "_static" / "mathjax").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_mathjax, HERE / "_static" / "mathjax" / "tex-svg-full.js")
    mathjax_path = "mathjax/tex-svg-full.js"
