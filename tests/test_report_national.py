"""National tables computed once per batch give the same report as tables computed per kernel."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pace_analysis import io, reporting, survival
from pace_analysis.report import ReportContext, national, overview, sections

DATA = Path(__file__).resolve().parents[1] / "data" / "synthetic"


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """A batch cache as ``pace report`` writes it, with its national tables."""
    cache = tmp_path_factory.mktemp("cache")
    dataset = io.read_dataset(DATA)
    reporting.write_cache(dataset, cache, (None, None))
    keys = national.write(cache, dataset, (None, None), {5}, ["Orkney Islands", "Glasgow City"])
    return cache, keys


def _context(tmp_path, authority: str, cache: str = "", threshold: int = 5) -> ReportContext:
    return ReportContext.build(authority, str(DATA), str(tmp_path / "out"), None, None, threshold,
                               False, cache)


def _tables(ctx: ReportContext) -> dict:
    numbers = sections.headline(ctx)
    out = {name: t.data for name, t in sections.tables(ctx, numbers).items()}
    out["summary"] = numbers
    return out


@pytest.mark.slow
@pytest.mark.parametrize("authority", ["Orkney Islands", "Glasgow City"])
def test_batch_tables_equal_tables_computed_in_the_kernel(batch, tmp_path, authority):
    cache, keys = batch
    assert keys, "the parent wrote no national tables"
    with_cache = _context(tmp_path, authority, str(cache))
    alone = _context(tmp_path, authority)
    assert with_cache.shared.key == keys[0]  # read from the batch cache
    assert alone.shared.key == ""  # computed in the kernel
    a, b = _tables(with_cache), _tables(alone)
    assert a.pop("summary") == b.pop("summary")
    assert a.keys() == b.keys()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True, obj=name)
    sa, sb = overview.trends_sentence(with_cache, sections.tables(with_cache)["permanence_trends"]), \
        overview.trends_sentence(alone, sections.tables(alone)["permanence_trends"])
    assert sa == sb


@pytest.mark.slow
def test_another_threshold_is_not_read_from_the_batch(batch, tmp_path):
    cache, _keys = batch
    ctx = _context(tmp_path, "Orkney Islands", str(cache), threshold=10)
    assert national.load(cache, ctx.window, 10, ctx.national) is None
    assert ctx.shared.key == "" and ctx.shared.threshold == 10


def test_a_changed_cache_file_changes_the_key(tmp_path):
    for name in national.KEYED_FILES:
        (tmp_path / name).write_bytes(b"one")
    first = national.key(tmp_path, (None, None), 5, "Scotland")
    (tmp_path / "frame.pkl").write_bytes(b"two")
    assert national.key(tmp_path, (None, None), 5, "Scotland") != first
    assert national.key(tmp_path, ("2010-08-01", None), 5, "Scotland") != \
        national.key(tmp_path, (None, None), 5, "Scotland")
    assert national.load(tmp_path, (None, None), 5, "Scotland") is None  # no file: compute


@pytest.mark.parametrize("authority", ["Angus", "West Lothian"])  # before and after "Scotland"
def test_with_local_is_one_call_on_both_groups(authority):
    frame = reporting.load_frame(io.read_dataset(DATA), (None, None))
    local = frame[frame["authority"] == authority]
    both = pd.concat([local.assign(area=authority), frame.assign(area="Scotland")], ignore_index=True)
    for fn in (lambda f: survival.kaplan_meier(f, by="area"),
               lambda f: reporting.share_table(f, by="area")):
        got = national.with_local(fn(frame.assign(area="Scotland")), fn(local.assign(area=authority)),
                                  authority, "Scotland")
        pd.testing.assert_frame_equal(got, fn(both), check_exact=True)
        assert got.attrs == fn(both).attrs



def test_a_batch_whose_tables_cannot_be_built_writes_nothing(tmp_path):
    # No cached frame or dataset in the folder: nothing is written, kernels compute.
    dataset = io.read_dataset(DATA)
    assert national.write(tmp_path, dataset, (None, None), {5}) == []
    assert not (tmp_path / national.NATIONAL_FILE).exists()
