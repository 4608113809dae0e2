"""Optimisers as pure functions with explicit state (Optax-style), applied to a rule's direction.

An :class:`Optimiser` is a pair of pure functions: ``init(theta) -> state`` and
``update(direction, state) -> (step, state)``; the step (:func:`sosverify.step.make_step`) then
sets ``θ ← θ − step``.  States are dicts of arrays shaped like ``theta`` ``(R, d)``
(one row per run, so runs stay independent), which is what checkpoints save.  ``update`` and
``preconditioner`` are written in the array namespace (:data:`sosverify._autodiff.np`), so that a
compiled step holds the optimiser too.

The learning rule is unchanged; the α *inside* LA, LOLA and SOS is chosen by the caller (the
GAN's shaping α, :data:`sosverify.gan.train.SHAPING_ALPHA`).  ``preconditioner(state)`` is the
optimiser's own step per unit of direction (plain descent: ``α``; RMSProp: ``α/√(ν + ε)`` per
coordinate), with which the GAN's predicted-step mode predicts the others' step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy

from sosverify._autodiff import np
from sosverify.errors import SosverifyError


class Optimiser(NamedTuple):
    """``init(theta) -> state``; ``update(direction, state) -> (step, new_state)``; its settings;
    ``preconditioner(state)``: the step the next update takes per unit of direction, a number or
    an array shaped like ``theta`` (``step = preconditioner(state) · direction`` for plain descent,
    and for RMSProp with ``ν`` before the update's own ``g²``)."""

    name: str
    init: Callable[[numpy.ndarray], dict]
    update: Callable[[numpy.ndarray, dict], tuple]
    settings: dict
    preconditioner: Callable[[dict], object] | None = None


def _check_rate(learning_rate) -> float:
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float, numpy.floating)) \
            or not numpy.isfinite(learning_rate) or learning_rate <= 0:
        raise SosverifyError(f"learning rate must be a positive finite number, got {learning_rate!r}")
    return float(learning_rate)


def sgd(learning_rate: float) -> Optimiser:
    """Plain descent: ``step = α · direction`` (SPEC §2), no state.

    >>> opt = sgd(0.1)
    >>> step, state = opt.update(numpy.array([[1.0, -2.0]]), opt.init(numpy.zeros((1, 2))))
    >>> step
    array([[ 0.1, -0.2]])
    """
    lr = _check_rate(learning_rate)

    def init(theta):
        return {}

    def update(direction, state):
        return lr * direction, state

    return Optimiser("sgd", init, update, {"learning_rate": lr}, lambda state: lr)


def rmsprop(learning_rate: float, decay: float = 0.9, eps: float = 1e-10, initial_accumulator: float = 1.0) -> Optimiser:
    """RMSProp as the paper's GAN experiment uses it (TensorFlow's, SPEC §3).

    ``ν ← decay · ν + (1 − decay) · g²``, ``step = α · g / √(ν + ε)``, with ``g`` the
    rule's direction, ``ν`` starting at ``initial_accumulator`` (ones) and ``ε`` inside the root.

    >>> opt = rmsprop(0.1)
    >>> state = opt.init(numpy.zeros((1, 2)))
    >>> step, state = opt.update(numpy.array([[1.0, -2.0]]), state)
    >>> numpy.round(step, 6), numpy.round(state["nu"], 6)    # ν = 0.9 + 0.1 g², step = 0.1 g / √ν
    (array([[ 0.1     , -0.175412]]), array([[1. , 1.3]]))
    """
    lr = _check_rate(learning_rate)
    if not 0.0 <= decay < 1.0:
        raise SosverifyError(f"RMSProp decay must lie in [0, 1), got {decay!r}")
    if not eps >= 0 or not initial_accumulator >= 0:
        raise SosverifyError("RMSProp eps and initial_accumulator must be >= 0")

    def init(theta):
        return {"nu": numpy.full(numpy.shape(theta), initial_accumulator, dtype=numpy.asarray(theta).dtype)}

    def update(direction, state):
        nu = decay * state["nu"] + (1.0 - decay) * direction * direction
        return lr * direction / np.sqrt(nu + eps), {"nu": nu}

    def preconditioner(state):  # lr/√(ν + ε) with the accumulator before this update's g²
        return lr / np.sqrt(state["nu"] + eps)

    return Optimiser("rmsprop", init, update,
                     {"learning_rate": lr, "decay": decay, "eps": eps, "initial_accumulator": initial_accumulator},
                     preconditioner)


OPTIMISERS = {"sgd": sgd, "rmsprop": rmsprop}
