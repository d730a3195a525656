"""Headline numbers: hand-computed Kaplan–Meier values, suppression, and summary.json."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pace_analysis import headline, survival

# Ten journeys (nine children: K9 has two), no ties, no late entry.
TIMES = [100, 200, 300, 400, 500, 800, 900, 1000, 1100, 1200]
EVENTS = [1, 1, 0, 1, 1, 1, 0, 1, 0, 1]


def hand_frame(authority: str = "Angus") -> pd.DataFrame:
    n = len(TIMES)
    return pd.DataFrame({
        "journey_id": [f"J{i}" for i in range(n)],
        "child_id": [f"K{i}" for i in range(n - 1)] + ["K8"],
        "authority": authority,
        "entry_days": 0.0,
        "time_days": np.array(TIMES, dtype=float),
        "event_observed": np.array(EVENTS, dtype=bool),
        "outcome": ["home" if e else "censored" for e in EVENTS],
    })


def test_figures_match_hand_computed_kaplan_meier():
    # S(100)=9/10, S(200)=8/10, censor at 300, S(400)=0.8*6/7, S(500)=0.8*6/7*5/6 = 4/7,
    # S(800) = 4/7 * 4/5 = 16/35 < 0.5, so the median is 800 days.
    fig = headline.figures(hand_frame(), threshold=3)
    assert fig["journeys"] == 10 and fig["children"] == 9 and fig["permanence"] == 7
    assert fig["share_2y"] == pytest.approx(1 - 4 / 7, abs=1e-12)
    assert fig["median_days"] == 800 and fig["median_reached"] is True
    # The interval is the survival module's own (log-log), passed through unchanged.
    s = survival.share_by(hand_frame(), headline.TWO_YEARS_DAYS).iloc[0]
    assert (fig["share_2y_lower"], fig["share_2y_upper"]) == (s["ci_lower"], s["ci_upper"])
    assert fig["share_2y_lower"] < fig["share_2y"] < fig["share_2y_upper"]


def test_small_counts_are_suppressed():
    fig = headline.figures(hand_frame(), threshold=5)
    # Four children reached permanence within 2 years: below 5, so no share is shown.
    assert fig["share_2y"] is None and fig["share_2y_lower"] is None
    assert fig["journeys"] == 10 and fig["permanence"] == 7
    tiny = headline.figures(hand_frame().head(4), threshold=5)
    assert tiny["suppressed"] is True
    assert all(tiny[k] is None for k in ("children", "journeys", "permanence", "share_2y",
                                         "median_days"))
    high = headline.figures(hand_frame(), threshold=8)
    assert high["permanence"] is None  # 7 events < 8


def test_median_not_reached_is_said_in_words():
    frame = hand_frame()
    frame["event_observed"] = [True, False, False, False, False, False, False, False, False, False]
    fig = headline.figures(frame, threshold=1)
    assert fig["median_reached"] is False and fig["median_days"] is None
    assert headline.format_median(fig) == "not reached"
    numbers = {"authority": "Angus", "threshold": 1, "figures": {"authority": fig, "scotland": fig}}
    assert "cannot be estimated yet" in headline.sentences(numbers)


def test_headline_numbers_compare_with_the_whole_frame(tmp_path):
    frame = pd.concat([hand_frame("Angus"), hand_frame("Fife").assign(
        child_id=lambda d: d["child_id"] + "F", time_days=lambda d: d["time_days"] * 2)])
    numbers = headline.headline_numbers(frame, "Fife", threshold=2)
    assert numbers["figures"]["authority"]["median_days"] == 1600
    assert numbers["figures"]["scotland"]["journeys"] == 20
    path = headline.write_summary(numbers, tmp_path)
    assert json.loads(path.read_text(encoding="utf-8")) == json.loads(json.dumps(numbers))
    text = headline.sentences(numbers)
    assert "Fife" in text and headline.format_share(numbers["figures"]["scotland"]) in text


def test_formatting():
    assert headline.format_count(None) == "c" and headline.format_count(12345) == "12,345"
    fig = {"share_2y": 0.234, "share_2y_lower": 0.2, "share_2y_upper": 0.27}
    assert headline.format_share(fig) == "23% (20% to 27%)"
    assert headline.format_share({"share_2y": None}) == "c"
    med = {"suppressed": False, "median_reached": True, "median_days": 730.5,
           "median_lower": 365.25, "median_upper": 1095.75}
    assert headline.format_median(med) == "2.0 years (1.0 to 3.0)"
    assert headline.format_median({**med, "median_upper": None}) == \
        "2.0 years (1.0 years to beyond the end of the data)"


@pytest.mark.slow
def test_summary_json_equals_the_library_results():
    """The notebook's summary.json holds exactly what the library computes directly."""
    from test_reports import GOOD, batch_run

    from pace_analysis import cohort
    from pace_analysis.io import read_dataset

    run = batch_run()
    from pace_analysis.reporting import study_window

    dataset = read_dataset(run["data"])
    window = study_window(dataset)
    frame = cohort.build_frame(dataset, window=window)
    for name in GOOD:
        saved = json.loads((run["run_dir"] / name.lower() / "summary.json").read_text("utf-8"))
        want = json.loads(json.dumps(headline.headline_numbers(frame, name, 5, window)))
        # The split's shares equal the library's, or are withheld (None) where the report's
        # routes table hides the counts they rest on (report.overview.consistent_split).
        split, want_split = saved.pop("split"), want.pop("split")
        assert saved == want
        assert split["scotland"] == want_split["scotland"]
        for key, value in split["authority"].items():
            assert value is None or value == want_split["authority"][key], (name, key)
        local = frame[frame["authority"] == name]
        share = survival.share_by(local, 730.5).iloc[0]
        med = survival.median_time(local).iloc[0]
        fig = saved["figures"]["authority"]
        assert fig["journeys"] == len(local)
        assert fig["share_2y"] == pytest.approx(share["share"], abs=1e-12)
        assert fig["median_days"] == pytest.approx(med["median_days"], abs=1e-12)
        assert saved["figures"]["scotland"]["journeys"] == len(frame)


# --------------------------------------------------------------------------- the split

def _split_frame() -> pd.DataFrame:
    """10 periods, no censoring before 2 years: 4 home (day 100), 2 orders (day 400),
    1 exit (day 300), 3 still waiting at day 1000."""
    outcome = ["home"] * 4 + ["adoption", "kinship"] + ["exit"] + ["censored"] * 3
    time = [100] * 4 + [400, 400] + [300] + [1000] * 3
    return pd.DataFrame({"journey_id": [f"j{i}" for i in range(10)],
                         "child_id": [f"c{i}" for i in range(10)],
                         "authority": ["Fife"] * 10,
                         "time_days": np.array(time, dtype=float), "entry_days": 0.0,
                         "outcome": outcome,
                         "event_observed": [o not in ("exit", "censored") for o in outcome]})


def test_split_equals_hand_counts():
    fig = headline.split_figures(_split_frame(), threshold=1)
    assert fig["home"] == pytest.approx(4 / 10)
    assert fig["order"] == pytest.approx(2 / 10)
    assert fig["order_if_not_home"] == pytest.approx(2 / 6)
    assert not any(k.startswith("n_") for k in fig)  # counts are published by the routes table
    assert fig["home_lower"] < fig["home"] < fig["home_upper"]


def test_split_headline_sentence_equals_library_values():
    frame = _split_frame()
    numbers = headline.headline_numbers(frame, "Fife", threshold=1)
    text = headline.sentences(numbers)
    first = text.splitlines()[0]  # the headline leads with the split
    fig = numbers["split"]["authority"]
    assert first.startswith("- **Home or an order:**")
    assert f"{100 * fig['home']:.0f}% of children in Fife returned home within 2 years" in first
    assert (f"of the children who did not go home, {100 * fig['order_if_not_home']:.0f}% "
            "had an order") in first
    nat = numbers["split"]["scotland"]
    assert f"{100 * nat['home']:.0f}% returned home" in first
    assert fig["home"] == pytest.approx(4 / 10)


def test_split_is_suppressed_for_small_counts():
    fig = headline.split_figures(_split_frame(), threshold=3)
    assert fig["home"] is not None and fig["order"] is None
    assert fig["order_if_not_home"] is None
    text = headline.split_sentence("Fife", fig)
    assert "too few had an order" in text
    tiny = headline.split_figures(_split_frame().head(2), threshold=3)
    assert tiny["suppressed"] and tiny["home"] is None
