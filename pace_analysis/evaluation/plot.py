"""Event-study figure: the effect of joining PACE by years since joining."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from pace_analysis.evaluation.panel import EVALUATION_MEASURES

_BLUE, _ORANGE, _GREY = "#0072B2", "#E69F00", "#555555"


def plot_event_study(table: pd.DataFrame, measure: str, ax: Axes | None = None,
                     truth: bool = True) -> Axes:
    """Draw one measure's event study: estimates, 95% intervals, uniform band, truth.

    Parameters
    ----------
    table : pandas.DataFrame
        ``Evaluation.event_study`` (columns ``e``, ``estimate``, ``ci_low``, ``ci_high``,
        ``band_low``, ``band_high``, ``reference``; optional ``truth``).
    measure : str
        Code of :data:`~.panel.EVALUATION_MEASURES` (title and units).
    ax : matplotlib.axes.Axes, optional
    truth : bool
        Draw the ``truth`` column (synthetic data only) when present.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = ax or plt.gca()
    spec = EVALUATION_MEASURES[measure]
    scale = 100.0 if spec.unit == "share" else 1.0
    e = table["e"].to_numpy(dtype=float)
    est = table["estimate"].to_numpy(dtype=float) * scale
    ax.fill_between(e, table["band_low"] * scale, table["band_high"] * scale, color=_BLUE,
                    alpha=0.12, linewidth=0, label="95% uniform band")
    yerr = np.vstack([est - table["ci_low"] * scale, table["ci_high"] * scale - est])
    ref = table["reference"].to_numpy(dtype=bool)
    ax.errorbar(e[~ref], est[~ref], yerr=yerr[:, ~ref], fmt="o", color=_BLUE, capsize=3,
                markersize=5, label="estimate, 95% interval")
    ax.plot(e[ref], est[ref], "o", color="white", markeredgecolor=_BLUE,
            label="reference year (0 by construction)")
    if truth and "truth" in table and table["truth"].notna().any():
        ax.plot(e, table["truth"] * scale, "--", color=_ORANGE, marker="s", markersize=4,
                label="true effect (synthetic twin)")
    ax.axhline(0, color=_GREY, linewidth=0.8)
    ax.axvline(-0.5, color=_GREY, linewidth=0.8, linestyle=":")
    if spec.anticipation:
        ax.axvspan(-0.5 - spec.anticipation, -0.5, color=_GREY, alpha=0.08, linewidth=0)
        ax.text(-0.5 - spec.anticipation / 2, 0.97, "reachable\nbefore joining",
                transform=ax.get_xaxis_transform(), ha="center", va="top", fontsize=7,
                color=_GREY)
    ax.set_xlabel("Reporting years since the council joined PACE")
    ax.set_ylabel("percentage points" if spec.unit == "share" else "days")
    ax.set_title(textwrap.fill(spec.label, 48), fontsize=10, loc="left")
    ax.set_xticks(e)
    return ax


def event_study_figure(event_studies: Mapping[str, pd.DataFrame],
                       title: str | None = None) -> Figure:
    """One panel per measure (:func:`plot_event_study`), legend below; returns the figure."""
    n = len(event_studies)
    fig, axes = plt.subplots(1, n, figsize=(4.6 * n, 4.2), squeeze=False)
    for ax, (m, table) in zip(axes[0], event_studies.items(), strict=True):
        plot_event_study(table, m, ax=ax)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), frameon=False,
               fontsize=9)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout(rect=(0, 0.08, 1, 0.95 if title else 1))
    return fig
