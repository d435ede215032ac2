"""Fit, figures and REPORT.md/.html from a saved sweep table or asv results.

Runs no benchmark. Reads <out>/sweep/sweep.csv (or --table, or --asv DIR
through analysis.asv_results) and writes <out>/fit and <out>/report.
"""

import sys

from analysis.cli import nonempty_path, output_folder, run, script_parser
from analysis.report import regenerate


def main(argv=None):
    parser = script_parser("report.py", __doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--table", type=nonempty_path, help="sweep CSV (default <out>/sweep/sweep.csv)"
    )
    source.add_argument(
        "--asv", type=nonempty_path, metavar="DIR", help="asv results folder instead"
    )
    parser.add_argument("--commit", help="with --asv: the commit to report "
                        "(a hash prefix; default the newest)")
    args = parser.parse_args(argv)
    if args.commit and not args.asv:
        parser.error("--commit goes with --asv")
    with output_folder(args.out) as out:
        result, written = regenerate(out, args.table, args.asv, commit=args.commit)
    for claim in result["claims"]:
        print(f"{claim['verdict']:>12}  {claim['claim']}")
    for path in written:
        print(f"Wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
