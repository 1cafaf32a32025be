"""Per-epoch training log (CSV) and the loss-curve figure (Govind et al., Fig. 8)."""

from __future__ import annotations

import io
import math
import time
from pathlib import Path

import numpy as np

from temdefects.io.atomic import atomic_write_bytes, atomic_write_csv

COLUMNS = (
    "epoch",
    "step",
    "lr",
    "train_loss",
    "test_loss",
    "length_score",
    "f1",
    "precision",
    "recall",
    "duplicate_rate",
    "union_dice",
    "cl_dice",
    "time",
)
TEST_KEYS = {
    "test_loss": "loss",
    "length_score": "length_score",
    "f1": "f1",
    "precision": "precision",
    "recall": "recall",
    "duplicate_rate": "duplicate_rate",
    "union_dice": "union_dice",
    "cl_dice": "cl_dice",
}


class TrainLog:
    """Rows by epoch; written to ``log.csv`` and ``loss_curve.png`` in the run folder."""

    def __init__(self, out: Path):
        self.out = Path(out)
        self.rows: dict[int, dict] = {}
        self.tests: dict[int, dict] = {}

    def add_train(self, epoch: int, step: int, losses: list, lr: float) -> None:
        self.rows[epoch] = {
            "epoch": epoch,
            "step": step,
            "lr": lr,
            "train_loss": float(np.mean(losses)) if losses else math.nan,
            "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }

    def add_test(self, epoch: int, metrics: dict) -> None:
        self.tests[epoch] = {k: float(metrics[v]) for k, v in TEST_KEYS.items()}
        self.rows.setdefault(epoch, {"epoch": epoch}).update(self.tests[epoch])

    def best_metrics(self, epoch: int | None = None) -> dict:
        """Test metrics of ``epoch`` (default: the epoch with the best length metric)."""
        if not self.tests:
            return {}
        if epoch not in self.tests:
            epoch = max(self.tests, key=lambda e: self.tests[e]["length_score"])
        return {"epoch": epoch, **self.tests[epoch]}

    def state(self) -> dict:
        return {"rows": self.rows, "tests": self.tests}

    def restore(self, state: dict) -> None:
        self.rows, self.tests = dict(state["rows"]), dict(state["tests"])

    def write(self) -> None:
        rows = [{c: self.rows[epoch].get(c, "") for c in COLUMNS} for epoch in sorted(self.rows)]
        atomic_write_csv(self.out / "log.csv", rows, COLUMNS)
        self.plot()

    def plot(self) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        epochs = sorted(self.rows)
        train = [self.rows[e].get("train_loss", math.nan) for e in epochs]
        t_epochs = sorted(self.tests)
        fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
        ax.plot(epochs, train, "o-", label="training loss")
        if t_epochs:
            ax.plot(
                t_epochs, [self.tests[e]["test_loss"] for e in t_epochs], "s-", label="test loss"
            )
            ax2 = ax.twinx()
            ax2.plot(
                t_epochs,
                [self.tests[e]["length_score"] for e in t_epochs],
                "^--",
                color="tab:green",
                label="length metric (test)",
            )
            ax2.set_ylabel("length metric")
            ax2.set_ylim(0, 1)
            ax2.legend(loc="upper right")
        ax.set_xlabel("epoch")
        ax.set_ylabel("matched Dice loss")
        ax.legend(loc="upper left")
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
        atomic_write_bytes(self.out / "loss_curve.png", buf.getvalue())
