"""Wild cluster bootstrap-t and randomisation inference over join dates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pace_analysis.errors import PaceError
from pace_analysis.evaluation.estimator import att_gt
from pace_analysis.evaluation.inference import multipliers, randomisation_test, wild_bootstrap

YEARS = list(range(2008, 2020))
#: 20 councils in four waves and 6 that never join (a small version of Scotland's design).
JOINS = {f"c{k:02d}": (2012 + k % 4 if k < 20 else None) for k in range(26)}


def _panel(rng: np.random.Generator, effect: float = 0.0, sd: float = 1.0) -> pd.DataFrame:
    units = list(JOINS)
    level = rng.normal(0, 2, (len(units), 1))
    year = rng.normal(0, 1, (1, len(YEARS)))
    y = level + year + rng.normal(0, sd, (len(units), len(YEARS)))
    g = np.array([JOINS[u] or 9999 for u in units])[:, None]
    y = y + effect * (np.array(YEARS)[None, :] >= g)
    return pd.DataFrame(y, index=units, columns=YEARS)


def test_multipliers_have_mean_0_and_variance_1():
    for kind in ("webb", "rademacher"):
        xi = multipliers(40, 5000, kind, seed=3)
        assert abs(xi.mean()) < 0.01 and abs(xi.var() - 1) < 0.01
    assert np.array_equal(multipliers(5, 10, seed=1), multipliers(5, 10, seed=1))
    with pytest.raises(PaceError, match="bootstrap weights"):
        multipliers(5, 10, "normal")


def test_deterministic_given_the_seed():
    gt = att_gt(_panel(np.random.default_rng(0)), JOINS)
    agg = gt.aggregate("event", (-3, 3))
    a, b = (wild_bootstrap(gt, agg, 499, seed=5) for _ in range(2))
    pd.testing.assert_frame_equal(a, b)
    c = wild_bootstrap(gt, agg, 499, seed=6)
    assert not np.allclose(a["ci_low"], c["ci_low"])


def test_intervals_cover_the_truth_in_repeated_panels():
    # Independent panels with a known effect of 1: the 95% intervals of the overall
    # effect and the uniform band of the event study must cover it about 95% of the time.
    rng = np.random.default_rng(11)
    hits, band_hits, n = 0, 0, 150
    for r in range(n):
        gt = att_gt(_panel(rng, effect=1.0), JOINS)
        ov = wild_bootstrap(gt, gt.aggregate("overall", (-3, 3)), 199, seed=r)
        hits += bool(((ov["ci_low"] <= 1.0) & (1.0 <= ov["ci_high"])).iloc[0])
        ev = wild_bootstrap(gt, gt.aggregate("event", (0, 3)), 199, seed=r)
        band_hits += bool(((ev["band_low"] <= 1.0) & (1.0 <= ev["band_high"])).all())
    assert 0.9 <= hits / n <= 0.99
    assert 0.88 <= band_hits / n <= 1.0


def test_p_values_small_under_a_large_effect_and_not_under_none():
    rng = np.random.default_rng(2)
    gt = att_gt(_panel(rng, effect=3.0), JOINS)
    assert wild_bootstrap(gt, gt.aggregate("overall"), 999)["p_value"].iloc[0] < 0.01
    p0 = [wild_bootstrap(g, g.aggregate("overall"), 199, seed=k)["p_value"].iloc[0]
          for k, g in enumerate(att_gt(_panel(rng), JOINS) for _ in range(60))]
    assert 0.02 <= np.mean(np.array(p0) < 0.05) <= 0.12


def test_reference_cells_get_no_interval_width():
    gt = att_gt(_panel(np.random.default_rng(4)), JOINS)
    ev = wild_bootstrap(gt, gt.aggregate("event", (-3, 3)), 199)
    ref = ev[ev["reference"]]
    assert len(ref) == 1 and ref["e"].iloc[0] == -1
    assert (ref["ci_low"] == 0).all() and (ref["ci_high"] == 0).all()


def test_randomisation_test():
    rng = np.random.default_rng(8)
    big = randomisation_test(_panel(rng, effect=3.0), JOINS, n_perm=99, seed=1)
    assert big["p_value"] == pytest.approx(1 / 100) and big["n_perm"] == 99
    null = [randomisation_test(_panel(rng), JOINS, n_perm=39, seed=k)["p_value"]
            for k in range(12)]
    assert 0.3 < np.mean(null) < 0.7   # uniform under the null: mean 0.5


def test_bad_arguments():
    gt = att_gt(_panel(np.random.default_rng(0)), JOINS)
    with pytest.raises(PaceError, match="level"):
        wild_bootstrap(gt, level=1.5)
    with pytest.raises(PaceError, match="n_boot"):
        wild_bootstrap(gt, n_boot=10)
