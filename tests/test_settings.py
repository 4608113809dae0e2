"""Each rule's and game's settings are declared once; every entry point checks them alike."""

import math

import pytest

from sosverify.algorithms import ALGORITHMS, Algorithm, all_settings, hyperparameters
from sosverify.cli import build_parser, main
from sosverify.errors import SosverifyError
from sosverify.games import GAME_SETTINGS, get_game
from sosverify.gan.train import training_config
from sosverify.reproduce import get_experiment
from sosverify.reproduce.common import HYPER_DEFAULTS
from sosverify.runner import run
from sosverify.settings import Setting, as_settings, resolve

DECLARED = [(a.name, s) for a in ALGORITHMS.values() for s in a.settings]


def outside(s: Setting) -> list:
    """Values just outside the declared range (the boundaries themselves when open), plus NaN."""
    bad = [math.nan, math.inf]
    if s.low > -math.inf:
        bad.append(s.low - 1e-9 if s.low_closed else s.low)
    if s.high < math.inf:
        bad.append(s.high + 1e-9 if s.high_closed else s.high)
    return bad


def inside(s: Setting) -> float:
    lo = s.low if s.low > -math.inf else s.default - 1
    hi = s.high if s.high < math.inf else s.default + 1
    return (lo + hi) / 2


def test_every_built_in_rule_declares_a_range_and_help_for_each_setting():
    for name, s in DECLARED:
        assert s.help and s.allowed != "any finite number", (name, s)
        assert s.contains(s.default), (name, s)  # the default itself is allowed


@pytest.mark.parametrize("name,setting", DECLARED, ids=[f"{n}-{s.name}" for n, s in DECLARED])
def test_a_value_outside_the_range_is_refused_alike_by_the_rule_the_api_the_experiments_and_checkpoints(
        name, setting):
    algo = ALGORITHMS[name]
    for value in outside(setting):
        expected = f"{setting.help} must be {setting.requirement}"
        with pytest.raises(SosverifyError, match=_re(expected)):
            hyperparameters(algo, {setting.name: value})
        with pytest.raises(SosverifyError, match=_re(expected)):
            run("tandem", name, alpha=0.1, steps=1, **{setting.name: value})
        with pytest.raises(SosverifyError, match=_re(expected)):
            get_experiment("matching-pennies")(runs=1, steps=1, algos=[name], hyper={setting.name: value})
        if not algo.dense:
            from sosverify.games.gmm import GanSpec
            with pytest.raises(SosverifyError, match=_re(expected)):
                training_config(name, 1e-4, GanSpec(), 10, 5, 0, {setting.name: value})
    good = inside(setting)
    assert hyperparameters(algo, {setting.name: good})[setting.name] == good


@pytest.mark.parametrize("name,setting", DECLARED, ids=[f"{n}-{s.name}" for n, s in DECLARED])
def test_the_command_line_refuses_the_same_values_with_one_line(name, setting, tmp_path, capsys):
    value = outside(setting)[-1]
    assert main(["run", "tandem", "--algo", name, "--alpha", "0.1", "--steps", "1", "--quiet",
                 f"{setting.option}={value!r}", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{setting.help} must be {setting.requirement}" in err[0]


def test_the_flags_and_their_help_come_from_the_declarations():
    parser = build_parser()
    sub = {a.dest: a for a in parser._subparsers._group_actions[0].choices["run"]._actions}
    for option, owners in all_settings().items():
        action = sub[option[2:].replace("-", "_")]
        for _, s in owners:
            assert s.help in action.help and s.allowed in action.help and f"{s.default:g}" in action.help
    for settings in GAME_SETTINGS.values():
        for s in settings:
            assert s.option in {o for a in sub.values() for o in a.option_strings}


def test_a_flag_that_no_chosen_rule_takes_is_refused_in_run_and_reproduce(tmp_path, capsys):
    assert main(["run", "tandem", "--algo", "nl", "la", "--alpha", "0.1", "--eps", "0.2",
                 "--out", str(tmp_path)]) == 2
    assert "--eps (SGA's epsilon) is not used by nl, la; it applies to: sga" in capsys.readouterr().err
    assert main(["reproduce", "tandem", "--gamma", "2", "--out", str(tmp_path)]) == 2
    assert "--gamma (CO's gamma) is not used by sos, lola; it applies to: co" in capsys.readouterr().err


def test_the_ipd_discount_is_checked_by_its_declaration_in_the_api_and_on_the_command_line(tmp_path, capsys):
    (discount,) = GAME_SETTINGS["ipd"]
    with pytest.raises(SosverifyError, match=_re(f"{discount.help} must be a finite number {discount.allowed}")):
        get_game("ipd", gamma=1.0)
    assert main(["run", "ipd", "--algo", "nl", "--alpha", "1", "--discount", "1", "--out", str(tmp_path)]) == 2
    assert discount.allowed in capsys.readouterr().err
    with pytest.raises(SosverifyError, match="game 'tandem' takes no setting gamma"):
        get_game("tandem", gamma=0.5)


def test_an_experiment_records_every_rule_setting_with_its_own_defaults():
    rep = get_experiment("tandem")(runs=2, steps=2, algos=["sos"], hyper={"a": 0.25})
    assert rep.config["hyperparameters"]["sos"] == {"a": 0.25, "b": HYPER_DEFAULTS["tandem"]["b"]}
    rep = get_experiment("matching-pennies")(runs=2, steps=2, algos=["sos", "co"], hyper={"gamma": 0.5})
    assert rep.config["hyperparameters"] == {"sos": ALGORITHMS["sos"].defaults, "co": {"gamma": 0.5}}


def test_a_users_rule_may_declare_settings_as_a_plain_mapping():
    algo = Algorithm("mine", ALGORITHMS["la"].fn, {"k": 0.5})
    assert algo.defaults == {"k": 0.5} and algo.settings[0].allowed == "any finite number"
    assert resolve(as_settings({"k": 0.5}), {"k": -3}, "mine") == {"k": -3.0}
    with pytest.raises(SosverifyError, match="takes no setting z; it takes: k"):
        resolve(algo.settings, {"z": 1.0}, "algorithm 'mine'")
    with pytest.raises(SosverifyError, match="must be a finite number"):
        resolve(algo.settings, {"k": math.nan}, "algorithm 'mine'")


def _re(text: str) -> str:
    import re
    return re.escape(text)


# Run-level settings (α, steps, runs, seed, the GAN's learning rate and iterations) are declared once in
# sosverify.settings; the runner, the reproductions, the GAN's training and the command line check them there.
def _entry_points(tmp_path):
    from sosverify.games.gmm import GanSpec
    from sosverify.reproduce.common import run_algorithms

    tandem = get_game("tandem")
    common = dict(alpha=0.1, steps=2, runs=1, seed=0)
    return {
        "run": lambda **kw: run("tandem", "nl", **{**common, **kw}),
        "reproduce": lambda **kw: run_algorithms(tandem, ["nl"], init_std=None, hyper={}, progress=False,
                                                 **{**common, **kw}),
        "cli run": lambda **kw: _cli(["run", "tandem", "--algo", "nl", "--quiet", "--out", str(tmp_path)],
                                     {**common, **kw}),
        "cli reproduce": lambda **kw: _cli(["reproduce", "tandem", "--algos", "nl", "--quiet", "--out",
                                            str(tmp_path / "r")], {**common, **kw}),
        "gan": lambda **kw: training_config("nl", kw.get("alpha", 1e-4), GanSpec(), kw.get("steps", 10), 5,
                                            kw.get("seed", 0)),
    }


def _cli(argv, values):
    try:
        code = main(argv + [f"--{k}={v}" for k, v in values.items()])
    except SystemExit as exc:  # argparse's refusal of a flag's value
        code = exc.code
    if code == 2:
        raise SosverifyError("refused")
    return code


RUN_LEVEL = [("alpha", 0.0), ("alpha", -1.0), ("steps", 0), ("runs", 0), ("seed", -1)]


@pytest.mark.parametrize("name,value", RUN_LEVEL, ids=[f"{n}={v}" for n, v in RUN_LEVEL])
def test_a_run_level_setting_is_refused_alike_by_every_entry_point(name, value, tmp_path, capsys):
    import sosverify.settings as S

    setting = {"alpha": S.ALPHA, "steps": S.STEPS, "runs": S.RUNS, "seed": S.SEED}[name]
    gan = {"alpha": S.LR, "steps": S.ITERATIONS}.get(name, setting)  # the GAN's rate and iterations
    expected = f"{setting.help} must be {setting.requirement}"
    for where, call in _entry_points(tmp_path).items():
        if where == "gan" and name == "runs":
            continue  # a training is one run
        with pytest.raises(SosverifyError) as info:
            call(**{name: value})
        if not where.startswith("cli"):
            mine = gan if where == "gan" else setting
            assert f"{mine.help} must be {mine.requirement}" in str(info.value), where
    err = capsys.readouterr().err
    assert err.count(expected) == 2  # the two command lines, one line each


def test_changing_the_one_declaration_changes_every_entry_point(tmp_path):
    """Planted: a tighter bound on steps in the one declaration is seen by the API, the reproductions, the
    command line and the GAN alike (a copy of the check anywhere would still accept 3 steps)."""
    import sosverify.settings as S

    for call in _entry_points(tmp_path).values():
        call(steps=3)  # accepted as declared
    object.__setattr__(S.STEPS, "high", 2)  # a frozen dataclass: the one object every module holds
    try:
        for where, call in _entry_points(tmp_path).items():
            if where == "gan":
                object.__setattr__(S.ITERATIONS, "high", 2)
            with pytest.raises(SosverifyError):
                call(steps=3)
    finally:
        object.__setattr__(S.STEPS, "high", S.MAX_STEPS)
        object.__setattr__(S.ITERATIONS, "high", S.MAX_STEPS)


def test_an_integer_beyond_any_float_is_refused_in_one_line_not_an_overflow(tmp_path):
    """A real-valued setting given a huge integer (10**400) is out of range, said in one line: its float
    conversion must not escape as an OverflowError."""
    from sosverify.games.gmm import GanSpec

    for call in (lambda: run("tandem", "nl", alpha=10 ** 400, steps=2),
                 lambda: training_config("nl", 10 ** 400, GanSpec(), 10, 5, 0)):
        with pytest.raises(SosverifyError, match="must be a positive finite number, got an integer of 401 digits"):
            call()


PLAN_BAD = [("gmm", {"iterations": 0}), ("gmm", {"iterations": -5}), ("gmm", {"eval_every": 0}),
            ("gmm", {"shaping_alpha": [-1.0]}), ("gmm", {"alphas": [0.0]}), ("tandem", {"alphas": [-1.0]}),
            ("tandem", {"seeds": [-1]}), ("gmm", {"seeds": [2 ** 63]})]


@pytest.mark.parametrize("game,given", PLAN_BAD, ids=[f"{g}-{k}" for g, d in PLAN_BAD for k in d])
def test_a_sweeps_plan_checks_its_run_level_settings(game, given):
    """``sweep.plan`` (the API under ``sosverify sweep``) refuses what the flags refuse: a GAN sweep's
    iterations of 0 are not the preset's default, and no task is planned with a rate or seed out of range."""
    from sosverify.sweep import plan

    given = dict(given)
    alphas, seeds = given.pop("alphas", [1e-3]), given.pop("seeds", [0])
    with pytest.raises(SosverifyError, match="must be"):
        plan(game, ["sos"], alphas, seeds, **given)


def test_a_gan_sweep_takes_one_shaping_alpha_as_a_list_of_one():
    from sosverify.sweep import plan

    assert plan("gmm", ["sos"], [1e-3], [0], shaping_alpha=0.03) == plan("gmm", ["sos"], [1e-3], [0],
                                                                          shaping_alpha=[0.03])


def test_the_audits_game_defaults_come_from_the_one_declaration(tmp_path):
    """Planted: another default in sosverify.settings' GAME_ALPHA / GAME_STEPS is what ``audit --game``
    runs with when the flags are not given (a copy of the defaults elsewhere would keep 1 and 1000)."""
    from pathlib import Path

    import sosverify.settings as S
    from sosverify.cli.audit import _game

    pytest.importorskip("pygambit")
    nfg = Path(__file__).parent.parent / "experiments" / "games" / "2x2x2.nfg"
    args = build_parser().parse_args(["audit", "la", "--game", str(nfg)])
    object.__setattr__(S.GAME_ALPHA, "default", 0.25)
    object.__setattr__(S.GAME_STEPS, "default", 7)
    try:
        got = _game(args, ["game-runs"], ("game-equilibria", "game-runs"))
    finally:
        object.__setattr__(S.GAME_ALPHA, "default", 1.0)
        object.__setattr__(S.GAME_STEPS, "default", 1000)
    assert (got["game_alpha"], got["game_steps"]) == (0.25, 7)
