"""Speed of one backprop step beside the machine's matrix-multiply rate, in one run.

Prints three ratios measured side by side, variants interleaved round by round
in an order that rotates, so that a noisy neighbour slows them all alike:

    matmul efficiency  = (flops of the naive step / its time) / float32 matmul rate
    sqrt overhead      = sqrt step time / naive step time
    ledger overhead    = naive step time with the ledger / without it (NullLedger)

The matmul rate is taken on the layer's own product, (B x d) @ (d x d), the
operation that dominates a step, with all of the BLAS library's threads and
then with one, side by side. A step of n layers performs 3n - 1 such
products (forward, weight gradient, and input gradient except for layer 1),
each 2 B d^2 flops.

Usage: python scripts/perf_step.py [--depth 16] [--width 512] [--batch 256] [--rounds 15]
"""

import ctypes
import sys
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from analysis.cli import Parser, run
from engine import MLP, Ledger, NullLedger, backprop, random_batch
from engine.cli import positive_int
from engine.memory import check_fits, step_bytes

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3


def retain_freed_memory():
    """Ask glibc to keep freed blocks for reuse instead of returning them to the OS.

    By default glibc unmaps or trims large freed blocks, and the next step pays
    a page fault for every 4 KiB it touches again; a framework's caching
    allocator avoids that. Returns False where glibc is not available.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, 1 << 30)
                    and libc.mallopt(M_TRIM_THRESHOLD, 1 << 30))
    except (OSError, AttributeError):
        return False


def timed(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def measure(model, inputs, targets, rounds):
    """Best time of each variant over ``rounds`` rounds, the order rotating each round."""
    n, (B, d) = model.depth, inputs.shape
    grads = [np.full_like(p, 0) for p in model.parameters()]
    w, out = model.weights[0], np.empty((B, d), np.float32)
    products = 3 * n - 1  # one product is short: time as many as a step holds

    variants = {
        "matmul": lambda: [np.matmul(inputs, w, out=out) for _ in range(products)],
        "naive": lambda: backprop(model, inputs, targets, "naive", Ledger(), grads),
        "naive, no ledger": lambda: backprop(model, inputs, targets, "naive",
                                             NullLedger(), grads),
        "sqrt": lambda: backprop(model, inputs, targets, "sqrt", Ledger(), grads),
    }
    for function in variants.values():  # warm-up, dropped: threads start, pages touched
        function()

    times = {name: [] for name in variants}
    names = list(variants)
    for round_ in range(rounds):
        for name in names[round_ % 4:] + names[:round_ % 4]:
            times[name].append(timed(variants[name]))
    best = {name: min(values) for name, values in times.items()}
    best["matmul"] /= products
    return best


def report(best, n, d, B, threads):
    flops = 2 * B * d * d
    matmul_rate = flops / best["matmul"]
    step_rate = flops * (3 * n - 1) / best["naive"]
    print(f"{threads} BLAS thread(s):")
    for name, value in best.items():
        print(f"  {name:18} {value * 1e3:9.3f} ms")
    print(f"  float32 matmul {matmul_rate / 1e9:6.1f} GFLOP/s, "
          f"naive step {step_rate / 1e9:6.1f} GFLOP/s")
    print(f"  matmul efficiency of the naive step  {step_rate / matmul_rate:6.3f}"
          "  (target >= 0.80)")
    print(f"  sqrt step / naive step               {best['sqrt'] / best['naive']:6.3f}"
          "  (target <= 1.35)")
    print(f"  ledger / no ledger                   "
          f"{best['naive'] / best['naive, no ledger']:6.3f}  (target <= 1.03)")


def main(argv=None):
    parser = Parser(prog="perf_step.py", description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=positive_int, default=16)
    parser.add_argument("--width", type=positive_int, default=512)
    parser.add_argument("--batch", type=positive_int, default=256)
    parser.add_argument("--rounds", type=positive_int, default=15)
    parser.add_argument("--system-malloc", action="store_true",
                        help="leave glibc's trimming on (see retain_freed_memory)")
    args = parser.parse_args(argv)
    retained = False if args.system_malloc else retain_freed_memory()

    n, d, B = args.depth, args.width, args.batch
    check_fits(step_bytes(n, n * (d + 1) * d, n * d * B, 4),
               f"an MLP of depth {n}, width {d} and batch {B}")
    sizes = [d] * (n + 1)
    model = MLP(sizes, "relu", "identity", "float32", seed=0)
    inputs, targets = random_batch(sizes, B, "float32", seed=0)
    print(f"MLP depth {n}, width {d}, batch {B}, float32, relu; best of {args.rounds} "
          f"rounds; glibc {'keeps freed memory' if retained else 'default trimming'}")

    # all BLAS threads, then one: NumPy's elementwise work between the
    # products runs on one core either way
    default = max(info["num_threads"] for info in threadpool_info()
                  if info["user_api"] == "blas")
    for threads in sorted({default, 1}, reverse=True):
        with threadpool_limits(threads, user_api="blas"):
            report(measure(model, inputs, targets, args.rounds), n, d, B, threads)
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
