"""ξ, H_oξ, χ, Hξ, Hᵀξ and dense H of every built-in game against finite differences."""

import numpy
import pytest
import sympy
from conftest import FDQuantities, assert_close

from sosverify import derivatives as D
from sosverify.backends import use_backend
from sosverify.expressions import from_expressions
from sosverify.games import GAMES, get_game

# Finite differences with h = 1e-3 on second derivatives carry O(h²) ≈ 1e-6 truncation and
# O(ε/h²) ≈ 1e-10 round-off, scaled by the size of the derivatives: rtol 1e-5 leaves room for both.
FD_RTOL, FD_ATOL = 1e-5, 1e-6


# The games without data; the GAN's derivatives are checked at a small size in test_gan.py.
SMALL_GAMES = sorted(n for n in GAMES if n != "gmm")


def _points(game, rng, runs=3):
    return rng.normal(0.0, 1.0, size=(runs, game.dim))


@pytest.mark.parametrize("backend", ["autograd", pytest.param("jax", marks=pytest.mark.slow)])  # JAX compiles: tox -e slow
@pytest.mark.parametrize("name", SMALL_GAMES)
def test_derivatives_agree_with_finite_differences_on_each_backend(name, backend, rng):
    game = get_game(name)
    theta = _points(game, rng)
    fd = FDQuantities(game, theta)
    with use_backend(backend):
        s = D.second_order(game, theta, ("H_o_xi", "chi", "H_xi", "Ht_xi"))
        H = D.hessian(game, theta)
    assert_close(s.first.xi, fd.xi, rtol=1e-7, atol=1e-8, err_msg="xi")  # first differences, h = 1e-5
    assert_close(s.first.grads, fd.grads, rtol=1e-7, atol=1e-8, err_msg="all gradients")
    for term in ("H_o_xi", "chi", "H_xi", "Ht_xi"):
        assert_close(getattr(s, term), getattr(fd, term), rtol=FD_RTOL, atol=FD_ATOL, err_msg=term)
    assert_close(H, fd.H, rtol=FD_RTOL, atol=FD_ATOL, err_msg="dense H")
    assert_close(D.off_diagonal(game, H), fd.H_o, rtol=FD_RTOL, atol=FD_ATOL, err_msg="H_o")
    assert_close(D.diagonal_blocks(game, H), fd.H - fd.H_o, rtol=FD_RTOL, atol=FD_ATOL, err_msg="H_d")


@pytest.mark.parametrize("name", SMALL_GAMES)
def test_hessian_vector_products_equal_dense_hessian_products(name, rng):
    game = get_game(name)
    theta = _points(game, rng)
    H = D.hessian(game, theta)
    xi = D.xi(game, theta)
    # Same derivatives by two autograd routes: agreement to rounding.
    assert_close(D.H_xi(game, theta), numpy.einsum("rab,rb->ra", H, xi), rtol=1e-10, atol=1e-12)
    assert_close(D.Ht_xi(game, theta), numpy.einsum("rba,rb->ra", H, xi), rtol=1e-10, atol=1e-12)
    assert_close(D.H_o_xi(game, theta), numpy.einsum("rab,rb->ra", D.off_diagonal(game, H), xi),
                 rtol=1e-10, atol=1e-12)


def _three_player_cubic(rng):
    """3 players, 2 parameters each; every loss a random cubic in all 6 parameters."""
    syms = sympy.symbols("a1 a2 b1 b2 c1 c2", real=True)
    losses = []
    for _ in range(3):
        expr = 0
        for i in range(6):
            expr += sympy.Rational(int(rng.integers(-5, 6)), 3) * syms[i]
            for j in range(i, 6):
                expr += sympy.Rational(int(rng.integers(-5, 6)), 4) * syms[i] * syms[j]
                expr += sympy.Rational(int(rng.integers(-3, 4)), 7) * syms[i] * syms[j] * syms[(i + j) % 6]
        losses.append(expr)
    return from_expressions(losses, [syms[0:2], syms[2:4], syms[4:6]], name="cubic3")


def test_three_player_derivatives_agree_with_finite_differences(rng):
    game = _three_player_cubic(rng)
    theta = _points(game, rng, runs=4)
    fd = FDQuantities(game, theta)
    s = D.second_order(game, theta, ("H_o_xi", "chi", "H_xi", "Ht_xi"))
    for term in ("H_o_xi", "chi", "H_xi", "Ht_xi"):
        assert_close(getattr(s, term), getattr(fd, term), rtol=FD_RTOL, atol=FD_ATOL, err_msg=term)


def test_finite_difference_check_catches_a_chi_with_flipped_index(rng):
    """χ built from ∇_i∇_j L^i (the wrong loss) instead of ∇_i∇_j L^j must fail the check."""
    game = get_game("ipd")
    theta = _points(game, rng)
    fd = FDQuantities(game, theta)
    H = D.hessian(game, theta)  # rows: player i's own loss
    G = D.first_order(game, theta).grads
    wrong = numpy.zeros_like(theta)
    for i, si in enumerate(game.slices):
        for j, sj in enumerate(game.slices):
            if j != i:
                wrong[:, si] += numpy.einsum("rab,rb->ra", H[:, si, sj], G[i][:, sj])
    with pytest.raises(AssertionError):
        assert_close(wrong, fd.chi, rtol=FD_RTOL, atol=FD_ATOL)
    assert_close(D.chi(game, theta), fd.chi, rtol=FD_RTOL, atol=FD_ATOL)


def test_tandem_closed_forms():
    """SPEC §3: H = 2[[1,1],[1,1]] everywhere and χ = 4(x+y)(1,1)."""
    game = get_game("tandem")
    theta = numpy.array([[0.3, 0.7], [2.0, -1.5], [-0.25, 0.1]])
    s = (theta[:, 0] + theta[:, 1])[:, None]
    assert_close(D.hessian(game, theta), numpy.broadcast_to(2.0 * numpy.ones((2, 2)), (3, 2, 2)), rtol=0, atol=1e-14)
    assert_close(D.chi(game, theta), 4 * s * numpy.ones((1, 2)), rtol=1e-14, atol=1e-14)
    assert_close(D.xi(game, theta), (2 * s - 2) * numpy.ones((1, 2)), rtol=1e-14, atol=1e-14)


def test_a_dense_hessian_above_the_limit_is_refused_with_a_message_naming_it(monkeypatch):
    """check_dense guards every dense H (the limit lowered here so a small game exceeds it)."""
    from sosverify.errors import SosverifyError
    from sosverify.games import tandem

    monkeypatch.setattr(D, "DENSE_LIMIT", 2)
    D.check_dense(tandem())  # exactly at the limit: allowed
    monkeypatch.setattr(D, "DENSE_LIMIT", 1)
    with pytest.raises(SosverifyError) as info:
        D.hessian_and_first(tandem(), numpy.zeros((1, 2)))
    assert str(info.value) == ("a dense game Hessian needs a dense 2 x 2 matrix per run; game 'tandem' has 2 "
                               "parameters, above the limit of 1 (sosverify.derivatives.DENSE_LIMIT)")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_two_first_order_branches_agree(monkeypatch, dtype):
    """Above STACK_LIMIT parameters first_order makes one forward and one pullback per loss (the
    GAN's path) instead of stacked copies; both give the same losses, gradients and ξ."""
    from dataclasses import replace

    game = replace(get_game("matching-pennies"), dtype=dtype)
    theta = numpy.random.default_rng(4).standard_normal((3, game.dim)).astype(dtype)
    stacked = D.first_order(game, theta)
    monkeypatch.setattr(D, "STACK_LIMIT", 1)
    looped = D.first_order(game, theta)
    tol = 1e-12 if dtype == "float64" else 1e-5
    assert looped.xi.dtype == numpy.dtype(dtype)
    for a, b in zip(stacked, looped):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert_close(b, a, rtol=tol, atol=tol)


def test_second_order_of_a_one_player_game_still_returns_the_first_order_quantities():
    """χ and H_oξ of a one-player game are 0 with no product to take; "first" is still computed
    (LOLA and SOS read ξ and the losses from it), or passed through when given."""
    game = get_game("single-loss")
    theta = numpy.array([[0.5, -1.5], [2.0, 0.25]])
    s = D.second_order(game, theta, ("chi",))  # no Hessian-vector product to take at all
    assert_close(s.first.xi, D.xi(game, theta), rtol=0, atol=0)
    assert_close(s.chi, 0.0, rtol=0, atol=0)
    both = D.second_order(game, theta, ("chi", "H_o_xi"))
    assert_close(both.first.xi, D.xi(game, theta), rtol=0, atol=0)
    assert_close(both.H_o_xi, 0.0, rtol=0, atol=0)
    given = D.first_order(game, theta)
    assert D.second_order(game, theta, ("chi",), first=given).first is given


TERMS = ("H_o_xi", "chi", "H_xi", "Ht_xi")


@pytest.mark.parametrize("backend", ["autograd", pytest.param("jax", marks=pytest.mark.slow)])  # JAX compiles: tox -e slow
@pytest.mark.parametrize("name", SMALL_GAMES + ["cubic3"])
def test_mixed_partials_on_blocks_agree_with_finite_differences(name, backend, rng):
    """method="blocks" (the network games' path on JAX) on every small game and a 3-player cubic,
    forced on small games so the finite-difference oracle can check every term of it."""
    game = _three_player_cubic(rng) if name == "cubic3" else get_game(name)
    theta = _points(game, rng)
    fd = FDQuantities(game, theta)
    with use_backend(backend):
        s = D.second_order(game, theta, TERMS, method="blocks")
        copies = D.second_order(game, theta, TERMS, method="copies")
    for term in TERMS:
        assert_close(getattr(s, term), getattr(fd, term), rtol=FD_RTOL, atol=FD_ATOL, err_msg=term)
        # the two methods are two orders of the same sums: equal to rounding
        assert_close(getattr(s, term), getattr(copies, term), rtol=1e-11, atol=1e-12, err_msg=f"{term}: blocks vs copies")


@pytest.mark.parametrize("backend", ["autograd", pytest.param("jax", marks=pytest.mark.slow)])  # JAX compiles: tox -e slow
@pytest.mark.parametrize("name", SMALL_GAMES + ["cubic3"])
def test_the_dense_hessian_by_blocks_agrees_with_finite_differences_and_copies(name, backend, rng):
    """method="blocks" of the dense H (CGD, LSS and analysis on JAX: a stack of unit tangents per
    block, one primal pass): against finite differences, and the copies to rounding; the first-order
    quantities beside it are first_order's."""
    game = _three_player_cubic(rng) if name == "cubic3" else get_game(name)
    theta = _points(game, rng)
    fd = FDQuantities(game, theta)
    with use_backend(backend):
        H, first = D.hessian_and_first(game, theta, method="blocks")
        copies, first_c = D.hessian_and_first(game, theta, method="copies")
    assert_close(H, fd.H, rtol=FD_RTOL, atol=FD_ATOL, err_msg="dense H by blocks")
    assert_close(H, copies, rtol=1e-11, atol=1e-12, err_msg="dense H: blocks vs copies")
    assert_close(first.xi, first_c.xi, rtol=1e-12, atol=1e-13, err_msg="xi beside H")
    with pytest.raises(ValueError, match="unknown method 'dense'.*valid: copies, blocks"):
        D.hessian_and_first(game, theta, method="dense")


@pytest.mark.parametrize("backend", ["autograd", pytest.param("jax", marks=pytest.mark.slow)])  # JAX compiles: tox -e slow
def test_mixed_partials_on_blocks_agree_with_copies_on_a_float32_gan(backend):
    """The GAN (small, float32): both methods give the same products and keep float32."""
    game = get_game("gmm", hidden=8, layers=2, latent=4, batch=16).draw(numpy.random.default_rng(1), 2)
    theta = game.init(numpy.random.default_rng(0), 2)
    with use_backend(backend):
        blocks = D.second_order(game, theta, TERMS, method="blocks")
        copies = D.second_order(game, theta, TERMS, method="copies")
    for term in TERMS:
        assert numpy.asarray(getattr(blocks, term)).dtype == numpy.float32, term
        # float32 sums in another order: relative 1e-5 of the largest entry
        scale = float(numpy.max(numpy.abs(numpy.asarray(getattr(copies, term)))))
        assert_close(getattr(blocks, term), getattr(copies, term), rtol=1e-4, atol=1e-5 * scale, err_msg=term)


def test_a_mixed_partial_is_one_block_of_a_hessian_vector_product(rng):
    """mixed_partial(k, out, in, v) = block `out` of ∇²L^k · (v on block `in`): against central
    differences of ∇_out L^k along v, for a loss of another player, an own block and a cross block."""
    game = _three_player_cubic(rng)
    theta = _points(game, rng, runs=2)
    blocks = game.split(theta)
    h = 1e-5
    for k, out, inp in [(0, 1, 2), (2, 2, 2), (1, 0, 1)]:
        v = rng.standard_normal(blocks[inp].shape)
        step = numpy.zeros_like(theta)
        step[:, game.slices[inp]] = h * v
        grad_plus, grad_minus = (D.first_order(game, t).grads[k][:, game.slices[out]] for t in (theta + step, theta - step))
        expected = (grad_plus - grad_minus) / (2 * h)
        # central differences of a gradient: O(h²) truncation on cubic losses, rtol 1e-7
        assert_close(D.mixed_partial(game, blocks, k, out, inp, v), expected, rtol=1e-7, atol=1e-8,
                     err_msg=f"k={k} out={out} in={inp}")


@pytest.mark.slow  # JAX compiles (tox -e slow)
def test_products_are_taken_by_blocks_on_a_forward_mode_backend_and_by_copies_on_autograd(monkeypatch):
    """Default method: blocks on JAX whatever the size (SOS on the IPD 4-5x faster than copies,
    benchmarks/bench_backends.py); autograd (reverse over reverse) keeps copies."""
    game = get_game("tandem")
    theta = numpy.array([[0.3, 0.7]])
    calls = []
    original = D._second_order_by_blocks
    monkeypatch.setattr(D, "_second_order_by_blocks", lambda *a: calls.append(1) or original(*a))
    with use_backend("autograd"):
        D.second_order(game, theta)
    assert calls == []
    with use_backend("jax"):
        D.second_order(game, theta)
    assert calls == [1]
    with pytest.raises(ValueError, match="unknown method 'dense'.*valid: copies, blocks"):
        D.second_order(game, theta, method="dense")


@pytest.mark.parametrize("method", D.METHODS)
def test_scaled_shaping_terms_equal_dense_products_with_the_scaled_vectors(method, rng):
    # second_order(scale=s): H_o(s ⊙ ξ) and χ^s_i = Σ_{j≠i} (∇_i∇_j L^j)(s_j ⊙ ∇_j L^i), the terms of LA and
    # LOLA with the others' step predicted per coordinate (the GAN's predicted-step mode); a scale put on
    # player i's own block, or on the output instead of the vector, is caught by the non-constant s
    game = _three_player_cubic(rng)
    theta = rng.standard_normal((2, game.dim))
    scale = rng.uniform(0.1, 2.0, size=theta.shape)
    H, first = D.hessian_and_first(game, theta)
    H_o = D.off_diagonal(game, H)
    got = D.second_order(game, theta, ("H_o_xi", "chi"), scale=scale, method=method)
    assert_close(got.H_o_xi, numpy.einsum("rab,rb->ra", H_o, scale * first.xi), rtol=1e-10, atol=1e-12)
    chi = sum(game.masks[i] * numpy.einsum("rba,rb->ra", H_o, scale * first.grads[i]) for i in range(game.n_players))
    assert_close(got.chi, chi, rtol=1e-10, atol=1e-12)
    # a constant scale alpha is the paper's alpha H_o xi and alpha chi
    plain = D.second_order(game, theta, ("H_o_xi", "chi"), method=method)
    const = D.second_order(game, theta, ("H_o_xi", "chi"), scale=numpy.full(theta.shape, 0.3), method=method)
    for term in ("H_o_xi", "chi"):
        assert_close(getattr(const, term), 0.3 * getattr(plain, term), rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="H_o_xi and chi only"):
        D.second_order(game, theta, ("Ht_xi",), scale=scale)
