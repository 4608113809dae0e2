"""Normal-form games from payoff arrays or Gambit ``.nfg`` files, as differentiable games over
softmax logits.

A normal-form game has ``n`` players; player ``i`` has ``k_i`` pure strategies and a payoff array
``u_i`` of shape ``(k_1, …, k_n)``: ``u_i[s_1, …, s_n]`` is what player ``i`` receives when each
player ``j`` plays ``s_j``.  For two players this is Nashpy's convention: ``A`` holds the row
player's payoffs and ``B`` the column player's, both of shape ``(k_1, k_2)``.

As a differentiable game, player ``i`` plays the mixed strategy

.. math::

   p_{i,k} = \\frac{e^{\\theta_{i,k}}}{\\sum_{l=1}^{k_i} e^{\\theta_{i,l}}},
   \\qquad \\theta_{i,k_i} = 0,

a softmax of logits whose **last logit is fixed at 0** (softmax is unchanged when one number is
added to every logit, so one of the ``k_i`` logits is redundant): player ``i`` has ``k_i − 1``
parameters, and with two strategies ``p_{i,1} = σ(θ_i)``, the sigmoid of the paper's matching
pennies.  Losses are negative expected payoffs,

.. math::

   L^i(\\theta) = -\\sum_{s} u_i[s] \\prod_j p_{j, s_j}.

A Nash equilibrium whose every strategy is played with positive probability (an *interior*
one) is a point ``θ̄`` with ``ξ(θ̄) = 0`` at ``θ̄_{i,k} = log(p_{i,k} / p_{i,k_i})``.  An
equilibrium on the boundary of the simplex (a pure one, or one with a strategy played with
probability 0) is reached only as some logits go to ±∞: it is not a fixed point of ξ in logit
space, it lies at infinity.

>>> g = from_payoffs([[1, -1], [-1, 1]], [[-1, 1], [1, -1]], name="pennies")
>>> g.dims
(1, 1)
>>> import numpy
>>> numpy.round(g.losses(numpy.array([[5.0, 0.0]])), 6) + 0.0  # p_1 = (σ(5), 1 − σ(5)), p_2 = (1/2, 1/2)
array([[0.],
       [0.]])
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy

from sosverify._autodiff import np, stop_gradient
from sosverify.errors import SosverifyError
from sosverify.game import Game

#: Most pure-strategy profiles a game may have (the losses sum over all of them).
MAX_PROFILES = 100_000
#: The largest float: a payoff of larger magnitude has none, and the numeric game refuses it.
MAX_FLOAT_PAYOFF = sys.float_info.max


def _exact(value, where: str) -> Fraction:
    """A payoff as an exact fraction: integers and fractions as they are, a float as the decimal it
    prints as (``0.1`` is 1/10, as in :func:`sosverify.expressions.to_expression`)."""
    if isinstance(value, bool):
        raise SosverifyError(f"{where}: a payoff must be a number, got {value!r}")
    if isinstance(value, (int, numpy.integer, Fraction)):
        return Fraction(int(value)) if isinstance(value, numpy.integer) else Fraction(value)
    if isinstance(value, (float, numpy.floating)):
        if not math.isfinite(value):
            raise SosverifyError(f"{where}: payoffs must be finite, got {value!r}")
        return Fraction(repr(float(value)))
    try:  # SymPy Rational, Decimal, pygambit's Rational/Decimal
        import sympy

        if isinstance(value, sympy.Basic):
            if not (value.is_Rational or value.is_Float):
                raise SosverifyError(f"{where}: a payoff must be a rational number, got {value}")
            return Fraction(str(sympy.Rational(value)))
        frac = Fraction(str(value))
    except (ValueError, TypeError, ZeroDivisionError):
        raise SosverifyError(f"{where}: a payoff must be a number, got {value!r}"[:200]) from None
    return frac


@dataclass(frozen=True)
class NormalForm:
    """A finite game in normal form with exact payoffs.

    Args:
      payoffs: one array per player, each of shape ``(k_1, …, k_n)`` (entries :class:`Fraction`).
      name: short identifier.
      players: a label per player.
      strategies: a tuple of labels per player.
    """

    payoffs: tuple
    name: str = "normal-form"
    players: tuple = ()
    strategies: tuple = ()
    source: str = field(default="arrays", compare=False)

    @property
    def n_players(self) -> int:
        return len(self.payoffs)

    @property
    def shape(self) -> tuple:
        """Pure strategies per player, ``(k_1, …, k_n)``."""
        return self.payoffs[0].shape

    @property
    def dims(self) -> tuple:
        """Parameters per player, ``k_i − 1`` (the last logit is fixed at 0)."""
        return tuple(k - 1 for k in self.shape)

    def float_payoffs(self) -> numpy.ndarray:
        """All payoffs as one float array of shape ``(n, k_1, …, k_n)``; a payoff beyond floating point
        (magnitude above :data:`MAX_FLOAT_PAYOFF`, e.g. ``1e400``) is one clear error naming it."""
        out = numpy.empty((self.n_players,) + self.shape)
        for i, u in enumerate(self.payoffs):
            for idx in numpy.ndindex(*self.shape):
                try:
                    out[(i,) + idx] = float(u[idx])
                except OverflowError:
                    value = (Decimal(u[idx].numerator) / Decimal(u[idx].denominator)).normalize()
                    raise SosverifyError(
                        f"game {self.name!r}: player {i + 1}'s payoff at {idx} is {value:.6g}, beyond floating point: "
                        f"the learning rules need payoffs of magnitude at most {MAX_FLOAT_PAYOFF:.4g} (rescale them: a "
                        "positive affine map of a player's payoffs keeps the Nash equilibria)") from None
        return out

    def rescaled(self) -> NormalForm:
        """The same game with each player's payoffs mapped to [0, 1] by the positive affine map
        ``u_i ↦ (u_i − min u_i) / (max u_i − min u_i)`` (a player whose payoffs are all equal gets 0
        everywhere).  Such a map keeps every player's preferences over mixed strategies, so the game has
        exactly the same Nash equilibria; the learning dynamics are not kept (ξ scales with the payoffs)."""
        out = []
        for u in self.payoffs:
            lo, hi = min(u.flat), max(u.flat)
            e = numpy.empty(self.shape, dtype=object)
            for idx in numpy.ndindex(*self.shape):
                e[idx] = (u[idx] - lo) / (hi - lo) if hi != lo else Fraction(0)
            e.setflags(write=False)
            out.append(e)
        return NormalForm(tuple(out), self.name, self.players, self.strategies, self.source)

    def game(self) -> Game:
        """The numeric :class:`~sosverify.game.Game` (losses = negative expected payoffs over softmax logits)."""
        return _numeric_game(self)

    def symbolic(self):
        """The same game as a :class:`~sosverify.symbolic.game.SymGame` (exact payoffs, SymPy ``exp``),
        for :func:`sosverify.symbolic.analyse.analyse`.  Player ``i`` owns ``t{i}_1 … t{i}_{k_i−1}``."""
        return _symbolic_game(self)

    def mixed(self, theta) -> list:
        """Each player's mixed strategy ``(R, k_i)`` at logits ``theta`` ``(R, d)`` (float)."""
        theta = numpy.atleast_2d(numpy.asarray(theta, dtype=float))
        if theta.shape[-1] != sum(self.dims):
            raise SosverifyError(f"game {self.name!r}: logits must have {sum(self.dims)} columns, got {theta.shape}")
        out, start = [], 0
        for d in self.dims:
            z = numpy.concatenate([theta[:, start:start + d], numpy.zeros((theta.shape[0], 1))], axis=1)
            with numpy.errstate(invalid="ignore"):
                z = z - z.max(axis=1, keepdims=True)
                e = numpy.exp(z)
                out.append(e / e.sum(axis=1, keepdims=True))
            start += d
        return out

    def logits(self, strategies) -> numpy.ndarray | None:
        """The logits ``log(p_k / p_last)`` of a profile of mixed strategies (one sequence per player),
        or ``None`` when some strategy has probability 0: that profile lies at infinity."""
        if any(float(p) <= 0 for s in strategies for p in s):
            return None
        return numpy.array([math.log(float(Fraction(p) / Fraction(s[-1]))) for s in strategies for p in s[:-1]])

    def expected_payoffs(self, strategies) -> list:
        """Each player's expected payoff (exact) under a profile of exact mixed strategies."""
        out = []
        for u in self.payoffs:
            total = Fraction(0)
            for idx in numpy.ndindex(*self.shape):
                w = Fraction(1)
                for j, s in enumerate(idx):
                    w *= Fraction(strategies[j][s])
                if w:
                    total += w * u[idx]
            out.append(total)
        return out


def normal_form(*payoffs, name: str = "normal-form", players=None, strategies=None, source: str = "arrays") -> NormalForm:
    """Check payoff arrays and make a :class:`NormalForm`.

    Two players: ``normal_form(A, B)`` (Nashpy's convention) or ``normal_form(A)`` for the
    zero-sum game ``B = −A``.  ``n`` players: ``n`` arrays, each with ``n`` axes.
    """
    if not payoffs:
        raise SosverifyError("a normal-form game needs one payoff array per player")
    if len(payoffs) == 1:
        A = numpy.asarray(payoffs[0], dtype=object)
        if A.ndim != 2:
            raise SosverifyError(f"one payoff array is a two-player zero-sum game (B = -A) and must be a matrix, "
                                 f"got {A.ndim} axes")
        try:
            payoffs = (A, -A)
        except TypeError:  # entries that are not numbers (strings, None): named below, entry by entry
            payoffs = (A, A)
    arrays = []
    for i, u in enumerate(payoffs):
        try:
            a = numpy.array(u, dtype=object)
        except ValueError:
            a = None
        if a is None or any(isinstance(v, (list, tuple, numpy.ndarray)) for v in a.flat):
            raise SosverifyError(f"player {i + 1}'s payoffs are not a rectangular array")
        arrays.append(a)
    n = len(arrays)
    shape = arrays[0].shape
    for i, a in enumerate(arrays):
        if a.ndim != n:
            raise SosverifyError(f"player {i + 1}'s payoffs have {a.ndim} axes; a game of {n} players needs {n} "
                                 "(one per player's strategy)")
        if a.shape != shape:
            raise SosverifyError(f"player {i + 1}'s payoffs have shape {a.shape}, player 1's {shape}; they must match")
    if any(k < 2 for k in shape):
        raise SosverifyError(f"every player needs at least 2 strategies, got {shape} (a player with one strategy "
                             "has nothing to learn: drop them)")
    if math.prod(shape) > MAX_PROFILES:
        raise SosverifyError(f"{math.prod(shape):,} pure-strategy profiles; at most {MAX_PROFILES:,} are supported")
    exact = []
    for i, a in enumerate(arrays):
        e = numpy.empty(shape, dtype=object)
        for idx in numpy.ndindex(*shape):
            e[idx] = _exact(a[idx], f"player {i + 1}'s payoff at {idx}")
        e.setflags(write=False)
        exact.append(e)
    players = tuple(players) if players else tuple(f"player {i + 1}" for i in range(n))
    strategies = (tuple(tuple(s) for s in strategies) if strategies
                  else tuple(tuple(str(k + 1) for k in range(kk)) for kk in shape))
    if len(players) != n or len(strategies) != n or any(len(s) != k for s, k in zip(strategies, shape)):
        raise SosverifyError("labels must give one name per player and one per strategy")
    return NormalForm(tuple(exact), str(name), players, strategies, source)


def _as_normal_form(game) -> NormalForm:
    """A :class:`NormalForm` as it is; a :class:`Game` made by :func:`from_payoffs` rebuilt from its params."""
    if isinstance(game, NormalForm):
        return game
    if isinstance(game, Game) and "normal_form" in game.params:
        return from_record(game.params["normal_form"], game.name)
    raise SosverifyError(f"game {getattr(game, 'name', game)!r} is not a normal-form game (make one with from_payoffs "
                         "or read_nfg)")


def from_record(record: dict, name: str = "normal-form") -> NormalForm:
    """The :class:`NormalForm` of a game's JSON record (``game.params["normal_form"]``: exact payoffs as
    integers and ``"p/q"`` strings, labels, source), as a sweep's task carries it to its worker."""
    try:
        payoffs = [numpy.vectorize(Fraction, otypes=[object])(numpy.array(u, dtype=object)) for u in record["payoffs"]]
        return normal_form(*payoffs, name=name, players=record["players"], strategies=record["strategies"],
                           source=record["source"])
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
        raise SosverifyError(f"not the record of a normal-form game: {type(exc).__name__}: {exc}"[:300]) from None


def _numeric_game(nf: NormalForm) -> Game:
    n, dims = nf.n_players, nf.dims
    U = nf.float_payoffs().reshape(n, -1).T  # (K, n): column i is player i's payoff per pure profile
    shape = nf.shape

    def mixed(t):
        # softmax over (θ_1, …, θ_{k−1}, 0); the shift by the (stopped) max changes nothing but overflow
        z = np.concatenate([t, 0.0 * t[:, :1]], axis=1)
        z = z - stop_gradient(np.max(z, axis=1, keepdims=True))
        e = np.exp(z)
        return e / np.sum(e, axis=1, keepdims=True)

    def losses(p):
        runs = p[0].shape[0]
        joint = mixed(p[0])  # (R, k_1), then (R, k_1, k_2), …: the product distribution over profiles
        for j in range(1, n):
            joint = joint[..., None] * np.reshape(mixed(p[j]), (runs,) + (1,) * j + (shape[j],))
        return -np.transpose(np.dot(np.reshape(joint, (runs, -1)), U))  # (n, R)

    params = {"normal_form": {"payoffs": [numpy.vectorize(_plain, otypes=[object])(u).tolist() for u in nf.payoffs],
                              "players": list(nf.players), "strategies": [list(s) for s in nf.strategies],
                              "source": nf.source}}
    desc = f"{'×'.join(map(str, shape))} normal-form game, softmax logits (last fixed at 0), L = -expected payoff"
    return Game(nf.name, dims, losses, init_std=1.0, description=desc, params=params)


def _plain(v: Fraction):
    """An exact payoff for a JSON record: an int when integral, else the string ``"p/q"``."""
    return int(v) if v.denominator == 1 else str(v)


def logit_symbols(shape) -> list:
    """Player ``i``'s logit symbols ``t{i}_1 … t{i}_{k_i−1}`` (real)."""
    import sympy

    return [list(sympy.symbols(f"t{i + 1}_1:{k}", real=True)) for i, k in enumerate(shape)]


def differences(u) -> numpy.ndarray:
    """The coefficients of an expected payoff as a polynomial in the probabilities of every strategy
    but each player's last: along each axis ``j``, entry ``k`` < last becomes ``u[…k…] − u[…last…]`` and
    the last entry stays.  Since ``p_{j,last} = 1 − Σ_{k<last} p_{j,k}``,

    .. math::

       \\sum_s u[s] \\prod_j p_{j,s_j} = \\sum_a c[a] \\prod_{j:\\,a_j \\neq \\mathrm{last}} p_{j,a_j},

    the same function, written so that a payoff that does not depend on player ``j``'s strategy has no
    term in ``p_j`` (a constant game's expected payoff is the constant itself).

    >>> differences(numpy.array([[Fraction(3), Fraction(0)], [Fraction(5), Fraction(1)]], dtype=object)).tolist()
    [[Fraction(-1, 1), Fraction(-1, 1)], [Fraction(4, 1), Fraction(1, 1)]]
    """
    c = numpy.array(u, dtype=object)
    for axis in range(c.ndim):
        c = numpy.moveaxis(c, axis, 0).copy()
        c[:-1] = c[:-1] - c[-1]
        c = numpy.moveaxis(c, 0, axis)
    return c


def _symbolic_game(nf: NormalForm):
    """The SymGame of a normal-form game.  Each loss is written by :func:`differences`, as a polynomial in
    the probabilities of all strategies but the last: the same function as ``−Σ_s u[s] Π_j p_{j,s_j}``,
    but where that sum is constant in a player's logits (a constant game, a player whose payoff ignores its
    own strategy) the expression has no such logit, so ξ is exactly 0 there and the analysis finds the
    family of fixed points rather than isolated points of an unsimplified ξ that only vanishes numerically."""
    import sympy

    from sosverify.symbolic.game import SymGame

    players = logit_symbols(nf.shape)
    probs = []
    for group in players:
        den = 1 + sum(sympy.exp(t) for t in group)
        probs.append([sympy.exp(t) / den for t in group])  # the last strategy's probability is 1 − their sum
    last = tuple(k - 1 for k in nf.shape)
    losses = []
    for u in nf.payoffs:
        c = differences(u)
        total = sympy.Integer(0)
        for idx in numpy.ndindex(*nf.shape):
            if c[idx]:
                total += sympy.Rational(c[idx].numerator, c[idx].denominator) * sympy.Mul(
                    *[probs[j][s] for j, s in enumerate(idx) if s != last[j]])
        losses.append(-total)
    return SymGame(losses, players, name=nf.name)


def from_payoffs(*payoffs, name: str = "normal-form", players=None, strategies=None) -> Game:
    """A :class:`~sosverify.game.Game` from payoff arrays: ``from_payoffs(A, B)`` for two players
    (Nashpy's convention: ``A`` the row player's payoffs, ``B`` the column player's), ``from_payoffs(A)``
    for zero-sum ``B = −A``, or one ``n``-axis array per player.

    Mixed strategies are softmaxes of logits with the **last logit fixed at 0**, so a player with
    ``k`` strategies has ``k − 1`` parameters (two strategies: ``p = σ(θ)``); losses are negative
    expected payoffs (see the module docstring).

    >>> g = from_payoffs([[3, 0], [5, 1]], [[3, 5], [0, 1]], name="prisoners-dilemma")
    >>> g.dims, g.params["normal_form"]["payoffs"][0]
    ((1, 1), [[3, 0], [5, 1]])
    """
    return normal_form(*payoffs, name=name, players=players, strategies=strategies).game()


def symbolic_from_payoffs(*payoffs, name: str = "normal-form"):
    """The :class:`~sosverify.symbolic.game.SymGame` of :func:`from_payoffs` (same arguments)."""
    return normal_form(*payoffs, name=name).symbolic()


# ---------------------------------------------------------------- Gambit


def gambit():
    """The ``pygambit`` module, or one clear error saying how to install it."""
    try:
        import pygambit
    except ImportError:
        raise SosverifyError("this needs pygambit (Gambit's Python API): pip install \"sosverify[gambit]\"") from None
    return pygambit


def read_nfg(path) -> NormalForm:
    """A Gambit strategic-form file (``.nfg``) as a :class:`NormalForm` (read with pygambit)."""
    path = Path(path)
    if path.is_dir():  # a directory, or a link to one
        raise SosverifyError(f"{str(path)[:200]} is a directory, not a .nfg file: give a Gambit strategic-form file")
    if not path.exists():
        raise SosverifyError(f"no such .nfg file: {str(path)[:200]}")
    if not path.is_file():
        raise SosverifyError(f"{str(path)[:200]} is not a regular file: give a Gambit strategic-form .nfg file")
    gbt = gambit()
    try:
        g = gbt.read_nfg(str(path))
    except Exception as exc:  # pygambit raises its own errors for a malformed file
        raise SosverifyError(f"{path.name}: not a Gambit strategic-form game ({type(exc).__name__}: {exc})"[:300]) from None
    return from_gambit(g, name=path.stem, source=str(path.name))


def from_gambit(g, name: str | None = None, source: str = "pygambit") -> NormalForm:
    """A pygambit game (strategic form) as a :class:`NormalForm`, payoffs exact."""
    players = list(g.players)
    if len(players) < 2:  # one array would be read as the zero-sum shorthand of normal_form
        raise SosverifyError(f"{source}: {len(players)} player{'' if len(players) == 1 else 's'} found; a game here "
                             "needs at least 2 players, each with at least 2 strategies")
    shape = tuple(len(p.strategies) for p in players)
    arrays = [numpy.empty(shape, dtype=object) for _ in players]
    for idx in numpy.ndindex(*shape):
        profile = g[list(idx)]
        for i, p in enumerate(players):
            arrays[i][idx] = _exact(profile[p], f"payoff of {p.label!r} at {idx}")
    return normal_form(*arrays, name=name or (g.title or "gambit").strip() or "gambit",
                       players=[p.label or f"player {i + 1}" for i, p in enumerate(players)],
                       strategies=[[s.label or str(k + 1) for k, s in enumerate(p.strategies)] for p in players],
                       source=source)


def to_gambit(nf: NormalForm):
    """The pygambit game of a :class:`NormalForm` (exact payoffs)."""
    gbt = gambit()
    arrays = [numpy.vectorize(lambda v: gbt.Rational(v.numerator, v.denominator), otypes=[object])(u)
              for u in nf.payoffs]
    g = gbt.Game.from_arrays(*arrays, title=nf.name)
    for p, label, strategies in zip(g.players, nf.players, nf.strategies):
        p.label = label
        for s, sl in zip(p.strategies, strategies):
            s.label = sl
    return g


def as_normal_form(game) -> NormalForm:
    """The :class:`NormalForm` behind a game made here (a ``Game`` from :func:`from_payoffs`, a path to
    an ``.nfg`` file, or a :class:`NormalForm`)."""
    if isinstance(game, (str, Path)) and str(game).lower().endswith(".nfg"):
        return read_nfg(game)
    return _as_normal_form(game)

