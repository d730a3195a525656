"""The "Where the time goes" report section on the committed synthetic data."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pytest

from pace_analysis.disclosure import SUPPRESSED
from pace_analysis.errors import PaceError
from pace_analysis.io import read_dataset
from pace_analysis.multistate.section import where_the_time_goes

matplotlib.use("Agg")
DATA = Path(__file__).parent.parent / "data" / "synthetic"


@pytest.fixture(scope="module")
def dataset():
    return read_dataset(DATA)


def test_section_for_a_small_council(dataset):
    sec = where_the_time_goes(dataset, "Orkney Islands")
    weeks = [float(x) for x in sec.table["Weeks of the first 2 years"] if x not in ("", SUPPRESSED)]
    assert 0 < sum(weeks) <= 104.5
    np.testing.assert_allclose(sec.values["rmean_days"].sum(), 730.5)
    assert sec.figure is not None and sec.figure.axes[0].get_title(loc="left").endswith("Orkney Islands")
    assert len(sec.trends) > 5 and SUPPRESSED in sec.trends.to_numpy()
    text = " ".join(sec.notes)
    assert "late entry" in text and "completed cases" in text


def test_suppression_hides_small_states(dataset):
    sec = where_the_time_goes(dataset, "Orkney Islands", threshold=40)
    col = sec.table["Weeks of the first 2 years"]
    assert (col == SUPPRESSED).sum() >= 2  # never a single suppressed cell


def test_unknown_authority(dataset):
    with pytest.raises(PaceError, match="no journeys"):
        where_the_time_goes(dataset, "Atlantis")
