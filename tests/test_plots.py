"""Every figure is drawn, as PNG and SVG, from a saved table."""

from analysis.fit import fit_table
from analysis.plots import draw_all, label_points, plt
from analysis.sweep import load_timelines
from analysis.table import load_table


def test_all_figures_written(swept, tmp_path):
    table = load_table(swept / "sweep" / "sweep.csv")
    written = draw_all(
        table,
        fit_table(table),
        tmp_path,
        load_timelines(swept / "sweep" / "timelines.json"),
    )
    assert set(written) == {
        "peak_vs_depth",
        "time_vs_depth",
        "peak_vs_stride",
        "trade_off",
        "timeline",
    }
    for path in written.values():
        assert path.read_bytes()[:4] == b"\x89PNG"
        assert path.with_suffix(".svg").read_text().lstrip().startswith("<?xml")


def test_labels_of_nearby_points_do_not_overlap():
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    x, y = [30.0, 30.2, 30.4, 47.0], [0.27, 0.27, 0.28, 0.27]  # k = 24, 40, 48 at n = 1024
    ax.plot(x, y, "o")
    label_points(ax, x, y, ["k=24", "k=40", "k=48", "k=1024"])
    fig.canvas.draw()
    boxes = [text.get_window_extent() for text in ax.texts]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    assert all(ax.bbox.x0 <= box.x0 and box.x1 <= ax.bbox.x1 for box in boxes)
    plt.close(fig)
