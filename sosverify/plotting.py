"""Figures (matplotlib, headless): loss curves with ±1 std bands."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy  # noqa: E402


def band(ax, values, label: str, color=None, clip=None):
    """Plot the mean over runs (axis 1) of ``values`` ``(T, R)`` with a ±1 std band.

    NaN entries (diverged runs) are left out of the statistics.  ``clip = (lo, hi)`` keeps
    the band inside a quantity's range (SOS's p lies in [0, 1]).
    """
    with numpy.errstate(invalid="ignore"), _quiet_nan_warnings():
        mean, std = numpy.nanmean(values, axis=1), numpy.nanstd(values, axis=1)
    steps = numpy.arange(values.shape[0])
    line, = ax.plot(steps, mean, label=label, color=color)
    lower, upper = mean - std, mean + std
    if clip is not None:
        lower, upper = numpy.clip(lower, *clip), numpy.clip(upper, *clip)
    ax.fill_between(steps, lower, upper, color=line.get_color(), alpha=0.2, linewidth=0)
    return line


def loss_curves(histories: dict, title: str):
    """One panel per player: mean reported loss per step, one line per algorithm."""
    first = next(iter(histories.values()))
    n = first.game.n_players
    fig, axes = plt.subplots(1, n, figsize=(4.2 * n, 3.4), squeeze=False)
    for i, ax in enumerate(axes[0]):
        for name, h in histories.items():
            band(ax, h.reported_losses[:, i, :], name.upper())
        ax.set_xlabel("step")
        ax.set_ylabel(f"loss of player {i + 1}")
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


class _quiet_nan_warnings:
    """All-NaN columns (every run diverged) give NaN silently."""

    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)
