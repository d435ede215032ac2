"""Draw the report's figures (PNG and SVG) from a saved sweep table, no benchmark."""

import sys
from pathlib import Path

from analysis.cli import Parser, run
from analysis.fit import fit_table
from analysis.plots import draw_all
from analysis.report import load_timelines
from analysis.table import load_table


def main(argv=None):
    parser = Parser(prog="plots.py", description=__doc__)
    parser.add_argument(
        "--out", default="results", help="output folder (default results)"
    )
    parser.add_argument("--table", help="sweep CSV (default <out>/sweep/sweep.csv)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    table = load_table(args.table or out / "sweep" / "sweep.csv")
    timelines = load_timelines(out / "sweep" / "timelines.json")
    for path in draw_all(
        table, fit_table(table), out / "report" / "figures", timelines
    ).values():
        print(f"Wrote {path} (and .svg)")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
