"""Benchmark results: one record per figure, written as JSON and drawn as a PNG chart."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Result:
    """One measured figure, its same-run baseline and the target it is held against."""

    bench: str
    metric: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str | None = None
    target: str | None = None
    met: bool | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        """value / baseline, where there is a baseline."""
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline

    def line(self) -> str:
        """A readable one-line summary."""
        text = f"{self.bench:<10} {self.metric:<34} {self.value:>12,.1f} {self.unit}"
        if self.ratio is not None:
            text += f"   = {self.ratio:.2f} x {self.baseline_name} ({self.baseline:,.1f})"
        if self.target:
            text += f"   target {self.target}: {'met' if self.met else 'MISSED'}"
        return text


def write(results: list[Result], machine: dict[str, Any]) -> Path:
    """Write ``results`` with ``machine`` to a timestamped JSON file and ``latest.json``."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    doc = {
        "at": stamp,
        "machine": machine,
        "results": [{**asdict(r), "ratio": r.ratio} for r in results],
    }
    path = RESULTS / f"bench-{stamp}.json"
    path.write_text(json.dumps(doc, indent=2))
    (RESULTS / "latest.json").write_text(json.dumps(doc, indent=2))
    _chart(results, RESULTS / f"bench-{stamp}.png")
    return path


def _chart(results: list[Result], path: Path) -> None:
    """A bar chart of every ratio against its baseline (1.0 = as fast as the baseline)."""
    try:
        import matplotlib as mpl

        mpl.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    # throughputs only (higher is better); times are in the JSON and the printed lines
    rated = [r for r in results if r.ratio is not None and r.unit.endswith("/s")]
    if not rated:
        return
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(rated) + 1.5))
    labels = [f"{r.bench}: {r.metric}" for r in rated]
    ratios = [r.ratio or 0.0 for r in rated]
    # green: target met, red: missed, grey: a figure without a target of its own
    colours = ["#8c959f" if r.met is None else "#1a7f37" if r.met else "#cf222e" for r in rated]
    ax.barh(labels, ratios, color=colours)
    ax.axvline(1.0, color="#57606a", linestyle="--", linewidth=1)
    ax.axvline(0.5, color="#9a6700", linestyle=":", linewidth=1)
    ax.set_xlabel("ratio to the same-run baseline (1.0 = baseline speed)")
    ax.set_title("wijkhub benchmarks")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
