"""Plant the single-point bugs named in issue 9 in a scratch copy, one at a time, and run the tests
that must catch each.  Prints one line per bug: CAUGHT (the selection fails) or SURVIVED.

    python tools/planted_bugs.py            # every bug
    python tools/planted_bugs.py sga-eps    # one of them
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# name: (file, old text, new text, pytest selection)
BUGS = {
    "sos-p2-squared-norm": ("sosverify/algorithms.py", "numpy.sqrt(sq) < b", "sq < b",
                            ["tests/test_theorems.py", "-k", "p2"]),
    "sga-eps-sign": ("sosverify/algorithms.py", "/ game.dim + eps)", "/ game.dim - eps)",
                     ["tests/test_rule_suite.py", "-k", "sga"]),
    "lss-without-half": ("sosverify/algorithms.py", "Direction(0.5 * (f.xi + (Ht", "Direction((f.xi + (Ht",
                         ["tests/test_rule_suite.py", "-k", "lss"]),
    "eg-wrong-side": ("sosverify/algorithms.py", "dtype=float) - alpha * f.xi)", "dtype=float) + alpha * f.xi)",
                      ["tests/test_rule_suite.py", "-k", "eg"]),
    "cgd-minus": ("sosverify/algorithms.py", "numpy.eye(game.dim) + alpha * H_o", "numpy.eye(game.dim) - alpha * H_o",
                  ["tests/test_rule_suite.py", "-k", "cgd"]),
    "routh-hurwitz-non-strict": ("sosverify/symbolic/stability.py",
                                 "small_ok = all(_low_order_sign(c, alpha) > 0 for c in conditions)",
                                 "small_ok = all(_low_order_sign(c, alpha) >= 0 for c in conditions)",
                                 ["tests/test_theorems.py", "-k", "imaginary_axis and not catches"]),
    "routh-hurwitz-no-leading-coefficient": ("sosverify/symbolic/stability.py",
                                             "conditions = [sympy.factor(coeffs[0])] + hurwitz_determinants(coeffs)",
                                             "conditions = hurwitz_determinants(coeffs)",
                                             ["tests/test_theorems.py", "-k", "contraction and not catches"]),
    "sos-test-with-lola": ("tests/test_algorithms.py", "assert_close(A.sos(game.numeric, theta, alpha=alpha)",
                           "assert_close(A.lola(game.numeric, theta, alpha=alpha)",
                           ["tests/test_algorithms.py", "-k", "preserve_fixed_points"]),
    "sos-test-with-nl": ("tests/test_algorithms.py", "assert numpy.abs(A.sos(game.numeric, off",
                         "assert numpy.abs(A.naive(game.numeric, off",
                         ["tests/test_algorithms.py", "-k", "preserve_fixed_points"]),
    "sga-default-eps": ("sosverify/algorithms.py", "alpha: float, eps: float = 0.1)", "alpha: float, eps: float = 1.1)",
                        ["tests/test_rule_suite.py", "-k", "without_hyperparameters"]),
    "lss-default-lam": ("sosverify/algorithms.py", "lam: float = 0.1)", "lam: float = 1.1)",
                        ["tests/test_rule_suite.py", "-k", "without_hyperparameters"]),
    "cli-listing-drops-la": ("sosverify/cli/listing.py", "    for name, a in ALGORITHMS.items():\n",
                             "    for name, a in ALGORITHMS.items():\n        if name == 'la':\n            continue\n",
                             ["tests/test_cli.py", "-k", "listings"]),
}


def main(argv=None) -> int:
    names = (argv or sys.argv[1:]) or list(BUGS)
    for name in names:
        path, old, new, selection = BUGS[name]
        copy = Path(tempfile.mkdtemp(prefix="plant-"))
        for part in ("sosverify", "tests", "proofs", "setup.cfg", "pyproject.toml", "README.md"):
            src = ROOT / part
            (shutil.copytree if src.is_dir() else shutil.copy2)(src, copy / part)
        target = copy / path
        text = target.read_text()
        assert text.count(old) == 1, f"{name}: the text to replace is not unique in {path}"
        target.write_text(text.replace(old, new))
        start = time.time()
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-o", "addopts=", "-p", "no:cacheprovider",
                               *selection], cwd=copy, capture_output=True, text=True,
                              env={**os.environ, "HYPOTHESIS_PROFILE": os.environ.get("HYPOTHESIS_PROFILE", "ci")})
        verdict = "CAUGHT" if proc.returncode == 1 else ("SURVIVED" if proc.returncode == 0 else f"ERROR {proc.returncode}")
        print(f"{verdict:<9} {name:<40} {time.time() - start:5.0f} s  ({' '.join(selection)})", flush=True)
        if verdict != "CAUGHT":
            print(proc.stdout[-2000:])
        shutil.rmtree(copy, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
