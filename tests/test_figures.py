"""Published figures: alt text written from the figure's data, compact PNGs, 9 pt text."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import PercentFormatter  # noqa: E402
from PIL import Image  # noqa: E402

from pace_analysis import figures  # noqa: E402


def step_figure():
    fig, ax = plt.subplots()
    ax.step([0, 1, 2, 3], [0.0, 0.25, 0.5, 0.6], where="post", label="Fife (40 children)")
    ax.step([0, 1, 2, 3], [0.0, 0.125, 0.375, 0.5], where="post", label="Scotland")
    ax.set_xlim(0, 3)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("Years since becoming looked after")
    ax.set_ylabel("Share reached permanence")
    ax.set_title("Time to permanence: Fife", loc="left")
    ax.legend()
    return fig


def test_alt_text_holds_each_curves_values_at_the_marked_times():
    fig = step_figure()
    text = figures.describe_figure(fig)
    plt.close(fig)
    assert text.caption == "Time to permanence: Fife"
    assert "Share reached permanence against Years since becoming looked after" in text.alt
    assert "Fife (40 children): 0% at 0 years" in text.alt
    for value, at in (("25%", "1 year"), ("50%", "2 years"), ("60%", "3 years")):
        assert f"{value} at {at}" in text.alt
    assert "12% at 1 year" in text.alt or "13% at 1 year" in text.alt  # 12.5%, rounded
    assert "38% at 2 years" in text.alt


def test_alt_text_of_bars_and_a_table_of_numbers():
    fig, (ax, tab) = plt.subplots(2, 1)
    ax.barh([0, 1], [120, 45], color=["#0072B2", "#0072B2"])
    ax.set_yticks([0, 1], ["Adoption", "Kinship"])
    ax.set_xlabel("Median days")
    ax.set_title("Stages", loc="left")
    tab.set_yticks([0, 1], ["Fife", "Scotland"])
    for x, (a, b) in enumerate([("40", "900"), ("<5", "800")]):
        tab.text(x, 0, a)
        tab.text(x, 1, b)
    tab.set_title("At risk", loc="left")
    fig.canvas.draw()
    alt = figures.describe_figure(fig).alt
    plt.close(fig)
    assert "Adoption: 120" in alt and "Kinship: 45" in alt
    assert "Fife: 40, <5" in alt and "Scotland: 900, 800" in alt


def test_png_is_150_dpi_palette_deterministic_and_small_text_is_raised():
    fig = step_figure()
    fig.text(0.1, 0.01, "a small note", fontsize=6)
    a = figures.png_bytes(fig)
    b = figures.png_bytes(fig)
    assert a == b and b"Software" not in a
    assert all(t.get_fontsize() >= figures.MIN_TEXT_PT
               for t in fig.findobj(matplotlib.text.Text) if t.get_text().strip())
    image = Image.open(io.BytesIO(a))
    assert image.mode == "P"
    width_in = fig.get_size_inches()[0]
    assert image.width >= 0.8 * width_in * figures.DPI  # bbox "tight" may trim a little
    full = io.BytesIO()
    fig.savefig(full, format="png", dpi=figures.DPI)
    assert len(a) < len(full.getvalue())
    plt.close(fig)


def test_stamp_sits_below_everything_drawn():
    fig = step_figure()
    fig.text(0.1, -0.1, "a note below the axes")
    before = fig.get_tightbbox(fig.canvas.get_renderer())
    figures.stamp(fig, "Synthetic data")
    label = next(t for t in fig.texts if t.get_text() == "Synthetic data")
    top = label.get_window_extent(fig.canvas.get_renderer()).y1 / fig.dpi
    assert top <= before.y0 + 1e-6
    plt.close(fig)


def test_reports_on_synthetic_data_stamp_their_figures(tmp_path):
    from test_reports import small_dataset

    from pace_analysis import reporting
    from pace_analysis.dataset import Dataset

    base = small_dataset()
    try:
        reporting._note_synthetic(Dataset(base.journeys, base.placements, base.route_set,
                                          meta={"source": "synthetic"}))
        assert reporting.FIGURE_BANNER == "Synthetic data"
        fig = step_figure()
        texts = []
        fig.text = lambda *a, **k: texts.append(a[2]) or plt.Figure.text(fig, *a, **k)
        reporting.save_figure(fig, tmp_path, "f", show=False)
        assert texts == ["Synthetic data"] and (tmp_path / "f.png").is_file()
        reporting._note_synthetic(base)  # hand-made data: not synthetic by its meta
        assert reporting.FIGURE_BANNER is None
    finally:
        reporting.FIGURE_BANNER = None


def test_figure_text_is_darkened_to_aa_contrast_keeping_its_hue():
    from matplotlib.colors import rgb_to_hsv, to_rgb

    fig = step_figure()
    fig.text(0.5, 0.5, "Scotland 52,746", color="#E69F00")  # Okabe-Ito orange: about 2:1
    assert figures.contrast(to_rgb("#E69F00")) < 3
    assert figures.darken_low_contrast_text(fig) >= 1
    label = next(t for t in fig.texts if t.get_text() == "Scotland 52,746")
    assert figures.contrast(to_rgb(label.get_color())) >= figures.MIN_CONTRAST
    hue = rgb_to_hsv(to_rgb(label.get_color()))[0]
    assert abs(hue - rgb_to_hsv(to_rgb("#E69F00"))[0]) < 0.01
    assert abs(figures.contrast((0, 0, 0)) - 21) < 1e-9
    plt.close(fig)
