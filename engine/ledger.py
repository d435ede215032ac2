"""The ledger: an instrumented allocator that counts the bytes really alive.

Every array that backprop keeps for later use is allocated through
``Ledger.empty`` and tagged with a kind. The ledger adds the array's bytes when
it hands the array out and removes them when NumPy frees the buffer: a weak
reference's callback fires when the last reference to the array is gone (a
view counts, since it holds its base), so an array that somebody still holds
stays in the count whatever the code that made it meant.
"""

import weakref

import numpy as np

# Kinds whose bytes count as activations (the quantity checkpointing trades).
ACTIVATION_KINDS = ("activation", "checkpoint", "recomputed")
# Transient buffers: the gradient flowing backward and elementwise temporaries.
WORKSPACE = "workspace"
# Gradients of the parameters, returned to the caller.
GRADIENT = "gradient"
KINDS = ACTIVATION_KINDS + (WORKSPACE, GRADIENT)


class Ledger:
    """Counts live bytes per kind, their peaks, and layer forward evaluations.

    With ``timeline=True`` every allocation and release appends
    ``(event, live_activation_bytes)`` to ``self.timeline``, where event reads
    like ``"+checkpoint a8"`` or ``"-recomputed a5"``.
    """

    def __init__(self, timeline=False):
        self.live = dict.fromkeys(KINDS, 0)
        self.peak = dict.fromkeys(KINDS, 0)
        self.live_activation_bytes = 0
        self.peak_activation_bytes = 0
        self.live_bytes = 0
        self.peak_bytes = 0
        self.forward_evals = 0
        self.timeline = [] if timeline else None
        self._alive = {}  # id(weak reference) -> (weak reference, kind, bytes, label)

    def empty(self, shape, dtype, kind, label=""):
        """An uninitialised array whose bytes are counted under ``kind`` until freed."""
        if kind not in self.live:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        array = np.empty(shape, dtype)
        ref = weakref.ref(array, self._release)
        self._alive[id(ref)] = (ref, kind, array.nbytes, label)
        self._change(kind, array.nbytes, label, "+")
        return array

    def _release(self, ref):
        _, kind, nbytes, label = self._alive.pop(id(ref))
        self._change(kind, -nbytes, label, "-")

    def count_forward(self):
        self.forward_evals += 1

    def reset_peaks(self):
        """Start a new measurement: peaks fall to what is alive now."""
        self.peak = dict(self.live)
        self.peak_activation_bytes = self.live_activation_bytes
        self.peak_bytes = self.live_bytes
        self.forward_evals = 0
        if self.timeline is not None:
            self.timeline = []

    def _change(self, kind, nbytes, label, sign):
        self.live[kind] += nbytes
        self.peak[kind] = max(self.peak[kind], self.live[kind])
        self.live_bytes += nbytes
        self.peak_bytes = max(self.peak_bytes, self.live_bytes)
        if kind in ACTIVATION_KINDS:
            self.live_activation_bytes += nbytes
            self.peak_activation_bytes = max(
                self.peak_activation_bytes, self.live_activation_bytes
            )
        if self.timeline is not None:
            self.timeline.append((f"{sign}{kind} {label}", self.live_activation_bytes))


class NullLedger:
    """The ledger's interface with no bookkeeping: plain ``np.empty``.

    Runs the same backprop code without instrumentation, so the cost of the
    ledger can be measured side by side.
    """

    forward_evals = 0

    def empty(self, shape, dtype, kind, label=""):
        return np.empty(shape, dtype)

    def count_forward(self):
        pass

    def reset_peaks(self):
        pass
