"""The reference pages of the documentation site (docs/*.md): the tables that come from the project are the
project's, every page with Python examples is executed by the suite, and every page is in the site."""

import configparser
import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _generate():
    spec = importlib.util.spec_from_file_location("generate", DOCS / "_ext" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_claims_page_holds_the_registry_block_exactly():
    """The claims table, the strength totals and the errata, as `python -m sosverify.claims.summary` prints
    them, are on the generated claims page word for word (they moved there from the README)."""
    from sosverify.claims.summary import BEGIN, END, readme_block

    block = readme_block()
    body = block[len(BEGIN) + 1:-len(END) - 1]
    page = _generate().claims_page()
    assert block.startswith(BEGIN + "\n") and block.endswith("\n" + END)
    assert "\n" + body + "\n" in page and "Errata found by the machine" in body


def _audit_rows():
    """The audit page's table of the built-in rules: ``{rule: {property: status}}``."""
    text = (DOCS / "audit.md").read_text()
    start = text.index("| rule | consistency | convergence | saddles | reduction | alignment | paper-games |")
    lines = text[start:].split("\n\n")[0].splitlines()
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    return {cells[0]: dict(zip(head[1:-1], cells[1:-1]))
            for cells in ([c.strip() for c in line.strip("|").split("|")] for line in lines[2:])}


def test_the_audit_page_table_is_what_the_rules_records_state():
    """Each built-in rule's row says what its record's ``properties`` say (tests/test_audit.py checks the
    audit's answers against the same records), and paper-games is observed."""
    from sosverify.algorithms import ALGORITHMS

    rows = _audit_rows()
    assert set(rows) == set(ALGORITHMS)
    for name, row in rows.items():
        assert row.pop("paper-games") == "observed"
        assert row == dict(ALGORITHMS[name].properties), name


def test_every_page_with_a_python_example_is_run_by_the_suite():
    """A page whose examples are not collected would let them rot: every docs page with a doctest prompt is
    in pytest's testpaths and matches a --doctest-glob of setup.cfg."""
    from fnmatch import fnmatch

    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    paths = cfg["tool:pytest"]["testpaths"].split()
    globs = re.findall(r"--doctest-glob=(\S+)", cfg["tool:pytest"]["addopts"])
    with_examples = sorted(p.relative_to(ROOT).as_posix() for p in DOCS.glob("*.md") if "\n>>> " in p.read_text())
    assert "docs/python.md" in with_examples
    for page in with_examples:
        assert page in paths and any(fnmatch(page, g) for g in globs), page


def test_every_reference_page_is_in_a_toctree_of_the_site():
    index = (DOCS / "index.md").read_text()
    listed = {line.strip() for block in re.findall(r"```\{toctree\}(.*?)```", index, flags=re.S)
              for line in block.splitlines() if line.strip() and not line.strip().startswith(":")}
    pages = {p.stem for p in DOCS.glob("*.md") if p.stem != "index"}
    assert pages <= listed, pages - listed
