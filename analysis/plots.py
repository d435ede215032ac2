"""The figures of the report, drawn from a sweep table, its fit and the timelines.

Each figure is one small function that takes the filtered data and returns a
matplotlib Figure; ``draw_all`` saves each as PNG and SVG. Non-interactive
(Agg) backend, axes with units, titles saying what is shown.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter

from analysis import atomic
from analysis.fit import MODELS, power_law

# settings
FORMATS = ("png", "svg")
SIZE = (6.4, 4.2)
COLORS = {
    "naive": "tab:red",
    "sqrt": "tab:blue",
    "stride": "tab:green",
    "sqrt_plan": "tab:purple",
}
MIB = 2**20
# where a point's label may go, in points from the point, in order of preference;
# a negative x puts the label's right end there
LABEL_PLACES = ((4, 3), (4, -10), (-4, 3), (-4, -10), (4, 10), (-4, 10), (4, -17))


def new_axes(title, xlabel, ylabel):
    fig, ax = plt.subplots(figsize=SIZE)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="both", alpha=0.3)
    return fig, ax


def depth_rows(table, strategy, experiment="depth"):
    rows = table[(table["experiment"] == experiment) & (table["strategy"] == strategy)]
    return rows.groupby("depth", as_index=False).median(numeric_only=True)


def stride_rows(table):
    rows = table[table["experiment"] == "stride"]
    return rows.groupby("stride", as_index=False).median(numeric_only=True)


def peak_vs_depth(table, fits):
    """Peak activation bytes against depth, log-log, with the fitted power laws."""
    fig, ax = new_axes(
        "Peak activation memory of one step against depth",
        "depth n (layers)",
        "peak activation memory (MiB)",
    )
    for strategy, fitted in fits.items():
        rows = depth_rows(table, strategy)
        n = rows["depth"].to_numpy(float)
        ax.loglog(
            n,
            rows["peak_activation_bytes"] / MIB,
            "o",
            color=COLORS[strategy],
            label=f"{strategy}: measured",
        )
        power = fitted.get("power")
        if power:
            grid = np.geomspace(n.min(), n.max(), 200)
            ax.loglog(
                grid,
                power_law(grid, power["a"], power["b"], power["c"]) / MIB,
                "-",
                color=COLORS[strategy],
                alpha=0.7,
                label=f"{strategy}: a n^b + c, b = {power['b']:.3f} "
                f"[{power['low']:.3f}, {power['high']:.3f}]",
            )
        best = fitted["candidates"][0] if fitted.get("candidates") else None
        if best:
            grid = np.geomspace(n.min(), n.max(), 200)
            f = MODELS[best["model"]](grid) if best["model"] != "1" else 0 * grid
            ax.loglog(
                grid, (best["a"] + best["b"] * f) / MIB, ":", color="black", alpha=0.6
            )
    ax.plot([], [], ":", color="black", label="best a + b f(n) by BIC")
    ax.legend(fontsize=8)
    return fig


def peak_vs_stride(table):
    """Peak in activation units against stride k at one depth, with n/k + k."""
    rows = stride_rows(table)
    n = int(rows["depth"].iloc[0])
    fig, ax = new_axes(
        f"Peak activation memory against checkpoint stride, n = {n}",
        "stride k (layers between checkpoints)",
        "peak activation memory (activations of B x d)",
    )
    k = rows["stride"].to_numpy(float)
    ax.loglog(
        k,
        rows["peak_activation_bytes"] / rows["unit_bytes"],
        "o",
        color=COLORS["stride"],
        label="measured (ledger)",
    )
    grid = np.geomspace(k.min(), k.max(), 300)
    ax.loglog(grid, n / grid + grid, "-", color="black", alpha=0.6, label="n/k + k")
    ax.axvline(
        np.sqrt(n), color="gray", ls="--", label=f"k = sqrt n = {np.sqrt(n):.0f}"
    )
    ax.legend(fontsize=8)
    return fig


def time_vs_depth(table):
    """Median step time against depth per strategy, log-log."""
    fig, ax = new_axes(
        "Time of one training step against depth",
        "depth n (layers)",
        "step time (ms, median)",
    )
    for strategy, experiment, label in (
        ("naive", "depth", "naive"),
        ("sqrt", "depth", "sqrt"),
    ):
        rows = depth_rows(table, strategy, experiment)
        ax.loglog(
            rows["depth"],
            rows["step_seconds"] * 1e3,
            "o-",
            color=COLORS[strategy],
            label=label,
        )
    plan = (
        table[table["experiment"] == "sqrt_plan"]
        .groupby("depth", as_index=False)
        .median(numeric_only=True)
    )
    if not plan.empty:
        ax.loglog(
            plan["depth"],
            plan["step_seconds"] * 1e3,
            "s--",
            color=COLORS["sqrt_plan"],
            label="stride:k with the sqrt stride",
        )
    naive = depth_rows(table, "naive")
    if "forward_seconds" in naive.columns:
        ax.loglog(
            naive["depth"],
            naive["forward_seconds"] * 1e3,
            "^:",
            color="gray",
            label="one plain forward pass",
        )
    ax.legend(fontsize=8)
    return fig


def trade_off(table):
    """Each stride at the stride-grid depth: peak memory against step time."""
    rows = stride_rows(table)
    n = int(rows["depth"].iloc[0])
    fig, ax = new_axes(
        f"Time-memory trade-off of one step, n = {n}",
        "step time (ms, median)",
        "peak activation memory (MiB)",
    )
    ax.set_yscale("log")
    plain = FuncFormatter(lambda value, _: f"{value:g}")  # 0.3, not 3 x 10^-1
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)
    ax.plot(
        rows["step_seconds"] * 1e3,
        rows["peak_activation_bytes"] / MIB,
        "o",
        color=COLORS["stride"],
    )
    label_points(
        ax,
        rows["step_seconds"] * 1e3,
        rows["peak_activation_bytes"] / MIB,
        [f"k={int(k)}" for k in rows["stride"]],
    )
    return fig


def label_points(ax, x, y, texts, fontsize=7):
    """Annotate each point beside it where the label overlaps no other label or point.

    Greedy: each label takes the first of LABEL_PLACES that is free and within
    the axes' width, measured in points with a label about 0.6 fontsize per
    character wide; if none is, the first place. Points close together
    (similar strides at equal peaks) thus get their labels on alternate sides
    instead of on top of each other.
    """
    ax.autoscale_view()
    scale = 72 / ax.figure.dpi  # pixels to points
    at = ax.transData.transform(np.column_stack([x, y])) * scale
    taken = [(px - 3, py - 3, px + 3, py + 3) for px, py in at]  # the markers
    x_range = ax.bbox.x0 * scale, ax.bbox.x1 * scale  # labels stay inside the axes
    for (px, py), xi, yi, text in zip(at, x, y, texts):
        width, height = 0.6 * fontsize * len(text), fontsize
        for dx, dy in LABEL_PLACES:
            left = px + dx - (width if dx < 0 else 0)
            box = (left, py + dy, left + width, py + dy + height)
            inside = box[0] >= x_range[0] and box[2] <= x_range[1]
            if inside and not any(overlap(box, other) for other in taken):
                break
        else:
            dx, dy = LABEL_PLACES[0]
            left = px + dx
            box = (left, py + dy, left + width, py + dy + height)
        taken.append(box)
        ax.annotate(
            text,
            (xi, yi),
            xytext=(dx, dy),
            textcoords="offset points",
            ha="right" if dx < 0 else "left",
            fontsize=fontsize,
        )


def overlap(a, b):
    """Whether boxes (left, bottom, right, top) intersect."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def timeline(timelines):
    """Live activation bytes over the allocations and releases of one step."""
    first = next(iter(timelines.values()))["config"]
    fig, ax = new_axes(
        f"Live activation memory during one step, n = {first['depth']}",
        "allocation or release event (index)",
        "live activation memory (activations of B x d)",
    )
    for strategy, stored in timelines.items():
        units = (
            np.array([bytes_ for _, bytes_ in stored["events"]]) / stored["unit_bytes"]
        )
        label = (
            strategy if strategy == "naive" else f"{strategy} (k = {stored['stride']})"
        )
        ax.step(
            np.arange(len(units)),
            units,
            where="post",
            color=COLORS.get(strategy),
            label=label,
        )
    ax.legend(fontsize=8)
    return fig


def rss_vs_ledger(table):
    """Growth of the process's resident memory against the ledger's live bytes."""
    rows = table[table["experiment"] == "large"]
    ledger = (rows["peak_activation_bytes"] + rows["peak_workspace_bytes"]) / MIB
    width, batch = int(rows["width"].iloc[0]), int(rows["batch"].iloc[0])
    fig, ax = new_axes(
        f"Resident memory growth against the ledger, d = {width}, B = {batch}",
        "ledger: activations + workspace (MiB)",
        "RSS peak - baseline (MiB)",
    )
    for strategy, group in rows.groupby("strategy"):
        x = (group["peak_activation_bytes"] + group["peak_workspace_bytes"]) / MIB
        ax.plot(
            x,
            group["rss_delta_bytes"] / MIB,
            "o",
            color=COLORS.get(strategy),
            label=strategy,
        )
        for (_, row), xi in zip(group.iterrows(), x):
            ax.annotate(
                f"n={int(row['depth'])}",
                (xi, row["rss_delta_bytes"] / MIB),
                fontsize=7,
                textcoords="offset points",
                xytext=(-28, 4) if strategy == "naive" else (4, -10),
            )
    top = max(ledger.max(), (rows["rss_delta_bytes"] / MIB).max()) * 1.05
    ax.plot([0, top], [0, top], "--", color="gray", label="RSS = ledger")
    ax.legend(fontsize=8)
    return fig


def figures(table, fit_result, timelines=None):
    """(name, function of no arguments) for every figure the data allow."""
    has = set(table["experiment"])
    out = [
        ("peak_vs_depth", lambda: peak_vs_depth(table, fit_result["fits"])),
        ("time_vs_depth", lambda: time_vs_depth(table)),
    ]
    if "stride" in has:
        out += [
            ("peak_vs_stride", lambda: peak_vs_stride(table)),
            ("trade_off", lambda: trade_off(table)),
        ]
    if timelines:
        out.append(("timeline", lambda: timeline(timelines)))
    if "large" in has and {"rss_delta_bytes", "peak_workspace_bytes"} <= set(table.columns):
        out.append(("rss_vs_ledger", lambda: rss_vs_ledger(table)))
    return out


def draw_all(table, fit_result, out_dir, timelines=None):
    """Save every figure as PNG and SVG under ``out_dir``; returns {name: png path}."""
    written = {}
    for name, draw in figures(table, fit_result, timelines):
        fig = draw()
        for fmt in FORMATS:
            path = atomic.save_figure(fig, f"{out_dir}/{name}.{fmt}")
            if fmt == "png":
                written[name] = path
        plt.close(fig)
    return written
