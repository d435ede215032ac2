"""Process memory around a piece of work: peak resident set size via psutil.

Two readings are combined. A thread samples ``psutil.Process().memory_info().rss``
every ``interval`` seconds while the work runs; on Linux the kernel also keeps
the high-water mark VmHWM, which writing 5 to /proc/self/clear_refs resets
(where the kernel allows it), so short spikes between samples are caught too.
"""

import sys
import threading
import time

import psutil

from engine.errors import EngineError

CLEAR_REFS = "/proc/self/clear_refs"
STATUS = "/proc/self/status"


def _reset_high_water_mark():
    if not sys.platform.startswith("linux"):
        return False
    try:
        with open(CLEAR_REFS, "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _high_water_mark():
    with open(STATUS) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


class PeakRSS:
    """Context manager: ``baseline_bytes`` before, ``peak_bytes`` during, ``delta_bytes``.

    ``source`` says which reading gave the peak: ``kernel`` (VmHWM after a
    reset) or ``sampled`` (the thread's samples only).
    """

    def __init__(self, interval=0.001):
        self.interval = interval
        self.baseline_bytes = self.peak_bytes = 0
        self.source = "sampled"

    def __enter__(self):
        self._process = psutil.Process()
        self._kernel = _reset_high_water_mark()
        self.baseline_bytes = self._process.memory_info().rss
        self._sampled = self.baseline_bytes
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.is_set():
            self._sampled = max(self._sampled, self._process.memory_info().rss)
            time.sleep(self.interval)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._sampled = max(self._sampled, self._process.memory_info().rss)
        self.peak_bytes = self._sampled
        if self._kernel:
            self.peak_bytes = max(self.peak_bytes, _high_water_mark())
            self.source = "kernel"
        return False

    @property
    def delta_bytes(self):
        return self.peak_bytes - self.baseline_bytes


# Python objects per layer beside its arrays (plan operations, array headers,
# list entries): about 2.5 KB measured at depth 200,000; rounded up.
LAYER_OVERHEAD = 4096


def step_bytes(depth, parameters, activations, itemsize, parameter_copies=2):
    """An upper bound on a step's memory, from counts alone (no list of sizes is built).

    ``parameter_copies`` copies of the ``parameters`` values (weights and
    gradients, plus the velocity and update temporaries when training), every
    activation kept at once (the naive peak) twice over for workspace, and
    LAYER_OVERHEAD per layer. Python integers, so no size overflows.
    """
    values = parameter_copies * parameters + 2 * activations
    return values * itemsize + depth * LAYER_OVERHEAD


def check_fits(nbytes, what):
    """Raise EngineError when ``what`` needs more bytes than the machine has available."""
    available = psutil.virtual_memory().available
    if nbytes > available:
        raise EngineError(f"{what} needs about {nbytes / 2**30:.1f} GiB but "
                          f"{available / 2**30:.1f} GiB is available: make it smaller")
