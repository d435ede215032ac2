"""End to end: sweep, training on digits, then fit, figures and report.

Default grid in 20 to 35 seconds on 2 cores, --quick in about 10 seconds
(written to <out>/quick unless --out is given). A rerun re-measures nothing
already in the table.
"""

import sys
import time

from analysis import atomic
from analysis.cli import Parser, nonempty_path, output_folder, run
from analysis.report import regenerate
from analysis.sweep import GRIDS, run_sweep
from analysis.training import train_digits


def main(argv=None):
    parser = Parser(prog="reproduce.py", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=nonempty_path,
        help="output folder (default results, results/quick with --quick)",
    )
    parser.add_argument("--quick", action="store_true", help="a smaller grid")
    parser.add_argument(
        "--no-training", action="store_true", help="skip the digits training section"
    )
    args = parser.parse_args(argv)
    with output_folder(args.out or ("results/quick" if args.quick else "results")) as out:
        return reproduce(out, args.quick, not args.no_training)


def reproduce(out, quick, training):
    """Sweep, training, then fit, figures and report into ``out``."""
    started = time.perf_counter()

    # 1. sweep: only configurations not yet in the table
    table, measured, written = run_sweep(
        out / "sweep", GRIDS["quick" if quick else "default"]
    )
    print(
        f"sweep: {measured} new configurations, {len(table)} rows "
        f"({time.perf_counter() - started:.1f} s)"
    )

    # 2. training on real data: a separate hook, "pending" without engine.train
    if training:
        mark = time.perf_counter()
        training = train_digits()
        if training["status"] == "done":
            written.append(
                atomic.write_json(out / "training" / "digits.json", training)
            )
        print(f"training: {training['status']} ({time.perf_counter() - mark:.1f} s)")
    else:
        training = None

    # 3. fit, figures, report: from the table alone
    mark = time.perf_counter()
    command = f"python scripts/report.py --out {out}"
    result, report_files = regenerate(out, training=training, command=command)
    print(f"fit, figures, report: {time.perf_counter() - mark:.1f} s")
    for claim in result["claims"]:
        print(f"{claim['verdict']:>12}  {claim['claim']}")
    for path in written + report_files:
        print(f"Wrote {path}")
    print(f"total: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
