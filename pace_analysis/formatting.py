"""Numbers as a reader sees them: thousands separators, p-values, shares, yes/no.

One place for the conventions every report table and sentence follows:

* counts with thousands separators (``12,345``), suppressed counts as ``"c"``;
* p-values as ``"p < 0.001"`` below 0.001, else to 3 decimals below 0.1 and 2 above
  (``"p = 0.043"``, ``"p = 0.51"``) — never in scientific notation (no ``3.16e-20``);
* shares as whole percentages, with an interval when given;
* booleans as ``"yes"``/``"no"`` (no raw ``True``/``False`` in a table);
* any other number in fixed notation.

:func:`readable` applies them to a whole table for display (CSV files keep full values).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np
import pandas as pd

from pace_analysis.disclosure import SUPPRESSED


def _missing(x) -> bool:
    return x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x))


def count(x) -> str:
    """``12,345``; ``"c"`` for a suppressed count (``None``/``"c"``); ``""`` for NaN."""
    if x is None or (isinstance(x, str) and x == SUPPRESSED):
        return SUPPRESSED
    if _missing(x):
        return ""
    return f"{int(round(float(x))):,}"


def p_value(p, prefix: bool = True) -> str:
    """``"p < 0.001"``, ``"p = 0.043"``, ``"p = 0.51"`` (``prefix=False``: no ``"p "``)."""
    if _missing(p):
        return ""
    p = float(p)
    if p < 0.001:
        text = "< 0.001"
    elif p < 0.1:
        text = f"= {p:.3f}"
    else:
        text = f"= {p:.2f}"
    return f"p {text}" if prefix else text.removeprefix("= ")


def share(x, lower=None, upper=None, digits: int = 0) -> str:
    """``"53%"`` or ``"53% (52% to 54%)"``; ``"c"`` when suppressed."""
    if isinstance(x, str) and x == SUPPRESSED:
        return SUPPRESSED
    if x is None:
        return SUPPRESSED
    if _missing(x):
        return ""
    text = f"{100 * float(x):.{digits}f}%"
    if lower is not None and upper is not None and not (_missing(lower) or _missing(upper)):
        text += f" ({100 * float(lower):.{digits}f}% to {100 * float(upper):.{digits}f}%)"
    return text


def yes_no(x) -> str:
    """``"yes"``/``"no"`` for booleans (``""`` when missing)."""
    if _missing(x):
        return ""
    return "yes" if bool(x) else "no"


def number(x, digits: int = 1) -> str:
    """Fixed notation with thousands separators (``1,234.5``), never scientific."""
    if isinstance(x, str):
        return x
    if _missing(x):
        return ""
    return f"{float(x):,.{digits}f}"


def readable(table: pd.DataFrame, formats: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A copy of *table* with every cell as display text.

    Parameters
    ----------
    table : pandas.DataFrame
    formats : mapping, optional
        ``{column: kind}`` with kind ``"count"``, ``"share"``, ``"p"``, ``"yes_no"`` or a
        ``str.format`` spec such as ``"{:.1f}"``. Columns not named: booleans become
        yes/no, integers get thousands separators, floats fixed notation (2 decimals);
        ``"c"`` (suppressed) stays ``"c"``.

    Returns
    -------
    pandas.DataFrame
        Object columns of text.
    """
    formats = dict(formats or {})
    kinds = {"count": count, "share": share, "p": lambda v: p_value(v, prefix=False),
             "yes_no": yes_no}
    out = table.copy()
    for col in out.columns:
        spec = formats.get(col)
        s = out[col]
        if spec in kinds:
            fn = kinds[spec]
        elif spec is not None:
            def fn(v, spec=spec):
                if isinstance(v, str) or _missing(v):
                    return "" if _missing(v) else v
                return spec.format(v)
        elif pd.api.types.is_bool_dtype(s) or (s.dtype == object and s.map(
                lambda v: isinstance(v, (bool, np.bool_))).all() and len(s)):
            fn = yes_no
        elif pd.api.types.is_integer_dtype(s):
            fn = count
        elif pd.api.types.is_float_dtype(s):
            def fn(v):
                return number(v, 2)
        else:
            def fn(v):
                if isinstance(v, (bool, np.bool_)):
                    return yes_no(v)
                if isinstance(v, numbers.Integral):
                    return count(v)
                if isinstance(v, numbers.Real):
                    return number(v, 2)
                return "" if _missing(v) else str(v)
        out[col] = [fn(v) for v in s]
    return out
