"""Fit the sweep's measurements; judge each claim confirmed, rejected or inconclusive.

The claims under test (Chen et al. 2016, "Training Deep Nets with Sublinear
Memory Cost", sections 3-4), for n layers and checkpoint stride k:

1. plain backprop keeps n activations: peak bytes grow as n^1;
2. checkpointing with k about sqrt n keeps about 2 sqrt n: peak grows as n^0.5;
3. with stride k the peak follows n/k + k, smallest near k = sqrt n;
4. the price is about one extra forward pass per step.

A claim is confirmed only when the data are sufficient (enough depths over a
wide enough range), the fit is good, and the measured figure lies within the
stated tolerance of the claim; it is rejected when the data are sufficient
and the figure (with its interval) lies outside; anything else is
inconclusive.

The measured peaks are exact integers (the ledger counts bytes) and the sqrt
peak is a staircase in n, since the stride is an integer. A smooth power law
cannot follow the staircase, so the exponent is fitted over a wide depth
range (a factor 16 at least) and reported with its interval, which then
measures how well a power law describes the staircase rather than noise.
"""

from dataclasses import asdict, dataclass

import numpy as np
from scipy import optimize, stats

from engine.schedule import units_formula

# candidate shapes f(n) for peak = a + b f(n)
MODELS = {
    "1": lambda n: np.zeros_like(n),
    "log n": np.log,
    "sqrt n": np.sqrt,
    "n": lambda n: n,
    "n log n": lambda n: n * np.log(n),
}
EXPONENT_TOLERANCE = 0.05  # |fitted exponent - claimed| for a confirmation
COEFFICIENT_TOLERANCE = 0.25  # relative, on b of a + b f(n) in activation units
MIN_DEPTHS = 4  # three parameters of the power law plus one degree of freedom
MIN_SPAN = 16  # largest / smallest depth
MIN_R2 = 0.99
MAX_HALF_WIDTH = 0.05  # of the exponent's 95% interval: no wider than the tolerance
STRIDE_TOLERANCE = 0.10  # relative, of the coefficients of n/k and k from 1
TIME_TOLERANCE = 0.15  # relative, of the measured time ratio from the predicted one
TIME_MIN_DEPTH = 256  # shorter steps are too short to time reliably
RSS_SLOPE_RANGE = (0.8, 1.2)
LEVEL = 0.95


@dataclass
class LinearFit:
    model: str  # the f in a + b f(n)
    a: float
    b: float
    r2: float
    aic: float
    bic: float


@dataclass
class PowerFit:
    a: float
    b: float  # the exponent
    c: float
    low: float  # 95% interval of b
    high: float
    r2: float


@dataclass
class Claim:
    claim: str
    measured: str
    model: str
    exponent: float
    low: float
    high: float
    r2: float
    verdict: str  # confirmed, rejected or inconclusive
    reason: str


def unfitted(claim, measured, verdict, reason, model="", r2=float("nan")):
    """A claim judged without a fitted exponent (no exponent, no interval)."""
    nan = float("nan")
    return Claim(claim, measured, model, nan, nan, nan, r2, verdict, reason)


def r_squared(y, fitted):
    """1 - SS_res / SS_tot on the values themselves."""
    total = np.sum((y - np.mean(y)) ** 2)
    return float(1 - np.sum((y - fitted) ** 2) / total) if total > 0 else float("nan")


def fit_linear(n, y, model):
    """Least squares y = a + b f(n), weighted by 1/y, with AIC and BIC.

    Relative residuals r_i = (y_i - a - b f(n_i)) / y_i weigh every depth of a
    geometric grid alike. With RSS = sum r_i^2 over N points and p parameters,
    AIC = N ln(RSS/N) + 2p (Akaike 1974) and BIC = N ln(RSS/N) + p ln N
    (Schwarz 1978); RSS/N is floored at 1e-20 so an exact fit stays finite.
    Cost: O(N) time and memory.
    """
    n, y = np.asarray(n, float), np.asarray(y, float)
    columns = [np.ones_like(n)] if model == "1" else [np.ones_like(n), MODELS[model](n)]
    x = np.column_stack(columns)
    w = 1 / y
    beta, *_ = np.linalg.lstsq(x * w[:, None], y * w, rcond=None)
    fitted = x @ beta
    count, p = len(n), x.shape[1]
    log_mse = np.log(max(np.sum(((y - fitted) * w) ** 2) / count, 1e-20))
    b = float(beta[1]) if p == 2 else 0.0
    return LinearFit(
        model,
        float(beta[0]),
        b,
        r_squared(y, fitted),
        float(count * log_mse + 2 * p),
        float(count * log_mse + p * np.log(count)),
    )


def fit_candidates(n, y):
    """Every model of MODELS fitted, the best (lowest BIC) first."""
    return sorted((fit_linear(n, y, m) for m in MODELS), key=lambda f: f.bic)


def power_law(n, a, b, c):
    return a * n**b + c


def fit_power_law(n, y, level=LEVEL):
    """Nonlinear least squares y = a n^b + c with a ``level`` interval on b.

    Fitted directly rather than as a line in log-log space: an additive
    constant (the sqrt schedule keeps about 2 sqrt n - 2 units) bends the
    log-log line and biases its slope upward at small n. Residuals are
    relative (sigma = y), as a log-log fit would weigh them. The interval is
    b +- t_{(1+level)/2, N-3} sqrt(C_bb), with C the covariance from
    ``scipy.optimize.curve_fit`` scaled by the residual variance
    (absolute_sigma=False). Cost: a few hundred O(N) evaluations.
    Returns None if the fit does not converge.
    """
    n, y = np.asarray(n, float), np.asarray(y, float)
    if len(n) < 4:
        return None
    slope = np.polyfit(np.log(n), np.log(y), 1)[0]
    start = [y[-1] / n[-1] ** slope, slope, 0.0]
    try:
        params, cov = optimize.curve_fit(
            power_law, n, y, p0=start, sigma=y, absolute_sigma=False, maxfev=20000
        )
    except (RuntimeError, optimize.OptimizeWarning, ValueError):
        return None
    se = np.sqrt(cov[1, 1]) if np.isfinite(cov[1, 1]) else np.inf
    half = stats.t.ppf((1 + level) / 2, len(n) - 3) * se
    a, b, c = map(float, params)
    return PowerFit(a, b, c, b - half, b + half, r_squared(y, power_law(n, a, b, c)))


def by_depth(n, y):
    """Sorted distinct depths and the median value at each."""
    n, y = np.asarray(n, float), np.asarray(y, float)
    depths = np.unique(n)
    return depths, np.array([np.median(y[n == d]) for d in depths])


def depth_claim(claim, n, y, exponent, model, coefficient, unit=1.0):
    """Judge ``peak ~ coefficient * model(n)`` with power-law ``exponent`` from (n, y).

    ``unit`` is the bytes of one activation, so the coefficient of the best
    a + b f(n) fit is compared in activations per f(n).
    """
    n, y = by_depth(n, y)
    power = fit_power_law(n, y) if len(n) >= MIN_DEPTHS else None
    candidates = fit_candidates(n, y) if len(n) >= 2 else []
    claimed = next((f for f in candidates if f.model == model), None)
    best = candidates[0] if candidates else None

    def verdict(word, reason):
        text = f"{len(n)} depths {int(n.min())}..{int(n.max())}"
        if power is not None:
            text += f"; peak = a n^b + c with b = {power.b:.3f}"
        if claimed is not None:
            text += f"; {claimed.b / unit:.2f} units per {model}"
        nan = float("nan")
        return Claim(
            claim,
            text,
            best.model if best else "",
            power.b if power else nan,
            power.low if power else nan,
            power.high if power else nan,
            power.r2 if power else nan,
            word,
            reason,
        )

    if len(n) < MIN_DEPTHS:
        return verdict(
            "inconclusive", f"only {len(n)} depths: need at least {MIN_DEPTHS}"
        )
    if n.max() / n.min() < MIN_SPAN:
        return verdict(
            "inconclusive",
            f"depths span a factor {n.max() / n.min():.1f}: need at least {MIN_SPAN}",
        )
    if power is None:
        return verdict("inconclusive", "the power law a n^b + c did not converge")
    if power.r2 < MIN_R2:
        return verdict("inconclusive", f"poor fit: R^2 = {power.r2:.3f} < {MIN_R2}")
    if (power.high - power.low) / 2 > MAX_HALF_WIDTH:
        return verdict(
            "inconclusive", f"the exponent's interval is wider than +-{MAX_HALF_WIDTH}"
        )
    near = abs(power.b - exponent) <= EXPONENT_TOLERANCE
    if near and best.model != model:
        return verdict(
            "inconclusive",
            f"the exponent agrees but BIC prefers a + b {best.model} to a + b {model}",
        )
    ratio = claimed.b / unit / coefficient
    if near and abs(ratio - 1) > COEFFICIENT_TOLERANCE:
        return verdict(
            "rejected",
            f"the shape agrees but the coefficient is "
            f"{claimed.b / unit:.2f}, not about {coefficient}",
        )
    if near:
        return verdict(
            "confirmed",
            f"|b - {exponent}| <= {EXPONENT_TOLERANCE}, BIC "
            f"picks a + b {model}, coefficient within "
            f"{COEFFICIENT_TOLERANCE:.0%} of {coefficient}",
        )
    if (
        power.low > exponent + EXPONENT_TOLERANCE
        or power.high < exponent - EXPONENT_TOLERANCE
    ):
        return verdict(
            "rejected",
            f"the interval [{power.low:.3f}, {power.high:.3f}] "
            f"lies outside {exponent} +- {EXPONENT_TOLERANCE}",
        )
    return verdict(
        "inconclusive",
        f"b = {power.b:.3f} is outside {exponent} +- "
        f"{EXPONENT_TOLERANCE} but its interval reaches the band",
    )


def stride_claim(n, strides, units):
    """Judge peak(k) ~ n/k + k at depth ``n`` from measured peaks in activation units.

    Fits units = alpha n/k + beta k + gamma by least squares (n/k + k are the
    leading terms of the exact walk in ``engine.schedule``; gamma takes the
    lower-order terms, about -2, which weigh most at small n), and locates the
    measured optimum k* against sqrt n (Chen et al. 2016, section 4: the peak
    is minimised at k = sqrt n). Confirmed if alpha and beta are within
    STRIDE_TOLERANCE of 1, R^2 >= MIN_R2 and sqrt(n)/2 <= k* <= 2 sqrt(n).
    Cost: O(K) for K strides.
    """
    k, units = by_depth(strides, units)
    theory = n / k + k
    deviation = float(np.max(np.abs(units - theory) / theory)) if len(k) else np.nan
    exact = all(units_formula(int(n), int(s)) == u for s, u in zip(k, units))
    root = np.sqrt(n)

    def verdict(word, reason, r2=float("nan"), text=""):
        return unfitted("stride k: peak follows n/k + k, smallest near k = sqrt n",
                        text or f"{len(k)} strides at n = {int(n)}", word, reason,
                        "n/k + k", r2)

    if len(k) < 4:
        return verdict("inconclusive", f"only {len(k)} strides: need at least 4")
    if not (k.min() < root < k.max()):
        return verdict(
            "inconclusive",
            f"the strides {int(k.min())}..{int(k.max())} do "
            f"not straddle sqrt n = {root:.1f}",
        )
    x = np.column_stack([n / k, k, np.ones_like(k)])
    (alpha, beta, gamma), *_ = np.linalg.lstsq(x, units, rcond=None)
    r2 = r_squared(units, x @ [alpha, beta, gamma])
    best = int(k[np.argmin(units)])
    text = (
        f"{len(k)} strides at n = {int(n)}: peak = {alpha:.2f} n/k + {beta:.2f} k "
        f"{gamma:+.1f}; max deviation from n/k + k {deviation:.1%}; measured "
        f"optimum k* = {best} (sqrt n = {root:.1f}); equal to the exact walk: "
        f"{'yes' if exact else 'no'}"
    )
    off = max(abs(alpha - 1), abs(beta - 1))
    if off > STRIDE_TOLERANCE or r2 < MIN_R2:
        return verdict(
            "rejected",
            f"coefficients {alpha:.2f} and {beta:.2f} of n/k and k (tolerance "
            f"{STRIDE_TOLERANCE:.0%} from 1), R^2 {r2:.3f}",
            r2,
            text,
        )
    if not root / 2 <= best <= 2 * root:
        return verdict(
            "rejected", f"k* = {best} is outside [sqrt(n)/2, 2 sqrt(n)]", r2, text
        )
    return verdict(
        "confirmed",
        f"coefficients of n/k and k within {STRIDE_TOLERANCE:.0%} of 1 "
        "and k* within a factor 2 of sqrt n",
        r2,
        text,
    )


def time_claim(naive, plan):
    """Judge "about one extra forward pass" from step times and layer evaluations.

    ``naive``: depth, step_seconds, forward_seconds (one plain forward pass F);
    ``plan``: depth, step_seconds, forward_layer_evals E of the sqrt stride.
    The sweep times the three interleaved on one model (``sweep.paired_seconds``).
    At each depth n >= TIME_MIN_DEPTH the measured ratio T_plan / T_naive is
    compared with the ratio predicted from the E - n recomputed layers at the
    measured forward cost, 1 + (E - n)/n * F / T_naive (Chen et al. 2016,
    section 4). Confirmed if the median of measured / predicted is within
    TIME_TOLERANCE of 1 and the extra evaluations are 0.75 to 1 forward pass.
    """
    merged = naive.merge(plan, on="depth", suffixes=("_naive", "_plan"))
    merged = merged[merged["depth"] >= TIME_MIN_DEPTH]
    claim = "sqrt: the price is about one extra forward pass"
    if len(merged) < 3:
        return unfitted(
            claim,
            f"{len(merged)} depths >= {TIME_MIN_DEPTH} timed",
            "inconclusive",
            f"need at least 3 timed depths >= {TIME_MIN_DEPTH}",
        ), {}
    n = merged["depth"].to_numpy(float)
    extra = (merged["forward_layer_evals"].to_numpy(float) - n) / n
    t_naive = merged["step_seconds_naive"].to_numpy(float)
    measured = merged["step_seconds_plan"].to_numpy(float) / t_naive
    predicted = 1 + extra * merged["forward_seconds"].to_numpy(float) / t_naive
    agreement = float(np.median(measured / predicted))
    details = {
        "depths": n.tolist(),
        "extra_passes": extra.tolist(),
        "measured_ratio": measured.tolist(),
        "predicted_ratio": predicted.tolist(),
        "agreement": agreement,
    }
    text = (
        f"{len(n)} depths {int(n.min())}..{int(n.max())}: {np.median(extra):.2f} "
        f"extra forward passes (layer evaluations); step time ratio "
        f"{np.median(measured):.2f} measured, {np.median(predicted):.2f} predicted "
        f"from the evaluations (measured/predicted {agreement:.2f})"
    )
    good_count = 0.75 <= np.median(extra) <= 1.0
    if abs(agreement - 1) <= TIME_TOLERANCE and good_count:
        word, reason = (
            "confirmed",
            (
                f"measured/predicted within {TIME_TOLERANCE:.0%} of "
                "1 and 0.75..1 extra passes"
            ),
        )
    else:
        word, reason = (
            "rejected",
            (
                f"measured/predicted {agreement:.2f} or "
                f"{np.median(extra):.2f} extra passes out of range"
            ),
        )
    return unfitted(claim, text, word, reason, "1 + (E - n)/n F/T"), details


def missing_claim(claim, reason):
    """An inconclusive claim for lack of data, with the reason."""
    return unfitted(claim, "no data", "inconclusive", reason)


def ledger_claim(table):
    """The ledger's peaks and evaluation counts equal the schedule's prediction."""
    columns = ("predicted_peak_activation_bytes", "predicted_forward_layer_evals")
    claim = "the ledger's peak equals the schedule's prediction"
    if not set(columns) <= set(table.columns):
        return unfitted(claim, "no predicted columns", "inconclusive",
                        "the table has no predictions")
    peaks = table["peak_activation_bytes"] == table[columns[0]]
    evals = table["forward_layer_evals"] == table[columns[1]]
    text = (
        f"{int(peaks.sum())}/{len(table)} peaks and {int(evals.sum())} "
        "evaluation counts equal"
    )
    word = "confirmed" if peaks.all() and evals.all() else "rejected"
    reason = "every row equal" if word == "confirmed" else "some rows differ"
    return unfitted(claim, text, word, reason, "exact walk")


def rss_claim(large):
    """RSS growth against the ledger's bytes (activations + workspace), wide layers.

    Least squares rss_delta = s * ledger + t; confirmed if s is within
    RSS_SLOPE_RANGE with R^2 >= 0.95 over at least 4 configurations. A check
    of the harness, not a claim of the paper.
    """
    claim = "harness: process RSS growth tracks the ledger's bytes"
    if len(large) < 4:
        return unfitted(claim, f"{len(large)} large configurations", "inconclusive",
                        "need at least 4 large configurations"), {}
    ledger = (large["peak_activation_bytes"] + large["peak_workspace_bytes"]).to_numpy(
        float
    )
    rss = large["rss_delta_bytes"].to_numpy(float)
    slope, intercept = np.polyfit(ledger, rss, 1)
    r2 = r_squared(rss, slope * ledger + intercept)
    text = (
        f"{len(large)} configurations: RSS delta = {slope:.2f} x ledger "
        f"{intercept / 2**20:+.1f} MiB"
    )
    low, high = RSS_SLOPE_RANGE
    word = "confirmed" if low <= slope <= high and r2 >= 0.95 else "rejected"
    reason = (f"slope {slope:.2f} {'in' if word == 'confirmed' else 'outside'} "
              f"[{low}, {high}], R^2 {r2:.3f}")
    return unfitted(claim, text, word, reason, "s x + t", r2), {
        "slope": slope, "intercept": intercept}


def fit_table(table):
    """Every claim judged from a sweep table; a JSON-ready dict."""
    depth = table[table["experiment"] == "depth"]
    claims, fits = [], {}
    specs = {
        "naive": ("naive: peak grows linearly in n", 1.0, "n", 1.0),
        "sqrt": ("sqrt: peak grows as about 2 sqrt n", 0.5, "sqrt n", 2.0),
    }
    for strategy, (text, exponent, model, coefficient) in specs.items():
        rows = depth[depth["strategy"] == strategy]
        if rows.empty:
            claims.append(missing_claim(text, f"no depth rows with strategy {strategy!r}"))
            continue
        n, y = (
            rows["depth"].to_numpy(float),
            rows["peak_activation_bytes"].to_numpy(float),
        )
        unit = float(rows["unit_bytes"].median())
        claims.append(depth_claim(text, n, y, exponent, model, coefficient, unit))
        dn, dy = by_depth(n, y)
        power = fit_power_law(dn, dy)
        fits[strategy] = {
            "unit_bytes": unit,
            "power": asdict(power) if power else None,
            "candidates": [asdict(f) for f in fit_candidates(dn, dy)],
        }

    details = {}
    stride = table[table["experiment"] == "stride"]
    if stride["depth"].nunique() == 1:
        details["stride"] = {"depth": int(stride["depth"].iloc[0])}
        units = stride["peak_activation_bytes"] / stride["unit_bytes"]
        claims.append(
            stride_claim(
                float(stride["depth"].iloc[0]),
                stride["stride"].to_numpy(float),
                units.to_numpy(float),
            )
        )

    plan = table[table["experiment"] == "sqrt_plan"]
    paired = {"naive_step_seconds", "forward_seconds"}
    if not plan.empty and paired <= set(plan.columns):
        plan = plan.groupby("depth", as_index=False).median(numeric_only=True)
        claim, details["time"] = time_claim(
            plan[["depth", "naive_step_seconds", "forward_seconds"]].rename(
                columns={"naive_step_seconds": "step_seconds"}
            ),
            plan[["depth", "step_seconds", "forward_layer_evals"]],
        )
        claims.append(claim)
        details["time"]["sqrt_strategy_ratio"] = sqrt_strategy_ratio(depth)

    claims.append(ledger_claim(table))
    large = table[table["experiment"] == "large"]
    if not large.empty and {"rss_delta_bytes", "peak_workspace_bytes"} <= set(
        large.columns
    ):
        claim, details["rss"] = rss_claim(large)
        claims.append(claim)
    return {"claims": [asdict(c) for c in claims], "fits": fits, "details": details}


def sqrt_strategy_ratio(depth):
    """Median T_sqrt / T_naive at depths >= TIME_MIN_DEPTH, the sqrt strategy as run.

    Timed in its own block, not interleaved with naive like the explicit stride,
    so it is more exposed to the machine's slow spells.
    """
    times = depth.pivot_table(
        index="depth", columns="strategy", values="step_seconds", aggfunc="median"
    )
    times = times[times.index >= TIME_MIN_DEPTH]
    if not {"naive", "sqrt"} <= set(times.columns) or times.empty:
        return None
    return float((times["sqrt"] / times["naive"]).median())
