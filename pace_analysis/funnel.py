"""Funnel plots for comparing authorities without ranking them (Spiegelhalter 2005).

Each authority's proportion is plotted against its denominator, with control limits
around the national proportion ``p0`` that narrow as the denominator grows. With 32
authorities about 1.6 fall outside 95% limits by chance alone, so only the 99.8% limits
flag an authority, and nothing here ever sorts by the value: tables are ordered by name
or by denominator.

Limits are exact binomial with Spiegelhalter's interpolation (Statistics in Medicine
2005;24:1185–1202, appendix A.1.1): for a probability ``q`` let ``r`` be the smallest
integer with ``P(R ≤ r) ≥ q`` for ``R ~ Binomial(n, p0)``; then

    α = (P(R ≤ r) − q) / (P(R ≤ r) − P(R ≤ r − 1)),   limit = (r − α) / n,

clamped to [0, 1]. Over-dispersion (optional) is multiplicative: φ is estimated from
z-scores winsorised at 10%/90% (φ = mean of squared winsorised z); when φ > 1 the limits
become p0 ± z_q √(φ p0 (1 − p0) / n), clamped to [0, 1].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import binom, norm

from pace_analysis.dataset import Dataset
from pace_analysis.errors import PaceError, UnknownAuthorityError

LEVELS: tuple[float, ...] = (0.95, 0.998)

#: Binomial-compatible measures available for funnel plots.
MEASURES: dict[str, str] = {
    "permanence_within_2_years": "Reached legal permanence within 2 years of becoming looked after",
    "recommendation_within_26_weeks": "Permanence recommendation within 26 weeks of accommodation",
}

#: Per measure: clock start, event date, days allowed (also the follow-up needed), population.
_DEFINITIONS: dict[str, tuple[str, str, int, str]] = {
    "permanence_within_2_years": ("looked_after_date", "permanence_date", 730,
                                  "children who became looked after (all journeys)"),
    "recommendation_within_26_weeks": ("accommodated_date", "permanence_recommendation_date", 182,
                                       "children looked after and accommodated"),
}


def _level_name(level: float) -> str:
    return f"{level * 100:g}".replace(".", "_")


def binomial_limit(n: int, p0: float, q: float) -> float:
    """Interpolated exact binomial ``q``-quantile of a proportion with denominator ``n``.

    Returns ``(r − α) / n`` clamped to [0, 1] (see module docstring).
    """
    if n <= 0:
        return float("nan")
    r = binom.ppf(q, n, p0)
    cdf_r = binom.cdf(r, n, p0)
    cdf_below = binom.cdf(r - 1, n, p0)
    width = cdf_r - cdf_below
    alpha = (cdf_r - q) / width if width > 0 else 0.0
    return float(np.clip((r - alpha) / n, 0.0, 1.0))


def funnel_limits(denominators_grid: Sequence[float] | None, p0: float,
                  levels: Sequence[float] = LEVELS, overdispersion: float | None = None,
                  n_max: float | None = None) -> pd.DataFrame:
    """Control limits around ``p0`` for a grid of denominators.

    Parameters
    ----------
    denominators_grid : sequence of int, optional
        Denominators at which to compute the limits (e.g. 1..max n). If None, a grid of
        integers from 1 to ``n_max`` is used.
    p0 : float
        Target (usually the overall) proportion, strictly between 0 and 1.
    levels : sequence of float
        Two-sided coverage levels, default 95% and 99.8%.
    overdispersion : float, optional
        Multiplicative over-dispersion factor φ (see :func:`estimate_phi`). Ignored unless
        greater than 1.
    n_max : float, optional
        Largest denominator when ``denominators_grid`` is None.

    Returns
    -------
    pandas.DataFrame
        ``n`` and, per level, ``lower_<level>`` / ``upper_<level>`` (e.g. ``lower_95``,
        ``upper_99_8``), clamped to [0, 1]; ``p0`` and ``phi`` as columns.
    """
    if not 0 < p0 < 1:
        raise PaceError(f"funnel limits need 0 < p0 < 1, got {p0}")
    if denominators_grid is None:
        if not n_max or n_max < 1:
            raise PaceError("give denominators_grid or n_max ≥ 1")
        denominators_grid = np.arange(1, int(np.ceil(n_max)) + 1)
    grid = np.asarray(denominators_grid, dtype=float)
    phi = float(overdispersion) if overdispersion is not None and overdispersion > 1 else 1.0
    out = pd.DataFrame({"n": grid})
    for level in levels:
        lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
        name = _level_name(level)
        if phi > 1:
            with np.errstate(divide="ignore", invalid="ignore"):
                half = norm.ppf(hi_q) * np.sqrt(phi * p0 * (1 - p0) / grid)
            out[f"lower_{name}"] = np.clip(p0 - half, 0, 1)
            out[f"upper_{name}"] = np.clip(p0 + half, 0, 1)
        else:
            out[f"lower_{name}"] = [binomial_limit(int(n), p0, lo_q) for n in grid]
            out[f"upper_{name}"] = [binomial_limit(int(n), p0, hi_q) for n in grid]
    out["p0"] = p0
    out["phi"] = phi
    return out


def estimate_phi(numerators: Sequence[float], denominators: Sequence[float], p0: float,
                 winsor: float = 0.1) -> float:
    """Multiplicative over-dispersion φ from winsorised z-scores (Spiegelhalter 2005).

    z-scores below the ``winsor`` quantile are set to it, those above the ``1 − winsor``
    quantile likewise; φ is the mean squared winsorised z. Values above 1 suggest more
    variation between authorities than chance alone.
    """
    num = np.asarray(numerators, dtype=float)
    den = np.asarray(denominators, dtype=float)
    keep = den > 0
    z = (num[keep] / den[keep] - p0) / np.sqrt(p0 * (1 - p0) / den[keep])
    if len(z) == 0:
        raise PaceError("no unit with a positive denominator")
    lo, hi = np.quantile(z, [winsor, 1 - winsor])
    return float(np.mean(np.clip(z, lo, hi) ** 2))


def funnel_table(numerators: Sequence[float], denominators: Sequence[float],
                 labels: Sequence[str], p0: float | None = None,
                 overdispersion: float | None = None, order: str = "label") -> pd.DataFrame:
    """One row per unit: proportion, z-score and whether it sits inside the limits.

    Parameters
    ----------
    numerators, denominators : sequence of int
        Counts per unit.
    labels : sequence of str
        Unit names (authorities).
    p0 : float, optional
        Target proportion; default the overall proportion Σ numerators / Σ denominators.
    overdispersion : float, optional
        φ to widen the limits (only when > 1).
    order : {"label", "denominator"}
        Row order. Never by value: funnel plots compare, they do not rank.

    Returns
    -------
    pandas.DataFrame
        ``label``, ``numerator``, ``denominator``, ``p``, ``z``, ``inside_95``,
        ``inside_99_8``, ``position`` ("within 99.8% limits", "above 99.8% limits",
        "below 99.8% limits" or "no denominator"); ``p0`` and ``phi``.
    """
    if order not in ("label", "denominator"):
        raise PaceError("funnel tables are ordered by 'label' or 'denominator', never by value")
    num = np.asarray(numerators, dtype=float)
    den = np.asarray(denominators, dtype=float)
    if not len(num) == len(den) == len(labels):
        raise PaceError("numerators, denominators and labels differ in length")
    if np.any(num < 0) or np.any(num > den):
        raise PaceError("funnel table needs 0 ≤ numerator ≤ denominator")
    if p0 is None:
        if den.sum() == 0:
            raise PaceError("every denominator is zero: nothing to compare")
        p0 = float(num.sum() / den.sum())
    lim = funnel_limits(np.maximum(den, 1), p0, overdispersion=overdispersion)
    phi = float(lim["phi"].iloc[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(den > 0, num / den, np.nan)
        z = (p - p0) / np.sqrt(phi * p0 * (1 - p0) / den)
    table = pd.DataFrame({"label": list(labels), "numerator": num.astype(int),
                          "denominator": den.astype(int), "p": p, "z": z})
    for level in LEVELS:
        name = _level_name(level)
        lo, hi = lim[f"lower_{name}"].to_numpy(), lim[f"upper_{name}"].to_numpy()
        table[f"inside_{name}"] = (den > 0) & (p >= lo - 1e-12) & (p <= hi + 1e-12)
    position = np.where(table["inside_99_8"], "within 99.8% limits",
                        np.where(p > p0, "above 99.8% limits", "below 99.8% limits"))
    table["position"] = np.where(den > 0, position, "no denominator")
    table["p0"] = p0
    table["phi"] = phi
    key = ["label"] if order == "label" else ["denominator", "label"]
    return table.sort_values(key, kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- measures

def _window(journeys: pd.DataFrame, start_col: str, follow_up_days: int, window_years: float):
    extract = journeys["extract_date"]
    latest = extract - pd.Timedelta(days=follow_up_days)
    earliest = latest - pd.Timedelta(days=round(365.25 * window_years))
    start = journeys[start_col]
    return start.notna() & (start <= latest) & (start > earliest)


def measure_counts(dataset: Dataset, measure: str = "permanence_within_2_years",
                   window_years: float = 3.0) -> pd.DataFrame:
    """Numerator and denominator per authority for a binomial funnel measure.

    ``permanence_within_2_years``: journeys that began in the ``window_years`` before the
    date two years ahead of the extract (so every one has 2 full years of follow-up);
    numerator = legal permanence within 730 days of ``looked_after_date``. A child who
    left care without permanence counts in the denominator only.

    ``recommendation_within_26_weeks``: journeys accommodated in the ``window_years``
    ending 182 days before the extract; numerator = permanence recommendation within
    182 days of ``accommodated_date`` (a return home counts as a recommendation).

    Returns
    -------
    pandas.DataFrame
        ``authority``, ``numerator``, ``denominator`` (every authority in the data, by
        name), plus ``population`` and ``window`` describing the cohort in words.
    """
    if measure not in _DEFINITIONS:
        raise PaceError(f"unknown funnel measure {measure!r}; choose from {', '.join(MEASURES)}")
    start_col, end_col, follow, population = _DEFINITIONS[measure]
    j = dataset.journeys
    keep = _window(j, start_col, follow, window_years)
    days = (j[end_col] - j[start_col]).dt.days
    hit = keep & days.notna() & (days <= follow)
    df = pd.DataFrame({"authority": j["authority"], "den": keep.astype(int),
                       "num": hit.astype(int)})
    out = (df.groupby("authority", sort=True)[["num", "den"]].sum()
           .rename(columns={"num": "numerator", "den": "denominator"}).reset_index())
    extract = j["extract_date"].max()
    latest = extract - pd.Timedelta(days=follow)
    earliest = latest - pd.Timedelta(days=round(365.25 * window_years))
    out["population"] = population
    out["window"] = (f"clock start after {earliest:%d %b %Y} and on or before {latest:%d %b %Y}"
                     f" (extract {extract:%d %b %Y})")
    return out


@dataclass
class FunnelResult:
    """Everything a funnel plot needs.

    Attributes
    ----------
    table : pandas.DataFrame
        :func:`funnel_table` output (``label`` = authority), ordered by name.
    limits : pandas.DataFrame
        :func:`funnel_limits` on a grid up to the largest denominator.
    highlight : str or None
        Authority to highlight.
    measure, title, population, window : str
        What is plotted, in words.
    """

    table: pd.DataFrame
    limits: pd.DataFrame
    highlight: str | None
    measure: str
    title: str
    population: str
    window: str


def authority_funnel(dataset: Dataset, authority: str | None = None,
                     measure: str = "permanence_within_2_years", window_years: float = 3.0,
                     overdispersion: bool = False) -> FunnelResult:
    """Funnel of one measure across every authority in the data, one highlighted.

    Parameters
    ----------
    dataset : Dataset
        The whole dataset (all authorities), not one authority's subset.
    authority : str, optional
        Authority to highlight (``None`` for the national index).
    measure : str
        One of :data:`MEASURES`.
    window_years : float
        Length of the cohort window (see :func:`measure_counts`).
    overdispersion : bool
        Estimate φ (winsorised) and widen the limits when φ > 1.
    """
    counts = measure_counts(dataset, measure, window_years)
    if authority is not None and authority not in set(counts["authority"]):
        raise UnknownAuthorityError(f"{authority!r} has no journeys in this dataset")
    usable = counts[counts["denominator"] > 0]
    if usable.empty or usable["numerator"].sum() in (0, usable["denominator"].sum()):
        raise PaceError(f"no variation to compare for {measure!r}: every proportion is 0 or 1 "
                        "or no journey has enough follow-up")
    p0 = float(usable["numerator"].sum() / usable["denominator"].sum())
    phi = estimate_phi(usable["numerator"], usable["denominator"], p0) if overdispersion else None
    table = funnel_table(counts["numerator"], counts["denominator"], counts["authority"],
                         p0=p0, overdispersion=phi)
    grid = np.unique(np.concatenate([np.arange(1, 51),
                                     np.geomspace(1, max(2, table["denominator"].max() * 1.1),
                                                  200).round()]))
    limits = funnel_limits(grid, p0, overdispersion=phi)
    return FunnelResult(table=table, limits=limits, highlight=authority, measure=measure,
                        title=MEASURES[measure], population=str(counts["population"].iloc[0]),
                        window=str(counts["window"].iloc[0]))
