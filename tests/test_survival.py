"""Kaplan–Meier tables (pace_analysis.survival) against R and hand computation.

Reference values: tests/reference/survival_ref_*.csv, written by
tests/reference/survival_reference.R (R survival 3.5-3) from the committed frames
survival_hand_frame.csv and survival_synthetic_frame.csv. Variant "rc" ignores entry_days,
"lt" uses late entry. Tolerance 1e-6 (the values agree to ~1e-15).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pace_analysis.errors import PaceError
from pace_analysis.survival import (
    at_risk_table,
    kaplan_meier,
    median_time,
    restricted_mean,
    share_by,
)

REF = Path(__file__).parent / "reference"
TOL = 1e-6


def read_ref(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name, keep_default_na=False, na_values=["NA"])


def frames() -> dict[str, pd.DataFrame]:
    flat = pd.DataFrame({"time_days": [10.0, 20, 30, 40], "event_observed": [True, True, False, True],
                         "entry_days": 0.0})
    return {"hand": pd.read_csv(REF / "survival_hand_frame.csv"),
            "synthetic": pd.read_csv(REF / "survival_synthetic_frame.csv"), "flat": flat}


FRAMES = frames()


def frame_for(dataset: str, variant: str) -> pd.DataFrame:
    f = FRAMES[dataset].copy()
    if variant == "rc":
        f["entry_days"] = 0.0
    return f


def cases(ref: pd.DataFrame) -> list[tuple[str, str, str]]:
    return sorted({(r.dataset, r.variant, r.by) for r in ref.itertuples()})


KM_REF = read_ref("survival_ref_km.csv")
SUMMARY_REF = read_ref("survival_ref_summary.csv")
TIMES_REF = read_ref("survival_ref_times.csv")


def assert_close(actual, expected, tol=TOL):
    np.testing.assert_allclose(np.asarray(actual, float), np.asarray(expected, float),
                               rtol=0, atol=tol, equal_nan=True)


@pytest.mark.parametrize(("dataset", "variant", "by"), cases(KM_REF))
def test_kaplan_meier_matches_r_survfit_loglog(dataset, variant, by):
    ref = KM_REF[(KM_REF.dataset == dataset) & (KM_REF.variant == variant) & (KM_REF.by == by)]
    km = kaplan_meier(frame_for(dataset, variant), by=by or None)
    assert len(km) == len(ref)
    m = km.merge(ref, on=["group", "time_days"], suffixes=("", "_r"), validate="1:1")
    assert len(m) == len(ref)
    for col in ("at_risk", "events", "censored", "survival"):
        assert_close(m[col], m[col + "_r"])
    # R gives NA where S is 1 or 0; we give [S, S] there (documented)
    na = m["ci_lower_r"].isna()
    assert set(m.loc[na, "survival"]) <= {0.0, 1.0}
    assert_close(m.loc[na, "ci_lower"], m.loc[na, "survival"])
    assert_close(m.loc[na, "ci_upper"], m.loc[na, "survival"])
    assert_close(m.loc[~na, "ci_lower"], m.loc[~na, "ci_lower_r"])
    assert_close(m.loc[~na, "ci_upper"], m.loc[~na, "ci_upper_r"])


@pytest.mark.parametrize(("dataset", "variant", "by"), cases(SUMMARY_REF))
def test_median_and_restricted_mean_match_r_print_survfit(dataset, variant, by):
    ref = SUMMARY_REF[(SUMMARY_REF.dataset == dataset) & (SUMMARY_REF.variant == variant)
                      & (SUMMARY_REF.by == by)]
    f = frame_for(dataset, variant)
    med = median_time(f, by=by or None).merge(ref, on="group", suffixes=("", "_r"))
    assert len(med) == len(ref)
    assert (med["n"] == med["n_r"]).all() and (med["events"] == med["events_r"]).all()
    for col in ("median_days", "ci_lower", "ci_upper"):
        assert_close(med[col], med[col + "_r"])
    assert (med["reached"] == med["median_days_r"].notna()).all()
    rm = restricted_mean(f, float(ref["tau_days"].iloc[0]), by=by or None)
    rm = rm.merge(ref, on="group", suffixes=("", "_r"))
    assert_close(rm["rmst_days"], rm["rmst_days_r"])
    assert_close(rm["se"], rm["se_r"])


@pytest.mark.parametrize(("dataset", "variant", "by"), cases(TIMES_REF))
def test_share_and_at_risk_match_r_summary_times(dataset, variant, by):
    ref = TIMES_REF[(TIMES_REF.dataset == dataset) & (TIMES_REF.variant == variant)
                    & (TIMES_REF.by == by)]
    f = frame_for(dataset, variant)
    times = sorted(ref["time_days"].unique())
    ar = at_risk_table(f, times, by=by or None).merge(ref, on=["group", "time_days"],
                                                      suffixes=("", "_r"))
    assert len(ar) == len(ref)
    if variant == "rc":
        assert (ar["at_risk"] == ar["at_risk_r"]).all()
    else:
        # With late entry R's summary(times = t) reports the risk set at the next observed
        # time after t, which also counts journeys entering between t and that time; we
        # report the risk set at t itself: entry_days < t <= time_days (documented).
        for row in ar.itertuples():
            g = f if not by else f[f[by] == row.group]
            direct = ((np.where(g["entry_days"] > 0, g["entry_days"], -np.inf) < row.time_days)
                      & (row.time_days <= g["time_days"])).sum()
            assert row.at_risk == direct
            assert row.at_risk <= row.at_risk_r
    sh = share_by(f, times, by=by or None).merge(ref, on=["group", "time_days"],
                                                 suffixes=("", "_r"))
    est = sh[sh["estimable"]]
    assert len(est) > 0
    assert_close(est["share"], 1 - est["survival"])
    inside = est["ci_lower_r"].notna()
    assert_close(est.loc[inside, "ci_lower"], 1 - est.loc[inside, "ci_upper_r"])
    assert_close(est.loc[inside, "ci_upper"], 1 - est.loc[inside, "ci_lower_r"])
    # beyond a group's last follow-up time the share is not estimable (R extends S flat)
    last = f.groupby(by)["time_days"].max() if by else pd.Series({"All": f["time_days"].max()})
    assert (sh["estimable"] == (sh["time_days"] <= sh["group"].map(last))).all()


def test_hand_product_limit_values():
    f = frame_for("hand", "rc")
    km = kaplan_meier(f).set_index("time_days")
    # day 0: 3 of 21 reach permanence -> 18/21; day 30: 2 of 18 (one more censored) -> x 16/18;
    # day 45 one censored; day 50: 1 of 14 -> x 13/14; day 60: 3 of 13 -> x 10/13,
    # so S(60) = 16/21 * 13/14 * 10/13 = 80/147
    assert km.loc[0, "survival"] == pytest.approx(18 / 21, abs=1e-12)
    assert km.loc[30, "survival"] == pytest.approx(16 / 21, abs=1e-12)
    assert km.loc[60, "at_risk"] == 13
    assert km.loc[60, "survival"] == pytest.approx(80 / 147, abs=1e-12)
    # log-log CI from Greenwood: var(log S) = sum d / (n (n - d))
    v = 3 / (21 * 18) + 2 / (18 * 16) + 1 / (14 * 13) + 3 / (13 * 10)
    s = 80 / 147
    lo = np.exp(-np.exp(np.log(-np.log(s)) - 1.959963984540054 * np.sqrt(v) / np.log(s)))
    assert km.loc[60, "ci_lower"] == pytest.approx(lo, abs=1e-12)
    lt = kaplan_meier(frame_for("hand", "lt")).set_index("time_days")
    # with late entry 17 journeys are at risk at day 0 (3 events); at day 30 the 14 left plus
    # the two who entered at days 10 and 20 (16), 2 events; at day 50 the two entering at
    # day 50 are not yet at risk (entry < t): 12 at risk, 1 event; at day 60 they are: 13
    assert lt.loc[0, "at_risk"] == 17 and lt.loc[30, "at_risk"] == 16
    assert lt.loc[50, "at_risk"] == 12 and lt.loc[60, "at_risk"] == 13
    assert lt.loc[50, "survival"] == pytest.approx(14 / 17 * 14 / 16 * 11 / 12, abs=1e-12)


def test_median_on_flat_step_is_midpoint_as_r():
    # S = 3/4 after day 10, exactly 1/2 from day 20 (censoring at 30 keeps it flat), 0 at 40:
    # R's print.survfit takes the midpoint (20 + 40) / 2 = 30, not the first time S <= 0.5 (20)
    med = median_time(FRAMES["flat"])
    assert med.loc[0, "median_days"] == 30 and med.loc[0, "reached"]
    # a flat 0.5 to the end of follow-up gives the step's start, as R
    tail = pd.DataFrame({"time_days": [10.0, 20], "event_observed": [True, False]})
    assert median_time(tail).loc[0, "median_days"] == 10


def test_all_censored_group_is_flat_with_median_not_reached():
    f = frame_for("hand", "rc")
    km = kaplan_meier(f, by="age_group")
    old = km[km["group"] == "12+"]
    assert (old["survival"] == 1).all() and (old["events"] == 0).all()
    assert (old["ci_lower"] == 1).all() and (old["ci_upper"] == 1).all()
    med = median_time(f, by="age_group").set_index("group")
    assert not med.loc["12+", "reached"] and np.isnan(med.loc["12+", "median_days"])
    rm = restricted_mean(f, 365, by="age_group").set_index("group")
    assert rm.loc["12+", "rmst_days"] == 365 and rm.loc["12+", "se"] == 0


def test_empty_category_gives_defined_rows():
    f = frame_for("hand", "rc")
    f["age_group"] = pd.Categorical(f["age_group"], categories=["under 1", "1-4", "5-11", "12+", "18+"],
                                    ordered=True)
    km = kaplan_meier(f, by="age_group")
    assert "18+" not in set(km["group"])
    med = median_time(f, by="age_group").set_index("group")
    assert list(med.index) == ["under 1", "1-4", "5-11", "12+", "18+"]
    assert med.loc["18+", "n"] == 0 and not med.loc["18+", "reached"]
    sh = share_by(f, [100], by="age_group").set_index("group")
    assert not sh.loc["18+", "estimable"] and sh.loc["18+", "n"] == 0
    ar = at_risk_table(f, [0, 100], by="age_group")
    assert (ar.loc[ar["group"] == "18+", "at_risk"] == 0).all()
    rm = restricted_mean(f, 365, by="age_group").set_index("group")
    assert rm.loc["18+", "n"] == 0 and np.isnan(rm.loc["18+", "rmst_days"])


def test_one_child():
    one = pd.DataFrame({"time_days": [5.0], "event_observed": [True]})
    km = kaplan_meier(one)
    assert km["survival"].tolist() == [0.0] and km["ci_lower"].tolist() == [0.0]
    assert median_time(one).loc[0, "median_days"] == 5
    sh = share_by(one, [1, 5, 6])
    assert sh["share"].tolist()[:2] == [0.0, 1.0] and not sh["estimable"].iloc[2]
    assert restricted_mean(one, 10).loc[0, "rmst_days"] == 5


def test_missing_group_values_form_their_own_group():
    f = frame_for("hand", "rc")
    f.loc[:4, "authority"] = None
    groups = median_time(f, by="authority")["group"].tolist()
    assert groups == ["Moray", "Stirling", "(not recorded)"]


def test_two_by_columns():
    f = frame_for("hand", "rc")
    med = median_time(f, by=["authority", "sex"])
    assert med["group"].tolist() == ["Moray, female", "Moray, male", "Stirling, female",
                                     "Stirling, male"]
    assert med["n"].sum() == len(f)


@pytest.mark.parametrize(("change", "message"), [
    (lambda f: f.iloc[:0], "no journeys"),
    (lambda f: f.assign(time_days=np.where(f.index == 3, np.nan, f["time_days"])), "missing time"),
    (lambda f: f.assign(time_days=-f["time_days"] - 1), "negative"),
    (lambda f: f.assign(entry_days=np.where(f.index == 3, f["time_days"], 0)), "late entrant"),
    (lambda f: f.drop(columns="event_observed"), "no column"),
])
def test_bad_frames_raise_clear_errors(change, message):
    with pytest.raises(PaceError, match=message):
        kaplan_meier(change(frame_for("hand", "rc")))


def test_bad_arguments():
    f = frame_for("hand", "rc")
    with pytest.raises(PaceError, match="conf_level"):
        kaplan_meier(f, conf_level=95)
    with pytest.raises(PaceError, match="times"):
        share_by(f, [-1])
    with pytest.raises(PaceError, match="no column"):
        median_time(f, by="region")


def test_event_flags_must_be_boolean():
    f = frame_for("hand", "rc")
    as_text = f.assign(event_observed=f["event_observed"].map({True: "True", False: "False"}))
    assert kaplan_meier(as_text)["survival"].tolist() == kaplan_meier(f)["survival"].tolist()
    with pytest.raises(PaceError, match="True/False"):
        kaplan_meier(f.assign(event_observed=np.where(f.index == 2, None, f["event_observed"])))


def test_tables_say_how_exits_are_treated():
    f = frame_for("hand", "rc")
    for table in (kaplan_meier(f), median_time(f), share_by(f), at_risk_table(f, [0]),
                  restricted_mean(f, 100)):
        assert "exits without permanence censored" in table.attrs["censoring"]
