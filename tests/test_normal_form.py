"""Normal-form games from payoff arrays: the paper's hand-written bimatrix games rebuilt from payoffs."""

import numpy
import pytest
import sympy
from conftest import assert_close, fd_gradients

from sosverify import Game, SosverifyError
from sosverify import derivatives as D
from sosverify.expressions import from_expressions
from sosverify.games import get_game, matching_pennies
from sosverify.games.normal_form import from_payoffs, normal_form
from sosverify.runner import run
from sosverify.symbolic.game import SymGame

# Matching pennies (SPEC §3): L1 = [p1, 1−p1] M [p2, 1−p2]ᵀ, M = [[1, −1], [−1, 1]], L2 = −L1; losses are
# negative payoffs, so the row player's payoffs are A = −M and the column player's B = M.
PENNIES_A, PENNIES_B = [[-1, 1], [1, -1]], [[1, -1], [-1, 1]]
# The one-shot prisoner's dilemma of the IPD (SPEC §3): per-state losses r1 = (1, 3, 0, 2), r2 = (1, 0, 3, 2)
# over (CC, CD, DC, DD); strategy 1 is C (σ(logit) = probability of cooperating).  Payoffs = −losses.
PD_A, PD_B = [[-1, -3], [0, -2]], [[-1, 0], [-3, -2]]
SHAPLEY = ([[0, 1, 2], [2, 0, 1], [1, 2, 0]], [[0, 2, 1], [1, 0, 2], [2, 1, 0]])

ROUNDING = 1e-12  # two float formulas of one function (sigmoid vs softmax with a pinned logit)
RUN_DRIFT = 1e-9  # the same rounding carried through a few hundred steps of a smooth map
GAMMA, MEMORY = 1e-12, 1e-10  # the IPD at discount γ differs from the one-shot game by O(γ) (losses up to 3)
FD = 1e-6  # central differences with h = 1e-5: error O(h²) ≈ 1e-10 times third derivatives


def one_shot_pd_by_hand() -> Game:
    """The one-shot PD written as today's bimatrix games are: sigmoid probabilities of cooperating."""
    x, y = sympy.symbols("x y", real=True)
    c1, c2 = 1 / (1 + sympy.exp(-x)), 1 / (1 + sympy.exp(-y))
    r1, r2 = (1, 3, 0, 2), (1, 0, 3, 2)
    joint = (c1 * c2, c1 * (1 - c2), (1 - c1) * c2, (1 - c1) * (1 - c2))
    return from_expressions([sum(r * q for r, q in zip(r1, joint)), sum(r * q for r, q in zip(r2, joint))],
                            [[x], [y]], name="pd-by-hand")


@pytest.mark.parametrize("built, by_hand", [
    (lambda: from_payoffs(PENNIES_A, PENNIES_B), matching_pennies),
    (lambda: from_payoffs(PENNIES_A), matching_pennies),  # Nashpy's zero-sum shorthand B = −A
    (lambda: from_payoffs(PD_A, PD_B), one_shot_pd_by_hand),
], ids=["pennies", "pennies-zero-sum", "prisoners-dilemma"])
def test_a_bimatrix_game_from_payoffs_has_the_hand_written_games_xi_and_h(built, by_hand, rng):
    g, h = built(), by_hand()
    theta = rng.normal(scale=3.0, size=(50, 2))
    assert g.dims == h.dims == (1, 1)
    assert_close(g.losses(theta), h.losses(theta), rtol=0, atol=ROUNDING)
    assert_close(D.xi(g, theta), D.xi(h, theta), rtol=0, atol=ROUNDING)
    assert_close(D.hessian(g, theta), D.hessian(h, theta), rtol=0, atol=ROUNDING)


def test_the_one_shot_pd_is_the_ipd_without_memory(rng):
    """The IPD's loss is p0ᵀ r + O(γ) (γ = 0 is refused: the discount lies in (0, 1)): only the start
    logits matter, and ξ there is the one-shot PD's."""
    g, ipd = from_payoffs(PD_A, PD_B), get_game("ipd", gamma=GAMMA)
    theta = rng.normal(size=(20, 10))
    xi = D.xi(ipd, theta)
    assert_close(xi[:, [0, 5]], D.xi(g, theta[:, [0, 5]]), rtol=0, atol=MEMORY)
    assert_close(xi[:, [1, 2, 3, 4, 6, 7, 8, 9]], 0.0, rtol=0, atol=MEMORY)


@pytest.mark.parametrize("algorithm, hyper", [
    ("nl", {}), ("sos", {"a": 0.5, "b": 0.1}),
    pytest.param("lola", {}, marks=pytest.mark.slow), pytest.param("co", {"gamma": 1.0}, marks=pytest.mark.slow),
    pytest.param("sga", {"eps": 0.1}, marks=pytest.mark.slow)])
@pytest.mark.parametrize("built, by_hand", [
    (lambda: from_payoffs(PENNIES_A, PENNIES_B), matching_pennies),
    (lambda: from_payoffs(PD_A, PD_B), one_shot_pd_by_hand),
], ids=["pennies", "prisoners-dilemma"])
def test_a_bimatrix_game_from_payoffs_runs_as_the_hand_written_game(built, by_hand, algorithm, hyper):
    """Same seed, same initial logits (one per player in both), same trajectory."""
    a = run(built(), algorithm, alpha=0.3, steps=100, runs=8, seed=7, **hyper)
    b = run(by_hand(), algorithm, alpha=0.3, steps=100, runs=8, seed=7, **hyper)
    assert_close(a.params[0], b.params[0], rtol=0, atol=0)
    assert_close(a.params, b.params, rtol=0, atol=RUN_DRIFT)


def test_a_3x3_games_xi_matches_finite_differences(rng):
    g = from_payoffs(*SHAPLEY, name="shapley")
    theta = rng.normal(size=(10, 4))
    fd = fd_gradients(g, theta, h=1e-5)
    assert_close(D.xi(g, theta), numpy.concatenate([fd[0][:, :2], fd[1][:, 2:]], axis=1), rtol=0, atol=FD)


def test_a_three_player_games_losses_are_its_expected_payoffs(rng):
    """Player i's loss at logits θ is −Σ_s u_i[s] Π_j p_j,s_j, computed here one profile at a time."""
    u = rng.integers(-5, 6, size=(3, 2, 3, 2))
    nf = normal_form(*u)
    g = nf.game()
    theta = rng.normal(size=(4, sum(nf.dims)))
    mixed = nf.mixed(theta)
    expected = numpy.zeros((3, 4))
    for idx in numpy.ndindex(2, 3, 2):
        w = mixed[0][:, idx[0]] * mixed[1][:, idx[1]] * mixed[2][:, idx[2]]
        expected -= u[(slice(None),) + idx][:, None] * w[None, :]
    assert g.dims == (1, 2, 1)
    assert_close(g.losses(theta), expected, rtol=0, atol=ROUNDING)


def test_the_symbolic_game_has_the_numeric_games_xi(rng):
    nf = normal_form(*SHAPLEY, name="shapley")
    sym, num = nf.symbolic(), nf.game()
    assert isinstance(sym, SymGame) and sym.dim == 4
    f = sympy.lambdify(sym.symbols, list(sym.xi), "numpy")
    theta = rng.normal(size=(5, 4))
    assert_close(numpy.array([f(*t) for t in theta], dtype=float), D.xi(num, theta), rtol=0, atol=ROUNDING)


def test_two_strategies_reduce_to_a_sigmoid():
    nf = normal_form(PENNIES_A, PENNIES_B)
    t = numpy.array([[0.7, -1.2]])
    p1, p2 = nf.mixed(t)
    assert_close(p1[0], [1 / (1 + numpy.exp(-0.7)), 1 / (1 + numpy.exp(0.7))], rtol=0, atol=ROUNDING)
    assert_close(p2[0, 0], 1 / (1 + numpy.exp(1.2)), rtol=0, atol=ROUNDING)


def test_large_logits_do_not_overflow():
    g = from_payoffs(*SHAPLEY)
    with numpy.errstate(over="raise", invalid="raise", divide="raise"):  # e^{-1600} underflowing to 0 is right
        out = g.losses(numpy.array([[800.0, -800.0, 0.0, 900.0]]))
    assert numpy.all(numpy.isfinite(out))


def test_payoffs_are_exact_and_recorded():
    g = from_payoffs([[0.1, 1], [2, 3]], [[1, 0], [0, 1]])
    assert g.params["normal_form"]["payoffs"][0] == [["1/10", 1], [2, 3]]


@pytest.mark.parametrize("payoffs, message", [
    (([[1, 2], [3, 4]], [[1, 2, 3], [4, 5, 6]]), "shape"),
    (([[1, 2]], [[1, 2]]), "at least 2 strategies"),
    (([1, 2], [3, 4]), "axes"),
    (([[1, float("nan")], [3, 4]], [[1, 2], [3, 4]]), "finite"),
    (([[1, "x"], [3, 4]], [[1, 2], [3, 4]]), "number"),
    (([[1, 2], [3]], [[1, 2], [3, 4]]), "rectangular"),
    ((), "one payoff array per player"),
    (([["a", "b"], ["c", "d"]],), "a payoff must be a number"),  # zero-sum: -A of text raised a TypeError
], ids=["shapes", "one-strategy", "axes", "nan", "text", "ragged", "none", "zero-sum-text"])
def test_bad_payoffs_are_one_clear_error(payoffs, message):
    with pytest.raises(SosverifyError, match=message) as err:
        from_payoffs(*payoffs)
    assert "\n" not in str(err.value)


def test_get_game_takes_names_and_paths_and_refuses_a_missing_file(tmp_path):
    assert get_game("tandem").name == "tandem"
    with pytest.raises(SosverifyError, match="no such .nfg file"):
        get_game(tmp_path / "absent.nfg")


def test_game_from_payoffs_is_the_module_function():
    import sosverify

    assert sosverify.from_payoffs(PENNIES_A, PENNIES_B).dims == (1, 1)
    assert get_game([PENNIES_A, PENNIES_B]).dims == (1, 1)


def test_the_command_line_runs_a_gambit_file(tmp_path, capsys):
    """`sosverify run FILE.nfg` goes through get_game, which reads .nfg paths."""
    pytest.importorskip("pygambit")
    import json
    from pathlib import Path

    from sosverify.cli import main

    path = Path(__file__).resolve().parents[1] / "experiments" / "games" / "2x2x2.nfg"
    assert main(["run", str(path), "--algo", "nl", "--alpha", "0.5", "--steps", "5", "--runs", "2",
                 "--out", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["config"]["game_params"]["normal_form"]["payoffs"][2][0][0][0] == 12
    eq = results["algorithms"]["nl"]["equilibria"]  # which equilibrium each run approaches
    assert len(eq["per_run"]) == 2 and sum(eq["counts"]) + eq["none"] + eq["diverged"] == 2
    assert "runs near each of Gambit's" in capsys.readouterr().out


def test_the_command_line_analyses_a_gambit_file_with_its_equilibria(tmp_path, capsys):
    pytest.importorskip("pygambit")
    from pathlib import Path

    from sosverify.cli import main

    path = Path(__file__).resolve().parents[1] / "experiments" / "games" / "2x2x2.nfg"
    assert main(["analyse", str(path), "--timeout", "2", "--starts", "5"]) == 0
    out = capsys.readouterr().out
    assert "Nash equilibria (Gambit" in out
    assert main(["analyse", str(path), "--player", "x=x*y", "--player", "y=-x*y"]) == 2
    assert "one of the two" in capsys.readouterr().err


def _nfg(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_one_player_nfg_file_says_how_many_players_it_has(tmp_path):
    """A one-player file was read as the zero-sum shorthand of normal_form ('one payoff array is a two-player
    zero-sum game…')."""
    pytest.importorskip("pygambit")
    from sosverify.games.normal_form import read_nfg

    path = _nfg(tmp_path, "one.nfg", 'NFG 1 R "one" { "P1" } { 3 }\n1 2 3\n')
    with pytest.raises(SosverifyError, match="one.nfg: 1 player found; a game here needs at least 2 players") as err:
        read_nfg(path)
    assert "\n" not in str(err.value) and "zero-sum" not in str(err.value)


@pytest.mark.parametrize("link", [False, True], ids=["directory", "link-to-directory"])
def test_a_directory_named_nfg_is_said_to_be_a_directory(tmp_path, link):
    """A directory (or a link to one) named x.nfg was reported as 'no such .nfg file'."""
    real = tmp_path / ("real" if link else "x.nfg")
    real.mkdir()
    path = tmp_path / "x.nfg"
    if link:
        path.symlink_to(real, target_is_directory=True)
    with pytest.raises(SosverifyError, match="x.nfg is a directory, not a .nfg file") as err:
        get_game(path)
    assert "\n" not in str(err.value)


def test_a_payoff_beyond_floating_point_is_one_clear_error():
    """A payoff of 1e400 is exact, but has no float: the numeric game (run, sweep) names it and the largest
    allowed magnitude, where float_payoffs raised an OverflowError with a traceback."""
    nf = normal_form([[10 ** 400, 0], [0, 1]], [[0, 1], [1, 0]], name="huge")
    with pytest.raises(SosverifyError, match=r"player 1's payoff at \(0, 0\) is 1e\+400.*at most 1\.798e\+308") as err:
        nf.game()
    assert "\n" not in str(err.value)
    big = normal_form([[-1.5e308, 0], [0, 1]], [[0, 1], [1, 0]])  # the largest floats are still allowed
    assert big.float_payoffs()[0, 0, 0] == -1.5e308


@pytest.mark.parametrize("command", [["run", "--algo", "nl", "--alpha", "1", "--steps", "10"],
                                     ["sweep", "--algos", "nl", "--alpha", "1", "--steps", "10"]], ids=["run", "sweep"])
def test_the_command_line_refuses_an_nfg_payoff_beyond_floating_point_in_one_line(tmp_path, capsys, command):
    """`sosverify run/sweep FILE.nfg` with a payoff of 1e400 ended in an OverflowError traceback."""
    pytest.importorskip("pygambit")
    from sosverify.cli import main

    path = _nfg(tmp_path, "huge.nfg", 'NFG 1 R "huge" { "P1" "P2" } { 2 2 }\n1e400 0 0 1 0 1 1 0\n')
    assert main([command[0], str(path), *command[1:], "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "1e+400" in err and "at most" in err


def test_a_constant_games_symbolic_xi_is_exactly_zero():
    """Every point of a constant game is a fixed point.  The symbolic losses were sums of softmax products
    that equal the constant but were not simplified, so ξ only vanished numerically and the analysis listed
    isolated 'undecided' points; written by differences, the losses are the constant and ξ is 0."""
    from sosverify.symbolic.analyse import analyse

    nf = normal_form([[1, 1], [1, 1]], [[1, 1], [1, 1]], name="constant")
    sym = nf.symbolic()
    assert list(sym.losses) == [-1, -1] and list(sym.xi) == [0, 0]
    points = analyse(sym, timeout=2, starts=5)["fixed_points"]["points"]
    assert [p.get("family") for p in points] == [{"dimension": 2}]
    # a column player whose payoff ignores its own strategy: its part of ξ is exactly 0 too
    assert normal_form(PENNIES_A, [[1, 1], [2, 2]]).symbolic().xi[1] == 0
    assert normal_form(*SHAPLEY).symbolic().xi[0] != 0
