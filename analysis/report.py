"""REPORT.md and REPORT.html from a sweep table: claims, figures, provenance.

``write_report`` runs no benchmark: it fits the table (``analysis.fit``),
draws the figures (``analysis.plots``) and writes the two files, each
atomically. The table may come from a sweep CSV or from asv results.
"""

import math
from pathlib import Path

from analysis import atomic, fit, plots
from analysis.markdown import to_html
from analysis.sweep import load_timelines
from analysis.table import provenance

CAPTIONS = {
    "peak_vs_depth": "Peak activation memory against depth n, log-log, with the "
    "fitted power law a n^b + c (solid) and the shape BIC picks (dotted).",
    "peak_vs_stride": "Peak against stride k at one depth, with n/k + k.",
    "time_vs_depth": "Median step time against depth; stride:k with the sqrt stride "
    "is the same plan as sqrt, timed interleaved with naive and a forward pass.",
    "trade_off": "Each stride at one depth as a point: step time against peak memory.",
    "timeline": "Live activation memory over the allocations and releases of one step.",
    "rss_vs_ledger": "Growth of resident memory (RSS) against the ledger's bytes, "
    "each configuration measured in a fresh process.",
}


def number(value, digits=3):
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:.{digits}f}"


def claims_table(claims):
    lines = [
        "| claim | measured | fitted model | exponent [95% interval] | R^2 | "
        "verdict | why |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in claims:
        exponent = number(c["exponent"])
        if exponent != "-":
            exponent += f" [{number(c['low'])}, {number(c['high'])}]"
        lines.append(
            f"| {c['claim']} | {c['measured']} | {c['model'] or '-'} | "
            f"{exponent} | {number(c['r2'], 4)} | **{c['verdict']}** | "
            f"{c['reason']} |"
        )
    return lines


def candidates_table(fits):
    lines = [
        "| strategy | a + b f(n), f = | a (units) | b (units) | R^2 | BIC |",
        "|---|---|---|---|---|---|",
    ]
    for strategy, fitted in fits.items():
        unit = fitted["unit_bytes"]
        for f in fitted["candidates"]:
            lines.append(
                f"| {strategy} | {f['model']} | {f['a'] / unit:.2f} | "
                f"{f['b'] / unit:.3f} | {number(f['r2'], 4)} | {f['bic']:.1f} |"
            )
    return lines


def time_table(details):
    if "depths" not in details:
        return ["Too few timed depths for a table."]
    lines = [
        "| depth n | extra forward passes (E - n)/n | measured ratio | "
        "predicted ratio |",
        "|---|---|---|---|",
    ]
    for row in zip(
        details["depths"],
        details["extra_passes"],
        details["measured_ratio"],
        details["predicted_ratio"],
    ):
        lines.append(f"| {int(row[0])} | {row[1]:.3f} | {row[2]:.3f} | {row[3]:.3f} |")
    return lines


def training_lines(training):
    if not training:
        return []
    lines = ["## Training on real data: scikit-learn digits", ""]
    if training["status"] != "done":
        return lines + [f"Not run: {training['reason']}.", ""]
    lines += [
        "| strategy | depth | width | epochs | loss | test accuracy | step (ms) | "
        "peak activations (bytes) | weights fingerprint |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in training["rows"]:
        lines.append(
            f"| {r['strategy']} | {r['depth']} | {r['width']} | {r['epochs']} | "
            f"{r['loss']:.4f} | {r['test_accuracy']:.3f} | {r['step_ms']:.2f} | "
            f"{r['peak_activation_bytes']} | `{r['fingerprint']}` |"
        )
    same = len({r["fingerprint"] for r in training["rows"]}) == 1
    return lines + [
        "",
        "Equal fingerprints mean bitwise equal weights after training: "
        + ("yes." if same else "**no**."),
        "",
    ]


def left_out(result):
    """A line naming the claims this table cannot judge, or nothing."""
    needs = {
        "stride": "the stride claim (it needs a stride grid at one depth)",
        "time": "the time claim (it needs forward-pass times)",
        "rss": "the RSS check (it needs fresh-process RSS)",
    }
    missing = [what for key, what in needs.items() if key not in result["details"]]
    if not missing:
        return []
    return [f"Left out, as this table cannot judge them: {'; '.join(missing)}.", ""]


def markdown(table, result, figures, source, command, training=None):
    """The report's Markdown text."""
    claims = result["claims"]
    verdicts = [c["verdict"] for c in claims]
    where = provenance(table)
    lines = [
        "# Activation memory of plain and checkpointed backprop: scaling report",
        "",
        'Claims under test (Chen et al. 2016, "Training Deep Nets with Sublinear '
        'Memory Cost"): for an n-layer network, plain backprop keeps n activations, '
        "checkpointing every k ~ sqrt n layers keeps about 2 sqrt n, and the price is "
        "about one extra forward pass.",
        "",
        f"Verdicts: {verdicts.count('confirmed')} confirmed, "
        f"{verdicts.count('rejected')} rejected, {verdicts.count('inconclusive')} "
        f"inconclusive, out of {len(claims)}.",
        "",
        *left_out(result),
        "## Claims",
        "",
        *claims_table(claims),
        "",
        f"Tolerances: exponent +-{fit.EXPONENT_TOLERANCE}; coefficient of f(n) within "
        f"{fit.COEFFICIENT_TOLERANCE:.0%}; at least {fit.MIN_DEPTHS} depths over a "
        "factor "
        f"{fit.MIN_SPAN}; power-law R^2 >= {fit.MIN_R2}; interval half-width <= "
        f"{fit.MAX_HALF_WIDTH}; coefficients of n/k and k within "
        f"{fit.STRIDE_TOLERANCE:.0%} of 1; "
        f"time ratio within {fit.TIME_TOLERANCE:.0%} of the prediction at depths >= "
        f"{fit.TIME_MIN_DEPTH}.",
        "",
        "## Figures",
        "",
    ]
    for name, path in figures.items():
        caption = CAPTIONS.get(name, "")
        if name == "time_vs_depth" and not (table["experiment"] == "sqrt_plan").any():
            caption = "Median step time against depth."
        lines += [f"![{name}]({path})", "", caption, ""]
    fits = result["fits"]
    lines += [
        "## Fits of peak against depth",
        "",
        "Weighted least squares on relative residuals; BIC = N ln(RSS/N) + p ln N, "
        "the lowest first. Units are activations of B x d values.",
        "",
        *candidates_table(fits),
        "",
    ]
    time = result["details"].get("time")
    if time:
        lines += [
            "## Time of the sqrt plan against plain backprop",
            "",
            "Measured: T(stride:k with the sqrt stride) / T(naive). Predicted: "
            "1 + (E - n)/n x F / T(naive), with E the layer forward evaluations "
            "and F the measured time of one plain forward pass.",
            "",
            *time_table(time),
            "",
        ]
        ratio = time.get("sqrt_strategy_ratio")
        if ratio:
            lines += [
                f"The sqrt strategy as run takes {ratio:.2f} times the naive step "
                "(median, depths >= 256), timed in its own block rather than "
                "interleaved with naive.",
                "",
            ]
    lines += training_lines(training)
    lines += [
        "## Provenance",
        "",
        f"- source: {source}",
        f"- rows: {len(table)}",
        *[f"- {key}: {value}" for key, value in where.items()],
        "",
        "Regenerate this report (no benchmark runs):",
        "",
        "```",
        command,
        "```",
        "",
    ]
    return "\n".join(lines)


def write_report(
    table, result, out_dir, source, command, timelines=None, training=None
):
    """Figures, REPORT.md and REPORT.html under ``out_dir``; returns the paths."""
    out_dir = Path(out_dir)
    pngs = plots.draw_all(table, result, out_dir / "figures", timelines)
    figures = {name: f"figures/{Path(p).name}" for name, p in pngs.items()}
    text = markdown(table, result, figures, source, command, training)
    md = atomic.write_text(out_dir / "REPORT.md", text)
    page = atomic.write_text(out_dir / "REPORT.html", to_html(text, "Scaling report"))
    written = [p for png in pngs.values() for p in (png, png.with_suffix(".svg"))]
    return written + [md, page]


def regenerate(out, table_path=None, asv_dir=None, training=None, command=None,
               commit=None):
    """Fit, figures and report from a saved table or asv results; no benchmark runs.

    Returns the paths written: fit.json and claims.csv under <out>/fit, the
    figures and REPORT.md/.html under <out>/report. The training section comes
    from ``training`` or else from <out>/training/digits.json if present.
    """
    import pandas as pd

    from analysis.table import from_asv, load_table

    out = Path(out)
    if asv_dir is not None:
        table = from_asv(asv_dir, commit)
        source = f"asv results in {asv_dir}, commit {table['commit'].iloc[0]}"
    else:
        table_path = Path(table_path or out / "sweep" / "sweep.csv")
        table, source = load_table(table_path), f"sweep table {table_path}"
    timelines = load_timelines(out / "sweep" / "timelines.json")
    if training is None:
        training = load_training(out / "training" / "digits.json")
    result = fit.fit_table(table)
    if command is None:
        command = f"python scripts/report.py --out {out}" + (
            f" --asv {asv_dir} --commit {table['commit'].iloc[0]}"
            if asv_dir is not None
            else f" --table {table_path}"
            if table_path != out / "sweep" / "sweep.csv"
            else ""
        )

    # every output is written under a staging folder, then all move into place
    with atomic.staging(out) as stage:
        atomic.write_json(stage / "fit" / "fit.json", result)
        atomic.write_csv(stage / "fit" / "claims.csv", pd.DataFrame(result["claims"]))
        staged = write_report(
            table, result, stage / "report", source, command, timelines, training
        )
    written = [out / "fit" / "fit.json", out / "fit" / "claims.csv"]
    return result, written + [out / Path(p).relative_to(stage) for p in staged]


def load_training(path):
    """The saved digits training result, or None if there is none; EngineError if bad."""
    def check(stored):
        if stored["status"] == "done":
            training_lines(stored)
        else:
            str(stored["reason"])

    return atomic.read_json(path, f"training result {str(path)!r}", check,
                            "is not a stored training result: rerun "
                            "scripts/reproduce.py or move it away")
