"""Exact solving of ξ = 0 (or LOLA's direction = 0) with an honest answer, under a time limit.

:func:`solve_exactly` returns one of

- ``{"status": "exact", "solutions": [...]}``: SymPy's solutions, and the list is complete
  (a polynomial system, solved by SymPy's Gröbner-basis solver, with every real solution kept);
- ``{"status": "none", "proof": ...}``: proved to have no real solution (a polynomial system whose
  Gröbner basis is {1}, or whose complex solutions are all non-real);
- ``{"status": "partial", "solutions": [...]}``: solutions SymPy found for a system that is not
  polynomial, with no proof that there are no others;
- ``{"status": "unknown", "reason": ...}``: SymPy gave up, failed, or ran out of time.

:func:`stream_with_timeout` runs such a computation in a forked child process that is killed when
the limit is reached, so a SymPy call that would not end costs at most the limit; what the child
yielded before the limit is kept (:func:`solve_exactly` keeps the certified number of real solutions
when the solve itself runs out of time).  :func:`call_with_timeout` and :func:`map_with_timeout` are
the one-value and per-item forms.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import warnings

import sympy


def _stream_child(send, gen_fn, args):
    """The child's side of :func:`stream_with_timeout`: each item as it comes, then how it ended."""
    try:
        for item in gen_fn(*args):
            send.send(("item", item))
        send.send(("done", None))
    except BaseException as exc:  # any SymPy failure (or an unpicklable item) is reported, not raised
        try:
            first = str(exc).splitlines()[0] if str(exc) else ""
            send.send(("error", f"{type(exc).__name__}: {first}"[:500]))
        except BaseException:
            pass
    finally:
        try:
            send.close()
        finally:
            os._exit(0)


def _start(proc) -> None:
    """Fork ``proc`` without the warnings about forking a threaded process: Python 3.12+'s, and
    JAX's (the JAX backend's threads, when it has been used in this process).  The child only runs
    SymPy and ends with ``os._exit``; it never touches a lock those threads hold."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message=r"os\.fork\(\) was called", category=RuntimeWarning)
        proc.start()


def _can_fork() -> bool:
    return sys.platform != "win32" and "fork" in multiprocessing.get_all_start_methods()


def stream_with_timeout(gen_fn, args=(), *, timeout: float):
    """Run the generator ``gen_fn(*args)`` in a forked child that is killed ``timeout`` seconds after
    it starts; return ``(items, end)``: the items it yielded in time, and ``"done"``, ``"timeout"``
    or ``"error: <Type>: <message>"``.

    Every symbolic stage of ``analyse`` runs this way, so that no SymPy call (an expansion, a
    Gröbner basis, a Jacobian) can hold the caller past the limit, and what a stage found before
    the limit is kept.  Without ``fork`` (Windows) the generator runs in this process, unlimited.
    """
    import time

    if not _can_fork():
        items = []
        try:
            for item in gen_fn(*args):
                items.append(item)
        except Exception as exc:
            return items, f"error: {type(exc).__name__}: {exc}"
        return items, "done"
    deadline = time.monotonic() + timeout
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_stream_child, args=(send, gen_fn, args), daemon=True)
    _start(proc)
    send.close()
    items: list = []
    end = "timeout"
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not recv.poll(left):
                break
            try:
                tag, value = recv.recv()
            except EOFError:
                end = "error: the solver process ended without an answer"
                break
            if tag == "item":
                items.append(value)
            elif tag == "done":
                end = "done"
                break
            else:
                end = f"error: {value}"
                break
    finally:
        recv.close()
        if proc.is_alive():
            proc.kill()
        proc.join(5)
    return items, end


def _once(fn, args):
    yield fn(*args)


def call_with_timeout(fn, args=(), *, timeout: float):
    """``("ok", fn(*args))``, ``("error", message)`` or ``("timeout", None)``.

    On Linux and macOS ``fn`` runs in a forked child that is killed after ``timeout`` seconds
    (:func:`stream_with_timeout`).  Elsewhere (no ``fork``) it runs in this process without a limit.
    """
    items, end = stream_with_timeout(_once, (fn, args), timeout=timeout)
    if items:
        return "ok", items[0]
    if end == "timeout":
        return "timeout", None
    return "error", end.removeprefix("error: ")


def _map_items(fn, items, extra):
    for i, item in enumerate(items):
        try:
            result = ("ok", fn(item, *extra))
        except Exception as exc:  # reported per item
            result = ("error", f"{type(exc).__name__}: {exc}")
        yield i, result


def map_with_timeout(fn, items, extra=(), *, timeout: float) -> list:
    """``[fn(item, *extra) for item in items]`` in a forked child, as ``("ok", value)`` or
    ``("error", message)`` per item, and ``None`` for items not reached within ``timeout`` seconds:
    what finished in time is kept."""
    items = list(items)
    out: list = [None] * len(items)
    got, _ = stream_with_timeout(_map_items, (fn, items, extra), timeout=timeout)
    for i, result in got:
        out[i] = result
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


def solve_steps(equations, symbols, params=(), describe=None):
    """The steps of :func:`solve_exactly`, as a generator run in a time-limited child: a record
    ``{"real_count": n}`` once the Gröbner basis has given the number of real solutions, then
    ``{"answer": ...}``.  ``describe`` (run on each solution, in the child) adds plain data to the
    answer (``"described"``): what the caller would otherwise compute on SymPy objects itself."""
    answer = _solve_answer(equations, symbols, params)
    for record in answer:
        if "answer" in record and describe is not None:
            record["answer"]["described"] = [describe(sol) for sol in record["answer"].get("solutions", [])]
        yield record


def _solve_answer(equations, symbols, params):
    equations = [sympy.expand(e) for e in equations]
    if all(e == 0 for e in equations):
        yield {"answer": {"status": "exact", "solutions": [{}]}}  # every point: a family of full dimension
        return
    poly = _polynomial_numerators(equations, symbols)
    if poly is None:
        sols = _solve(equations, symbols)
        real = [s for s in sols if all(_is_real(v) is not False for v in s.values())]
        if not real:
            yield {"answer": {"status": "unknown", "reason": "SymPy found no solution but has no proof that there is none"}}
            return
        yield {"answer": {"status": "partial", "solutions": real,
                          "reason": "the system is not polynomial: SymPy's list is not proved complete"}}
        return
    nums, dens = poly
    plain = [sympy.Dummy(s.name) for s in symbols]  # no assumptions: SymPy must not drop roots it cannot place
    to_plain, to_real = dict(zip(symbols, plain)), dict(zip(plain, symbols))
    nums = [n.subs(to_plain) for n in nums if n != 0]
    facts = _groebner_facts(nums, plain, bool(params), tuple(params))
    if "undecided" in facts:
        yield {"answer": {"status": "unknown", "reason": facts["undecided"]}}
        return
    if facts["inconsistent"]:
        if params:
            names = ", ".join(str(p) for p in params)
            proof = (f"the Gröbner basis of the numerators over Q({names}) is {{1}}: no solution for any {names} "
                     "outside a finite set")
        else:
            proof = "the Gröbner basis of the numerators is {1}: no solution at all"
        yield {"answer": {"status": "none", "proof": proof}}
        return
    nums = facts["nums"]
    if not nums:  # every equation is identically 0 once its coefficients are decided: every point
        yield {"answer": {"status": "exact", "solutions": [{}]}}
        return
    count = facts["real_count"]
    if count == 0:
        yield {"answer": {"status": "none", "proof": "the eliminant of the Gröbner basis has no real root (Sturm)"}}
        return
    yield {"real_count": count}
    sols = _solve(nums, plain)
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
        yield {"answer": {"status": "partial", "solutions": real, "real_count": count,
                          "reason": f"SymPy gave {len(real)} of the {count} real solutions"}}
    elif not real:
        yield {"answer": {"status": "unknown", "reason": "SymPy found no real solution but has no proof that there is none"}}
    elif count is None and facts["zero_dimensional"] and not params:
        yield {"answer": {"status": "partial", "solutions": real,
                          "reason": "the number of real solutions is not certified (no shape-position basis)"}}
    else:
        yield {"answer": {"status": "exact", "solutions": real, "real_count": count}}


def solve_exactly(equations, symbols, params=(), *, timeout: float = 10.0, describe=None) -> dict:
    """Solve ``equations = 0`` for ``symbols`` (real) within ``timeout`` seconds; ``params`` are
    further symbols the solutions may depend on (α).  See the module docstring for the answers.
    An ``exact`` answer is complete; when the number of real solutions is known it is in
    ``real_count``.  All of it (the expansions, the Gröbner basis, the solve) runs in one forked
    child that is killed at the limit (:func:`stream_with_timeout`)."""
    items, end = stream_with_timeout(solve_steps, (list(equations), list(symbols), tuple(params), describe),
                                     timeout=timeout)
    for item in items:
        if "answer" in item:
            return item["answer"]
    counted = [item["real_count"] for item in items if "real_count" in item]
    out: dict = {"status": "unknown"}
    if counted:
        out["real_count"] = counted[0]
        out["reason"] = _why(end, timeout)
    else:
        out["reason"] = ("Gröbner basis: " if end == "timeout" else "") + _why(end, timeout)
    return out


def _why(end: str, timeout: float) -> str:
    """Why a stage has no answer: ``end`` as :func:`stream_with_timeout` returns it."""
    if end == "timeout":
        return f"timed out: SymPy did not finish within {timeout:.3g} s"
    return f"SymPy failed: {end.removeprefix('error: ')}"
