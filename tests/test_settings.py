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
        expected = f"{setting.help} must be a finite number {setting.allowed}"
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
    assert len(err) == 1 and f"{setting.help} must be a finite number {setting.allowed}" in err[0]


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
