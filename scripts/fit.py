"""Fit the sweep table and judge each claim; writes fit.json and claims.csv.

Runs no benchmark: it reads <out>/sweep/sweep.csv (or --table) only.
"""

import sys
from pathlib import Path

import pandas as pd

from analysis import atomic
from analysis.cli import output_folder, run, script_parser
from analysis.fit import fit_table
from analysis.table import load_table


def main(argv=None):
    parser = script_parser("fit.py", __doc__.splitlines()[0], table=True)
    args = parser.parse_args(argv)
    out = Path(args.out)
    table = load_table(args.table or out / "sweep" / "sweep.csv")
    result = fit_table(table)
    for claim in result["claims"]:
        print(f"{claim['verdict']:>12}  {claim['claim']}: {claim['measured']}")
    with output_folder(out), atomic.staging(out / "fit") as stage:
        atomic.write_json(stage / "fit.json", result)
        atomic.write_csv(stage / "claims.csv", pd.DataFrame(result["claims"]))
    for name in ("fit.json", "claims.csv"):
        print(f"Wrote {out / 'fit' / name}")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
