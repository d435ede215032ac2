"""Measure plain and checkpointed backprop over depth and stride grids.

Writes <out>/sweep/sweep.csv (one row per configuration) and
<out>/sweep/timelines.json; a rerun measures only what is missing.
"""

import sys

from analysis.cli import output_folder, run, script_parser
from analysis.sweep import GRIDS, run_sweep


def main(argv=None):
    parser = script_parser("sweep.py", __doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller grid (about 10 s)")
    args = parser.parse_args(argv)
    grid = GRIDS["quick" if args.quick else "default"]
    with output_folder(args.out) as out:
        table, measured, written = run_sweep(out / "sweep", grid)
    print(f"Measured {measured} new configurations; the table has {len(table)} rows")
    for path in written:
        print(f"Wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
