"""Draw the report's figures (PNG and SVG) from a saved sweep table, no benchmark."""

import sys
from pathlib import Path

from analysis import atomic
from analysis.cli import output_folder, run, script_parser
from analysis.fit import fit_table
from analysis.plots import draw_all
from analysis.sweep import load_timelines
from analysis.table import load_table


def main(argv=None):
    parser = script_parser("plots.py", __doc__, table=True)
    args = parser.parse_args(argv)
    out = Path(args.out)
    table = load_table(args.table or out / "sweep" / "sweep.csv")
    timelines = load_timelines(out / "sweep" / "timelines.json")
    result = fit_table(table)
    figures = out / "report" / "figures"
    with output_folder(out), atomic.staging(figures) as stage:
        names = draw_all(table, result, stage, timelines)
    for name in names:
        print(f"Wrote {figures / name}.png (and .svg)")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
