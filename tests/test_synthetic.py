"""Tests of the synthetic generator: validity, structure, determinism, PACE effect, CLI."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pace_analysis import cli
from pace_analysis.authorities import AUTHORITIES, pace_participants
from pace_analysis.errors import PaceError
from pace_analysis.io import write_dataset
from pace_analysis.schema import MILESTONES
from pace_analysis.synthetic import (
    FIRST_CHANGE,
    TESTS_OF_CHANGE_FILE,
    generate,
    generate_tests_of_change,
)
from pace_analysis.validation import validate_dataset

REPO = Path(__file__).resolve().parents[1]
COMMITTED = REPO / "data" / "synthetic"
NON_PARTICIPANTS = {a.name for a in AUTHORITIES if a.pace_start is None}


@pytest.fixture(scope="module")
def ds():
    return generate(seed=2014, scale=1.0)


@pytest.fixture(scope="module")
def j(ds):
    return ds.journeys


@pytest.fixture(scope="module")
def p(ds):
    return ds.placements


def _bytes(folder: Path) -> dict[str, bytes]:
    return {f.name: f.read_bytes() for f in sorted(folder.iterdir()) if f.is_file()}


# --------------------------------------------------------------------------- validity


def test_passes_validation_without_errors_or_warnings(ds):
    problems = validate_dataset(ds)
    assert [p.format() for p in problems] == []


def test_columns_and_types(ds):
    assert ds.route_set.name == "scotland"
    for col in MILESTONES:
        assert str(ds.journeys[col].dtype) == "datetime64[ns]", col
    assert ds.journeys["journey_id"].is_unique
    assert ds.placements["journey_id"].isin(ds.journeys["journey_id"]).all()
    assert ds.meta["seed"] == 2014 and ds.meta["scale"] == 1.0
    assert ds.meta["window"] == {"start": "2008-08-01", "end": "2024-07-31"}


def test_all_32_councils_sized_by_estimated_stock(j):
    window = j[j["looked_after_date"] >= "2008-08-01"]
    counts = window["authority"].value_counts()
    assert set(counts.index) == {a.name for a in AUTHORITIES}
    stock = pd.Series({a.name: a.estimated_stock for a in AUTHORITIES})
    share = (counts / counts.sum()).reindex(stock.index)
    expected = stock / stock.sum()
    # Multinomial sampling: every share within 5 standard errors of its expectation.
    se = np.sqrt(expected * (1 - expected) / counts.sum())
    assert (np.abs(share - expected) < 5 * se + 1e-9).all()


def test_about_38_percent_under_5_at_start(j):
    window = j[j["looked_after_date"] >= "2008-08-01"]
    age = (window["looked_after_date"] - window["date_of_birth"]).dt.days / 365.25
    assert 0.34 <= (age < 5).mean() <= 0.42
    assert age.max() < 18


def test_milestones_in_order(j):
    prev = j[MILESTONES[0]]
    for col in MILESTONES[1:]:
        cur = j[col]
        both = prev.notna() & cur.notna()
        assert (cur[both] >= prev[both]).all(), col
        prev = cur.where(cur.notna(), prev)


def test_home_start_vs_accommodated_and_legal_basis(j):
    at_home = j["accommodated_date"].isna() | (j["accommodated_date"] > j["looked_after_date"])
    assert (j.loc[at_home, "legal_basis"] == "cso").all()
    acc = j[~at_home]
    assert set(acc["legal_basis"]) == {"cso", "s25", "other"}
    assert 0.2 < at_home.mean() < 0.45


def test_exit_rules(j):
    leaves = j["permanence_route"].isin(["home", "kinship", "adoption"])
    perm_exit = j["exit_reason"] == "permanence"
    assert (perm_exit == leaves).all()
    assert (j.loc[leaves, "exit_date"] == j.loc[leaves, "permanence_date"]).all()
    po = j["permanence_route"] == "permanence_order"
    # A child on a permanence order stays looked after; some later age out.
    assert (j.loc[po, "exit_date"].isna() | (j.loc[po, "exit_date"] > j.loc[po, "permanence_date"])).all()
    assert (j.loc[po, "exit_reason"] == "aged_out").any()
    assert {"aged_out", "transferred", "other", "died"} <= set(j["exit_reason"].dropna())
    aged = j[j["exit_reason"] == "aged_out"]
    age = (aged["exit_date"] - aged["date_of_birth"]).dt.days / 365.25
    assert age.between(15.99, 18.01).all()


def test_censoring_at_extract(j):
    extract = pd.Timestamp("2024-07-31")
    assert (j["extract_date"] == extract).all()
    for col in (*MILESTONES, "exit_date"):
        assert (j[col].dropna() <= extract).all(), col
    open_ = j["exit_date"].isna()
    assert open_.any() and j.loc[open_, "exit_reason"].isna().all()
    # Pre-window journeys are only those still looked after on the window start.
    early = j["looked_after_date"] < pd.Timestamp("2008-08-01")
    assert (j.loc[early, "exit_date"].isna() | (j.loc[early, "exit_date"] >= "2008-08-01")).all()


def test_planned_route_and_recommendation(j):
    assert (j["planned_route"].notna() == j["permanence_recommendation_date"].notna()).all()
    reached = j["permanence_route"].notna() & j["planned_route"].notna()
    agree = (j.loc[reached, "planned_route"] == j.loc[reached, "permanence_route"]).mean()
    assert 0.8 < agree < 0.99  # plans usually, but not always, come true
    orders = j["permanence_route"].isin(["permanence_order", "adoption"])
    assert j.loc[orders, ["panel_date", "adm_decision_date", "application_lodged_date"]].notna().all().all()


def test_re_entries_share_a_child(j):
    per_child = j.groupby("child_id")["journey_id"].size()
    assert 1.01 < len(j) / len(per_child) < 1.25
    multi = j[j["child_id"].isin(per_child[per_child > 1].index)].sort_values(
        ["child_id", "looked_after_date"])
    nxt = multi.groupby("child_id")["looked_after_date"].shift(-1)
    has_next = nxt.notna()
    assert (multi.loc[has_next, "exit_date"] < nxt[has_next]).all()
    assert (multi.groupby("child_id")["date_of_birth"].nunique() == 1).all()


# --------------------------------------------------------------------------- placements


def test_placements_tile_each_journey(j, p):
    jj = j.set_index("journey_id")
    p = p.sort_values(["journey_id", "start_date"])
    first = p.groupby("journey_id").head(1).set_index("journey_id")
    assert (first["start_date"] == jj.loc[first.index, "looked_after_date"]).all()
    assert set(first.index) == set(jj.index)
    nxt = p.groupby("journey_id")["start_date"].shift(-1)
    inner = nxt.notna()
    assert (p.loc[inner, "end_date"] + pd.Timedelta(days=1) == nxt[inner]).all()
    last = p.groupby("journey_id").tail(1).set_index("journey_id")
    exit_ = jj.loc[last.index, "exit_date"]
    assert (last["end_date"].isna() == exit_.isna()).all()
    assert (last["end_date"].dropna() == exit_.dropna()).all()


def test_placement_types_fit_the_route(j, p):
    p = p.merge(j, on="journey_id")
    never = p["accommodated_date"].isna()
    assert (p.loc[never, "placement_type"] == "home").all()
    away = p[~never & (p["start_date"] >= p["accommodated_date"])]
    firsts = away.sort_values("start_date").groupby("journey_id").head(1)
    assert (firsts["start_date"] == firsts["accommodated_date"]).all()
    assert (firsts["placement_type"] != "home").all()

    def at_order(route: str) -> pd.DataFrame:
        x = p[p["permanence_route"] == route]
        return x[(x["start_date"] <= x["permanence_date"])
                 & (x["end_date"].isna() | (x["end_date"] >= x["permanence_date"]))]

    adopted = at_order("adoption")
    assert (adopted["placement_type"] == "prospective_adopters").all()
    # The child lived with the adopters at least 13 weeks before the order.
    assert ((adopted["permanence_date"] - adopted["start_date"]).dt.days >= 91).mean() > 0.97
    assert (adopted["start_date"] >= adopted["adm_decision_date"]).all()
    kin = at_order("kinship")
    assert (kin["placement_type"] == "kinship").all()
    assert (kin["start_date"] < kin["permanence_date"]).all()
    assert len(adopted) == (j["permanence_route"] == "adoption").sum()
    assert len(kin) == (j["permanence_route"] == "kinship").sum()
    # Placed with adopters: adopted, or still waiting / left care before the order.
    with_adopters = p.loc[p["placement_type"] == "prospective_adopters", "permanence_route"]
    assert with_adopters.isna().mean() < 0.3
    assert set(with_adopters.dropna()) == {"adoption"}


# --------------------------------------------------------------------------- authority and PACE effects


def _rec_days(j: pd.DataFrame) -> pd.DataFrame:
    x = j[j["accommodated_date"].notna() & j["permanence_recommendation_date"].notna()]
    return x.assign(days=(x["permanence_recommendation_date"] - x["accommodated_date"]).dt.days)


def test_authorities_differ_in_speed(j):
    x = _rec_days(j)
    x = x[(x["accommodated_date"] >= "2008-08-01") & (x["accommodated_date"] < "2014-01-01")]
    big = x["authority"].value_counts().index[:12]
    groups = [g["days"].to_numpy() for _, g in x[x["authority"].isin(big)].groupby("authority")]
    assert stats.kruskal(*groups).pvalue < 1e-4


def test_pace_shortens_recommendation_and_panel_delays_in_participants(j):
    x = _rec_days(j)
    x = x.assign(panel=(x["panel_date"] - x["permanence_recommendation_date"]).dt.days)
    faster = 0
    for a in pace_participants():
        start = pd.Timestamp(a.pace_start)
        y = x[x["authority"] == a.name]
        before = y[(y["accommodated_date"] < start) & (y["accommodated_date"] >= start - pd.DateOffset(years=3))]
        after = y[(y["accommodated_date"] >= start + pd.DateOffset(months=18))
                  & (y["accommodated_date"] < start + pd.DateOffset(months=54))]
        faster += after["days"].median() < 0.8 * before["days"].median()
    assert faster >= 24  # of 27; the smallest councils have few children
    pooled_before, pooled_after = [], []
    for a in pace_participants():
        start = pd.Timestamp(a.pace_start)
        y = x[x["authority"] == a.name]
        rec = y["permanence_recommendation_date"]
        pooled_before.append(y.loc[(rec < start) & (rec >= start - pd.DateOffset(years=3)), "panel"])
        pooled_after.append(y.loc[(rec >= start + pd.DateOffset(months=18))
                                  & (rec < start + pd.DateOffset(months=54)), "panel"])
    assert pd.concat(pooled_after).median() < 0.75 * pd.concat(pooled_before).median()


def test_non_participants_stationary(j):
    x = _rec_days(j)
    x = x[x["authority"].isin(NON_PARTICIPANTS)]
    early = x[(x["accommodated_date"] >= "2009-01-01") & (x["accommodated_date"] < "2014-01-01")]
    late = x[(x["accommodated_date"] >= "2015-01-01") & (x["accommodated_date"] < "2020-01-01")]
    assert 0.8 < late["days"].median() / early["days"].median() < 1.25
    assert stats.mannwhitneyu(early["days"], late["days"]).pvalue > 0.01


# --------------------------------------------------------------------------- determinism and scale


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    a = write_dataset(generate(seed=7, scale=0.1), tmp_path / "a", "csv")
    b = write_dataset(generate(seed=7, scale=0.1), tmp_path / "b", "csv")
    c = write_dataset(generate(seed=8, scale=0.1), tmp_path / "c", "csv")
    assert _bytes(a) == _bytes(b)
    assert _bytes(a)["journeys.csv"] != _bytes(c)["journeys.csv"]
    assert _bytes(a)["placements.csv"] != _bytes(c)["placements.csv"]


def test_scale_is_proportional():
    small, big = generate(scale=0.1), generate(scale=0.4)
    ratio = len(big.journeys) / len(small.journeys)
    assert 3.6 < ratio < 4.4


def test_window_options_respected():
    ds = generate(scale=0.1, start=date(2012, 8, 1), end=date(2016, 7, 31),
                  extract_date=date(2017, 3, 31))
    j = ds.journeys
    assert j["looked_after_date"].max() <= pd.Timestamp("2016-07-31")
    assert (j["extract_date"] == pd.Timestamp("2017-03-31")).all()
    assert j["exit_date"].max() <= pd.Timestamp("2017-03-31")
    assert validate_dataset(ds) == []


@pytest.mark.parametrize("kwargs", [
    {"scale": 0}, {"scale": -1}, {"scale": float("nan")}, {"seed": -1}, {"start": date(2020, 1, 1), "end": date(2019, 1, 1)},
    {"end": date(2024, 7, 31), "extract_date": date(2024, 1, 1)},
])
def test_bad_arguments_raise_pace_error(kwargs):
    with pytest.raises(PaceError):
        generate(**kwargs)


# --------------------------------------------------------------------------- tests of change


def test_tests_of_change():
    toc = generate_tests_of_change(2014)
    assert list(toc.columns) == ["authority", "date", "change"]
    participants = {a.name: pd.Timestamp(a.pace_start) for a in pace_participants()}
    assert set(toc["authority"]) == set(participants)
    for name, g in toc.groupby("authority"):
        assert g["change"].iloc[0] == FIRST_CHANGE
        assert g["date"].iloc[0] >= participants[name]
        assert 2 <= len(g) <= 4
        assert g["date"].is_monotonic_increasing
        assert g["change"].is_unique
    assert toc.equals(generate_tests_of_change(2014))
    assert not toc.equals(generate_tests_of_change(2015))
    assert (generate_tests_of_change(2014, date(2016, 1, 1))["date"] <= "2016-01-01").all()


# --------------------------------------------------------------------------- CLI and committed data


def test_cli_writes_dataset_and_tests_of_change(tmp_path, capsys):
    out = tmp_path / "syn"
    code = cli.main(["synth", "--out", str(out), "--seed", "3", "--scale", "0.05", "--format", "csv"])
    assert code == 0
    names = {f.name for f in out.iterdir()}
    assert {"journeys.csv", "placements.csv", "dataset.yaml", TESTS_OF_CHANGE_FILE} <= names
    assert "wrote" in capsys.readouterr().out
    assert cli.main(["validate", str(out)]) == 0


def test_cli_errors_exit_2(tmp_path, capsys):
    assert cli.main(["synth"]) == 2
    assert cli.main(["synth", "--out", str(tmp_path / "x"), "--start", "2020-01-01",
                     "--end", "2019-01-01"]) == 2
    assert "before its end" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_cli_calibration_prints_table(capsys):
    assert cli.main(["synth", "--calibration", "--scale", "0.05"]) == 0
    out = capsys.readouterr().out
    assert "PRIMARY TARGETS" in out and "mean years to legal permanence" in out


@pytest.mark.slow
def test_committed_data_reproduced_bit_identically(tmp_path):
    """``make data`` (pace synth --out data/synthetic --seed 2014 --scale 1) gives the same bytes."""
    assert (COMMITTED / "journeys.csv.gz").is_file()
    out = tmp_path / "synthetic"
    assert cli.main(["synth", "--out", str(out), "--seed", "2014", "--scale", "1"]) == 0
    fresh = _bytes(out)
    committed = {k: v for k, v in _bytes(COMMITTED).items() if k != "README.md"}
    assert set(fresh) == set(committed)
    for name in fresh:
        assert fresh[name] == committed[name], name


def test_cli_ssda903_format_round_trips_through_the_importer(tmp_path, capsys):
    returns, imported = tmp_path / "903", tmp_path / "imported"
    assert cli.main(["synth", "--out", str(returns), "--seed", "5", "--scale", "0.01",
                     "--format", "ssda903"]) == 0
    headers = sorted(str(p) for p in returns.glob("header_*.csv"))
    episodes = sorted(str(p) for p in returns.glob("episodes_*.csv"))
    assert headers and len(headers) == len(episodes)
    assert cli.main(["import", "ssda903", "--header", *headers, "--episodes", *episodes,
                     "--out", str(imported), "--older-years-as", "2014/15",
                     "--extract-date", "2024-07-31"]) == 0
    assert cli.main(["validate", str(imported)]) == 0
    source = generate(5, 0.01)
    back = pd.read_csv(imported / "journeys.csv")
    # Every synthetic journey comes back (the importer keeps whole periods of care).
    assert len(back) == len(source.journeys)
    assert back["permanence_route"].notna().sum() == source.journeys["permanence_route"].notna().sum()
