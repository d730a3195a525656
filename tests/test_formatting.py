"""Reader-facing number formats (pace_analysis.formatting)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pace_analysis import formatting as fmt


@pytest.mark.parametrize("p, text", [(3.16e-20, "p < 0.001"), (0.00099, "p < 0.001"),
                                     (0.001, "p = 0.001"), (0.0432, "p = 0.043"),
                                     (0.5123, "p = 0.51"), (1.0, "p = 1.00")])
def test_p_values_never_scientific(p, text):
    assert fmt.p_value(p) == text
    assert "e-" not in fmt.p_value(p)


def test_counts_shares_numbers_and_booleans():
    assert fmt.count(52746) == "52,746"
    assert fmt.count(None) == "c" and fmt.count("c") == "c"
    assert fmt.share(0.5268, 0.5165, 0.5371) == "53% (52% to 54%)"
    assert fmt.number(1234567.891, 1) == "1,234,567.9"
    assert fmt.number(3.16e-20, 3) == "0.000"
    assert (fmt.yes_no(True), fmt.yes_no(np.False_), fmt.yes_no(None)) == ("yes", "no", "")


def test_readable_table_has_no_raw_booleans_or_scientific_numbers():
    t = pd.DataFrame({"stage": ["a", "b"], "n": [12345, 7], "longest": [True, False],
                      "p": [3.16e-20, 0.2], "share": [0.25, "c"], "x": [1e-7, 2.5]})
    out = fmt.readable(t, {"p": "p", "share": "share"})
    assert out["n"].tolist() == ["12,345", "7"]
    assert out["longest"].tolist() == ["yes", "no"]
    assert out["p"].tolist() == ["< 0.001", "0.20"]
    assert out["share"].tolist() == ["25%", "c"]
    cells = " ".join(out.astype(str).to_numpy().ravel())
    assert "True" not in cells and "False" not in cells and "e-" not in cells
