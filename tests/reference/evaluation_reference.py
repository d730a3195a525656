"""Reference numbers for the evaluation estimator, from the diff-diff package (MIT).

The shared example is ``evaluation_panel.csv``: two measures per council and reporting
year of the committed synthetic data (``pace_analysis.evaluation.panel.evaluation_panel``),
written by this script with ``--panel`` from the project's own environment. The
reference numbers come from diff-diff's ``CallawaySantAnna`` (outcome regression, which
without covariates is the 2×2 DiD of means; not-yet-treated controls; universal base
period; anticipation 0 or 2; equal council weights; analytical standard errors),
run in a separate environment with diff-diff installed::

    .venv/bin/python tests/reference/evaluation_reference.py --panel
    python -m venv /tmp/dd && /tmp/dd/bin/pip install diff-diff==3.13.0
    /tmp/dd/bin/python tests/reference/evaluation_reference.py

The test suite reads the CSVs only (tests/test_evaluation_estimator.py).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
PANEL = HERE / "evaluation_panel.csv"
OUT = HERE / "evaluation_ref_diffdiff.csv"
#: measure -> anticipation (years), as pace_analysis.evaluation.panel.EVALUATION_MEASURES
MEASURES = {"recommendation_within_26_weeks": 0, "permanence_within_2_years": 2}


def write_panel() -> None:
    from pace_analysis.evaluation.panel import evaluation_panel, join_years
    from pace_analysis.io import read_dataset

    repo = HERE.parents[1]
    panel = evaluation_panel(read_dataset(repo / "data" / "synthetic"), list(MEASURES))
    joins = join_years()
    panel["first_treat"] = panel["authority"].map(lambda a: joins.get(a) or 0)
    panel.to_csv(PANEL, index=False, float_format="%.10g", lineterminator="\n")


def reference() -> None:
    import diff_diff
    from diff_diff import CallawaySantAnna

    panel = pd.read_csv(PANEL)
    rows = []
    for measure, delta in MEASURES.items():
        sub = panel[panel["measure"] == measure]
        cs = CallawaySantAnna(control_group="not_yet_treated", anticipation=delta,
                              estimation_method="reg", base_period="universal",
                              n_bootstrap=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = cs.fit(sub, outcome="value", unit="authority", time="year",
                         first_treat="first_treat")
            es = res.aggregate("event_study")
        for (g, t), eff in res.group_time_effects.items():
            rows.append({"measure": measure, "what": "cell", "g": int(g), "t": int(t),
                         "e": int(t - g), "estimate": eff["effect"], "se": eff["se"]})
        for e, att, se in zip(es.event_time, es.att, es.se, strict=True):
            rows.append({"measure": measure, "what": "event", "g": np.nan, "t": np.nan,
                         "e": int(e), "estimate": att, "se": se})
        rows.append({"measure": measure, "what": "simple", "g": np.nan, "t": np.nan,
                     "e": np.nan, "estimate": res.overall_att, "se": res.overall_se})
    out = pd.DataFrame(rows)
    out.to_csv(OUT, index=False, float_format="%.12g", lineterminator="\n")
    (HERE / "evaluation_ref_versions.txt").write_text(
        f"diff-diff {diff_diff.__version__}\npandas {pd.__version__}\nnumpy {np.__version__}\n"
        f"python {sys.version.split()[0]}\n")


if __name__ == "__main__":
    if "--panel" in sys.argv:
        write_panel()
    else:
        reference()
