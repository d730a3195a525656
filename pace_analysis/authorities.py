"""The 32 Scottish council areas: names, GSS codes, sizes and PACE participation.

Sizes are DOMAIN.md's *estimated* looked-after stock around 2019, used only to size
synthetic data. PACE waves 1 and 2 follow CELCIS's published list of early test sites;
the roll-out start dates and which five councils did not take part are *synthetic
assumptions* (CELCIS says 27 of 32 took part but the list used here is not published
fact): they drive the synthetic generator and nothing else.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from pace_analysis.errors import UnknownAuthorityError


@dataclass(frozen=True)
class Authority:
    """One council area.

    Attributes
    ----------
    name : str
        Official council name, e.g. ``"Glasgow City"``.
    code : str
        Current GSS code (``S12…``).
    previous_code : str or None
        Code before the 2018–19 boundary recoding, where it changed.
    estimated_stock : int
        Estimated looked-after children around 2019 (synthetic sizing only).
    pace_wave : int or None
        1 (2014 test sites), 2 (2016), 3 (national roll-out) or ``None`` if not taking part.
    pace_start : datetime.date or None
        Date the council joined PACE (wave 3 dates and non-participants are assumptions).
    """

    name: str
    code: str
    previous_code: str | None
    estimated_stock: int
    pace_wave: int | None
    pace_start: date | None

    @property
    def slug(self) -> str:
        """File-system-safe name used for report folders."""
        return slugify(self.name)


_W1, _W2 = date(2014, 10, 1), date(2016, 4, 1)
_R1, _R2, _R3, _R4 = date(2017, 1, 1), date(2017, 7, 1), date(2018, 1, 1), date(2018, 7, 1)

AUTHORITIES: tuple[Authority, ...] = (
    Authority("Aberdeen City", "S12000033", None, 560, 1, _W1),
    Authority("Aberdeenshire", "S12000034", None, 390, 1, _W1),
    Authority("Angus", "S12000041", None, 300, 3, _R1),
    Authority("Argyll and Bute", "S12000035", None, 190, 3, _R1),
    Authority("City of Edinburgh", "S12000036", None, 1100, 3, _R1),
    Authority("Clackmannanshire", "S12000005", None, 230, 3, _R1),
    Authority("Dumfries and Galloway", "S12000006", None, 400, 2, _W2),
    Authority("Dundee City", "S12000042", None, 560, 3, _R2),
    Authority("East Ayrshire", "S12000008", None, 480, 3, _R2),
    Authority("East Dunbartonshire", "S12000045", None, 150, None, None),
    Authority("East Lothian", "S12000010", None, 230, 3, _R2),
    Authority("East Renfrewshire", "S12000011", None, 100, 2, _W2),
    Authority("Falkirk", "S12000014", None, 380, 3, _R2),
    Authority("Fife", "S12000047", "S12000015", 1000, 2, _W2),
    Authority("Glasgow City", "S12000049", "S12000046", 2500, 3, _R2),
    Authority("Highland", "S12000017", None, 480, 3, _R3),
    Authority("Inverclyde", "S12000018", None, 270, 3, _R3),
    Authority("Midlothian", "S12000019", None, 230, 3, _R3),
    Authority("Moray", "S12000020", None, 180, None, None),
    Authority("Na h-Eileanan Siar", "S12000013", None, 50, None, None),
    Authority("North Ayrshire", "S12000021", None, 560, 3, _R3),
    Authority("North Lanarkshire", "S12000050", "S12000044", 880, 2, _W2),
    Authority("Orkney Islands", "S12000023", None, 35, None, None),
    Authority("Perth and Kinross", "S12000048", "S12000024", 280, 3, _R3),
    Authority("Renfrewshire", "S12000038", None, 600, 1, _W1),
    Authority("Scottish Borders", "S12000026", None, 190, None, None),
    Authority("Shetland Islands", "S12000027", None, 40, 2, _W2),
    Authority("South Ayrshire", "S12000028", None, 320, 3, _R4),
    Authority("South Lanarkshire", "S12000029", None, 700, 3, _R4),
    Authority("Stirling", "S12000030", None, 240, 3, _R4),
    Authority("West Dunbartonshire", "S12000039", None, 450, 3, _R4),
    Authority("West Lothian", "S12000040", None, 420, 3, _R4),
)

AUTHORITY_NAMES: tuple[str, ...] = tuple(a.name for a in AUTHORITIES)

def slugify(name: str) -> str:
    """Turn a name into a lower-case slug of ``[a-z0-9-]`` only.

    The result can never contain a path separator or ``..``, so it is safe to use as a
    folder name under ``reports/``.

    Examples
    --------
    >>> slugify("Na h-Eileanan Siar")
    'na-h-eileanan-siar'
    """
    folded = unicodedata.normalize("NFKD", name.casefold()).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
    if not slug:
        if not any(ch.isalpha() for ch in name):
            raise UnknownAuthorityError(f"cannot make a folder name from {name!r}")
        # A name with no Latin letters (e.g. Cyrillic or Chinese): a stable short hash.
        slug = "authority-" + hashlib.sha256(name.strip().encode("utf-8")).hexdigest()[:10]
    return slug


_BY_KEY: dict[str, Authority] = {}
for _a in AUTHORITIES:
    _BY_KEY[_a.name.casefold()] = _a
    _BY_KEY[_a.code.casefold()] = _a
    _BY_KEY[_a.slug] = _a
    if _a.previous_code:
        _BY_KEY[_a.previous_code.casefold()] = _a



def get_authority(name_or_code: str) -> Authority:
    """Look up a council by name, slug or GSS code (current or pre-2018), ignoring case.

    Raises
    ------
    UnknownAuthorityError
        With the closest known names when there is no match.
    """
    key = str(name_or_code).strip().casefold()
    if key in _BY_KEY:
        return _BY_KEY[key]
    close = difflib.get_close_matches(str(name_or_code), AUTHORITY_NAMES, n=3, cutoff=0.6)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    raise UnknownAuthorityError(
        f"unknown authority {name_or_code!r}: not one of the 32 Scottish councils.{hint}"
    )


def is_known_authority(name: str) -> bool:
    """Return True if *name* is exactly one of the 32 council names."""
    return name in AUTHORITY_NAMES


def pace_participants() -> tuple[Authority, ...]:
    """The councils that took part in PACE (27 of 32), in joining order."""
    return tuple(sorted((a for a in AUTHORITIES if a.pace_start), key=lambda a: a.pace_start))
