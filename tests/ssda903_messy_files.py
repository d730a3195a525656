"""A seeded builder of a messy SSDA903 extract, at the scale of the public test file.

The independent public file of issue 12 (5,050 fake episodes, 2015-2018) is available here
only as a 27% verbatim sample (``tests/data/ssda903_public``). This builder writes a file of the same
size with the same traits, so the importer can be measured at that scale:

- DEC written ``dd/mm/yy`` (two-digit years), DECOM ``dd/mm/yyyy``;
- REC set without DEC: X1 on most open episodes, an exit code on some;
- a multi-year span (periods starting 2015 to 2018, one file, no year in its name);
- a few dates past the last year's end (stray dates, written with four digits);
- some codes unknown in every year (PLACE ``Q9``, LS ``XX``);
- some periods that began before the data with no RNE S episode.

Every episode is otherwise sound: chained with REC X1 on the day the next starts.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np

EXITS = ["E4A", "E11", "E45", "E41", "E5", "E8", "E3"]
PLACES = ["U1", "U4", "K2", "A4", "P1", "R1"]
LEGAL = ["C1", "C2", "V2", "E1", "L2"]


def write_messy_903(folder: Path, seed: int = 903, children: int = 1800) -> tuple[Path, Path]:
    """Write ``header.csv`` and ``episodes.csv`` into *folder*; return their paths."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    head = ["CHILD,SEX,DOB"]
    eps = ["CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC"]
    last_day = date(2019, 3, 31)
    for c in range(children):
        cid = f"{100000 + c}"
        dob = date(2001, 1, 1) + timedelta(days=int(rng.integers(0, 13 * 365)))
        head.append(f"{cid},{rng.integers(1, 3)},{dob:%d/%m/%Y}")
        start = max(date(2015, 1, 1) + timedelta(days=int(rng.integers(0, 4 * 365 - 60))),
                    dob + timedelta(days=30))
        n = int(rng.integers(1, 6))
        before_data = start < date(2016, 4, 1) and rng.random() < 0.3
        day = start
        for k in range(n):
            length = int(rng.integers(10, 240))
            end = day + timedelta(days=length)
            rne = "P" if (k or before_data) else "S"
            ls, place = rng.choice(LEGAL), rng.choice(PLACES)
            if rng.random() < 0.012:
                place = "Q9"
            if rng.random() < 0.006:
                ls = "XX"
            last = k == n - 1
            if end > last_day or (last and rng.random() < 0.45):  # still open
                dec = ""
                rec = "X1" if rng.random() < 0.6 else (rng.choice(EXITS) if rng.random() < 0.1
                                                       else "")
                eps.append(f"{cid},{day:%d/%m/%Y},{rne},{ls},N1,{place},PR1,{dec},{rec}")
                break
            text = f"{end:%d/%m/%y}"
            if rng.random() < 0.002:  # a stray date past the last year's end (four digits)
                end = date(2021, 6, 1)
                text = f"{end:%d/%m/%Y}"
            rec = rng.choice(EXITS) if last else "X1"
            eps.append(f"{cid},{day:%d/%m/%Y},{rne},{ls},N1,{place},PR1,{text},{rec}")
            if end > last_day:
                break
            day = end
    h, e = folder / "header.csv", folder / "episodes.csv"
    h.write_text("\n".join(head) + "\n")
    e.write_text("\n".join(eps) + "\n")
    return h, e
