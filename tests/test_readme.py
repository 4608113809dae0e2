"""The README's set-up commands are the ones CI and users run."""

import re
from pathlib import Path

from conftest import experiment

ROOT = Path(__file__).resolve().parents[1]


def _bash_blocks():
    return re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)


def test_readme_opens_with_main_job_and_test_commands():
    blocks = _bash_blocks()
    assert blocks[0].strip().startswith("python -m pip install -e . && sosverify ")
    assert blocks[1].strip() == 'python -m pip install -e ".[test]" && python -m pytest'


def test_ci_runs_exactly_the_readme_test_command():
    test_command = _bash_blocks()[1].strip()
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in [line.strip() for line in ci]


def test_the_readme_holds_no_copy_of_the_claims_table():
    """The claims table, strength totals and errata live on the site's claims page, generated from the
    registry when the site is built (tests/test_docs_pages.py checks it); a hand copy here would drift."""
    from sosverify.claims.summary import BEGIN, END

    text = (ROOT / "README.md").read_text()
    assert BEGIN not in text and END not in text and "| id | section | claim |" not in text


def _links(path):
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)  # links, not code
    return [t for t in re.findall(r"\]\(([^)\s]+)\)", text) if "://" not in t and not t.startswith("#")]


def test_every_link_of_the_readme_resolves_to_a_file_of_the_repository():
    links = _links(ROOT / "README.md")
    assert len(links) >= 8
    missing = [t for t in links if not (ROOT / t.split("#")[0]).exists()]
    assert missing == []


def test_the_readme_links_every_reference_page_of_the_site():
    """Each page of the site's toctrees (but the generated ones and the API) is one link away from the README."""
    index = (ROOT / "docs" / "index.md").read_text()
    pages = {line.strip() for block in re.findall(r"```\{toctree\}(.*?)```", index, flags=re.S)
             for line in block.splitlines() if line.strip() and not line.strip().startswith(":")}
    linked = {t.removeprefix("docs/").removesuffix(".md") for t in _links(ROOT / "README.md")}
    wanted = {p for p in pages if not p.startswith(("_generated/", "tutorials/")) and p != "api"}
    assert wanted and wanted <= linked, wanted - linked


def _verdict_rows(text: str, heading: str) -> list[list[str]]:
    section = text.split(heading, 1)[1].split("\n#", 1)[0]
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in section.splitlines()
            if line.startswith("| ") and not line.startswith("| the paper says")]
    assert rows, f"no verdict table under {heading!r}"
    return rows


def test_the_readme_gan_verdicts_are_those_of_docs_gmm():
    """Issue 19 item 5: the verdict table is in docs/gmm.md and the README.  The README's verdict of
    each sentence is the bold verdicts of docs/gmm.md's row for it, joined by '; ', so that a verdict
    changed in one place and not the other fails here."""
    readme = {r[0]: r[-1] for r in _verdict_rows((ROOT / "README.md").read_text(), "## The GAN, sentence by sentence")}
    gmm = {r[0]: "; ".join(re.findall(r"\*\*(.+?)\*\*", r[2]))
           for r in _verdict_rows((ROOT / "docs" / "gmm.md").read_text(), "## The verdict (issue 19")}
    assert list(readme) == list(gmm)
    assert readme == gmm


def _first_ranked_of_the_search() -> dict:
    """Each rule's first-ranked setting over seeds in the committed paper-size search (docs/runs), as
    experiments/gmm_grid_table.py ranks it."""
    module = experiment("gmm_grid_table")
    cells = module.over_seeds(module.rows(*(ROOT / "docs" / "runs" / d for d in ("paper-grid-8k", "shaping-8k"))))
    return {rule.upper(): cell for rule, cell in module.first_ranked(cells).items()}


_RULE = r"\b(NL|LA|LOLA|SOS|CO|SGA)"


def test_the_readme_gan_numbers_are_those_of_the_committed_search():
    """Issue 19 item 5: the verdict table carries the numbers over seeds.  Each "RULE a, b, c modes" of
    the README's GAN table is the modes covered per seed at the last evaluation of the rule's
    first-ranked setting in the committed task files, and each "RULE KL m ± s" the mean and spread of
    its KL over the seeds that finished: a task file that lands and moves a number fails here until
    the README follows."""
    text = " ".join(r[1] for r in _verdict_rows((ROOT / "README.md").read_text(), "## The GAN, sentence by sentence"))
    first = _first_ranked_of_the_search()
    modes = re.findall(_RULE + r" ((?:\d+|×)(?:, (?:\d+|×))+) modes", text)
    kls = re.findall(_RULE + r" KL (\d+\.\d) ± (\d+\.\d)", text)
    assert {r for r, _ in modes} == set(first) and {r for r, *_ in kls} == set(first)
    for rule, per_seed in modes:
        assert per_seed == ", ".join("×" if m is None else str(m) for m in first[rule]["modes_per_seed"]), rule
    for rule, mean, spread in kls:
        assert (mean, spread) == tuple(f"{v:.1f}" for v in first[rule]["kl"]), rule
