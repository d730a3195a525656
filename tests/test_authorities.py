import pytest

from pace_analysis.authorities import (
    AUTHORITIES,
    AUTHORITY_NAMES,
    get_authority,
    is_known_authority,
    pace_participants,
    slugify,
)
from pace_analysis.errors import UnknownAuthorityError


def test_thirty_two_councils_with_unique_names_codes_and_slugs():
    assert len(AUTHORITIES) == 32
    assert len(set(AUTHORITY_NAMES)) == 32
    assert len({a.code for a in AUTHORITIES}) == 32
    assert len({a.slug for a in AUTHORITIES}) == 32
    assert all(a.code.startswith("S12") and len(a.code) == 9 for a in AUTHORITIES)


def test_domain_stock_estimates_sum_to_about_scotland():
    # DOMAIN.md's estimates sum to 14,495, inside the 2009-2024 national range 11,844-16,248.
    total = sum(a.estimated_stock for a in AUTHORITIES)
    assert 11_844 <= total <= 16_248


def test_pace_participation_matches_celcis_counts_and_early_sites():
    participants = pace_participants()
    assert len(participants) == 27  # CELCIS: 27 of the 32 authorities took part
    wave1 = {a.name for a in AUTHORITIES if a.pace_wave == 1}
    wave2 = {a.name for a in AUTHORITIES if a.pace_wave == 2}
    assert wave1 == {"Aberdeen City", "Aberdeenshire", "Renfrewshire"}
    assert wave2 == {
        "East Renfrewshire", "Dumfries and Galloway", "North Lanarkshire",
        "Shetland Islands", "Fife",
    }
    starts = [a.pace_start for a in participants]
    assert starts == sorted(starts)
    assert all((a.pace_wave is None) == (a.pace_start is None) for a in AUTHORITIES)


@pytest.mark.parametrize(
    "key",
    ["Glasgow City", "glasgow city", "S12000049", "S12000046", "glasgow-city", "  Glasgow City "],
)
def test_lookup_by_name_code_old_code_or_slug(key):
    assert get_authority(key).name == "Glasgow City"


def test_unknown_authority_suggests_close_names():
    with pytest.raises(UnknownAuthorityError, match="Did you mean: Glasgow City"):
        get_authority("Glasgo City")
    assert not is_known_authority("Atlantis")


@pytest.mark.parametrize("name", ["../../etc", "a/b", "Na h-Eileanan Siar", "x\\y", "C:\\Windows"])
def test_slugs_cannot_escape_a_folder(name):
    slug = slugify(name)
    assert "/" not in slug and "\\" not in slug and ".." not in slug
    assert slug == slug.strip("-")


@pytest.mark.parametrize("name", ["///", "..", ""])
def test_slug_of_nothing_is_an_error(name):
    with pytest.raises(UnknownAuthorityError):
        slugify(name)


def test_non_latin_names_get_a_stable_distinct_folder_name():
    from pace_analysis.authorities import slugify

    a, b = slugify("Москва"), slugify("北京")
    assert a.startswith("authority-") and b.startswith("authority-") and a != b
    assert slugify("Москва") == a  # the same name always gives the same folder
    assert slugify("Ynys Môn") == "ynys-mon"  # accents are folded, not dropped
