"""CSV cells that a spreadsheet would run as formulas are neutralised (OWASP)."""

from __future__ import annotations

import csv

import pandas as pd

from pace_analysis import csvfiles


def test_formula_cells_are_prefixed_and_numbers_kept(tmp_path):
    hostile = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)",
               "\tcmd", "\rcmd"]
    table = pd.DataFrame({"Area": hostile, "Share": [-0.5, 0.1, 0.2, 0.3, 0.4, 0.5],
                          "=bad heading": ["ok"] * 6})
    path = csvfiles.write_csv(table, tmp_path / "t.csv")
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][2] == "'=bad heading"
    cells = [r[0] for r in rows[1:]]
    assert cells == ["'" + h.replace("\r", "\n") for h in hostile]
    assert not any(c.startswith(csvfiles.FORMULA_STARTS) for r in rows for c in (r[0], r[2]))
    assert float(rows[1][1]) == -0.5  # a negative number is not text and is kept


def test_plain_text_and_categories_are_unchanged():
    table = pd.DataFrame({"g": pd.Categorical(["Fife", "c"]), "n": [5, None]})
    out = csvfiles.neutralise(table)
    assert list(out["g"]) == ["Fife", "c"] and out["n"].isna().sum() == 1
