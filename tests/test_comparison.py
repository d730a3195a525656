"""Group comparisons (pace_analysis.comparison) against R and hand computation.

Reference values: tests/reference/survival_ref_{tests,cox,zph}.csv from
tests/reference/survival_reference.R (R survival 3.5-3): survdiff, the trend test from
survdiff's obs/exp/var, pairwise survdiff + p.adjust("holm"), coxph (Efron) and cox.zph.
"lt" (late entry) log-rank references are computed in R from the risk sets (survdiff rejects
counting-process data). Tolerance 1e-6 everywhere; our Cox fit converges to ~1e-11 and R's
(eps = 1e-10) agrees to ~3e-9, well inside it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pace_analysis.comparison import (
    cox_model,
    holm,
    logrank_test,
    observed_expected,
    pairwise_logrank,
    proportional_hazards_check,
    trend_test,
)
from pace_analysis.errors import PaceError

REF = Path(__file__).parent / "reference"
TOL = 1e-6
AGE = ["under 1", "1-4", "5-11", "12+"]
COVARIATES = {"hand": ("authority", "sex", "legal_basis"),
              "synthetic": ("age_group", "authority", "sex", "legal_basis")}


def load(name: str) -> pd.DataFrame:
    f = pd.read_csv(REF / f"survival_{name}_frame.csv")
    f["age_group"] = pd.Categorical(f["age_group"], AGE, ordered=True)
    return f


FRAMES = {"hand": load("hand"), "synthetic": load("synthetic")}


def frame_for(dataset: str, variant: str) -> pd.DataFrame:
    f = FRAMES[dataset].copy()
    if variant == "rc":
        f["entry_days"] = 0.0
    return f


def read_ref(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name, keep_default_na=False, na_values=["NA"])


TESTS = read_ref("survival_ref_tests.csv")
COX = read_ref("survival_ref_cox.csv")
ZPH = read_ref("survival_ref_zph.csv")


def close(a, b, tol=TOL):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=0, atol=tol)


@pytest.mark.parametrize("row", [r for r in TESTS.itertuples() if r.test in ("logrank", "trend")],
                         ids=lambda r: f"{r.dataset}-{r.variant}-{r.test}-{r.by}")
def test_logrank_and_trend_match_r(row):
    f = frame_for(row.dataset, row.variant)
    res = (logrank_test(f, row.by) if row.test == "logrank" else trend_test(f, row.by)).iloc[0]
    close(res["chisq"], row.chisq)
    assert res["df"] == row.df
    close(res["p_value"], row.p)


@pytest.mark.parametrize(("dataset", "variant", "by"), sorted(
    {(r.dataset, r.variant, r.by) for r in TESTS.itertuples() if r.test == "pairwise"}))
def test_pairwise_holm_matches_r(dataset, variant, by):
    ref = TESTS[(TESTS.test == "pairwise") & (TESTS.dataset == dataset)
                & (TESTS.variant == variant) & (TESTS.by == by)]
    res = pairwise_logrank(frame_for(dataset, variant), by)
    m = res.merge(ref, on=["group1", "group2"], suffixes=("", "_r"), validate="1:1")
    assert len(m) == len(ref) == len(res)
    close(m["chisq"], m["chisq_r"])
    close(m["p_value"], m["p"])
    close(m["p_holm"], m["p_holm_r"])


@pytest.mark.parametrize(("dataset", "variant"), sorted({(r.dataset, r.variant) for r in COX.itertuples()}))
def test_cox_matches_r_coxph_efron(dataset, variant):
    ref = COX[(COX.dataset == dataset) & (COX.variant == variant)]
    res = cox_model(frame_for(dataset, variant), COVARIATES[dataset])
    # R names terms covariate+level; ours covariate[level]
    assert [t.replace("[", "").replace("]", "") for t in res["term"]] == ref["term"].tolist()
    for col, rcol in [("coef", "coef"), ("hazard_ratio", "hazard_ratio"), ("se", "se"),
                      ("z", "z"), ("p_value", "p"), ("ci_lower", "ci_lower"),
                      ("ci_upper", "ci_upper")]:
        close(res[col], ref[rcol])
    close(res["loglik"].iloc[0], ref["loglik"].iloc[0])
    assert res["events"].iloc[0] == ref["events"].iloc[0] and res["converged"].all()


@pytest.mark.parametrize(("dataset", "variant", "transform"),
                         sorted({(r.dataset, r.variant, r.transform) for r in ZPH.itertuples()}))
def test_ph_check_matches_r_cox_zph(dataset, variant, transform):
    ref = ZPH[(ZPH.dataset == dataset) & (ZPH.variant == variant) & (ZPH["transform"] == transform)]
    res = proportional_hazards_check(frame_for(dataset, variant), COVARIATES[dataset],
                                     transform=transform)
    assert res["term"].tolist() == ref["term"].tolist()
    close(res["chisq"], ref["chisq"])
    assert res["df"].tolist() == ref["df"].tolist()
    close(res["p_value"], ref["p"])


def test_logrank_by_hand():
    # A: events at 1 and 3; B: event at 2, censored at 4.
    # t=1: n=4, nA=2 -> E_A=1/2, V=(1*3/(16*3))*(4*2-2*2)=1/4; t=2: n=3, nA=1 -> E_A=1/3,
    # V=(2/18)*(3-1)=2/9; t=3: n=2, nA=1 -> E_A=1/2, V=(1/4)*(2-1)=1/4.
    # O_A - E_A = 2 - 4/3 = 2/3, V = 13/18, chisq = (4/9)/(13/18) = 8/13; E_B = 3 - 4/3.
    f = pd.DataFrame({"time_days": [1.0, 3, 2, 4], "event_observed": [True, True, True, False],
                      "g": ["A", "A", "B", "B"]})
    assert logrank_test(f, "g")["chisq"].iloc[0] == pytest.approx(8 / 13, abs=1e-12)
    oe = observed_expected(f, "g")
    assert oe["expected"].tolist() == pytest.approx([4 / 3, 5 / 3], abs=1e-12)
    # two groups: the trend test is the log-rank test
    assert trend_test(f, "g")["chisq"].iloc[0] == pytest.approx(8 / 13, abs=1e-12)


def test_holm_by_hand():
    # sorted p 0.01, 0.03, 0.04 -> 3*0.01, max(0.03, 2*0.03), max(0.06, 1*0.04)
    assert holm([0.01, 0.04, 0.03]).tolist() == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.9]).tolist() == pytest.approx([1.0, 1.0])
    out = holm([0.02, np.nan])
    assert out[0] == pytest.approx(0.02) and np.isnan(out[1])


def test_empty_categories_are_left_out():
    f = frame_for("hand", "rc")
    f["age_group"] = f["age_group"].cat.add_categories("18+")
    assert logrank_test(f, "age_group")["n_groups"].iloc[0] == 4
    assert len(pairwise_logrank(f, "age_group")) == 6


def test_pair_without_events_is_not_testable():
    f = pd.DataFrame({"time_days": [1.0, 2, 3, 4, 5, 6], "event_observed": [True, True, False, False, False, False],
                      "g": ["a", "a", "b", "b", "c", "c"]})
    res = pairwise_logrank(f, "g").set_index(["group1", "group2"])
    assert not res.loc[("b", "c"), "testable"] and np.isnan(res.loc[("b", "c"), "p_holm"])
    assert res.loc[("a", "b"), "testable"]


@pytest.mark.parametrize(("frame", "message"), [
    (pd.DataFrame({"time_days": [1.0, 2], "event_observed": [False, False], "g": ["a", "b"]}), "no journey"),
    (pd.DataFrame({"time_days": [1.0, 2], "event_observed": [True, False], "g": ["a", "a"]}), "two groups"),
])
def test_logrank_undefined_raises(frame, message):
    with pytest.raises(PaceError, match=message):
        logrank_test(frame, "g")


def test_trend_scores_must_match_groups():
    with pytest.raises(PaceError, match="scores"):
        trend_test(frame_for("hand", "rc"), "age_group", scores=[1, 2])


def test_cox_reference_level_and_errors():
    f = frame_for("hand", "rc")
    a = cox_model(f, ("authority",)).iloc[0]
    b = cox_model(f, ("authority",), reference={"authority": "Stirling"}).iloc[0]
    assert a["reference_level"] == "Moray" and b["term"] == "authority[Moray]"
    assert b["coef"] == pytest.approx(-a["coef"], abs=1e-9)
    assert b["se"] == pytest.approx(a["se"], abs=1e-9)
    with pytest.raises(PaceError, match="not in the data"):
        cox_model(f, ("authority",), reference={"authority": "Fife"})
    with pytest.raises(PaceError, match="single level"):
        cox_model(f.assign(sex="female"), ("sex",))
    with pytest.raises(PaceError, match="missing"):
        cox_model(f.assign(sex=np.where(f.index == 0, None, f["sex"])), ("sex",))
    with pytest.raises(PaceError, match="no journey"):
        cox_model(f.assign(event_observed=False), ("sex",))


def test_cox_level_without_events_is_flagged():
    # the 12+ group of the hand data never reaches permanence: its coefficient diverges
    res = cox_model(frame_for("hand", "rc"), ("age_group",))
    assert not res["converged"].any()
    assert res.set_index("term").loc["age_group[12+]", "coef"] < -10


def test_ph_check_detects_crossing_hazards():
    # group "early" reaches permanence fast then never; "late" slowly: hazards cross
    rng = np.random.default_rng(7)
    n = 200
    early = np.where(rng.uniform(size=n) < 0.6, rng.integers(1, 100, n), 2000)
    late = rng.integers(300, 1500, n)
    f = pd.DataFrame({"time_days": np.concatenate([early, late]).astype(float),
                      "event_observed": np.concatenate([early < 2000, np.ones(n, bool)]),
                      "g": ["early"] * n + ["late"] * n})
    res = proportional_hazards_check(f, ("g",)).set_index("term")
    assert res.loc["g", "p_value"] < 1e-6
    # under proportional hazards (same distribution in both groups) no signal
    same = f.assign(g=rng.permutation(f["g"].to_numpy()))
    assert proportional_hazards_check(same, ("g",)).set_index("term").loc["g", "p_value"] > 0.001
