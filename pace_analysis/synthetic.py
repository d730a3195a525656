"""Seeded synthetic journeys and placements for all 32 Scottish councils.

The generator simulates children becoming looked after, the milestones on their way to
legal permanence (accommodation, permanence recommendation, panel, agency decision maker,
application lodged, order), the placements they live in, the routes they reach and the
exits without permanence, censored at an extract date. Every draw is vectorised over
all journeys with one :func:`numpy.random.default_rng` stream, so run time is linear in
the number of journeys and the same seed gives the same bytes.

The model and its calibration against published Scottish figures are described in
``docs/synthetic-data.md``; :mod:`pace_analysis.calibration` measures the targets.
Every number in :class:`Parameters` is a planning assumption, not a published figure.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from pace_analysis.authorities import AUTHORITIES
from pace_analysis.dataset import Dataset
from pace_analysis.errors import PaceError
from pace_analysis.routes import load_route_set
from pace_analysis.schema import JOURNEY_COLUMNS, PLACEMENT_COLUMNS

DEFAULT_SEED = 2014
DEFAULT_START = date(2008, 8, 1)
DEFAULT_END = date(2024, 7, 31)
DEFAULT_EXTRACT = date(2024, 7, 31)
TESTS_OF_CHANGE_FILE = "tests_of_change.csv"

YEAR = 365.25
MONTH = YEAR / 12
_EPOCH = np.datetime64("1970-01-01", "D")

#: Age bands used by the generator (years at the start of the journey).
AGE_BANDS: tuple[tuple[float, float], ...] = ((0, 1), (1, 5), (5, 12), (12, 16), (16, 17.9))
#: Fates of an accommodated child, in column order of ``Parameters.fate_by_band``.
FATES: tuple[str, ...] = ("home", "kinship", "permanence_order", "adoption", "none")
_MOVE_TYPES: tuple[str, ...] = ("foster", "kinship", "residential", "other")


@dataclass(frozen=True)
class Parameters:
    """Tunable assumptions of the generator (durations in days unless named otherwise)."""

    first_starts_per_year: float = 3100.0        # first journeys; re-entries come on top
    warmup_years: float = 18.0                   # simulated before the window to fill the stock
    band_share: tuple[float, ...] = (0.17, 0.21, 0.33, 0.26, 0.03)
    at_birth_share: float = 0.35                 # of under-1 starts, looked after in the first week
    male_share: float = 0.52
    at_home_by_band: tuple[float, ...] = (0.12, 0.33, 0.40, 0.38, 0.30)
    later_accommodated: float = 0.17             # at-home starts accommodated later
    home_to_acc_median: float = 8 * MONTH
    at_home_median: float = 9.0 * MONTH          # CSO at home until the order ends ...
    at_home_sigma: float = 0.6
    at_home_long_share: float = 0.13             # ... except a long-running minority
    at_home_long_median: float = 5.0 * YEAR
    accommodated_legal: tuple[float, float, float] = (0.52, 0.43, 0.05)  # cso, s25, other
    # Route an accommodated child is heading for, by age band at accommodation.
    fate_by_band: tuple[tuple[float, ...], ...] = (
        (0.26, 0.13, 0.07, 0.32, 0.22),
        (0.33, 0.16, 0.08, 0.20, 0.23),
        (0.29, 0.15, 0.18, 0.02, 0.36),
        (0.34, 0.07, 0.05, 0.00, 0.54),
        (0.35, 0.03, 0.00, 0.00, 0.62),
    )
    plan_differs: float = 0.08                   # planned route is not the route reached
    away_median: float = 6.5 * MONTH             # accommodated children who return home
    away_sigma: float = 0.85
    # Stage medians for kinship, permanence-order and adoption routes, log-normal sigma 0.6.
    rec_median: float = 17.5 * MONTH
    panel_median: float = 7 * MONTH
    adm_median: float = 3 * 7.0
    lodge_median_adoption: float = 10 * MONTH
    lodge_median_po: float = 10 * MONTH
    route_pace: tuple[float, float] = (1.2, 0.9)  # permanence-order and adoption stages
    lodge_median_kinship: float = 8 * MONTH
    order_median: float = 10 * MONTH
    order_median_kinship: float = 5 * MONTH
    stage_sigma: float = 0.6
    child_sigma: float = 0.32                    # child-level frailty shared by all stages
    authority_speed_sigma: float = 0.2
    authority_adoption_sigma: float = 0.3
    # PACE: share by which each stage shrinks once an authority's change is complete.
    pace_effect: dict = field(default_factory=lambda: {
        "rec": 0.55, "panel": 0.45, "adm": 0.2, "lodge": 0.2, "order": 0.1,
        "away": 0.15, "at_home": 0.15,
    })
    pace_ramp_months: tuple[float, float] = (12.0, 18.0)
    # Exits without permanence (hazards per year) and leaving care between 16 and 18.
    transfer_rate: float = 0.004
    other_rate: float = 0.003
    death_rate: float = 0.0004
    leave_at_18_share: float = 0.75
    reentry_share: float = 0.14                  # home exits who become looked after again
    reentry_median: float = 1.3 * YEAR
    moves_per_year: float = 0.35
    trial_home_share: float = 0.5                # home returns with a trial home placement first


def _days(d: date) -> int:
    return (np.datetime64(d, "D") - _EPOCH).astype(int)


def _lognormal(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(n))


class _Tape:
    """A random stream that remembers each draw by unit, so that a twin can reuse it.

    Wraps the generator's stream for the world with the PACE effect: every call is passed
    on unchanged (the stream is consumed exactly as without the tape) and its result is kept
    under the current block's unit keys (one key per journey: child and re-entry number).
    """

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.blocks: dict[str, tuple[np.ndarray, list]] = {}
        self._calls: list = []

    def block(self, name: str, keys: np.ndarray) -> None:
        self._calls = []
        self.blocks[name] = (np.asarray(keys), self._calls)

    def __getattr__(self, method: str):
        draw = getattr(self.rng, method)

        def recorded(*args, **kwargs):
            out = draw(*args, **kwargs)
            self._calls.append((out, args[0] if method == "poisson" else None))
            return out
        return recorded


class _Replay:
    """The twin's stream: the taped draw of the same unit where there is one.

    A unit (journey) that exists in both worlds gets exactly the draw it got in the taped
    world (common random numbers); a unit only the twin has gets a draw from *aux*, an
    independent stream. Poisson draws are reused only where the rate is the same.
    """

    def __init__(self, tape: _Tape, aux: np.random.Generator):
        self.tape, self.aux = tape, aux
        self._calls: list = []
        self._rows = self._pos = np.zeros(0, dtype=int)

    def block(self, name: str, keys: np.ndarray) -> None:
        keys = np.asarray(keys)
        taped_keys, calls = self.tape.blocks.get(name, (np.zeros(0, dtype=keys.dtype), []))
        self._calls = list(calls)
        order = np.argsort(taped_keys, kind="stable")
        sorted_keys = taped_keys[order]
        idx = np.searchsorted(sorted_keys, keys)
        found = idx < sorted_keys.size
        found[found] &= sorted_keys[idx[found]] == keys[found]
        self._rows = np.flatnonzero(found)
        self._pos = order[idx[found]]

    def __getattr__(self, method: str):
        draw = getattr(self.aux, method)

        def replayed(*args, **kwargs):
            out = draw(*args, **kwargs)
            if not self._calls:
                return out
            taped, lam = self._calls.pop(0)
            rows, pos = self._rows, self._pos
            if lam is not None:
                same = np.asarray(lam)[pos] == np.asarray(args[0])[rows]
                rows, pos = rows[same], pos[same]
            out[rows] = taped[pos]
            return out
        return replayed


def _block(rng, name: str, keys: np.ndarray) -> None:
    """Start a block of per-journey draws (only a :class:`_Tape` or :class:`_Replay` cares)."""
    if isinstance(rng, _Tape | _Replay):
        rng.block(name, keys)


@dataclass(frozen=True)
class _Authorities:
    """Seeded per-authority effects (drawn before anything that depends on scale)."""

    weight: np.ndarray
    speed: np.ndarray
    adoption: np.ndarray
    pace_start: np.ndarray       # day number, +inf for non-participants
    ramp_days: np.ndarray
    strength: np.ndarray

    @classmethod
    def draw(cls, rng: np.random.Generator, p: Parameters) -> _Authorities:
        n = len(AUTHORITIES)
        stock = np.array([a.estimated_stock for a in AUTHORITIES], dtype=float)
        start = np.array([_days(a.pace_start) if a.pace_start else np.inf for a in AUTHORITIES])
        weight = stock / stock.sum()

        def effect(sigma: float) -> np.ndarray:
            # Centred so the size-weighted mean log effect is 0: councils differ, but the
            # national level (what calibration measures) does not depend on the seed.
            z = sigma * rng.standard_normal(n)
            return np.exp(z - weight @ z)

        return cls(
            weight=weight,
            speed=effect(p.authority_speed_sigma),
            adoption=effect(p.authority_adoption_sigma),
            pace_start=start,
            ramp_days=rng.uniform(*p.pace_ramp_months, n) * MONTH,
            strength=rng.uniform(0.75, 1.2, n),
        )

    def pace(self, auth: np.ndarray, when: np.ndarray, effect: float) -> np.ndarray:
        """Multiplier (<= 1) for a stage that begins on day *when* in authority *auth*."""
        x = np.clip((when - self.pace_start[auth]) / self.ramp_days[auth], 0.0, 1.0)
        x = np.nan_to_num(x, nan=0.0)
        ramp = x * x * (3 - 2 * x)  # smoothstep: a gradual change, not a step
        return 1.0 - np.minimum(effect * self.strength[auth], 0.7) * ramp


def _simulate(rng, p: Parameters, fx: _Authorities, la, dob, auth, extract: int) -> dict:
    """Simulate journeys that start on day *la*; returns a dict of per-journey arrays.

    Dates are float day numbers (NaN when absent), already censored at *extract*.
    """
    n = la.size
    age = (la - dob) / YEAR
    band = np.clip(np.searchsorted([b[1] for b in AGE_BANDS], age, side="right"), 0, 4)
    speed = fx.speed[auth] * np.exp(p.child_sigma * rng.standard_normal(n))
    nan = np.full(n, np.nan)

    at_home = rng.random(n) < np.asarray(p.at_home_by_band)[band]
    later_acc = at_home & (rng.random(n) < p.later_accommodated)
    legal = np.where(at_home, 0, rng.choice(3, n, p=p.accommodated_legal))
    acc = np.where(at_home, nan, la)
    gap = np.maximum(1, np.rint(_lognormal(rng, p.home_to_acc_median, 0.7, n) * fx.speed[auth]))
    acc = np.where(later_acc, la + gap, acc)
    long = rng.random(n) < p.at_home_long_share
    t_home = _lognormal(rng, p.at_home_median, p.at_home_sigma, n)
    t_home = np.where(long, t_home * p.at_home_long_median / p.at_home_median, t_home)
    t_home *= fx.speed[auth]
    t_home *= fx.pace(auth, la, p.pace_effect["at_home"])

    # Fate of the accommodated, by age at accommodation and the authority's adoption habit.
    age_acc = np.where(np.isnan(acc), age, (acc - dob) / YEAR)
    band_acc = np.clip(np.searchsorted([b[1] for b in AGE_BANDS], age_acc, side="right"), 0, 4)
    probs = np.asarray(p.fate_by_band)[band_acc].copy()
    probs[:, 3] *= fx.adoption[auth]
    probs /= probs.sum(axis=1, keepdims=True)
    fate = (rng.random(n)[:, None] > np.cumsum(probs, axis=1)).sum(axis=1).clip(0, 4)

    route_pace = np.array([1.0, 1.0, *p.route_pace, 1.0])[fate]
    # Stage durations (all drawn for every journey so the stream does not depend on branches).
    def stage(median, effect_key, when):
        d = _lognormal(rng, median, p.stage_sigma, n) * speed * route_pace
        return np.maximum(1, np.rint(d * fx.pace(auth, when, p.pace_effect[effect_key])))

    away = _lognormal(rng, p.away_median, p.away_sigma, n) * fx.speed[auth]
    away = np.maximum(2, np.rint(away * fx.pace(auth, acc, p.pace_effect["away"])))
    frac = rng.uniform(0.35, 0.9, n) * fx.pace(auth, acc, p.pace_effect["rec"])
    rec_home = acc + np.maximum(1, np.floor(away * frac))
    rec = acc + stage(p.rec_median, "rec", acc)
    panel = rec + stage(p.panel_median, "panel", rec)
    adm = panel + stage(p.adm_median, "adm", panel)
    lodge_med = np.where(fate == 3, p.lodge_median_adoption, p.lodge_median_po)
    lodged = adm + stage(lodge_med, "lodge", adm)
    order = lodged + stage(p.order_median, "order", lodged)
    k_lodged = rec + stage(p.lodge_median_kinship, "lodge", rec)
    k_order = k_lodged + stage(p.order_median_kinship, "order", k_lodged)

    is_acc = ~np.isnan(acc)
    route = np.full(n, -1)
    perm = nan.copy()
    route[~is_acc] = 0
    perm[~is_acc] = la[~is_acc] + np.maximum(1, np.rint(t_home[~is_acc]))
    r_home, r_kin, r_po, r_ad = (is_acc & (fate == k) for k in range(4))
    route[r_home], perm[r_home] = 0, (acc + away)[r_home]
    route[r_kin], perm[r_kin] = 1, k_order[r_kin]
    route[r_po], perm[r_po] = 2, order[r_po]
    route[r_ad], perm[r_ad] = 3, order[r_ad]

    # Milestones that belong to each fate.
    m_rec = np.where(r_home, rec_home, np.where(r_kin | r_po | r_ad, rec, nan))
    none_rec = is_acc & (fate == 4) & (rng.random(n) < 0.3)
    m_rec = np.where(none_rec, rec, m_rec)
    m_panel = np.where(r_po | r_ad, panel, nan)
    m_adm = np.where(r_po | r_ad, adm, nan)
    m_lodged = np.where(r_po | r_ad, lodged, np.where(r_kin, k_lodged, nan))

    planned = np.where(route >= 0, route, np.where(none_rec, 2, -1))
    swap = rng.random(n) < p.plan_differs
    alt = np.array([1, 0, 3, 2])[np.clip(planned, 0, 3)]
    planned = np.where(swap & is_acc & (planned >= 0), alt, planned)
    planned = np.where(np.isnan(m_rec), -1, planned)

    # Exits without permanence: competing clocks from the start of the journey.
    t_transfer = la + rng.exponential(YEAR / p.transfer_rate, n)
    t_other = la + rng.exponential(YEAR / p.other_rate, n)
    t_died = la + rng.exponential(YEAR / p.death_rate, n)
    leave_age = np.where(rng.random(n) < p.leave_at_18_share, 18.0, rng.uniform(16.0, 18.0, n))
    leave_age = np.where(leave_age <= age + 0.05, 18.0, leave_age)
    t_aged = dob + np.floor(leave_age * YEAR)
    clocks = np.rint(np.column_stack([t_aged, t_transfer, t_died, t_other]))
    first_exit = clocks.min(axis=1)
    exit_kind = clocks.argmin(axis=1) + 1  # 1 aged_out, 2 transferred, 3 died, 4 other

    got_perm = perm < first_exit
    route = np.where(got_perm, route, -1)
    perm = np.where(got_perm, perm, nan)
    leaves = got_perm & (route != 2)
    exit_date = np.where(leaves, perm, first_exit)
    reason = np.where(leaves, 0, exit_kind)

    out = {"la": la, "dob": dob, "auth": auth, "legal": legal, "acc": acc, "rec": m_rec,
           "planned": planned, "panel": m_panel, "adm": m_adm, "lodged": m_lodged,
           "route": route, "perm": perm, "exit": exit_date, "reason": reason, "fate": fate,
           "band": band}
    for key in ("acc", "rec", "panel", "adm", "lodged", "perm"):
        out[key] = np.where(out[key] > exit_date, nan, out[key])
    # Censor at the extract date.
    for key in ("acc", "rec", "panel", "adm", "lodged", "perm", "exit"):
        out[key] = np.where(out[key] > extract, nan, out[key])
    out["route"] = np.where(np.isnan(out["perm"]), -1, out["route"])
    out["reason"] = np.where(np.isnan(out["exit"]), -1, out["reason"])
    out["planned"] = np.where(np.isnan(out["rec"]), -1, out["planned"])
    out["adopters"] = np.where(r_ad, adm + np.rint(rng.uniform(0.2, 0.8, n) * (lodged - adm)), nan)
    out["kin_start"] = np.where(
        r_kin, np.where(rng.random(n) < 0.5, acc, acc + np.floor(rng.random(n) * (k_lodged - acc))),
        nan
    )
    trial = np.rint(np.minimum(rng.uniform(30, 120, n), (perm - acc) / 2))
    out["trial_home"] = np.where(
        r_home & (rng.random(n) < p.trial_home_share) & (perm - acc >= 60), perm - trial, nan)
    out["reentry_u"] = rng.random(n)
    out["reentry_gap"] = np.maximum(30, np.rint(_lognormal(rng, p.reentry_median, 0.8, n)))
    return out


def _placements(rng, p: Parameters, j: dict, extract: int) -> dict:
    """Placements of each journey: a home stay before accommodation, up to four
    placements with moves while away, and a final placement that fits the route."""
    n = j["la"].size
    obs_end = np.where(np.isnan(j["exit"]), extract, j["exit"])
    acc = j["acc"]
    fate = j["fate"]
    home_first = np.isnan(acc) | (acc > j["la"])
    special = np.where(~np.isnan(j["adopters"]), j["adopters"],
                       np.where(~np.isnan(j["kin_start"]), j["kin_start"], j["trial_home"]))
    special_type = np.where(~np.isnan(j["adopters"]), 4, np.where(~np.isnan(j["kin_start"]), 1, 0))
    phase_end = np.where(np.isnan(special), obs_end, np.minimum(special, obs_end))
    years = np.maximum(0, phase_end - acc) / YEAR
    n_moves = np.minimum(rng.poisson(p.moves_per_year * np.nan_to_num(years)), 3)
    cuts = np.sort(rng.random((n, 3)), axis=1)
    cuts = acc[:, None] + np.floor(cuts * np.maximum(0, phase_end - acc)[:, None])
    cuts = np.where(np.arange(3)[None, :] < n_moves[:, None], cuts, np.nan)

    # Move types by age band (adoption-bound children move between foster carers).
    shares = np.array([[0.54, 0.42, 0.00, 0.04], [0.51, 0.43, 0.02, 0.04],
                       [0.42, 0.41, 0.13, 0.04], [0.30, 0.29, 0.37, 0.04],
                       [0.28, 0.22, 0.40, 0.10]])
    cum = np.cumsum(shares[j["band"]], axis=1)
    move_type = (rng.random((n, 4))[:, :, None] > cum[:, None, :]).sum(axis=2).clip(0, 3) + 1
    move_type = np.where((fate == 3)[:, None] & (move_type != 4), 1, move_type)
    codes = np.array([0, 2, 1, 3, 5])  # index into _TYPE_CODES: home, foster, kinship, ...
    move_type = codes[move_type]

    starts = np.column_stack([
        np.where(home_first, j["la"], np.nan), acc, cuts, special,
    ])
    types = np.column_stack([
        np.zeros(n, dtype=int), move_type[:, 0], move_type[:, 1:4], special_type,
    ])
    valid = ~np.isnan(starts) & (starts <= obs_end[:, None])
    jj, slot = np.nonzero(valid)
    st = starts[jj, slot]
    ty = types[jj, slot]
    order = np.lexsort((slot, st, jj))
    jj, st, ty = jj[order], st[order], ty[order]
    dup = np.zeros(jj.size, dtype=bool)
    dup[:-1] = (jj[:-1] == jj[1:]) & (st[:-1] == st[1:])
    jj, st, ty = jj[~dup], st[~dup], ty[~dup]
    last = np.ones(jj.size, dtype=bool)
    last[:-1] = jj[:-1] != jj[1:]
    end = np.empty(jj.size)
    end[:-1] = st[1:] - 1
    end[last] = j["exit"][jj[last]]
    return {"journey": jj, "start": st, "end": end, "type": ty}


_TYPE_CODES = ("home", "kinship", "foster", "residential", "prospective_adopters", "other")
_ROUTE_CODES = ("home", "kinship", "permanence_order", "adoption")
_REASONS = ("permanence", "aged_out", "transferred", "died", "other")
_LEGAL = ("cso", "s25", "other")
MODEL_VERSION = 1


def _codes(values: tuple[str, ...], idx: np.ndarray) -> np.ndarray:
    table = np.array(list(values) + [None], dtype=object)
    return table[np.where(idx < 0, len(values), idx)]


def _dates(days: np.ndarray) -> np.ndarray:
    """Float day numbers (NaN when absent) as datetime64[ns] (NaT when absent)."""
    days = np.asarray(days, dtype=float)
    missing = np.isnan(days)
    out = np.where(missing, 0, days).astype(np.int64).astype("datetime64[D]").astype("datetime64[ns]")
    out[missing] = np.datetime64("NaT")
    return out


PROGRESS_STEPS = 4


def _progress_bar(total: int, disable: bool) -> tqdm:
    return tqdm(total=total, desc="pace synth", unit="step", delay=2, disable=disable,
                file=sys.stderr, bar_format="{desc}: {n}/{total}{postfix} [{elapsed}]")


def generate(
    seed: int = DEFAULT_SEED,
    scale: float = 1.0,
    start: date = DEFAULT_START,
    end: date = DEFAULT_END,
    extract_date: date = DEFAULT_EXTRACT,
    params: Parameters | None = None,
    progress: bool | tqdm = False,
    counterfactual: bool = False,
) -> Dataset:
    """Generate a seeded synthetic dataset for all 32 councils.

    Parameters
    ----------
    seed : int
        Seed of :func:`numpy.random.default_rng`; the same seed and arguments give the
        same data, byte for byte.
    scale : float
        1 is all of Scotland (about 3,300 journeys a year); 0.1 is a tenth.
    start, end : datetime.date
        Window of looked-after dates. Journeys that began up to ``warmup_years`` before
        *start* and were still open on *start* are included too (left-truncated), as in
        a real extract that begins on *start*.
    extract_date : datetime.date
        Censoring date; must not be before *end*.
    params : Parameters, optional
        Model assumptions; the calibrated defaults when omitted.
    progress : bool or tqdm.tqdm
        Show a progress bar on stderr (only if generation takes more than two seconds),
        or advance the given bar by one step per stage (:data:`PROGRESS_STEPS` steps).
    counterfactual : bool
        Return the counterfactual twin instead: the same seed with no PACE effect, drawn
        with common random numbers (see :func:`generate_twins`).

    Returns
    -------
    Dataset
        Journeys and placements with ``meta`` describing the generator.
    """
    worlds = _generate(seed, scale, start, end, extract_date, params, progress, counterfactual)
    return worlds[-1]


def generate_twins(
    seed: int = DEFAULT_SEED,
    scale: float = 1.0,
    start: date = DEFAULT_START,
    end: date = DEFAULT_END,
    extract_date: date = DEFAULT_EXTRACT,
    params: Parameters | None = None,
) -> tuple[Dataset, Dataset]:
    """The dataset of :func:`generate` and its counterfactual twin without a PACE effect.

    The twin uses the same seed with every PACE stage multiplier set to 1 and **common
    random numbers**: every journey that exists in both worlds (identified by child and
    re-entry number) gets exactly the same random draws, so a child whose journey PACE
    did not touch (a council that never joined, a journey over before its council joined)
    is identical in both, and a touched child differs only through the effect. Journeys
    that exist only in the twin (a re-entry that PACE prevented or moved past the window)
    draw from an independent stream. The first dataset is byte-identical to
    ``generate(seed, ...)``. The true effect of PACE on any measure is the measure in the
    first minus the measure in the twin.

    Returns
    -------
    (Dataset, Dataset)
        With the PACE effect, and the twin (``meta["counterfactual"]`` is true).
    """
    with_pace, twin = _generate(seed, scale, start, end, extract_date, params, False, True,
                                both=True)
    return with_pace, twin


def _no_pace(p: Parameters) -> Parameters:
    return replace(p, pace_effect={k: 0.0 for k in p.pace_effect})


def _generate(seed, scale, start, end, extract_date, params, progress, counterfactual,
              both: bool = False) -> list[Dataset]:
    p = params or Parameters()
    if int(seed) != seed or seed < 0:
        raise PaceError(f"seed must be a whole number of 0 or more, not {seed!r}")
    if not (scale > 0 and np.isfinite(scale)) or scale > 1000:
        raise PaceError(f"scale must be a number above 0 and at most 1000, not {scale!r}")
    if not start < end:
        raise PaceError(f"the window start {start} must be before its end {end}")
    if extract_date < end:
        raise PaceError(f"the extract date {extract_date} is before the window end {end}")
    lo_day, hi_day, extract = _days(start), _days(end), _days(extract_date)
    s_auth, s_journeys, s_ids = np.random.SeedSequence(seed).spawn(3)
    fx = _Authorities.draw(np.random.default_rng(s_auth), p)
    rng = np.random.default_rng(s_journeys)
    own_bar = not isinstance(progress, tqdm)
    bar = _progress_bar(PROGRESS_STEPS, not progress) if own_bar else progress
    bar.set_postfix_str("children", refresh=False)

    first = lo_day - int(p.warmup_years * YEAR)
    n = rng.poisson(scale * p.first_starts_per_year * (hi_day - first + 1) / YEAR)
    la = rng.integers(first, hi_day + 1, n).astype(float)
    auth = rng.choice(len(AUTHORITIES), n, p=fx.weight)
    band = rng.choice(len(AGE_BANDS), n, p=p.band_share)
    lo_age = np.array([b[0] for b in AGE_BANDS])[band]
    hi_age = np.array([b[1] for b in AGE_BANDS])[band]
    age = rng.uniform(lo_age, hi_age)
    age = np.where((band == 0) & (rng.random(n) < p.at_birth_share), rng.uniform(0, 7 / YEAR, n), age)
    dob = la - np.floor(age * YEAR)
    male = rng.random(n) < p.male_share
    child = np.arange(n)
    perm_ids = np.random.default_rng(s_ids).permutation(n)
    bar.update()
    bar.set_postfix_str("journeys", refresh=False)

    if not counterfactual:
        worlds = [(rng, p)]
    else:
        tape = _Tape(rng)
        aux = np.random.default_rng(np.random.SeedSequence([seed, 903]))
        worlds = [(tape, p), (_Replay(tape, aux), _no_pace(p))]
    out = []
    for k, (draws, pw) in enumerate(worlds):
        world_bar = bar if k == 0 else _progress_bar(PROGRESS_STEPS, True)
        j, pl = _journeys(draws, pw, fx, la, dob, auth, child, perm_ids, lo_day, hi_day, extract,
                          world_bar)
        out.append(_tables(j, pl, perm_ids[j["child"]], male, extract))
    bar.update()
    meta = {
        "route_set": "scotland",
        "source": "synthetic",
        "generator": "pace_analysis.synthetic",
        "model_version": MODEL_VERSION,
        "seed": int(seed),
        "scale": float(scale),
        "window": {"start": start.isoformat(), "end": end.isoformat()},
        "extract_date": extract_date.isoformat(),
        "left_truncated": (
            f"journeys that began before {start.isoformat()} and were still open on that "
            "date are included; analyse them with late entry at the window start"
        ),
    }
    twin_meta = {**meta, "counterfactual": (
        "twin without the PACE effect (same seed, common random numbers)")}
    if own_bar:
        bar.close()
    datasets = [Dataset(journeys, placements, load_route_set("scotland"), None,
                        twin_meta if k == 1 else dict(meta), [])
                for k, (journeys, placements) in enumerate(out)]
    return datasets if both else datasets[-1:]


def _journeys(rng, p: Parameters, fx: _Authorities, la, dob, auth, child, perm_ids, lo_day: int,
              hi_day: int, extract: int, bar: tqdm) -> tuple[dict, dict]:
    """Journeys (first ones and re-entries) and their placements, drawn from *rng*."""
    _block(rng, "journeys0", child * 4)
    parts = [_simulate(rng, p, fx, la, dob, auth, extract)]
    parts[0]["child"] = child
    parts[0]["entry"] = np.zeros(child.size, dtype=int)
    for k in range(1, 4):  # re-entries after a return home (and re-entries of those)
        prev = parts[-1]
        new_la = prev["exit"] + prev["reentry_gap"]
        again = ((prev["reason"] == 0) & (prev["route"] == 0) & (prev["reentry_u"] < p.reentry_share)
                 & (new_la <= hi_day) & ((new_la - prev["dob"]) / YEAR < 17.5))
        if not again.any():
            break
        _block(rng, f"journeys{k}", prev["child"][again] * 4 + k)
        part = _simulate(rng, p, fx, new_la[again], prev["dob"][again], prev["auth"][again], extract)
        part["child"] = prev["child"][again]
        part["entry"] = np.full(part["child"].size, k)
        parts.append(part)
    j = {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
    bar.update()
    bar.set_postfix_str("placements", refresh=False)

    keep = (j["la"] <= hi_day) & ((j["la"] >= lo_day) | np.isnan(j["exit"]) | (j["exit"] >= lo_day))
    j = {k: v[keep] for k, v in j.items()}
    ids = perm_ids[j["child"]]
    order = np.lexsort((ids, j["auth"], j["la"]))
    j = {k: v[order] for k, v in j.items()}
    _block(rng, "placements", j["child"] * 4 + j["entry"])
    pl = _placements(rng, p, j, extract)
    bar.update()
    bar.set_postfix_str("tables", refresh=False)
    return j, pl


def _tables(j: dict, pl: dict, ids: np.ndarray, male: np.ndarray,
            extract: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The journeys and placements tables of one world."""
    m = j["la"].size
    names = np.array([a.name for a in AUTHORITIES], dtype=object)
    journey_ids = pd.Series(np.arange(1, m + 1)).astype(str).str.zfill(8).radd("J").to_numpy()
    journeys = pd.DataFrame({
        "journey_id": journey_ids,
        "child_id": pd.Series(ids + 1).astype(str).str.zfill(8).radd("C").to_numpy(),
        "authority": names[j["auth"]],
        "sex": np.where(male[j["child"]], "male", "female").astype(object),
        "date_of_birth": _dates(j["dob"]),
        "looked_after_date": _dates(j["la"]),
        "legal_basis": _codes(_LEGAL, j["legal"]),
        "accommodated_date": _dates(j["acc"]),
        "permanence_recommendation_date": _dates(j["rec"]),
        "planned_route": _codes(_ROUTE_CODES, j["planned"]),
        "panel_date": _dates(j["panel"]),
        "adm_decision_date": _dates(j["adm"]),
        "application_lodged_date": _dates(j["lodged"]),
        "permanence_route": _codes(_ROUTE_CODES, j["route"]),
        "permanence_date": _dates(j["perm"]),
        "exit_date": _dates(j["exit"]),
        "exit_reason": _codes(_REASONS, j["reason"]),
        "extract_date": _dates(np.full(m, float(extract))),
    })
    placements = pd.DataFrame({
        "journey_id": journey_ids[pl["journey"]],
        "start_date": _dates(pl["start"]),
        "end_date": _dates(pl["end"]),
        "placement_type": _codes(_TYPE_CODES, pl["type"]),
    })
    assert list(journeys.columns) == [c.name for c in JOURNEY_COLUMNS]
    assert list(placements.columns) == [c.name for c in PLACEMENT_COLUMNS]
    return journeys, placements


#: Changes tested after the first one, for the synthetic tests-of-change log.
PDSA_CHANGES: tuple[str, ...] = (
    "Permanence planning meeting within 12 weeks of accommodation",
    "Tracking spreadsheet of every child's permanence milestones",
    "Panel papers drafted in parallel with the legal referral",
    "Early legal advice on permanence at the first looked-after review",
    "Agency decision maker decision within two weeks of panel",
    "Reviewing officer checks the permanence plan at every review",
    "Joint training for social workers and Reporters on permanence timescales",
    "Fortnightly drift and delay huddle with team managers",
)
FIRST_CHANGE = "Formal review two weeks after accommodation"


def generate_tests_of_change(seed: int = DEFAULT_SEED, extract_date: date = DEFAULT_EXTRACT) -> pd.DataFrame:
    """Dated PACE tests of change for each participating authority (synthetic).

    Each participant starts with a formal review two weeks after accommodation, within
    two months of joining PACE, then tests one to three further changes (PDSA cycles)
    two to ten months apart. Changes after *extract_date* are left out. The log depends
    on the seed only, not on the scale.

    Returns
    -------
    pandas.DataFrame
        Columns ``authority``, ``date`` (datetime64), ``change``, sorted by authority
        and date.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    rows = []
    for a in AUTHORITIES:
        if a.pace_start is None:
            continue
        first = _days(a.pace_start) + int(rng.integers(0, 61))
        k = int(rng.integers(1, 4))
        gaps = rng.integers(60, 301, k)
        picks = rng.choice(len(PDSA_CHANGES), k, replace=False)
        rows.append((a.name, first, FIRST_CHANGE))
        rows += [(a.name, first + int(g), PDSA_CHANGES[c])
                 for g, c in zip(np.cumsum(gaps), picks, strict=True)]
    out = pd.DataFrame(rows, columns=["authority", "day", "change"])
    out = out[out["day"] <= _days(extract_date)]
    out.insert(1, "date", _dates(out.pop("day").to_numpy().astype(float)))
    return out.sort_values(["authority", "date"], kind="stable").reset_index(drop=True)


def write_tests_of_change(frame: pd.DataFrame, out_dir: str | Path) -> Path:
    """Write ``tests_of_change.csv`` into *out_dir* atomically (temporary file, then rename)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    text = frame.assign(date=frame["date"].dt.strftime("%Y-%m-%d"))
    fd, tmp = tempfile.mkstemp(prefix=f".{TESTS_OF_CHANGE_FILE}.", dir=out)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            text.to_csv(fh, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out / TESTS_OF_CHANGE_FILE)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out / TESTS_OF_CHANGE_FILE


# --------------------------------------------------------------------------- CLI


def _iso(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in the form YYYY-MM-DD: {text!r}") from None


def configure_cli(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``pace synth``."""
    parser.add_argument("--out", metavar="DIR", help="dataset folder to write")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="size relative to all of Scotland (default 1)")
    parser.add_argument("--start", type=_iso, default=None,
                        help=f"first looked-after date of the window (default {DEFAULT_START})")
    parser.add_argument("--end", type=_iso, default=DEFAULT_END,
                        help=f"last looked-after date of the window (default {DEFAULT_END})")
    parser.add_argument("--extract-date", type=_iso, default=DEFAULT_EXTRACT,
                        help=f"censoring date (default {DEFAULT_EXTRACT})")
    parser.add_argument("--format", dest="fmt", default="csv.gz",
                        choices=["csv", "csv.gz", "parquet", "ssda903"],
                        help="file format (default csv.gz); ssda903 writes England's annual "
                             "Header and Episodes returns instead, for the importer")
    parser.add_argument("--multi-year", action="store_true",
                        help="with --format ssda903: one Header and one Episodes file for all "
                             "years (as a case-system extract), not one pair per return year")
    parser.add_argument("--no-pace-effect", action="store_true",
                        help="write the counterfactual twin: the same seed with no PACE effect "
                             "(common random numbers; the true effect of PACE is the "
                             "difference from the dataset without this option)")
    parser.add_argument("--calibration", nargs="?", const="", default=None, metavar="DIR",
                        help="print the calibration table: of freshly generated data "
                             "(--seed, --scale, window), or of the dataset in DIR")


#: Peak memory of ``pace synth`` is about BASE + PER_SCALE * scale bytes (measured: 0.26 GB
#: at scale 1, 0.66 GB at scale 4, Python 3.11, numpy 2).
MEMORY_BASE, MEMORY_PER_SCALE = 130 * 2**20, 140 * 2**20
#: Disk space of the written dataset per unit of scale (CSV, the largest format), bytes.
DISK_PER_SCALE = 25 * 2**20


def available_memory() -> int | None:
    """Memory the system can still give this process (bytes; ``MemAvailable``), or None."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def check_scale(scale: float, available: int | None = None) -> int:
    """Refuse a scale that cannot fit in memory; return the estimated peak (bytes).

    Raises
    ------
    PaceError
        The scale is not a positive finite number, or the estimated peak memory exceeds
        80% of the memory available (the message gives the estimate and the largest
        scale that fits).
    """
    if not (scale > 0 and np.isfinite(scale)):
        raise PaceError(f"--scale must be a number above 0, not {scale!r}")
    need = int(MEMORY_BASE + MEMORY_PER_SCALE * scale)
    avail = available_memory() if available is None else available
    if avail is not None and need > 0.8 * avail:
        fits = max((0.8 * avail - MEMORY_BASE) / MEMORY_PER_SCALE, 0)
        raise PaceError(
            f"--scale {scale:g} needs about {need / 2**30:.1f} GB of memory "
            f"({scale * 66_000:,.0f} journeys) but {avail / 2**30:.1f} GB is available; "
            f"the largest scale that fits is about {fits:.0f}")
    return need


def run_cli(args: argparse.Namespace) -> int:
    """Run ``pace synth``: write a dataset, or print the calibration table."""
    from pace_analysis.calibration import calibration_table, format_table
    from pace_analysis.writing import check_writable

    start_given = args.start is not None
    args.start = args.start or DEFAULT_START
    if not args.calibration:
        check_scale(args.scale)
    if args.out and args.calibration is None:
        out = Path(args.out)
        if out.exists() and not out.is_dir():
            raise PaceError(f"--out {args.out} exists and is not a folder")
        parent = next((p for p in [out, *out.parents] if p.exists()), Path("."))
        check_writable(parent, need=int(DISK_PER_SCALE * args.scale) + (1 << 20),
                       what="--out folder")

    if args.calibration is not None:
        if args.calibration:
            from pace_analysis.io import read_dataset

            dataset = read_dataset(args.calibration)
        else:
            dataset = generate(args.seed, args.scale, args.start, args.end, args.extract_date,
                               progress=True, counterfactual=args.no_pace_effect)
        table = calibration_table(dataset)
        print(format_table(table))
        if args.out:
            print("pace synth: --out is ignored with --calibration", file=sys.stderr)
        return 0
    if not args.out:
        raise PaceError("give --out DIR to write a dataset, or --calibration to check one")
    if args.fmt == "ssda903":
        from pace_analysis.importers.ssda903_export import write_ssda903

        dataset = generate(args.seed, args.scale, args.start, args.end, args.extract_date,
                           progress=True, counterfactual=args.no_pace_effect)
        # The returns from the one holding --start (journeys open then are re-reported in
        # it, as a real return re-reports every open episode) to the one holding the extract.
        # Without --start: every return from the one holding the earliest episode (so that
        # every journey, even one begun long before the window, comes back whole).
        first = (args.start if start_given else
                 dataset.journeys["looked_after_date"].min().date())
        first_year = first.year - (first.month < 4)
        last = args.extract_date.year - (args.extract_date.month < 4)
        years = [f"{y}/{(y + 1) % 100:02d}" for y in range(first_year, last + 1)]
        files = write_ssda903(dataset, args.out, years=years, single_file=args.multi_year)
        what = (f"one multi-year file pair ({years[0]} to {years[-1]})" if args.multi_year
                else f"{len(files) // 2} SSDA903 return years ({years[0]} to {years[-1]})")
        print(f"wrote {what} to {args.out}; re-import with: pace import ssda903 "
              f"--extract-date {args.extract_date} --header ... --episodes ...")
        return 0
    from pace_analysis.io import write_dataset

    with _progress_bar(PROGRESS_STEPS + 1, disable=False) as bar:
        dataset = generate(args.seed, args.scale, args.start, args.end, args.extract_date,
                           progress=bar, counterfactual=args.no_pace_effect)
        bar.set_postfix_str(f"writing {args.fmt}", refresh=False)
        out = write_dataset(dataset, args.out, args.fmt)
        write_tests_of_change(generate_tests_of_change(args.seed, args.extract_date), out)
        bar.update()
    print(f"wrote {len(dataset.journeys):,} journeys and {len(dataset.placements):,} placements "
          f"for {len(dataset.authorities)} authorities to {out} ({args.fmt})")
    return 0
