"""Exact solving of ξ = 0 (or LOLA's direction = 0) with an honest answer, under a time limit.

:func:`solve_exactly` returns one of

- ``{"status": "exact", "solutions": [...]}``: SymPy's solutions, and the list is complete
  (a polynomial system, solved by SymPy's Gröbner-basis solver, with every real solution kept);
- ``{"status": "none", "proof": ...}``: proved to have no real solution (a polynomial system whose
  Gröbner basis is {1}, or whose complex solutions are all non-real);
- ``{"status": "partial", "solutions": [...]}``: solutions SymPy found for a system that is not
  polynomial, with no proof that there are no others;
- ``{"status": "unknown", "reason": ...}``: SymPy gave up, failed, or ran out of time.

:func:`call_with_timeout` runs such a computation in a forked child process that is killed when
the limit is reached, so a SymPy call that would not end costs at most the limit.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import warnings

import sympy


def _child(send, fn, args):
    try:
        result = ("ok", fn(*args))
    except Exception as exc:  # any SymPy failure is reported, not raised in the parent
        result = ("error", f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
    try:
        send.send(result)
    except Exception as exc:  # an unpicklable result
        send.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        send.close()
        os._exit(0)


def _start(proc) -> None:
    """Fork ``proc`` without the warnings about forking a threaded process: Python 3.12+'s, and
    JAX's (the JAX backend's threads, when it has been used in this process).  The child only runs
    SymPy and ends with ``os._exit``; it never touches a lock those threads hold."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message=r"os\.fork\(\) was called", category=RuntimeWarning)
        proc.start()


def call_with_timeout(fn, args=(), *, timeout: float):
    """``("ok", fn(*args))``, ``("error", message)`` or ``("timeout", None)``.

    On Linux and macOS ``fn`` runs in a forked child that is killed after ``timeout`` seconds.
    Elsewhere (no ``fork``) it runs in this process without a limit.
    """
    if sys.platform == "win32" or "fork" not in multiprocessing.get_all_start_methods():
        try:
            return "ok", fn(*args)
        except Exception as exc:
            return "error", f"{type(exc).__name__}: {exc}"
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, fn, args), daemon=True)
    _start(proc)
    send.close()
    try:
        if recv.poll(timeout):
            try:
                return recv.recv()
            except EOFError:
                return "error", "the solver process ended without an answer"
        return "timeout", None
    finally:
        recv.close()
        if proc.is_alive():
            proc.kill()
        proc.join(5)


def _map_child(send, fn, items, extra):
    for i, item in enumerate(items):
        try:
            result = ("ok", fn(item, *extra))
        except Exception as exc:  # reported per item
            result = ("error", f"{type(exc).__name__}: {exc}")
        try:
            send.send((i, result))
        except Exception as exc:
            send.send((i, ("error", f"{type(exc).__name__}: {exc}")))
    send.close()
    os._exit(0)


def map_with_timeout(fn, items, extra=(), *, timeout: float) -> list:
    """``[fn(item, *extra) for item in items]`` in a forked child, as ``("ok", value)`` or
    ``("error", message)`` per item, and ``None`` for items not reached within ``timeout`` seconds:
    what finished in time is kept."""
    import time

    items = list(items)
    if sys.platform == "win32" or "fork" not in multiprocessing.get_all_start_methods():
        return [call_with_timeout(fn, (item, *extra), timeout=timeout) for item in items]
    out: list = [None] * len(items)
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_map_child, args=(send, fn, items, extra), daemon=True)
    _start(proc)
    send.close()
    deadline = time.monotonic() + timeout
    try:
        for _ in items:
            left = deadline - time.monotonic()
            if left <= 0 or not recv.poll(left):
                break
            try:
                i, result = recv.recv()
            except EOFError:
                break
            out[i] = result
    finally:
        recv.close()
        if proc.is_alive():
            proc.kill()
        proc.join(5)
    return out


def _polynomial_numerators(equations, symbols):
    """Numerators and denominators of the equations if each is a rational function of ``symbols``
    (coefficients may hold other symbols such as α), else ``None``."""
    nums, dens = [], []
    for e in equations:
        num, den = sympy.fraction(sympy.together(e))
        if not (num.is_polynomial(*symbols) and den.is_polynomial(*symbols)):
            return None
        nums.append(sympy.expand(num))
        dens.append(den)
    return nums, dens


def _is_real(value) -> bool | None:
    if value.is_real is not None:
        return bool(value.is_real)
    if value.free_symbols:
        return None
    try:
        v = sympy.N(value, 30)
    except (TypeError, ValueError):
        return None
    return bool(abs(sympy.im(v)) < sympy.Float("1e-25"))


def constant_is_zero(c) -> bool | None:
    """Decide whether a constant expression is zero: True or False only when proved, else None.

    Proved zero: SymPy's assumptions say so, or a simplification (an equivalent expression) is 0.
    Proved non-zero: SymPy's assumptions say so, or ``evalf(strict=True)`` returns a non-zero value
    with 30 correct digits (strict evaluation raises rather than return digits it cannot certify).
    """
    if c.is_zero is not None:
        return bool(c.is_zero)
    for simplify in (sympy.radsimp, sympy.trigsimp, sympy.simplify):
        try:
            if simplify(c) == 0:
                return True
        except Exception:  # a simplifier that fails proves nothing
            pass
    try:
        value = c.evalf(30, strict=True)
    except Exception:  # PrecisionExhausted, or a value evalf cannot reach: not decided
        return None
    return False if value.is_number and value != 0 else None


def decided_numerators(nums, plain, params=()):
    """The numerators with every coefficient decided, or the first coefficient that is not.

    Each coefficient (a constant, or a polynomial in ``params``) is rational or algebraic after
    dropping the terms whose constant coefficient is proved zero: SymPy then computes over ℚ or an
    algebraic extension of ℚ, where every zero test is exact.  A coefficient whose zero test cannot
    be decided, or a transcendental one (π, sin 1: no exact domain holds it), is returned as the
    reason.  Returns ``(nums, None)`` or ``(None, reason)``.
    """
    gens = list(plain) + list(params)
    out = []
    for n in nums:
        poly = sympy.Poly(n, *gens)
        kept = sympy.Integer(0)
        for monom, c in poly.terms():
            if not c.is_Rational:
                zero = constant_is_zero(c)
                if zero is None:
                    return None, f"cannot decide whether the coefficient {c} is zero"
                if zero:
                    continue
                if c.free_symbols or c.is_algebraic is not True:
                    return None, (f"the coefficient {c} is not known to be algebraic: the exact stage decides "
                                  "rational and algebraic coefficients only")
            kept += c * sympy.Mul(*(g ** k for g, k in zip(gens, monom)))
        if kept != 0:
            out.append(sympy.expand(kept))
    return out, None


def _groebner_facts(nums, plain, has_params: bool, params=()) -> dict:
    """Gröbner-basis facts (lex order): inconsistency, and for a zero-dimensional system without
    parameters the number of real solutions.  The count uses a separating linear form
    u = Σ (i+1)·x_i: if the lex basis of the system plus u − Σ (i+1)·x_i is in shape position
    (x_i − g_i(u), then p(u)), real solutions correspond one to one to real roots of p (Sturm).
    Every coefficient is decided first (:func:`decided_numerators`); an undecided one is the answer."""
    nums, undecided = decided_numerators(nums, plain, params)
    if undecided:
        return {"undecided": undecided}
    if not nums:
        return {"inconsistent": False, "zero_dimensional": False, "real_count": None, "nums": nums}
    algebraic = any(not c.is_Rational for n in nums for c in sympy.Poly(n, *plain, *params).coeffs())
    over = {"extension": True} if algebraic else {}  # ℚ(√2, …): exact arithmetic with algebraic numbers
    basis = sympy.groebner(nums, *plain, order="lex", **over)
    if list(basis.exprs) == [1]:
        return {"inconsistent": True}
    facts: dict = {"inconsistent": False, "zero_dimensional": bool(basis.is_zero_dimensional), "real_count": None,
                   "nums": nums}
    if has_params or not facts["zero_dimensional"]:
        return facts
    if algebraic:  # Sturm counting needs rational coefficients: the count stays unknown
        return facts
    u = sympy.Dummy("u")
    exprs = list(sympy.groebner(list(nums) + [u - sum((i + 1) * v for i, v in enumerate(plain))],
                                *plain, u, order="lex").exprs)
    if len(exprs) != len(plain) + 1 or exprs[-1].free_symbols - {u}:
        return facts
    for e, v in zip(exprs[:-1], plain):
        lead = sympy.Poly(e, v)
        if lead.degree() != 1 or not lead.LC().is_number or sympy.expand(e - lead.LC() * v).has(*plain):
            return facts
    p = sympy.Poly(exprs[-1], u)
    facts.update(real_count=int(p.sqf_part().count_roots()), eliminant_degree=p.degree())
    return facts


def _solve(equations, symbols):
    try:
        return sympy.solve(equations, list(symbols), dict=True)
    except NotImplementedError as exc:
        raise _CannotSolve(str(exc)) from None


class _CannotSolve(Exception):
    pass


def solve_exactly(equations, symbols, params=(), *, timeout: float = 10.0) -> dict:
    """Solve ``equations = 0`` for ``symbols`` (real) within ``timeout`` seconds; ``params`` are
    further symbols the solutions may depend on (α).  See the module docstring for the answers.
    An ``exact`` answer is complete; when the number of real solutions is known it is in
    ``real_count``."""
    import time

    deadline = time.monotonic() + timeout
    equations = [sympy.expand(e) for e in equations]
    if all(e == 0 for e in equations):
        return {"status": "exact", "solutions": [{}]}  # every point: a family of full dimension
    poly = _polynomial_numerators(equations, symbols)
    if poly is None:
        kind, sols = call_with_timeout(_solve, (equations, symbols), timeout=timeout)
        if kind != "ok":
            return {"status": "unknown", "reason": _why(kind, sols, timeout)}
        real = [s for s in sols if all(_is_real(v) is not False for v in s.values())]
        if not real:
            return {"status": "unknown", "reason": "SymPy found no solution but has no proof that there is none"}
        return {"status": "partial", "solutions": real,
                "reason": "the system is not polynomial: SymPy's list is not proved complete"}
    nums, dens = poly
    plain = [sympy.Dummy(s.name) for s in symbols]  # no assumptions: SymPy must not drop roots it cannot place
    to_plain, to_real = dict(zip(symbols, plain)), dict(zip(plain, symbols))
    nums = [n.subs(to_plain) for n in nums if n != 0]
    kind, facts = call_with_timeout(_groebner_facts, (nums, plain, bool(params), tuple(params)), timeout=timeout)
    if kind != "ok":
        return {"status": "unknown", "reason": "Gröbner basis: " + _why(kind, facts, timeout)}
    if "undecided" in facts:
        return {"status": "unknown", "reason": facts["undecided"]}
    if not facts["inconsistent"]:
        nums = facts["nums"]
        if not nums:  # every equation is identically 0 once its coefficients are decided: every point
            return {"status": "exact", "solutions": [{}]}
    if facts["inconsistent"]:
        if params:
            names = ", ".join(str(p) for p in params)
            return {"status": "none", "proof": f"the Gröbner basis of the numerators over Q({names}) is {{1}}: no "
                                               f"solution for any {names} outside a finite set"}
        return {"status": "none", "proof": "the Gröbner basis of the numerators is {1}: no solution at all"}
    count = facts["real_count"]
    if count == 0:
        return {"status": "none", "proof": "the eliminant of the Gröbner basis has no real root (Sturm)"}
    left = max(0.5, deadline - time.monotonic())
    kind, sols = call_with_timeout(_solve, (nums, plain), timeout=left)
    if kind != "ok":
        return {"status": "unknown", "real_count": count, "reason": _why(kind, sols, left)}
    real = []
    for sol in sols:
        sol = {to_real[k]: v.subs(to_real) for k, v in sol.items()}
        if any(_is_real(v) is False for v in sol.values()):
            continue
        if any(sympy.expand(sympy.cancel(d.subs(sol))) == 0 for d in dens if d != 1):
            continue  # a zero of a denominator is not a zero of the field
        real.append(sol)
    isolated = all(len(s) == len(symbols) and not any(v.free_symbols & set(symbols) for v in s.values()) for s in real)
    if count is not None and not (isolated and len(real) == count):
        return {"status": "partial", "solutions": real, "real_count": count,
                "reason": f"SymPy gave {len(real)} of the {count} real solutions"}
    if not real:
        return {"status": "unknown", "reason": "SymPy found no real solution but has no proof that there is none"}
    if count is None and facts["zero_dimensional"] and not params:
        return {"status": "partial", "solutions": real,
                "reason": "the number of real solutions is not certified (no shape-position basis)"}
    return {"status": "exact", "solutions": real, "real_count": count}


def _why(kind, detail, timeout) -> str:
    if kind == "timeout":
        return f"SymPy did not finish within {timeout:.3g} s"
    return f"SymPy failed: {detail}"
