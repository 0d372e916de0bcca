"""The networks of a study, by name: trained here, given as checkpoints, or controls.

A network's name is its wildcard value (``{network}``), its folder under
``results/models``, ``results/probes``, ... and the ``network`` column of
every table:

- networks trained here are named by their seed (``config seeds``: ``0``, ``1``);
- given checkpoints by their key (``model.checkpoints: {mynet: path}``; the
  single ``model.checkpoint`` is named ``checkpoint``);
- the untrained control networks (``controls.random_networks``) are
  ``random0``, ``random1``, ...: probed like the others (the accuracy table,
  Fig. 3's control curves, claim d) but never selected, tested or fine-tuned.

Names starting with ``random`` are reserved for controls (``is_control``);
the config's checkpoint names may not use them (``facecues.study.config``, which
builds a config's ``Networks``: ``study_networks``).
Torch-free: workflow start-up reads it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

#: The prefix of control networks' names, reserved for them.
CONTROL_PREFIX = "random"
CONTROL_NAME = re.compile(rf"{CONTROL_PREFIX}(\d+)")
#: What a network name may hold (its folder name and wildcard value).
NAME_PATTERN = r"[A-Za-z0-9_.-]+"


def is_control(name) -> bool:
    """Whether network ``name`` is a control (an untrained network, ``random<i>``)."""
    return str(name).startswith(CONTROL_PREFIX)


def control_names(n: int) -> list[str]:
    """The names of ``n`` control networks: ``random0``, ``random1``, ..."""
    return [f"{CONTROL_PREFIX}{i}" for i in range(int(n))]


def control_index(name: str) -> int:
    """``random3`` -> 3; anything else raises ValueError."""
    m = CONTROL_NAME.fullmatch(str(name))
    if not m:
        raise ValueError(f"{name!r} is not a control network name ({CONTROL_PREFIX}<i>)")
    return int(m.group(1))


@dataclass(frozen=True)
class Networks:
    """The networks a config studies.

    ``studied``: the trained networks (seeds trained here, or the given
    checkpoints' names), in config order; ``checkpoints``: {name: path} of the
    given ones (empty when they are trained here); ``controls``: the untrained
    networks probed beside them.
    """

    studied: tuple[str, ...]
    checkpoints: Mapping[str, str]
    controls: tuple[str, ...]

    @property
    def trained_here(self) -> bool:
        """Whether the studied networks are trained by the workflow (no checkpoints given)."""
        return not self.checkpoints

    @property
    def probed(self) -> tuple[str, ...]:
        """Every network whose probe points are probed: the studied ones, then the controls."""
        return self.studied + self.controls

    def kind(self, name: str) -> str | None:
        """``trained`` (here), ``checkpoint``, ``control``, or None for a name not in the study."""
        if name in self.controls:
            return "control"
        if name in self.checkpoints:
            return "checkpoint"
        return "trained" if name in self.studied else None

    def describe(self) -> str:
        """One line naming the study's networks, for error messages."""
        studied = ", ".join(self.studied)
        what = "given checkpoints" if self.checkpoints else "networks trained here (seeds)"
        controls = ", ".join(self.controls) or "none"
        return f"{what}: {studied}; controls: {controls}"
