"""Cross-field rules: dates and codes checked against each other and across tables.

The rules of :data:`pace_analysis.schema.RULES` that compare several fields of a journey
(dates in order, pairs given together, a permanence exit agreeing with its route and
date, milestone order, age at entry), and those that check placements against each
other and against their journey (inside the journey, no overlaps, a known journey id).
Each is vectorised pandas and reports the one column and value a person has to fix.

:func:`pace_analysis.validation.validate_raw` calls :func:`check_journeys` and
:func:`check_placements` after the single-value rules and date parsing.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from pace_analysis.problems import Problems
from pace_analysis.schema import MILESTONES, TABLES

#: Minority extract dates listed one by one (rule extract_date_mixed); the rest in one line.
MIXED_LISTED = 10


def _flag(out: Problems, file: str, rule: str, mask, lines: np.ndarray, column: str,
          raw: pd.DataFrame, message: Callable[[np.ndarray], list[str]] | list[str] | str
          ) -> None:
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return
    idx = np.flatnonzero(mask)
    values = raw[column].to_numpy(dtype=object)[idx] if column in raw.columns else [None] * len(idx)
    msgs = message(idx) if callable(message) else message
    out.add_many(file, rule, lines[idx], column, values, msgs)


def _iso(s: pd.Series, idx: np.ndarray) -> np.ndarray:
    return s.iloc[idx].dt.strftime("%Y-%m-%d").fillna("(empty)").to_numpy(dtype=object)


# --------------------------------------------------------------------------- journeys


def check_journeys(text: pd.DataFrame, raw: pd.DataFrame, d: dict[str, pd.Series], file: str,
                   lines: np.ndarray, out: Problems, leaves_care: tuple[str, ...] = (),
                   today: pd.Timestamp | None = None) -> None:
    """Apply the cross-field rules of the journeys table, adding each problem to *out*.

    Parameters
    ----------
    text, raw : pandas.DataFrame
        The journeys table as stripped text and as read.
    d : dict of str to pandas.Series
        Its date columns, already parsed (NaT when empty or bad).
    file : str
        File name reported with each problem.
    lines : numpy.ndarray
        Line of each row in the file (header = 1).
    out : Problems
        Collector of :mod:`pace_analysis.validation`.
    leaves_care : tuple of str
        Route codes whose permanence ends being looked after (all but a permanence order).
    today : pandas.Timestamp, optional
        The day of the check (default: today): an extract date after it is an error.
    """
    n = len(text)
    nat = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    empty = pd.Series("", index=text.index)

    def date(name: str) -> pd.Series:
        return d.get(name, nat)

    def txt(name: str) -> pd.Series:
        return text[name] if name in text.columns else empty

    extract, start, dob, exit_ = (date("extract_date"), date("looked_after_date"),
                                  date("date_of_birth"), date("exit_date"))

    # date_range: nothing after the journey's own extract date.
    for col in TABLES["journeys"]:
        if col.kind == "date" and col.name != "extract_date" and col.name in d:
            m = (d[col.name] > extract).to_numpy()
            _flag(out, file, "date_range", m, lines, col.name, raw,
                  lambda i: [f"date is after the extract date {e}." for e in _iso(extract, i)])

    _flag(out, file, "before_birth", (start < dob).to_numpy(), lines, "looked_after_date", raw,
          lambda i: [f"looked_after_date is before date_of_birth {b}." for b in _iso(dob, i)])

    for name in (*MILESTONES[1:], "exit_date"):
        m = (date(name) < start).to_numpy()
        _flag(out, file, "before_start", m, lines, name, raw,
              lambda i, name=name: [f"{name} is before looked_after_date {s}."
                                    for s in _iso(start, i)])
    for name in MILESTONES[1:]:
        m = (date(name) > exit_).to_numpy()
        _flag(out, file, "after_exit", m, lines, name, raw,
              lambda i, name=name: [f"{name} is after exit_date {e}." for e in _iso(exit_, i)])

    # pair_incomplete: report on the empty half of the pair.
    for a, b in (("permanence_route", "permanence_date"), ("exit_date", "exit_reason")):
        if a not in text.columns or b not in text.columns:
            continue
        has_a, has_b = (text[a] != "").to_numpy(), (text[b] != "").to_numpy()
        _flag(out, file, "pair_incomplete", has_a & ~has_b, lines, b, raw,
              f"{b} is empty but {a} is set: give both or neither.")
        _flag(out, file, "pair_incomplete", has_b & ~has_a, lines, a, raw,
              f"{a} is empty but {b} is set: give both or neither.")

    perm_exit = (txt("exit_reason") == "permanence").to_numpy()
    no_route = perm_exit & (txt("permanence_route") == "").to_numpy() & ("permanence_route" in text)
    _flag(out, file, "permanence_exit", no_route, lines, "exit_reason", raw,
          "exit_reason is 'permanence' but permanence_route is empty.")
    pdate = date("permanence_date")
    differ = perm_exit & (pdate.notna() & exit_.notna() & (pdate != exit_)).to_numpy()
    _flag(out, file, "permanence_exit", differ, lines, "permanence_date", raw,
          lambda i: [f"exit_reason is 'permanence' but exit_date is {e}: the two dates must "
                     "agree." for e in _iso(exit_, i)])

    # permanence_continues: a route that ends being looked after, yet the journey goes on.
    if leaves_care and "permanence_route" in text.columns:
        ends = txt("permanence_route").isin(leaves_care).to_numpy() & pdate.notna().to_numpy()
        reason = txt("exit_reason")
        other = ends & (reason != "").to_numpy() & (reason != "permanence").to_numpy()
        _flag(out, file, "permanence_continues", other, lines, "exit_reason", raw,
              lambda i: [f"permanence_route {r!r} ends being looked after on {p}, but the "
                         "journey goes on to this later, non-permanence exit; end the journey "
                         "at permanence (exit_reason 'permanence') or clear the route."
                         for r, p in zip(text["permanence_route"].iloc[i], _iso(pdate, i),
                                         strict=True)])
        still = ends & exit_.isna().to_numpy() & (reason == "").to_numpy()
        _flag(out, file, "permanence_continues", still, lines, "exit_date", raw,
              lambda i: [f"permanence_route {r!r} ends being looked after on {p}, but the "
                         "journey is still open; give exit_date = permanence_date and "
                         "exit_reason 'permanence'."
                         for r, p in zip(text["permanence_route"].iloc[i], _iso(pdate, i),
                                         strict=True)])

    # extract_date_future: an extract cannot be taken after today.
    today = pd.Timestamp.today().normalize() if today is None else today
    _flag(out, file, "extract_date_future", (extract > today).to_numpy(), lines, "extract_date",
          raw, f"the extract date is after today ({today:%Y-%m-%d}); an extract records the "
               "past (is the year mistyped?).")

    _check_children(text, d, file, lines, out, raw)

    # extract_date_mixed: one warning per minority extract date, on its first row.
    if "extract_date" in d and extract.nunique() > 1:
        counts = extract.value_counts()
        main = counts.index[0]
        minority = counts.iloc[1:]
        for value, count in minority.iloc[:MIXED_LISTED].items():
            first = int(np.flatnonzero((extract == value).to_numpy())[0])
            out.add(file, "extract_date_mixed",
                    f"{count} journey(s) have this extract date but most have "
                    f"{main:%Y-%m-%d}; each journey is censored at its own extract date.",
                    row=int(lines[first]), column="extract_date",
                    value=str(raw["extract_date"].iloc[first]))
        rest = minority.iloc[MIXED_LISTED:]
        if len(rest):  # one line for the rest, so a file of many cut records is not a flood
            out.add(file, "extract_date_mixed",
                    f"and {len(rest)} more extract date(s), on {int(rest.sum())} journey(s), "
                    f"differ from {main:%Y-%m-%d} (each journey is censored at its own).")

    # milestone_order: a milestone earlier than a milestone that usually comes before it.
    # looked_after_date is excluded: dates before it are errors (before_start).
    steps = [m for m in MILESTONES[1:] if m in d]
    latest = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    latest_name = pd.Series("", index=text.index, dtype=object)
    after_start = lambda s: s.where(s >= start)  # noqa: E731 - errors already reported
    for name in steps:
        cur = after_start(d[name])
        m = (cur < latest).to_numpy()
        if m.any():
            idx = np.flatnonzero(m)
            prev = latest_name.to_numpy()[idx]
            prev_dates = _iso(latest, idx)
            _flag(out, file, "milestone_order", m, lines, name, raw,
                  [f"{name} is before {p} {q} (usual order: "
                   f"{' < '.join(MILESTONES)})." for p, q in zip(prev, prev_dates, strict=True)])
        newer = (cur > latest) | (latest.isna() & cur.notna())
        latest = latest.where(~newer, cur)
        latest_name = latest_name.where(~newer, name)

    # age_over_18: integer age in completed years from (year, month, day) keys.
    if "date_of_birth" in d and "looked_after_date" in d:
        key = lambda s: s.dt.year * 10000 + s.dt.month * 100 + s.dt.day  # noqa: E731
        age = (key(start) - key(dob)) // 10000
        m = (age >= 18).to_numpy(dtype=bool, na_value=False)
        _flag(out, file, "age_over_18", m, lines, "date_of_birth", raw,
              lambda i: [f"the child was {int(a)} at looked_after_date." for a in age.iloc[i]])
    assert n == len(lines)


def _check_children(text: pd.DataFrame, d: dict[str, pd.Series], file: str, lines: np.ndarray,
                    out: Problems, raw: pd.DataFrame) -> None:
    """The journeys of one child: one date of birth and sex, never two periods at once."""
    if "child_id" not in text.columns:
        return
    child = text["child_id"]
    multi = child.duplicated(keep=False).to_numpy() & (child != "").to_numpy()
    if not multi.any():
        return
    idx = np.flatnonzero(multi)
    sub = pd.DataFrame({"child": child.to_numpy()[idx], "i": idx})
    for col in ("date_of_birth", "sex"):
        if col not in text.columns:
            continue
        sub[col] = text[col].to_numpy()[idx]
        first = sub.groupby("child")[col].transform("first")
        bad = sub[(sub[col] != first) & (sub[col] != "")]
        if len(bad):
            first_i = sub.groupby("child")["i"].transform("first")[bad.index].to_numpy()
            firsts = first[bad.index].to_numpy()
            mask = np.zeros(len(text), dtype=bool)
            mask[bad["i"].to_numpy()] = True
            msg = {int(i): f"child {c!r} has {col} {f!r} on row {int(lines[fi])}; one child has "
                           f"one {col.replace('_', ' ')}"
                   for i, c, f, fi in zip(bad["i"], bad["child"], firsts, first_i, strict=True)}
            _flag(out, file, "child_inconsistent", mask, lines, col, raw,
                  lambda ii, msg=msg: [msg[int(i)] for i in ii])
    if "looked_after_date" in d:
        start = d["looked_after_date"].to_numpy()[idx]
        end = d.get("exit_date", pd.Series(pd.NaT, index=text.index)).to_numpy()[idx]
        extract = d.get("extract_date", pd.Series(pd.NaT, index=text.index)).to_numpy()[idx]
        end = np.where(pd.isna(end), extract, end)
        order = np.lexsort((start, sub["child"].to_numpy()))
        c_s, s_s, e_s, i_s = sub["child"].to_numpy()[order], start[order], end[order], idx[order]
        same = c_s[1:] == c_s[:-1]
        # The next journey of the same child starts before the previous one ended.
        over = same & (s_s[1:] < e_s[:-1])
        if over.any():
            mask = np.zeros(len(text), dtype=bool)
            mask[i_s[1:][over]] = True
            prev = {int(i): (int(lines[p]), pd.Timestamp(e)) for i, p, e
                    in zip(i_s[1:][over], i_s[:-1][over], e_s[:-1][over], strict=True)}
            _flag(out, file, "child_overlap", mask, lines, "looked_after_date", raw,
                  lambda ii: [f"this child's journey on row {prev[int(i)][0]} is still going on "
                              f"(until {prev[int(i)][1]:%Y-%m-%d}); a child is in one period of "
                              "care at a time" for i in ii])


# --------------------------------------------------------------------------- placements


def check_placements(ptext: pd.DataFrame, praw: pd.DataFrame, pd_: dict[str, pd.Series],
                     pfile: str, plines: np.ndarray, jtext: pd.DataFrame,
                     jd: dict[str, pd.Series], out: Problems) -> None:
    """Apply the placement rules, within a placement and against its journey.

    Parameters
    ----------
    ptext, praw, pd_, pfile, plines
        The placements table as in :func:`check_journeys`.
    jtext : pandas.DataFrame
        The journeys table as stripped text.
    jd : dict of str to pandas.Series
        The journeys' parsed date columns.
    out : Problems
        Collector of :mod:`pace_analysis.validation`.
    """
    nat = pd.Series(pd.NaT, index=ptext.index, dtype="datetime64[ns]")
    start, end = pd_.get("start_date", nat), pd_.get("end_date", nat)
    _flag(out, pfile, "placement_end_before_start", (end < start).to_numpy(), plines,
          "end_date", praw, lambda i: [f"end_date is before start_date {s}." for s in _iso(start, i)])

    if "journey_id" not in ptext.columns or "journey_id" not in jtext.columns:
        return
    jid = ptext["journey_id"]
    known = jid.isin(jtext["journey_id"]).to_numpy()
    _flag(out, pfile, "placement_journey_unknown", ~known & (jid != "").to_numpy(), plines,
          "journey_id", praw, "no journey with this journey_id in the journeys file.")

    first = ~jtext["journey_id"].duplicated()
    jidx = pd.Index(jtext["journey_id"][first])
    pos = jidx.get_indexer(jid)

    def journey(name: str) -> pd.Series:
        if name not in jd:
            return nat
        vals = jd[name][first].to_numpy()
        got = np.where(pos >= 0, vals[np.clip(pos, 0, None)], np.datetime64("NaT"))
        return pd.Series(got, index=ptext.index, dtype="datetime64[ns]")

    j_start, j_exit, j_extract = journey("looked_after_date"), journey("exit_date"), \
        journey("extract_date")
    j_end = j_exit.fillna(j_extract)

    for name, s in (("start_date", start), ("end_date", end)):
        _flag(out, pfile, "date_range", (s > j_extract).to_numpy(), plines, name, praw,
              lambda i: [f"date is after the journey's extract date {e}."
                         for e in _iso(j_extract, i)])

    def window(i: np.ndarray) -> list[str]:
        return [f"outside its journey ({a} to {b})." for a, b in
                zip(_iso(j_start, i), [x if x != "(empty)" else "open"
                                       for x in _iso(j_end, i)], strict=True)]

    early = (start < j_start) | (start > j_end)
    _flag(out, pfile, "placement_outside_journey", early.to_numpy(), plines, "start_date",
          praw, lambda i: [f"placement starts {m}" for m in window(i)])
    late = (end > j_end) & (end <= j_extract) | (end > j_end) & j_exit.notna()
    _flag(out, pfile, "placement_outside_journey", (late & ~early).to_numpy(), plines,
          "end_date", praw, lambda i: [f"placement ends {m}" for m in window(i)])
    open_after = end.isna() & j_exit.notna() & start.notna() & ~early
    if "end_date" in ptext.columns:
        _flag(out, pfile, "placement_outside_journey", open_after.to_numpy(), plines,
              "end_date", praw,
              lambda i: [f"placement has no end_date (ongoing) but its journey ended on {e}."
                         for e in _iso(j_exit, i)])

    # placement_overlap: sorted by start within a journey, the next placement starts
    # before the previous one's last day (a same-day hand-over is a one-day overlap).
    ok = start.notna() & (pos >= 0)
    if ok.any():
        frame = pd.DataFrame({"j": jid[ok], "s": start[ok],
                              "e": end[ok].fillna(pd.Timestamp.max.floor("D"))})
        frame = frame.sort_values(["j", "s"], kind="stable")
        prev_end = frame.groupby("j", sort=False)["e"].shift()
        over = frame.index[(frame["s"] < prev_end).to_numpy()]
        m = np.zeros(len(ptext), dtype=bool)
        m[over] = True
        _flag(out, pfile, "placement_overlap", m, plines, "start_date", praw,
              "starts before the previous placement of the same journey has ended.")


__all__ = ["check_journeys", "check_placements"]
