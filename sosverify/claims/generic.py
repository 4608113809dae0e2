"""Generic games for universal claims: symbolic coefficients, or random rational instances."""

from __future__ import annotations

import itertools

import numpy
import sympy

from sosverify.symbolic.game import SymGame


def monomials(symbols, degree: int):
    """All monomials of total degree 1..degree in ``symbols``."""
    out = []
    for k in range(1, degree + 1):
        for combo in itertools.combinations_with_replacement(symbols, k):
            out.append(sympy.Mul(*combo))
    return out


def generic_polynomial_game(dims, degree: int, name: str = "generic") -> SymGame:
    """Every loss a general polynomial of the given degree with its own symbolic coefficients."""
    players = []
    for i, d in enumerate(dims):
        players.append(list(sympy.symbols(f"t{i + 1}_1:{d + 1}", real=True)))
    flat = [s for g in players for s in g]
    losses, constants = [], []
    for i in range(len(dims)):
        terms = monomials(flat, degree)
        coeffs = sympy.symbols(f"c{i + 1}_0:{len(terms)}", real=True)
        losses.append(sum((c * m for c, m in zip(coeffs, terms)), sympy.Integer(0)))
        constants.extend(coeffs)
    return SymGame(losses, players, name=name, constants=constants)


def without_linear_terms(game: SymGame) -> SymGame:
    """The same game with every term of degree < 2 dropped, so θ = 0 is a fixed point (ξ(0) = 0)."""
    t = game.symbols
    losses = [sum((term for term in sympy.Add.make_args(loss) if sympy.Poly(term, *t).total_degree() >= 2),
                  sympy.Integer(0)) for loss in game.losses]
    return SymGame(losses, game.players, name=game.name, constants=game.constants)


def random_polynomial_game(rng: numpy.random.Generator, dims, degree: int, name: str = "random") -> SymGame:
    """Every loss a polynomial with small random rational coefficients."""
    players = [list(sympy.symbols(f"t{i + 1}_1:{d + 1}", real=True)) for i, d in enumerate(dims)]
    flat = [s for g in players for s in g]
    losses = []
    for _ in dims:
        terms = monomials(flat, degree)
        coeffs = [sympy.Rational(int(rng.integers(-6, 7)), int(rng.integers(1, 5))) for _ in terms]
        losses.append(sum((c * m for c, m in zip(coeffs, terms)), sympy.Integer(0)))
    return SymGame(losses, players, name=name)
