"""Every figure is drawn, as PNG and SVG, from a saved table."""

from analysis.fit import fit_table
from analysis.plots import draw_all
from analysis.report import load_timelines
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
