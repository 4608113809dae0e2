"""A rule of one's own joins by one record: registered here, and nowhere else touched, it runs through
the shared suite, the theorems' properties, ``audit``, ``run`` and ``sosverify algorithms``.

The rule is a linearised extragradient, ``(I − αH) ξ`` (the first-order Taylor expansion of EG's
``ξ(θ − αξ)``), with its exact form written in the symbolic layer's terms.  Its audit verdicts are
what the theory gives: at a fixed point with H's eigenvalue ``λ = a + bi`` the map's Jacobian has
``λ − αλ²``, of real part ``a + α(b² − a²)``, which keeps a stable point stable for small α (and
makes NL's cycles, ``a = 0``, converge) and a strict saddle's ``a < 0`` negative; ``α = 0`` is ξ;
``⟨ξ − αHξ, ξ⟩ = ‖ξ‖² − α ξᵀHξ ≥ 0`` near fixed points for small α.
"""

import numpy
import pytest
import sympy
import test_rule_suite as suite
import test_theorems as theorems

from sosverify import derivatives as D
from sosverify.algorithms import ALGORITHMS, PROPERTIES, Algorithm, Direction, register, unregister
from sosverify.audit import audit, render_markdown
from sosverify.cli import main
from sosverify.errors import SosverifyError
from sosverify.games import get_game
from sosverify.runner import run
from sosverify.symbolic.rules import matrix


def linearised_eg(game, theta, *, alpha):
    """``(I − αH) ξ``: one Hessian-vector product."""
    s = D.second_order(game, theta, ("H_xi",))
    return Direction(s.first.xi - alpha * s.H_xi, s.first.losses, s.first.xi, {})


def linearised_eg_exact(game, at, alpha):
    a = sympy.Rational(alpha)
    return matrix((sympy.eye(game.dim) - a * game.H) * game.xi, at), {"-"}, sympy.oo


RULE = Algorithm("leg", linearised_eg, {}, "linearised extragradient: (I - alpha H) xi",
                 exact=linearised_eg_exact, properties={p: "holds" for p in PROPERTIES})

SHARED = [suite.test_direction_has_the_shape_and_dtype_of_theta, suite.test_batched_runs_equal_one_run_at_a_time,
          suite.test_same_seed_gives_the_same_numbers_and_theta_is_not_changed,
          suite.test_finite_input_gives_a_finite_direction, suite.test_direction_agrees_with_the_symbolic_formula,
          suite.test_direction_agrees_with_the_symbolic_formula_under_the_sigmoid,
          theorems.test_property_rules_leave_every_fixed_point_fixed]


@pytest.fixture
def registered():
    register(RULE)
    try:
        yield RULE
    finally:
        unregister(RULE.name)


def test_a_rule_registered_as_one_record_passes_the_shared_suite(registered):
    for check in SHARED:
        check(name=registered.name)
    theorems.check_scaling(registered.name, registered.scaling, theorems.TANDEM, (0, 0), 0.25, 2)


def test_a_rule_registered_as_one_record_is_audited_as_its_record_states(registered):
    report = audit(registered.name, properties=PROPERTIES, profile="quick")
    assert {f.property: f.status for f in report.findings} == dict(registered.properties), render_markdown([report])


def test_a_rule_registered_as_one_record_runs_and_is_listed(registered, capsys, tmp_path):
    history = run(get_game("tandem"), registered.name, alpha=0.05, steps=20, runs=4, seed=0)
    assert numpy.all(numpy.isfinite(history.params)) and history.params.shape == (21, 4, 2)
    assert main(["algorithms"]) == 0
    assert "leg" in capsys.readouterr().out
    assert main(["run", "tandem", "--algo", "leg", "--alpha", "0.05", "--steps", "5", "--runs", "2",
                 "--out", str(tmp_path), "--json"]) == 0
    assert '"leg"' in capsys.readouterr().out


def test_the_shared_suite_fails_a_rule_whose_exact_form_disagrees():
    """Planted: the record's exact form is ``(I + αH) ξ`` (a sign), so agreement must fail."""
    def wrong(game, at, alpha):
        return matrix((sympy.eye(game.dim) + sympy.Rational(alpha) * game.H) * game.xi, at), {"-"}, sympy.oo

    register(Algorithm("legwrong", linearised_eg, {}, "planted", exact=wrong))
    try:
        with pytest.raises(AssertionError):
            suite.test_direction_agrees_with_the_symbolic_formula(name="legwrong")
    finally:
        unregister("legwrong")


def test_registering_refuses_a_taken_name_a_bad_record_and_removing_a_built_in_rule():
    with pytest.raises(SosverifyError, match="a rule named 'sos' is already registered"):
        register(Algorithm("sos", linearised_eg))
    with pytest.raises(SosverifyError, match="properties must map some of consistency"):
        Algorithm("x", linearised_eg, properties={"speed": "holds"})
    with pytest.raises(SosverifyError, match="scaling names \\['gamma'\\], which are not its settings"):
        Algorithm("x", linearised_eg, scaling={"gamma": lambda g, c: g})
    with pytest.raises(SosverifyError, match="a registered rule's name is lower-case letters"):
        register(Algorithm("My Rule", linearised_eg))
    with pytest.raises(SosverifyError, match="'sos' is a built-in rule and stays registered"):
        unregister("sos")
    assert "leg" not in ALGORITHMS
