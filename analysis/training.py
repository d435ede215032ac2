"""Hook: train on real data (scikit-learn's bundled digits) with naive and sqrt.

Kept apart from the sweep so it can be left out on its own. It needs
``engine.data.load_dataset`` and ``engine.train.Trainer``; where the engine
lacks them (an older commit), ``train_digits`` returns a "pending" result
that the report prints as such. The two strategies should
end with bitwise equal weights (equal fingerprints), since their gradients
are bitwise equal; only the peak activation memory and the time differ.
"""

import numpy as np

EPOCHS = 20
DEPTH = 8
WIDTH = 64
BATCH = 32
LR = 0.01  # 0.05 suits three layers; eight relu layers learn faster at 0.01


def train_digits(
    strategies=("naive", "sqrt"),
    epochs=EPOCHS,
    depth=DEPTH,
    width=WIDTH,
    batch=BATCH,
    seed=0,
):
    """{"status": "done", "rows": [...]} or {"status": "pending", "reason": ...}."""
    try:
        from engine.data import load_dataset
        from engine.train import Trainer, fingerprint
    except ImportError as error:
        return {
            "status": "pending",
            "reason": f"this engine has no engine.train or engine.data ({error})",
        }
    from engine import MLP

    data = load_dataset("digits", seed=seed)
    sizes = [data.n_features] + [width] * (depth - 1) + [data.n_outputs]
    rows = []
    for strategy in strategies:
        model = MLP(sizes, "relu", "softmax", "float32", seed)
        trainer = Trainer(model, data, strategy, batch_size=batch, lr=LR, seed=seed)
        for _ in range(epochs):
            stats = trainer.epoch()
        rows.append(
            {
                "strategy": strategy,
                "epochs": epochs,
                "depth": depth,
                "width": width,
                "batch": batch,
                "loss": stats.loss,
                "test_accuracy": stats.test_metric,
                "step_ms": 1e3 * float(np.median(trainer.step_seconds)),
                "peak_activation_bytes": trainer.ledger.peak_activation_bytes,
                "fingerprint": fingerprint(model)[:12],
            }
        )
    return {"status": "done", "rows": rows}
