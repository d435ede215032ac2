"""Speed of one backprop step beside the machine's matrix-multiply rate, in one run.

Prints three ratios measured side by side, variants interleaved round by round
in an order that rotates, so that a noisy neighbour slows them all alike:

    matmul efficiency  = (flops of the naive step / its time) / float32 matmul rate
    sqrt overhead      = sqrt step time / naive step time
    ledger overhead    = naive step time with the ledger / without it (NullLedger)

The matmul rate is taken on the layer's own product, (B x d) @ (d x d), the
operation that dominates a step. A step of n layers performs 3n - 1 such
products (forward, weight gradient, and input gradient except for layer 1),
each 2 B d^2 flops.

Usage: python scripts/perf_step.py [--depth 16] [--width 512] [--batch 256] [--rounds 15]
"""

import argparse
import ctypes
import sys
import time

import numpy as np

from engine import MLP, Ledger, NullLedger, backprop, random_batch

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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=16)
    parser.add_argument("--width", type=int, default=512)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--system-malloc", action="store_true",
                        help="leave glibc's trimming on (see retain_freed_memory)")
    args = parser.parse_args(argv)
    for name in ("depth", "width", "batch", "rounds"):
        if getattr(args, name) < 1:
            print(f"perf_step: error: --{name} {getattr(args, name)} is invalid: "
                  "it must be >= 1", file=sys.stderr)
            return 2
    retained = False if args.system_malloc else retain_freed_memory()

    n, d, B = args.depth, args.width, args.batch
    sizes = [d] * (n + 1)
    model = MLP(sizes, "relu", "identity", "float32", seed=0)
    inputs, targets = random_batch(sizes, B, "float32", seed=0)
    grads = [np.full_like(p, 0) for p in model.parameters()]
    a = np.asarray(inputs)
    w = model.weights[0]
    out = np.empty((B, d), np.float32)

    variants = {
        "matmul": lambda: np.matmul(a, w, out=out),
        "naive": lambda: backprop(model, inputs, targets, "naive", Ledger(), grads),
        "naive, no ledger": lambda: backprop(model, inputs, targets, "naive",
                                             NullLedger(), grads),
        "sqrt": lambda: backprop(model, inputs, targets, "sqrt", Ledger(), grads),
    }
    # warm-up: BLAS threads start, pages get touched; dropped
    for function in variants.values():
        function()

    times = {name: [] for name in variants}
    names = list(variants)
    for round_ in range(args.rounds):
        # rotate the order, so no variant always follows the same one
        for name in names[round_ % 4:] + names[:round_ % 4]:
            function = variants[name]
            if name == "matmul":  # one product is short: time a batch of them
                times[name].append(timed(lambda: [function() for _ in range(3 * n - 1)])
                                   / (3 * n - 1))
            else:
                times[name].append(timed(function))
    best = {name: min(values) for name, values in times.items()}

    flops = 2 * B * d * d
    matmul_rate = flops / best["matmul"]
    step_rate = flops * (3 * n - 1) / best["naive"]
    print(f"MLP depth {n}, width {d}, batch {B}, float32, relu; "
          f"best of {args.rounds} interleaved rounds; glibc "
          f"{'keeps freed memory' if retained else 'default trimming'}")
    for name, value in best.items():
        print(f"  {name:18} {value * 1e3:9.3f} ms")
    print(f"  float32 matmul rate {matmul_rate / 1e9:7.1f} GFLOP/s, "
          f"naive step {step_rate / 1e9:7.1f} GFLOP/s")
    print(f"matmul efficiency of the naive step  {step_rate / matmul_rate:6.3f}  "
          "(target >= 0.80)")
    print(f"sqrt step / naive step               {best['sqrt'] / best['naive']:6.3f}  "
          "(target <= 1.35)")
    print(f"ledger / no ledger                   "
          f"{best['naive'] / best['naive, no ledger']:6.3f}  (target <= 1.03)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
