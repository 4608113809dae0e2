"""The README's set-up commands are the ones CI and users run."""

import re
from pathlib import Path

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


def test_readme_claims_table_is_generated_from_the_registry():
    """The claims table, strength totals and errata in the README are exactly what the registry prints
    (`python -m sosverify.claims.summary`): edit the registry, then paste the block."""
    from sosverify.claims.summary import BEGIN, END, readme_block

    text = (ROOT / "README.md").read_text()
    block = text[text.index(BEGIN):text.index(END) + len(END)]
    assert block == readme_block()
