"""A setting of a learning rule or a game, declared once.

Each rule's hyperparameters (SOS's ``a`` and ``b``, CO's ``gamma``, ...) and each
game's parameters (the IPD's discount) are declared as :class:`Setting` values
next to the rule or game.  From that one declaration come the default, the
check of a given value (the same in the API, ``run``, ``reproduce`` and
checkpoints), the command-line flag and its help text.

>>> a = Setting("a", 0.5, "SOS's a", low=0.0, high=1.0)
>>> a.check(0.25), a.allowed
(0.25, 'in the open interval (0, 1)')
>>> a.check(1.0)
Traceback (most recent call last):
    ...
sosverify.errors.SosverifyError: SOS's a must be a finite number in the open interval (0, 1), got 1.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy

from sosverify.errors import SosverifyError


@dataclass(frozen=True)
class Setting:
    """One named real-valued setting: default, allowed range and help text.

    ``low``/``high`` bound the value, strictly unless ``low_closed``/``high_closed``;
    ``flag`` is the command-line name when it differs from ``name`` (the IPD's
    ``gamma`` is ``--discount`` so that CO's ``gamma`` keeps ``--gamma``).
    ``words``: named values allowed besides the numbers (the GAN's shaping step takes ``lr``,
    "tied to the learning rate"); the default may be one of them.
    ``integer``: the value is an integer (a count, a seed); checked values are ``int``.
    A ``default`` of ``None``: the setting has no default and must be given (a run's α).

    >>> s = Setting("step", "lr", "the step", low=0.0, words=("lr",))
    >>> s.check("lr"), s.parse("0.5"), s.allowed
    ('lr', 0.5, '> 0, or one of: lr')
    """

    name: str
    default: float
    help: str
    low: float = -math.inf
    high: float = math.inf
    low_closed: bool = False
    high_closed: bool = False
    flag: str = ""
    words: tuple = ()
    integer: bool = False

    def __post_init__(self):
        if self.default is None or (isinstance(self.default, str) and self.default in self.words):
            return
        ok = not isinstance(self.default, bool) and isinstance(self.default, (int, float, numpy.integer,
                                                                                numpy.floating))
        if not (ok and math.isfinite(self.default) and self.contains(self.default)):
            raise SosverifyError(f"setting {self.name!r}: its default must be {self.requirement}, "
                                 f"got {self.default!r}"[:200])

    @property
    def option(self) -> str:
        """The command-line flag, e.g. ``--a`` or ``--discount``."""
        return "--" + (self.flag or self.name).replace("_", "-")

    @property
    def allowed(self) -> str:
        """The allowed values in words."""
        if self.integer:
            return self._integers()
        lo, hi = self.low > -math.inf, self.high < math.inf
        if lo and hi:
            kind = {(False, False): "open", (True, True): "closed"}.get((self.low_closed, self.high_closed),
                                                                         "half-open")
            left, right = "[" if self.low_closed else "(", "]" if self.high_closed else ")"
            text = f"in the {kind} interval {left}{self.low:g}, {self.high:g}{right}"
        elif lo:
            text = f"{'>=' if self.low_closed else '>'} {self.low:g}"
        elif hi:
            text = f"{'<=' if self.high_closed else '<'} {self.high:g}"
        else:
            text = "any finite number"
        return text + (f", or one of: {', '.join(self.words)}" if self.words else "")

    def _integers(self) -> str:
        lo = math.ceil(self.low) if self.low_closed else math.floor(self.low) + 1
        hi = math.floor(self.high) if self.high_closed else math.ceil(self.high) - 1
        shown = "2**63 - 1" if hi == 2 ** 63 - 1 else f"{hi:,}"
        return f"a positive integer no larger than {shown}" if lo == 1 else f"an integer from {lo} to {shown}"

    @property
    def requirement(self) -> str:
        """What a value must be, in words: "a finite number in the open interval (0, 1)"."""
        if self.integer:
            return self._integers()
        allowed = self.allowed
        if allowed == "> 0":
            return "a positive finite number"
        return "a finite number" if allowed == "any finite number" else f"a finite number {allowed}"

    @property
    def default_text(self) -> str:
        """The default as shown in help texts: ``0.5`` or a word."""
        if self.default is None:
            return "none: required"
        return self.default if isinstance(self.default, str) else f"{self.default:g}"

    def contains(self, value: float) -> bool:
        above = value >= self.low if self.low_closed else value > self.low
        below = value <= self.high if self.high_closed else value < self.high
        return above and below

    def check(self, value) -> float | str:
        """``value`` as a float if it is a finite number in range (or one of ``words``, as is);
        otherwise a one-line error."""
        if isinstance(value, str) and value in self.words:
            return value
        if self.integer:
            if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)) or not self.contains(value):
                raise SosverifyError(f"{self.help} must be {self.requirement}, got {_shown(value)}"[:200])
            return int(value)
        ok = not isinstance(value, bool) and isinstance(value, (int, float, numpy.integer, numpy.floating))
        try:
            ok = ok and math.isfinite(value) and self.contains(value)
        except OverflowError:  # an integer beyond any float (10**400)
            ok = False
        if not ok:
            raise SosverifyError(f"{self.help} must be {self.requirement}, got {_shown(value)}"[:200])
        return float(value)

    def parse(self, text: str) -> float | str:
        """A command-line value: one of ``words``, or a number checked like :meth:`check`."""
        text = str(text).strip()
        if text in self.words:
            return text
        if self.integer:
            try:
                number = int(text)
            except ValueError:
                raise SosverifyError(f"{self.help} must be {self.requirement}, got {text[:40]!r}") from None
            return self.check(number)
        try:
            value = float(text)
        except ValueError:
            raise SosverifyError(f"{self.help} must be {self.requirement}, got {text!r}"[:200]) from None
        return self.check(value)


def _shown(value) -> str:
    """A value in an error line: a huge integer by its number of digits."""
    if isinstance(value, (int, numpy.integer)) and not isinstance(value, bool) and len(str(value)) > 40:
        return f"an integer of {len(str(int(value)))} digits"
    return repr(value)


#: upper bounds that keep every count inside a signed 64-bit integer with room to multiply
MAX_STEPS = 10 ** 9
MAX_RUNS = 10 ** 8
MAX_SEED = 2 ** 63 - 1


def count(name: str, upper: int, default: int | None = None, help: str = "") -> Setting:
    """A positive integer setting no larger than ``upper``."""
    return Setting(name, default, help or name, low=1, high=upper, low_closed=True, high_closed=True, integer=True)


# Run-level settings, declared once: the runner, the reproductions, the GAN's training, the sweeps
# and the command line check a value here (the flags' types are these settings' ``parse``).
ALPHA = Setting("alpha", None, "alpha", low=0.0)
STEPS = count("steps", MAX_STEPS, 100)
RUNS = count("runs", MAX_RUNS, 1)
SEED = Setting("seed", 0, "seed", low=0, high=MAX_SEED, low_closed=True, high_closed=True, integer=True)
LR = Setting("lr", None, "the learning rate", low=0.0)  # the GAN's: RMSProp's rate
ITERATIONS = count("iterations", MAX_STEPS)
EVAL_EVERY = count("eval_every", MAX_STEPS)  # the GAN's evaluations and checkpoints
CHECKPOINT_EVERY = count("checkpoint_every", MAX_STEPS)


def named(setting: Setting, name: str, default=None) -> Setting:
    """``setting``'s range under another name (the audit's ``game_alpha`` is an α, ``game_steps`` a
    count of steps), so that the range stays declared once."""
    from dataclasses import replace

    return replace(setting, name=name, help=name, default=default)


#: the audit's runs on a user's game (``--game-alpha``, ``--game-steps``): an α and a count of steps
GAME_ALPHA = named(ALPHA, "game_alpha", 1.0)
GAME_STEPS = named(STEPS, "game_steps", 1000)


def free(name: str, default: float) -> Setting:
    """A setting with no declared range (a user's own rule given ``{name: default}``)."""
    return Setting(name, default, f"setting {name!r}")


def as_settings(declared) -> tuple:
    """Settings from a tuple of :class:`Setting` or a ``{name: default}`` mapping."""
    if isinstance(declared, dict):
        return tuple(free(k, v) for k, v in declared.items())
    out = tuple(declared)
    if not all(isinstance(s, Setting) for s in out):
        raise SosverifyError("settings must be Setting values or a {name: default} mapping")
    return out


def resolve(settings: tuple, given: dict, owner: str) -> dict:
    """Every setting's value: its default, or the given value checked against its range.

    ``None`` means "not given".  A given name that is not a setting is an error naming
    what ``owner`` takes.
    """
    names = {s.name for s in settings}
    unknown = sorted(k for k, v in given.items() if v is not None and k not in names)
    if unknown:
        takes = ", ".join(f"{s.name} ({s.allowed})" for s in settings) or "none"
        raise SosverifyError(f"{owner} takes no setting {', '.join(unknown)}; it takes: {takes}")
    return {s.name: s.default if given.get(s.name) is None else s.check(given[s.name]) for s in settings}


# The step engine's chunks (:mod:`sosverify.step`), here so that the memory guard
# (:mod:`sosverify.validation`, a floor below the engine) counts them from the same numbers.
CHUNK = 256  # steps per compiled call at most (a longer run is several calls of the same program)
RECORD_BUDGET = 64 * 2 ** 20  # bytes of recorded states per chunk (θ and the optimiser's state per step)
