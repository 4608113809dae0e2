"""Differentiation backends behind the one seam, :mod:`sosverify._autodiff`.

- ``autograd`` (the reference, the default): NumPy traced as it runs.
- ``jax`` (``pip install "sosverify[jax]"``): the same code compiled with XLA, one program per
  update step; several times faster, and on a GPU where there is one.

The active backend is chosen per call with :func:`use_backend` (``backend=`` of
:func:`sosverify.run`, ``--backend`` on the command line) and defaults to the environment
variable ``SOSVERIFY_BACKEND`` or ``autograd``.  A backend module provides ``np`` (its NumPy),
``stop_gradient``, ``as_array``, ``to_numpy``, ``compile``, the derivatives
(``value_and_pullback``, ``gradient``, ``jvp``, ``jvps``, ``weighted_gradient``, ``gradient_of_pairing``,
``gradient_of_self_pairing``) and the array helpers the games use (``take``, ``take_columns``,
``unflatten``, ``batch_matmul``, ``relu``, ``sigmoid``, ``bsolve``).
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import os
from types import ModuleType

from sosverify.errors import SosverifyError

BACKENDS = {"autograd": "sosverify.backends._autograd", "jax": "sosverify.backends._jax"}
ENV = "SOSVERIFY_BACKEND"
DEFAULT = "autograd"

_LOADED: dict[str, ModuleType] = {}


def check_name(name: str) -> str:
    """``name`` lower-cased if it is a backend, else a clear error."""
    key = str(name).strip().lower()
    if key not in BACKENDS:
        raise SosverifyError(f"unknown backend {name!r}; choose one of: {', '.join(BACKENDS)}")
    return key


def load(name: str) -> ModuleType:
    """The backend module ``name`` (imported on first use)."""
    key = check_name(name)
    if key not in _LOADED:
        try:
            _LOADED[key] = importlib.import_module(BACKENDS[key])
        except ImportError as exc:
            raise SosverifyError(f"backend {key!r} needs {exc.name or 'a package that is not installed'}: "
                                 f'pip install "sosverify[{key}]"') from None
    return _LOADED[key]


def _initial() -> str:
    value = os.environ.get(ENV, "").strip()
    if not value:
        return DEFAULT
    try:
        return check_name(value)
    except SosverifyError as exc:
        raise SosverifyError(f"{ENV}={value!r}: {exc}") from None


_ACTIVE: contextvars.ContextVar[str | None] = contextvars.ContextVar("sosverify_backend", default=None)


def active_name() -> str:
    """The active backend's name (``SOSVERIFY_BACKEND`` or ``autograd`` outside :func:`use_backend`)."""
    name = _ACTIVE.get()
    return _initial() if name is None else name


def active() -> ModuleType:
    """The active backend module."""
    name = _ACTIVE.get()
    return _LOADED[name] if name in _LOADED else load(active_name())


@contextlib.contextmanager
def use_backend(name: str | None):
    """Make ``name`` the active backend inside the ``with`` block (``None``: leave it as it is).

    >>> from sosverify.backends import use_backend, active_name
    >>> with use_backend("autograd"):
    ...     active_name()
    'autograd'
    """
    if name is None:
        yield active()
        return
    module = load(name)
    token = _ACTIVE.set(module.NAME)
    try:
        yield module
    finally:
        _ACTIVE.reset(token)


def describe(name: str | None = None) -> dict:
    """``{"name": ..., "version": ...}`` of a backend (the active one by default), for results files."""
    module = active() if name is None else load(name)
    return {"name": module.NAME, "version": module.VERSION}
