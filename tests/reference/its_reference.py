"""Reference numbers for the interrupted time series (Newey–West OLS), from statsmodels.

Writes ``its_series.csv`` (a fixed series: quarterly points with a level and slope change
and AR(1) noise, made with numpy's seeded generator) and ``its_ref_statsmodels.csv``
(OLS coefficients and HAC standard errors: Bartlett kernel, ``maxlags`` as
``pace_analysis.evaluation.its.newey_west_lag``, ``use_correction=True``). Run in an
environment with statsmodels::

    python -m venv /tmp/sm && /tmp/sm/bin/pip install statsmodels==0.15.0 pandas
    /tmp/sm/bin/python tests/reference/its_reference.py

The test suite reads the CSVs only (tests/test_evaluation_its.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
JOIN = "2016-04-01"


def series() -> pd.DataFrame:
    rng = np.random.default_rng(20140)
    periods = pd.period_range("2008Q3", "2024Q2", freq="Q").start_time
    t = ((periods - pd.Timestamp(JOIN)).days / 365.25).to_numpy()
    after = (t >= 0).astype(float)
    e = np.zeros(t.size)
    for i in range(1, t.size):
        e[i] = 0.6 * e[i - 1] + rng.normal(0, 20)
    y = 400 - 5 * t - 60 * after - 12 * t * after + e
    y[[5, 40]] = np.nan   # withheld periods
    return pd.DataFrame({"period": periods.strftime("%Y-%m"), "value": np.round(y, 3)})


def main() -> None:
    import statsmodels
    import statsmodels.api as sm

    s = series()
    s.to_csv(HERE / "its_series.csv", index=False, lineterminator="\n")
    ok = s["value"].notna()
    t = ((pd.to_datetime(s["period"]) - pd.Timestamp(JOIN)).dt.days / 365.25)[ok].to_numpy()
    after = (t >= 0).astype(float)
    x = np.column_stack([np.ones_like(t), t, after, t * after])
    n = int(ok.sum())
    lag = int(np.floor(4 * (n / 100) ** (2 / 9)))
    fit = sm.OLS(s["value"][ok].to_numpy(), x).fit(
        cov_type="HAC", cov_kwds={"maxlags": lag, "use_correction": True})
    pd.DataFrame({"term": ["level_before", "slope_before", "level_change", "slope_change"],
                  "estimate": fit.params, "se": fit.bse, "lag": lag}).to_csv(
        HERE / "its_ref_statsmodels.csv", index=False, float_format="%.12g",
        lineterminator="\n")
    (HERE / "its_ref_versions.txt").write_text(
        f"statsmodels {statsmodels.__version__}\npandas {pd.__version__}\n"
        f"numpy {np.__version__}\npython {sys.version.split()[0]}\n")


if __name__ == "__main__":
    main()
