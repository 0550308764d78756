"""What every figure shares: its resolution and font sizes, and writing it as PNG.

Figures are made with ``matplotlib.figure`` and never through pyplot: no display, no global
figure registry to close, and two threads of the bot can draw at the same time (pyplot's
state machine is not thread-safe). Saving a bare Figure renders with the Agg canvas.
"""

from __future__ import annotations

import io
from pathlib import Path

from matplotlib.figure import Figure

DPI = 120
TITLE, LABEL, TICK, LEGEND = 14, 12, 10, 10


def save(figure: Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI, format="png")
    return path


def png_bytes(figure: Figure) -> bytes:
    """The figure as PNG bytes, for sending without touching the disk."""
    buffer = io.BytesIO()
    figure.savefig(buffer, dpi=DPI, format="png")
    return buffer.getvalue()


def message(figure: Figure, text: str, title: str) -> None:
    """A figure that says why there is nothing to draw, instead of an empty frame."""
    ax = figure.add_subplot()
    ax.set_axis_off()
    ax.set_title(title, fontsize=TITLE)
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=LABEL, transform=ax.transAxes)
