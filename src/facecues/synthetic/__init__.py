"""The synthetic face world: procedural faces written as VGGFace2-, LFW- and CelebA-like sets."""

from facecues.synthetic.config import SyntheticConfig, load_config
from facecues.synthetic.people import ATTRIBUTES, AttributeSpec
from facecues.synthetic.world import WorldPlan, plan_world, write_world

__all__ = [
    "ATTRIBUTES",
    "AttributeSpec",
    "SyntheticConfig",
    "WorldPlan",
    "load_config",
    "plan_world",
    "write_world",
]
