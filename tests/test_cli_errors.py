"""Bad invocations of the `sosverify` command: exit status 2, exactly one line on stderr, no traceback.

By default each invocation runs in this process (``main(argv)``: seconds for the whole table); under
``-m slow`` (tox -e slow) each runs again in its own process, as a user runs it, four at a time.
"""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN = ["run", "tandem", "--algo", "nl", "--alpha", "0.1", "--quiet"]
ANALYSE = ["analyse", "--player", "x=x*y", "--player", "y=-x*y"]
NFG = ROOT / "experiments" / "games" / "2x2x2.nfg"  # from Gambit's examples
ONE_ITERATION = ["--iterations", "1", "--eval-every", "1", "--jobs", "1"]  # should a GAN case not be refused
LONG = "{dir}/" + "x" * 300  # a name longer than the 255 bytes a name may have

# (argv, text the one error line must contain); "{dir}" is a directory whose results.json,
# report.json, summary.json and audit.md are directories, whose tasks is a file and whose loop is a
# symbolic link to itself.
BAD = [
    (RUN + ["--steps", "99999999999999999999999"], "must be a positive integer no larger than"),
    (RUN + ["--runs", str(2 ** 70)], "must be a positive integer no larger than"),
    (RUN + ["--steps", "1e3"], "must be a positive integer no larger than"),
    (RUN + ["--steps", "-5"], "must be a positive integer no larger than"),
    (RUN + ["--steps", "0"], "must be a positive integer no larger than"),
    (RUN + ["--steps", "1000000000", "--runs", "100000000"], "of memory is available"),
    (RUN + ["--seed", "-1"], "must be an integer from 0 to"),
    (RUN + ["--seed", str(2 ** 64)], "must be an integer from 0 to"),
    (RUN + ["--seed", "abc"], "must be an integer from 0 to"),
    (["run", "tandem", "--algo", "co", "--alpha", "0.1", "--gamma", "nan"], "must be a finite number"),
    (["run", "tandem", "--algo", "sga", "--alpha", "0.1", "--eps", "nan"], "must be a finite number"),
    (["run", "tandem", "--algo", "lss", "--alpha", "0.1", "--lam", "nan"], "must be a finite number"),
    (["run", "tandem", "--algo", "co", "--alpha", "0.1", "--gamma", "inf"], "must be a finite number"),
    (["run", "tandem", "--algo", "nl", "--alpha", "nan"], "must be a positive finite number"),
    (["run", "tandem", "--algo", "nl", "--alpha", "inf"], "must be a positive finite number"),
    (["run", "tandem", "--algo", "nl"], "the following arguments are required: --alpha"),
    (RUN + ["--init-std", "-1"], "must be a finite number >= 0"),
    (RUN + ["--init-std", "nan"], "must be a finite number"),
    (RUN + ["--out", "{dir}"], "is a directory"),
    (["run", "--player", "x=x*y", "--player", "y=-x*y", "--algo", "nl", "--alpha", "0.1", "--discount", "0.9"],
     "applies to the ipd game only"),
    (RUN + ["--discount", "0.9"], "applies to the ipd game only"),
    (["run", "ipd", "--algo", "nl", "--alpha", "1", "--discount", "1.5"], "(0, 1)"),
    (["run", "--player", "x=Integral(x, x)", "--algo", "nl", "--alpha", "1"], "call to 'Integral' is not allowed"),
    (["run", "--player", "x=Derivative(x, x)", "--algo", "nl", "--alpha", "1"], "call to 'Derivative' is not allowed"),
    (["run", "--player", "x=__import__('os').system('true')", "--algo", "nl", "--alpha", "1"], "attribute access"),
    (["run", "--player", "x=x**99", "--algo", "nl", "--alpha", "1"], "exponent 99 is not allowed"),
    (["run", "--player", "I=I", "--algo", "nl", "--alpha", "1"], "imaginary unit"),
    (["run", "--player", "x=x", "--player", "x=x", "--algo", "nl", "--alpha", "1"], "owned by player 1 and player 2"),
    (["run", "tandem", "--player", "x=x", "--algo", "nl", "--alpha", "1"], "not both"),
    (["run", "--algo", "nl", "--alpha", "1"], "give a GAME"),
    (["run", "tandem", "--algo", "adam", "--alpha", "1"], "unknown algorithm 'adam'"),
    (["run", "tandem", "--algo", "sos", "--alpha", "0.1", "--a", "2"], "open interval (0, 1)"),
    (["run", "tandem", "--algo", "nl", "--alpha", "0.1", "--a", "0.5"], "is not used by nl"),
    (["run", "--player", "x x", "--algo", "nl", "--alpha", "1"], "not of the form"),
    (["frobnicate"], "invalid choice"),
    ([], "the following arguments are required"),
    (["verify", "--only", "no-such-claim"], "unknown claim id 'no-such-claim'"),
    (["verify", "--only", "ex2-tandem", "--out", "{dir}"], "is a directory"),
    (ANALYSE + ["--timeout", "0"], "(0, 3600]"),
    (ANALYSE + ["--timeout", "nan"], "must be a finite number"),
    (ANALYSE + ["--box", "5"], "must be LO,HI"),
    (ANALYSE + ["--box=3,1"], "LO < HI"),
    (ANALYSE + ["--starts", "0"], "must be a positive integer no larger than"),
    (ANALYSE + ["--numeric-alpha=-1"], "must be a positive number"),
    (["analyse", "--player", "x=exec('1')"], "call to 'exec' is not allowed"),
    (["analyse", "/etc/passwd"], "a game to analyse from a file is a Gambit FILE.nfg"),
    (["analyse"], "give a Gambit FILE.nfg or --player"),
    (["analyse", "--player", "x=x*y", "--player", "y=I*y"], "imaginary unit"),
    (["analyse", "--player", "x=" + "x+" * 1500 + "x"], "characters long"),
    (["reproduce", "nope"], "unknown experiment"),
    (["reproduce", "tandem", "--seed", "-3"], "must be an integer from 0 to"),
    (["reproduce", "tandem", "--steps", str(10 ** 30)], "must be a positive integer no larger than"),
    (["reproduce", "tandem", "--discount", "0.5"], "applies to the ipd experiment only"),
    (["reproduce", "gmm", "--discount", "0.5"], "applies to the ipd experiment only"),
    (["reproduce", "tandem", "--eps", "0.1"], "is not used by sos, lola; it applies to: sga"),
    (["reproduce", "ipd", "--algos", "nl", "--a", "0.3"], "is not used by nl"),
    (["reproduce", "gmm", "--algos", "sos", "--b", "1"], "SOS's b must be a finite number in the open interval"),
    (["run", "tandem", "--algo", "plola", "--alpha", "0.1", "--p", "1.5"], "closed interval [0, 1]"),
    (["run", "tandem", "--algo", "lss", "--alpha", "0.1", "--lam", "-1"], ">= 0"),
    (["run", "tandem", "--algo", "co", "--alpha", "0.1", "--gamma", "-1"], "CO's gamma must be a finite number >= 0"),
    (["reproduce", "ipd", "--gamma", "nan"], "must be a finite number"),
    (["reproduce", "tandem", "--out", "{dir}"], "is a directory"),
    (["reproduce", "tandem", "--algos", "nl", "adam"], "unknown algorithm 'adam'"),
    (["audit", "nosuchmodule:rule"], "cannot import 'nosuchmodule'"),
    (["audit", "os:system"], "is not a rule: it takes no game"),
    (["audit", "sos", "--check", "speed"], "unknown property 'speed'"),
    (["audit", "sos", "--require", "paper-games"], "cannot be --require'd"),
    (["audit", "sos", "--a", "1.5"], "SOS's a must be a finite number in the open interval"),
    (["audit", "sos", "--out", "{dir}"], "is a directory"),
    (["run", "tandem", "--algo", "nl", "--alpha", "1e400"], "must be a positive finite number"),
    (["sweep", "tandem", "--algos", "nl", "--alpha", "0.1", "--discount", "0.5"], "applies to the ipd game only"),
    (["sweep", "ipd", "--algos", "nl", "--alpha", "1", "--discount", "5"], "open interval (0, 1)"),
    (["sweep", "gmm", "--algos", "nl", "--alpha", "1e-3", "--steps", "5"], "--steps does not apply to gmm sweeps"),
    (["sweep", "ipd", "--algos", "nl", "--alpha", "1", "--iterations", "5"], "--iterations does not apply to ipd sweeps"),
    (["sweep", "tandem", "--algos", "nl", "--alpha", "0.1", "--scheduler", ""], "--scheduler needs an address"),
    (["sweep", "tandem", "--algos", "nl", "--alpha", "0.1", "--out", "{dir}"], "is a file; a sweep keeps"),
    (["reproduce", "gmm", "--grid", "1e-3", "--lr", "nl=1e-2"], "--lr and --grid do not go together"),
    (["reproduce", "gmm", "--lr", "nl=1e-3", "nl=2e-3"], "--lr gives nl twice"),
    (["analyse", "--player", "x=(-8)**(1/3)*x+x*y", "--player", "y=x*y"], "which is not real"),
    (["run", "--player", "x=(-8)**(1/3)*x+x*y", "--player", "y=x*y", "--algo", "nl", "--alpha", "0.1"],
     "which is not real"),
    (ANALYSE + ["--box=-1e308,1e308"], "finite width"),
    (["verify", "--inventory", "--only", "no-such-claim"], "unknown claim id 'no-such-claim'"),
    (["verify", "--inventory", "--only", "ex2-tandem"], "it takes no --only"),
    (["audit", "la", "--game", "/etc/passwd"], "a game to audit on is a Gambit FILE.nfg"),
    (["audit", "la", "--game", "no/such/game.nfg"], "no such .nfg file"),
    (["audit", "la", "--check", "game-runs"], "game-runs needs a game of yours: --game FILE.nfg"),
    (["audit", "la", "--game-steps", "10"], "--game-steps needs a game of yours"),
    (["audit", "la", "--game", str(NFG), "--check", "consistency"], "add one to --check, or drop --game"),
    (["audit", "la", "--game", str(NFG), "--require", "game-runs"], "cannot be --require'd"),
    (["audit", "la", "--game", str(NFG), "--game-alpha", "0"], "must be a positive finite number"),
    (["sweep", "/etc/passwd", "--algos", "nl", "--alpha", "1"], "a game from a file is a Gambit FILE.nfg"),
    (["sweep", "no/such/game.nfg", "--algos", "nl", "--alpha", "1"], "no such .nfg file"),
    (["sweep", str(NFG), "--algos", "nl", "--alpha", "1", "--discount", "0.5"], "applies to the ipd game only"),
    # an --out the system refuses (a name over 255 bytes, a path through a file, a symbolic link loop) is one
    # line, never OSError's traceback (found: 'File name too long' from prepare_out_dir for every command)
    (RUN + ["--out", LONG], "is too long"),
    (["reproduce", "tandem", "--out", LONG], "is too long"),
    (["verify", "--only", "ex2-tandem", "--out", LONG], "is too long"),
    (["audit", "sos", "--out", LONG], "is too long"),
    (["sweep", "tandem", "--algos", "nl", "--alpha", "0.1", "--out", LONG], "is too long"),
    (RUN + ["--out", "{dir}/tasks/sub"], "which is a file"),
    (["sweep", "tandem", "--algos", "nl", "--alpha", "0.1", "--out", "{dir}/loop/sub"], "symbolic link"),
    (["reproduce", "tandem", "--out", "{dir}/loop"], "symbolic link"),
    (["reproduce", "tandem", "--out", ""], "--out is empty"),  # was taken for ./results/tandem
    (["reproduce", "all", "--out", " "], "--out is empty"),
    (RUN + ["--out", ""], "--out is empty"),
    (["sweep", "tandem", "--algos", "nl", "--alpha", "0.1", "--out", ""], "--out is empty"),
    # a shaping alpha for rules none of which has an alpha inside (NL, CO, SGA) was accepted and ignored
    (["reproduce", "gmm", "--algos", "nl", "--shaping-alpha", "0.5", *ONE_ITERATION], "is not used by nl, which predict"),
    (["reproduce", "gmm", "--algos", "nl", "co", "sga", "--shaping-alpha", "lr", *ONE_ITERATION],
     "is not used by nl, co, sga"),
    (["reproduce", "gmm", "--algos", "nl", "sos", "--shaping-alpha", "nl=0.5", *ONE_ITERATION], "gives nl a value"),
    (["sweep", "gmm", "--algos", "nl", "co", "--alpha", "1e-3", "--shaping-alpha", "0.5", "--iterations", "1",
      "--workers", "1"], "is not used by nl, co"),
]


def _bad_dir(base: Path) -> Path:
    """A directory whose results.json, report.json, summary.json and audit.md are directories, whose tasks is
    a file and whose loop is a symbolic link to itself."""
    (base / "out").mkdir()
    for name in ("results.json", "report.json", "summary.json", "audit.md"):
        (base / "out" / name).mkdir()
    (base / "out" / "tasks").write_text("a file where a sweep keeps its task results")
    (base / "out" / "loop").symlink_to("loop")
    return base


@pytest.mark.parametrize("case", range(len(BAD)), ids=[" ".join(a)[:60] for a, _ in BAD])
def test_bad_invocation_in_process_is_one_line_exit_2(case, tmp_path, monkeypatch, capsys):
    from sosverify.cli import main

    argv, message = BAD[case]
    base = _bad_dir(tmp_path)
    argv = [a.replace("{dir}", str(base / "out")) for a in argv]
    if "--out" not in argv and argv and argv[0] in ("run", "verify", "reproduce", "audit"):
        argv = argv + ["--out", str(base / "fresh")]
    monkeypatch.chdir(base)
    monkeypatch.setenv("SOSVERIFY_BACKEND", os.environ.get("SOSVERIFY_BACKEND", "autograd"))  # main may set it
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1, (argv, err)
    assert message in lines[0] and lines[0].startswith("sosverify: error: "), lines[0]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """Run every bad invocation once, four at a time: argv index → CompletedProcess."""
    base = _bad_dir(tmp_path_factory.mktemp("bad"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def one(argv):
        argv = [a.replace("{dir}", str(base / "out")) for a in argv]
        if "--out" not in argv and argv and argv[0] in ("run", "verify", "reproduce", "audit"):
            argv = argv + ["--out", str(base / "fresh")]
        return subprocess.run([sys.executable, "-m", "sosverify", *argv], capture_output=True, text=True,
                              cwd=base, env=env, timeout=120)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(one, [argv for argv, _ in BAD]))


def test_the_table_has_at_least_forty_bad_invocations():
    assert len(BAD) >= 40
    assert len({tuple(argv) for argv, _ in BAD}) == len(BAD)


@pytest.mark.slow  # about 80 processes, each importing SymPy and NumPy
@pytest.mark.parametrize("case", range(len(BAD)), ids=[" ".join(a)[:60] for a, _ in BAD])
def test_bad_invocation_is_one_line_exit_2_no_traceback(outcomes, case):
    argv, message = BAD[case]
    proc = outcomes[case]
    assert proc.returncode == 2, (argv, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert message in lines[0], lines[0]
    assert lines[0].startswith("sosverify: error: ")


def test_python_dash_m_sosverify_and_version():
    proc = subprocess.run([sys.executable, "-m", "sosverify", "--version"], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    from sosverify import __version__
    assert proc.returncode == 0 and proc.stdout.strip() == f"sosverify {__version__}"


def test_a_command_refused_after_making_its_output_directory_leaves_none_behind(tmp_path, capsys):
    """The memory check refuses this run after --out was made: the empty directories go (a directory
    that already existed, or that holds anything, stays)."""
    from sosverify.cli import main

    out = tmp_path / "new" / "results"
    assert main(["run", "tandem", "--algo", "nl", "--alpha", "0.1", "--steps", "1000000000", "--runs", "100000000",
                 "--out", str(out)]) == 2
    assert "memory" in capsys.readouterr().err
    assert not (tmp_path / "new").exists() and tmp_path.exists()


@pytest.mark.parametrize("code, message", [
    ("EACCES", "permission denied"), ("EPERM", "permission denied"), ("EROFS", "read-only file system"),
    ("ENAMETOOLONG", "is too long"), ("ELOOP", "symbolic link"), ("EIO", "cannot use output directory"),
])
def test_every_os_error_of_the_output_directory_is_one_line(code, message, tmp_path, monkeypatch):
    """Whatever the system answers about --out (here: each check of the path raising), prepare_out_dir
    says it in one SosverifyError line; before, an OSError from exists() was a traceback."""
    import errno
    from pathlib import Path

    from sosverify.errors import SosverifyError
    from sosverify.results import prepare_out_dir

    def refuse(self, *args, **kwargs):
        raise OSError(getattr(errno, code), os.strerror(getattr(errno, code)), str(self))

    for method in ("exists", "is_dir", "mkdir", "stat"):
        monkeypatch.setattr(Path, method, refuse)
    with pytest.raises(SosverifyError, match=message) as info:
        prepare_out_dir(tmp_path / "out")
    assert "\n" not in str(info.value) and str(tmp_path / "out") in str(info.value)


def test_an_overlong_out_names_the_overlong_part_and_the_limit(tmp_path):
    from sosverify.errors import SosverifyError
    from sosverify.results import prepare_out_dir

    with pytest.raises(SosverifyError, match="has 300 bytes, more than the 255"):
        prepare_out_dir(tmp_path / ("x" * 300) / "results")
    deep = tmp_path.joinpath(*["y" * 200] * 25)  # each name allowed, the whole path over 4096 bytes
    with pytest.raises(SosverifyError, match="a path may have 4096 bytes"):
        prepare_out_dir(deep)
    assert not (tmp_path / ("y" * 200)).exists()  # nothing made before the refusal


def test_reproduce_with_an_empty_out_is_refused_and_writes_nothing(tmp_path, monkeypatch, capsys):
    """Before, `reproduce tandem --out ""` wrote to ./results/tandem where every other command refused it."""
    from sosverify.cli import main

    monkeypatch.chdir(tmp_path)
    for out in ("", "  "):
        assert main(["reproduce", "tandem", "--runs", "2", "--steps", "2", "--quiet", "--out", out]) == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and "--out is empty" in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_a_shaping_alpha_no_chosen_rule_takes_is_refused_before_any_training(monkeypatch):
    """reproduce gmm and sweep gmm took --shaping-alpha 0.5 with --algos nl (or co, sga: no alpha inside)
    and ignored it; now refused, before any training (a training here fails the test)."""
    from sosverify.errors import SosverifyError
    from sosverify.reproduce import gmm
    from sosverify.sweep import plan

    def trained(*args, **kwargs):
        raise AssertionError("a training started")

    monkeypatch.setattr(gmm, "_run_jobs", trained)
    few = dict(iterations=1, eval_every=1, jobs=1)
    for algos, shaping, values in ((["nl"], 0.5, [0.5]), (["nl", "co", "sga"], ["0.1"], ["lr", 0.1]),
                                   (["co"], "predicted", ["predicted"])):
        with pytest.raises(SosverifyError, match="is not used by .*; it applies to: la, lola, plola, sos, eg"):
            gmm.run_gmm(algos=algos, shaping_alpha=shaping, **few)
        with pytest.raises(SosverifyError, match="which predict no step"):
            plan("gmm", algos, [1e-3], [0], shaping_alpha=values)
    with pytest.raises(SosverifyError, match="gives nl a value, but nl predicts no step"):
        gmm.run_gmm(algos=["nl", "sos"], shaping_alpha={"nl": 0.5}, **few)


def test_a_shaping_alpha_applies_to_the_chosen_rules_that_take_it():
    """With one rule that takes it, the value applies to that rule alone, as before; the default 'preset'
    given for a rule without alpha is no value of its own, while 'lr' for it alone is refused (ignored)."""
    from sosverify.sweep import plan

    tasks = plan("gmm", ["nl", "sos"], [1e-3], [0], shaping_alpha=[0.5])
    assert [(t["algorithm"], t.get("shaping_alpha")) for t in tasks] == [("nl", None), ("sos", 0.5)]
    assert [t.get("shaping_alpha") for t in plan("gmm", ["nl"], [1e-3], [0], shaping_alpha=["preset"])] == [None]
    from sosverify.errors import SosverifyError

    with pytest.raises(SosverifyError, match="not used by nl"):
        plan("gmm", ["nl"], [1e-3], [0], shaping_alpha=["lr"])


def test_a_default_shaping_alpha_sweep_beside_results_of_another_alpha_says_so_in_one_line(tmp_path, capsys):
    """Re-running a sweep command from before the preset's default (no --shaping-alpha) plans new tasks
    beside its finished tied ones: one line on stderr says so and how to resume them; none when nothing
    is held at another alpha."""
    from sosverify.cli.sweep import _note_other_shaping
    from sosverify.results import write_json
    from sosverify.sweep import plan, task_key

    tied = plan("gmm", ["sos"], [2e-4], [0], preset="paper", shaping_alpha=["lr"])[0]
    write_json(tmp_path / f"{task_key(tied)}.json", {"task": tied, "result": {"final_kl": 1.0}})
    tasks = plan("gmm", ["sos", "nl"], [2e-4], [0], preset="paper")
    _note_other_shaping(tasks, tmp_path)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "1 task(s)" in err and "finished with shaping alpha lr" in err, err
    _note_other_shaping(plan("gmm", ["sos"], [2e-4], [0], preset="paper", shaping_alpha=["lr"]), tmp_path)
    _note_other_shaping(plan("gmm", ["sos"], [2e-4], [1], preset="paper"), tmp_path)
    assert capsys.readouterr().err == ""


GIB = 2 ** 30


@pytest.fixture
def no_allocation(monkeypatch):
    """A run that the memory guard lets through fails here, before its arrays are allocated."""
    from sosverify import runner

    def allocated(*args, **kwargs):
        raise AssertionError("the memory guard let the runs through")

    monkeypatch.setattr(runner, "initial_parameters", allocated)


def _available(monkeypatch, nbytes):
    from sosverify import validation

    monkeypatch.setattr(validation, "available_memory", lambda: nbytes)


def test_the_memory_guard_counts_a_steps_working_arrays_not_only_the_history(monkeypatch, no_allocation):
    """The guard counted only the recorded history: run('tandem', 'sos', alpha=0.1, runs=5e7, steps=2)
    was estimated at 6.7 GiB, passed, and was OOM-killed (a step's derivatives take about 940 bytes a run
    here); 200,000 runs (about 190 MB at the 937 bytes a run measured) passed with 150 MiB available."""
    from sosverify.errors import SosverifyError
    from sosverify.runner import run

    _available(monkeypatch, 16 * GIB)
    with pytest.raises(SosverifyError, match=r"^50,000,000 runs x 2 steps of 2 parameters needs about [\d.]+ GiB, "
                       r"but only 16 GiB of memory is available \(the recorded history [\d.]+ GiB, a step's working "
                       r"arrays [\d.]+ GiB\); at most about [\d,]+ runs of 2 steps fit: use fewer runs or steps$"):
        run("tandem", "sos", alpha=0.1, runs=5 * 10 ** 7, steps=2)
    _available(monkeypatch, 150 * 2 ** 20)
    with pytest.raises(SosverifyError, match="of memory is available"):
        run("tandem", "sos", alpha=0.1, runs=200_000, steps=2)


def test_the_runs_the_memory_guard_says_fit_do_fit(monkeypatch):
    import re

    from sosverify.errors import SosverifyError
    from sosverify.validation import check_history_memory

    _available(monkeypatch, GIB)
    with pytest.raises(SosverifyError) as info:
        check_history_memory(300, 10 ** 6, 10, 2, 1)
    most = int(re.search(r"at most about ([\d,]+) runs", str(info.value)).group(1).replace(",", ""))
    check_history_memory(300, most, 10, 2, 1)
    with pytest.raises(SosverifyError):
        check_history_memory(300, most + 1, 10, 2, 1)
    with pytest.raises(SosverifyError, match="not even one run of 1,000,000,000 steps fits: use fewer steps"):
        check_history_memory(10 ** 9, 1, 10, 2, 1)


def test_sosverify_run_counts_its_results_file_and_every_rules_history(monkeypatch, no_allocation, capsys):
    """`run tandem --algo sos --runs 1000000 --steps 2` peaked at 2.2 GB (results.json built in memory)
    against an estimate of 137 MB; with 2 GiB available it is now refused before any run, in one line."""
    from sosverify.cli import main

    _available(monkeypatch, 2 * GIB)
    argv = ["run", "tandem", "--algo", "sos", "nl", "--alpha", "0.1", "--runs", "1000000", "--steps", "2", "--quiet",
            "--out", str(Path(os.environ.get("TMPDIR", "/tmp")) / "sosverify-never-written")]
    assert main(argv) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "for 2 rules needs about" in lines[0] and "the results file" in lines[0], lines
    assert "but only 2 GiB of memory is available (" in lines[0] and "; at most about" in lines[0]


def test_normal_use_passes_the_memory_guard_on_a_machine_with_1_gib(monkeypatch):
    """Up to 10,000 runs of 100 steps of every rule on every game but the GAN, and the paper's
    experiments at their defaults, pass with 1 GiB available."""
    from sosverify.algorithms import ALGORITHMS
    from sosverify.games import GAMES, get_game
    from sosverify.reproduce import experiments
    from sosverify.validation import check_history_memory, check_runs_memory

    _available(monkeypatch, GIB)
    for name in GAMES:
        if name == "gmm":
            continue
        game = get_game(name)
        for algo in ALGORITHMS.values():
            check_history_memory(100, 10_000, game.dim, game.n_players, len(algo.diagnostics), dense=algo.dense)
        check_runs_memory(100, 10_000, game.dim, game.n_players, [(1, False)] * 2, 2, results=True)
    for exp in experiments().values():
        if exp.game == "gmm":
            continue
        game, d = get_game(exp.game), exp.defaults
        rules = [(len(ALGORITHMS[a].diagnostics), ALGORITHMS[a].dense) for a in d["algos"]]
        check_runs_memory(d["steps"], d["runs"], game.dim, game.n_players, rules)
