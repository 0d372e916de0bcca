"""Selectivity: how much better a probe does on a trained network than on untrained ones.

A probe point can be discriminative because the network learned something, or
only because it is large and the input carries the attribute (the paper's
open question). The same probe on an untrained network of the same
architecture (a control, ``random*``: facecues.nets.controls) measures the second;
trained minus control is what training added.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from facecues.nets.names import is_control


def add_selectivity(table: pd.DataFrame) -> pd.DataFrame:
    """The study's table: ``control_accuracy`` and ``selectivity`` added to every row.

    ``control_accuracy`` is the mean accuracy of the same probe (attribute,
    point, probe, rank) over the control networks (``random*``), ``selectivity``
    = accuracy - control_accuracy; both NaN on the controls' own rows and when
    the study has no controls. ``identity_selectivity`` = accuracy - the same
    probe's accuracy on the identity control task (Hewitt and Liang's
    selectivity; NaN where the task was not fitted).
    """
    t = table.copy()
    t["network"] = t["network"].astype(str)
    control = t["network"].map(is_control)
    key = ["attribute", "point", "probe", "rank"]
    means = t[control].groupby(key)["accuracy"].mean().rename("control_accuracy")
    t = t.merge(means, left_on=key, right_index=True, how="left")
    t.loc[control, "control_accuracy"] = np.nan
    t["selectivity"] = t["accuracy"] - t["control_accuracy"]
    if "identity_task_accuracy" in t:
        t["identity_selectivity"] = t["accuracy"] - t["identity_task_accuracy"]
    return t.reset_index(drop=True)
