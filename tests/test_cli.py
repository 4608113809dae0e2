"""The `sosverify` command: results files, listings and one-line errors."""

import json
import subprocess
import sys

import pytest

from sosverify.cli import main


def test_run_writes_results_json_and_figure(tmp_path, capsys):
    out = tmp_path / "res"
    code = main(["run", "ipd", "--algo", "sos", "nl", "--alpha", "1", "--steps", "3", "--runs", "4",
                 "--seed", "5", "--out", str(out), "--quiet"])
    assert code == 0
    data = json.loads((out / "results.json").read_text())
    assert data["config"]["seed"] == 5 and data["config"]["runs"] == 4
    assert data["config"]["hyperparameters"]["sos"] == {"a": 0.5, "b": 0.1}
    assert data["versions"]["numpy"] and data["versions"]["autograd"]
    sos = data["algorithms"]["sos"]
    assert len(sos["final_loss_mean"]) == 2 and len(sos["final_reported_loss_mean"]) == 2
    assert abs(sos["final_reported_loss_mean"][0] - 0.04 * sos["final_loss_mean"][0]) < 1e-12
    assert len(sos["final_params"]) == 4 and len(sos["final_params"][0][0]) == 5
    assert sos["diverged"] == 0
    assert (out / "losses.png").stat().st_size > 1000
    assert "sos" in capsys.readouterr().out


def test_run_with_player_expressions_and_json_output(tmp_path, capsys):
    code = main(["run", "--player", "x=(x+y)**2-2*x", "--player", "y=(x+y)**2-2*y", "--algo", "lola",
                 "--alpha", "0.1", "--steps", "150", "--runs", "3", "--out", str(tmp_path), "--json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    mean = data["algorithms"]["lola"]["final_loss_mean"]
    assert abs(sum(mean) / 2 - 4 / 9) < 1e-6  # Appendix C: LOLA's average tandem loss


def test_diverging_runs_are_counted_not_a_crash(tmp_path, capsys):
    code = main(["run", "cyclic", "--algo", "nl", "--alpha", "10", "--steps", "400", "--runs", "3",
                 "--out", str(tmp_path), "--quiet"])
    assert code == 0
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["algorithms"]["nl"]["diverged"] == 3
    assert data["algorithms"]["nl"]["final_loss_mean"] == [None, None]


@pytest.mark.parametrize("argv, message", [
    (["run", "chess", "--algo", "nl", "--alpha", "1"], "unknown game 'chess'; valid games:"),
    (["run", "ipd", "--algo", "adam", "--alpha", "1"], "unknown algorithm 'adam'; valid algorithms:"),
    (["run", "tandem", "--algo", "sos", "--alpha", "0.1", "--a", "1.5"], "open interval (0, 1)"),
    (["run", "tandem", "--algo", "sos", "--alpha", "0"], "must be a positive finite number"),
    (["run", "tandem", "--algo", "sos", "--alpha", "-1"], "must be a positive finite number"),
    (["run", "tandem", "--algo", "nl", "--alpha", "1", "--runs", "0"], "must be a positive integer"),
    (["run", "--player", "x=(x+", "--algo", "nl", "--alpha", "1"], "cannot parse"),
    (["run", "--player", "x=x*z", "--algo", "nl", "--alpha", "1"], "z, which no player owns"),
    (["run", "tandem", "--algo", "nl", "--alpha", "1", "--gamma", "2"], "is not used by nl"),
])
def test_bad_input_is_one_line_error_and_nonzero_exit(argv, message, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "sosverify.cli", *argv, "--out", str(tmp_path / "o")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_out_that_is_a_file_is_rejected(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("keep me")
    assert main(["run", "tandem", "--algo", "nl", "--alpha", "0.1", "--out", str(f)]) == 2
    assert "is a file" in capsys.readouterr().err
    assert f.read_text() == "keep me"


def test_listings_name_every_game_and_algorithm_once_in_registry_order(capsys):
    """One line per entry, its name first: compared as whole names ("la" is not found inside "lola")."""
    from sosverify.algorithms import ALGORITHMS
    from sosverify.games import GAMES

    for command, registry in (("games", GAMES), ("algorithms", ALGORITHMS)):
        assert main([command]) == 0
        lines = capsys.readouterr().out.strip().splitlines()
        assert [line.split()[0] for line in lines] == list(registry), command


def test_top_level_api_and_notebook_latex():
    import sympy

    import sosverify
    from sosverify.symbolic import SymGame

    x, y = sympy.symbols("x y", real=True)
    game = SymGame([(x + y) ** 2 - 2 * x, (x + y) ** 2 - 2 * y], [[x], [y]])
    assert game._repr_latex_().startswith(r"$\begin{aligned}L^{1}(x) &=")
    result = sosverify.analyse(game, timeout=10)
    assert result["fixed_points"]["status"] == "exact"
    assert r"H = \left[\begin{matrix}2 & 2\\2 & 2\end{matrix}\right]" in result._repr_latex_()
    h = sosverify.run(sosverify.get_game("tandem"), "sos", alpha=0.1, steps=50, runs=2, seed=0, a=0.5, b=0.5)
    assert abs(h.params[-1].sum(axis=1) - 1).max() < 1e-6
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        getattr(sosverify, "nope")  # noqa: B009


RUN_TANDEM = ["run", "tandem", "--algo", "nl", "--alpha", "0.1", "--runs", "2", "--quiet"]


def _files(out):
    return {p.name: p.read_bytes() for p in out.iterdir()}


@pytest.mark.parametrize("where", ["figure", "write"])
def test_a_run_interrupted_between_its_files_leaves_the_old_output_whole(where, tmp_path, monkeypatch, capsys):
    """Interrupted while drawing its figure, or while writing losses.png, a run leaves the earlier run's
    results.json and losses.png together (before: the new results.json beside the old losses.png)."""
    import sosverify.plotting
    import sosverify.results

    out = tmp_path / "res"
    assert main([*RUN_TANDEM, "--steps", "3", "--out", str(out)]) == 0
    before = _files(out)
    assert {"results.json", "losses.png"} <= set(before)
    if where == "figure":
        def interrupted(*args, **kwargs):
            raise KeyboardInterrupt
        monkeypatch.setattr(sosverify.plotting, "loss_curves", interrupted)
        assert main([*RUN_TANDEM, "--steps", "5", "--out", str(out)]) == 130
    else:
        write = sosverify.results.write_atomic

        def failing(path, data):
            if str(path).endswith("losses.png"):
                raise OSError(28, "No space left on device")
            write(path, data)
        monkeypatch.setattr(sosverify.results, "write_atomic", failing)
        with pytest.raises(OSError):
            main([*RUN_TANDEM, "--steps", "5", "--out", str(out)])
    assert _files(out) == before
    assert json.loads(before["results.json"])["config"]["steps"] == 3
    assert [p.name for p in tmp_path.iterdir()] == ["res"]  # no temporary directory left beside it


def test_a_run_of_another_game_replaces_the_earlier_run_whole_and_says_so(tmp_path, capsys):
    """Before, `run ipd --out D` silently replaced the tandem results in D.  A run's directory is a
    scratch place (the README's quick start runs the tandem, then a game of one's own, into the
    default one): the earlier run is replaced as a set, never mixed with the new files, and one line
    on stderr names what was replaced.  A reproduction's directory is never replaced by a run."""
    out = tmp_path / "res"
    assert main([*RUN_TANDEM, "--steps", "3", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["run", "ipd", "--algo", "nl", "--alpha", "1", "--steps", "2", "--out", str(out), "--quiet"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"sosverify: replaced a run of tandem in {out} (give --out to keep both)"]
    assert json.loads((out / "results.json").read_text())["config"]["game"] == "ipd"
    assert set(_files(out)) == {"results.json", "losses.png", "manifest.json"}
    assert main(["run", "--player", "x=x*y", "--player", "y=-x*y", "--algo", "nl", "--alpha", "0.1", "--steps", "2",
                 "--out", str(out), "--quiet"]) == 0
    assert "replaced a run of ipd" in capsys.readouterr().err
    assert main(["run", "--player", "x=x*y", "--player", "y=-x*y", "--algo", "nl", "--alpha", "0.1", "--steps", "3",
                 "--out", str(out), "--quiet"]) == 0
    assert capsys.readouterr().err == ""  # the same game again: nothing to say
    reproduction = tmp_path / "rep"
    assert main(["reproduce", "tandem", "--runs", "2", "--steps", "3", "--out", str(reproduction)]) == 0
    before = _files(reproduction)
    capsys.readouterr()
    assert main([*RUN_TANDEM, "--steps", "2", "--out", str(reproduction)]) == 2
    assert "holds the tandem reproduction; writing a run of tandem there would replace it" in capsys.readouterr().err
    assert _files(reproduction) == before


def test_a_run_next_to_files_of_ones_own_or_in_the_current_directory_writes_in_place(tmp_path, monkeypatch, capsys):
    """A directory that also holds your files, or the current directory (which cannot be swapped), gets
    the files one by one and the manifest last; your files stay."""
    (tmp_path / "notes.txt").write_text("mine")
    monkeypatch.chdir(tmp_path)
    assert main([*RUN_TANDEM, "--steps", "2", "--out", "."]) == 0
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert json.loads((tmp_path / "manifest.json").read_text())["run"] == "tandem"
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    assert main([*RUN_TANDEM, "--steps", "2", "--out", "."]) == 0
    assert set(_files(empty)) == {"results.json", "losses.png", "manifest.json"}


def test_results_of_a_run_from_before_manifests_are_known_as_a_run_and_named_when_replaced(tmp_path, capsys):
    out = tmp_path / "res"
    out.mkdir()
    (out / "results.json").write_text(json.dumps({"config": {"command": "run", "game": "ipd", "game_params": {}}}))
    assert main([*RUN_TANDEM, "--steps", "2", "--out", str(out)]) == 0
    assert "replaced a run of ipd" in capsys.readouterr().err
    assert json.loads((out / "results.json").read_text())["config"]["game"] == "tandem"


def test_run_help_and_docs_show_the_defaults_of_steps_runs_and_seed(capsys, monkeypatch):
    """`run --help` listed --steps, --runs and --seed with no text, and docs/cli.md gave no defaults."""
    from pathlib import Path

    from sosverify.settings import RUNS, SEED, STEPS

    monkeypatch.setenv("COLUMNS", "400")  # one line per flag
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = capsys.readouterr().out
    docs = (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text()
    for setting in (STEPS, RUNS, SEED):
        flag = "--" + setting.name
        line = next(row for row in text.splitlines() if row.strip().startswith(f"{flag} "))
        assert f"{setting.allowed} (default {setting.default})" in line, line
        assert f"`{flag}` (default {setting.default})" in docs, flag


@pytest.mark.parametrize("written, box", [(["--box", "-2,2"], (-2.0, 2.0)), (["--box", "-2.5,-1e-3"], (-2.5, -1e-3)),
                                          (["--box=-2,2"], (-2.0, 2.0)), (["--box", ".5,3"], (0.5, 3.0))])
def test_box_takes_a_negative_lower_bound_after_a_space(written, box):
    """`--box -2,2` failed with 'expected one argument': argparse took -2,2 for an option."""
    from sosverify.cli import build_parser

    args = build_parser().parse_args(["analyse", "--player", "x=x*y", "--player", "y=-x*y", *written])
    assert args.box == box


def test_a_negative_number_after_a_flag_is_its_value_and_checked_there(capsys):
    """-1e-3 (not a plain negative number to argparse) reaches the check of --alpha, which says what is allowed."""
    with pytest.raises(SystemExit) as info:
        main(["run", "tandem", "--algo", "nl", "--alpha", "-1e-3"])
    assert info.value.code == 2
    assert "must be a positive finite number" in capsys.readouterr().err
