"""Mutation score of the update rules, the derivatives and the symbolic layer (issue 9).

Copies the project to a scratch directory (the working tree is never mutated), writes the
mutmut configuration there, runs ``mutmut run`` and prints the score and every surviving
mutant with its diff.  ``tox -e mutation`` runs it.

    python tools/mutation.py                      # the default modules and test selection
    python tools/mutation.py --source DIR         # score another checkout (e.g. an older commit)
    python tools/mutation.py --tests tests/test_rule_suite.py --modules sosverify/algorithms.py

The test selection is narrow on purpose (fast unit and property tests, no CLI, no full
``verify``): mutmut runs, for each mutant, only the selected tests that call the mutated
function, so a whole pass stays well under an hour on two cores.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

MODULES = [
    "sosverify/algorithms.py",
    "sosverify/derivatives.py",
    "sosverify/symbolic/game.py",
    "sosverify/symbolic/stability.py",
]
TESTS = [
    "tests/test_rule_suite.py",
    "tests/test_theorems.py",
    "tests/test_algorithms.py",
    "tests/test_derivatives.py",
    "tests/test_symbolic.py",
    "tests/test_properties.py",
    "tests/test_settings.py",
]
# Doctests, the CLI and the tests of the tests stay out: per-mutant pytest runs must be quick.
# The planted-bug tests ("catches") and the searches ("finds") exercise broken copies, not the
# mutated module.  The hypothesis profile "mutation" is derandomised, so every mutant meets the
# same examples (half as many as "ci").
PYTEST_ARGS = ["-o", "addopts=", "-p", "no:cacheprovider", "-q", "-m", "not slow", "-k", "not catches and not finds"]


def _toml_list(items) -> str:
    return "[" + ", ".join(f'"{i}"' for i in items) + "]"


def configure(copy: Path, modules, tests) -> None:
    """Append a [tool.mutmut] table to the copy's pyproject.toml."""
    pyproject = copy / "pyproject.toml"
    text = pyproject.read_text() if pyproject.exists() else ""
    text = re.sub(r"\n\[tool\.mutmut\][^\[]*", "\n", text)
    text += ("\n[tool.mutmut]\n"
             'source_paths = ["sosverify"]\n'
             f"only_mutate = {_toml_list(modules)}\n"
             f"pytest_add_cli_args = {_toml_list(PYTEST_ARGS)}\n"
             f"pytest_add_cli_args_test_selection = {_toml_list(tests)}\n"
             "use_git_change_detection = false\n")
    pyproject.write_text(text)


def copy_project(source: Path) -> Path:
    dest = Path(tempfile.mkdtemp(prefix="mut-"))
    ignore = shutil.ignore_patterns(".git", "mutants", ".hypothesis", "__pycache__", ".tox", "*.egg-info")
    for name in ("sosverify", "tests", "proofs", "setup.cfg", "pyproject.toml", "README.md"):
        src = source / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        elif src.exists():
            shutil.copy2(src, dest / name)
    return dest


def survivors(copy: Path) -> list[tuple[str, str]]:
    out = subprocess.run([sys.executable, "-m", "mutmut", "results"], cwd=copy, capture_output=True, text=True).stdout
    rows = [line.strip().rsplit(": ", 1) for line in out.splitlines() if ": " in line]
    return [(name, status) for name, status in rows]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=ROOT, help="project to copy (default: this checkout)")
    parser.add_argument("--modules", nargs="+", default=MODULES)
    parser.add_argument("--tests", nargs="+", default=TESTS)
    parser.add_argument("--max-children", type=int, default=1)
    parser.add_argument("--only", nargs="+", metavar="PATTERN", default=[],
                        help="mutate only these functions, e.g. 'sosverify.algorithms.x_sos*' (mutmut names)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch copy (its path is printed)")
    args = parser.parse_args(argv)

    tests = [t for t in args.tests if (args.source / t).exists()]
    copy = copy_project(args.source.resolve())
    configure(copy, args.modules, tests)
    print(f"mutating a copy in {copy}\n  modules: {', '.join(args.modules)}\n  tests:   {', '.join(tests)}", flush=True)
    start = time.time()
    subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(args.max_children), *args.only],
                   cwd=copy,
                   env={**os.environ, "HYPOTHESIS_PROFILE": os.environ.get("MUTATION_PROFILE", "mutation")}, check=False)
    rows = survivors(copy)
    total_out = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"], cwd=copy,
                               capture_output=True, text=True).stdout
    rows_all = [line.strip().rsplit(": ", 1) for line in total_out.splitlines() if ": " in line]
    rows_all = [(n, st) for n, st in rows_all if st != "not checked"]  # --only: the others were not run
    by_module: dict = {}
    for name, status in rows_all:
        module = re.split(r"\.x(?:_|ǁ)", name)[0]
        by_module.setdefault(module, Counter())[status] += 1
    killed = sum(s in ("killed", "timeout") for _, s in rows_all)
    total = len(rows_all)
    print(f"\nmutation score: {killed}/{total} killed ({100.0 * killed / max(total, 1):.1f}%) "
          f"in {time.time() - start:.0f} s  (timeouts count as killed)")
    for module, counts in sorted(by_module.items()):
        k = counts["killed"] + counts["timeout"]
        print(f"  {module:<32} {k}/{sum(counts.values())} killed; " + ", ".join(f"{v} {s}" for s, v in sorted(counts.items())))
    not_killed = [(n, s) for n, s in rows if s not in ("killed", "timeout", "not checked")]
    print(f"{len(not_killed)} not killed:")
    for name, status in not_killed:
        diff = subprocess.run([sys.executable, "-m", "mutmut", "show", name], cwd=copy, capture_output=True,
                              text=True).stdout
        print(f"\n--- {name}: {status}\n{diff.strip()}")
    if not args.keep:
        shutil.rmtree(copy, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
