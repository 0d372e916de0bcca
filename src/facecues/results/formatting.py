"""How the text results write numbers: accuracies as percent, differences as p.p."""

from __future__ import annotations

import numpy as np


def pct(x: float | None) -> str:
    """``71.4%`` (a fraction as percent, one decimal); ``n/a`` for None or NaN."""
    return "n/a" if x is None or not np.isfinite(x) else f"{100 * x:.1f}%"


def pp(x: float | None) -> str:
    """``+26.6 p.p.`` (a difference of fractions in percentage points, signed)."""
    return "n/a" if x is None or not np.isfinite(x) else f"{100 * x:+.1f} p.p."
