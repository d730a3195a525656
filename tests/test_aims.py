from pace_analysis import aims
from pace_analysis.measures import MEASURES


def test_aim_1_follows_celcis_wording():
    assert "have their plan reviewed" in aims.AIM_LABELS["aim_1"]
    assert "26 weeks" in aims.AIM_LABELS["aim_2"]


def test_scanner_finds_internal_names():
    assert aims.internal_identifiers("Aim 1 (cso_home_2y)") == ["cso_home_2y"]
    assert aims.internal_identifiers("Median days to panel") == []


def test_no_published_label_holds_an_internal_identifier():
    from pace_analysis.milestones import AIMS

    labels = list(aims.AIM_LABELS.values()) + list(aims.MEASURE_LABELS.values())
    labels += list(aims.PACE_AIM_ROWS.values()) + list(aims.AIM_SHORT.values())
    labels += list(AIMS.values())  # the definitions shown beside the aims table
    labels += [m.label for m in MEASURES.values()]
    for text in labels:
        assert aims.internal_identifiers(text) == [], text


def test_every_measure_has_a_label():
    assert set(MEASURES) <= set(aims.MEASURE_LABELS)
    assert aims.label("aim_1") == aims.AIM_LABELS["aim_1"]


def test_aims_table_rows_name_aim_1_as_the_review_not_the_stay():
    from pace_analysis.milestones import AIMS

    assert set(aims.PACE_AIM_ROWS) == set(AIMS)
    assert aims.PACE_AIM_ROWS["cso_home_2y_reviewed"].startswith(aims.AIM_LABELS["aim_1"])
    assert "National aim 1:" not in aims.PACE_AIM_ROWS["cso_home_2y"]  # the population only
    assert aims.PACE_AIM_ROWS["recommendation_26w"] == aims.AIM_LABELS["aim_2"]
