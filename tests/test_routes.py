import pytest

from pace_analysis.errors import PaceError
from pace_analysis.routes import bundled_route_sets, load_route_set


def test_scotland_is_the_default_with_four_routes():
    rs = load_route_set()
    assert rs.name == "scotland"
    assert rs.route_codes == ("home", "kinship", "permanence_order", "adoption")
    # a permanence order keeps the child looked after; the other routes end care
    assert [r.leaves_care for r in rs.routes] == [True, True, False, True]
    assert rs.label_of("adoption") == "Adoption order"
    assert rs.label_of("not-a-route") == "not-a-route"


def test_england_routes_carry_their_903_exit_codes():
    rs = load_route_set("england")
    codes = {r.code: r.source_codes for r in rs.routes}
    assert codes["home"] == ("E4A",)
    assert codes["child_arrangements"] == ("E41",)
    assert codes["special_guardianship"] == ("E43", "E44", "E45", "E46", "E47", "E48")
    assert codes["adoption"] == ("E11", "E12")
    assert rs.authorities == "any"


def test_bundled_sets_listed():
    assert {"scotland", "england"} <= set(bundled_route_sets())


def test_route_set_from_a_yaml_file(tmp_path):
    p = tmp_path / "wales.yaml"
    p.write_text(
        "name: wales\nauthorities: any\nroutes:\n  - code: home\n  - code: adoption\n"
        "exit_reasons: [permanence, other]\nplacement_types: [home, foster]\n"
        "legal_bases: [other]\n",
        encoding="utf-8",
    )
    rs = load_route_set(str(p))
    assert rs.route_codes == ("home", "adoption")
    assert rs.label_of("home") == "home"


def test_unknown_or_malformed_route_sets_are_clear_errors(tmp_path):
    with pytest.raises(PaceError, match="unknown route set 'narnia'"):
        load_route_set("narnia")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\n", encoding="utf-8")
    with pytest.raises(PaceError, match="malformed"):
        load_route_set(str(bad))
    with pytest.raises(PaceError, match="not found"):
        load_route_set(str(tmp_path / "missing.yaml"))
