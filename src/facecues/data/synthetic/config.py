"""Configuration of the synthetic face world."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from facecues.errors import ConfigError, FacecuesError
from facecues.io import read_yaml
from facecues.schema import validate


def _pair(item: dict) -> dict:
    return {"type": "array", "items": item, "minItems": 2, "maxItems": 2}


def _int(minimum: int) -> dict:
    return {"type": "integer", "minimum": minimum}


#: The world's settings as a JSON schema (per key its type and range; the cross-field
#: ranges are ``SyntheticConfig.validate``'s). One schema for the study's ``synthetic``
#: section and a world's own file (``python -m facecues.data.synthetic --config``).
SCHEMA = {
    "type": "object",
    "default": {},
    "description": "facecues.data.synthetic.config.SyntheticConfig fields (cross-field ranges "
    "checked there)",
    "additionalProperties": False,
    "properties": {
        "seed": _int(0),
        "vgg_identities": _int(1),
        "vgg_images_per_identity": _int(1),
        "vgg_canvas": _pair(_int(1)),
        "vgg_face_width": _pair(_int(1)),
        "lfw_identities": _int(2),
        "lfw_images_per_identity": _int(2),
        "lfw_folds": _int(1),
        "lfw_pairs_per_fold": _int(1),
        "lfw_size": _int(8),
        "lfw_face_width": _int(8),
        "celeba_train_identities": _int(1),
        "celeba_val_identities": _int(1),
        "celeba_test_identities": _int(1),
        "celeba_images_per_identity": _int(1),
        "celeba_size": _pair(_int(1)),
        "shift": {"type": "number", "minimum": 0},
        "rotation": {"type": "number", "minimum": 0},
        "scale": _pair({"type": "number", "exclusiveMinimum": 0}),
        "occlusion_rate": {"type": "number", "minimum": 0, "maximum": 1},
        "noise_sigma": _pair({"type": "number", "minimum": 0}),
        "jpeg_quality": _pair({"type": "integer", "minimum": 1, "maximum": 100}),
        "label_noise": {"type": "number", "minimum": 0, "maximum": 5},
        "supersample": _int(1),
        "workers": _int(0),
    },
}


@dataclass(frozen=True)
class SyntheticConfig:
    """Sizes and nuisance of the synthetic face world (defaults: a few tens of seconds on 2 cores).

    Ranges are ``(low, high)`` pairs. Face geometry jitter is relative to the face crop:
    ``shift`` is a fraction of the crop width (2 px at 64 px is about 0.03).
    """

    seed: int = 0
    # VGGFace2-like identity set: faces inside a larger canvas, loose boxes in a csv
    vgg_identities: int = 100
    vgg_images_per_identity: int = 40
    vgg_canvas: tuple[int, int] = (96, 112)  # canvas side range (px), width and height drawn apart
    vgg_face_width: tuple[int, int] = (64, 72)  # face-crop width range (px); height = 1.22 x width
    # LFW-like verification set (identities disjoint from the other two sets)
    lfw_identities: int = 40
    lfw_images_per_identity: int = 6
    lfw_folds: int = 10
    lfw_pairs_per_fold: int = 30  # matched pairs per fold (and as many mismatched)
    lfw_size: int = 112  # square canvas (real LFW: 250)
    lfw_face_width: int = 64  # centred face crop width (height = 1.22 x width)
    # CelebA-like attribute set, aligned crops, partitions disjoint by identity
    celeba_train_identities: int = 340
    celeba_val_identities: int = 60
    celeba_test_identities: int = 80
    celeba_images_per_identity: int = 12
    celeba_size: tuple[int, int] = (64, 78)  # width, height (real CelebA: 178 x 218)
    # nuisance
    shift: float = 0.03
    rotation: float = 5.0  # degrees
    scale: tuple[float, float] = (0.94, 1.06)
    occlusion_rate: float = 0.05
    noise_sigma: tuple[float, float] = (1.0, 6.0)  # sensor noise, in 0-255 units
    jpeg_quality: tuple[int, int] = (60, 95)
    label_noise: float = 1.0  # multiplies each attribute's built-in label-noise rate
    # rendering
    supersample: int = 3
    workers: int = 0  # processes; 0 = all available cores (results identical for any value)

    def __post_init__(self) -> None:
        self.validate()

    @classmethod
    def field_names(cls) -> list[str]:
        """The accepted configuration keys."""
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def json_schema(cls) -> dict:
        """The schema of the world's settings (``SCHEMA``): the study config's ``synthetic``
        section, and what ``from_dict`` validates a world's own file against."""
        return copy.deepcopy(SCHEMA)

    @classmethod
    def from_dict(
        cls, d: Mapping[str, Any] | None, label: str = "synthetic", *, checked: bool = False
    ) -> SyntheticConfig:
        """Build a config from a mapping, validated against ``SCHEMA`` (``facecues.schema``:
        a ConfigError naming ``label``, the key, the value and what was expected; not again
        where it was ``checked`` already, as the study's config is at start-up); unknown
        keys are named with the valid ones."""
        d = dict(d or {})
        valid = cls.field_names()
        unknown = sorted(k for k in d if k not in valid)
        if unknown:
            raise ConfigError(
                f"{label}: unknown synthetic-world config key(s) "
                f"{', '.join(map(repr, unknown))}; valid keys: {', '.join(valid)}"
            )
        if not checked:
            validate(d, SCHEMA, label)
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name in d:
                kind = type(f.default[0]) if isinstance(f.default, tuple) else type(f.default)
                v = d[f.name]
                kwargs[f.name] = tuple(map(kind, v)) if isinstance(f.default, tuple) else kind(v)
        return cls(**kwargs)

    def to_dict(self, include_workers: bool = True) -> dict[str, Any]:
        """Plain-JSON view of the config (tuples as lists)."""
        out = {}
        for name in self.field_names():
            if name == "workers" and not include_workers:
                continue
            v = getattr(self, name)
            out[name] = list(v) if isinstance(v, tuple) else v
        return out

    def validate(self) -> None:
        """Raise FacecuesError when a value is out of range or the LFW pairs cannot be drawn."""

        def need(cond: bool, msg: str) -> None:
            if not cond:
                raise FacecuesError(f"synthetic config: {msg}")

        for name in (
            "vgg_identities",
            "vgg_images_per_identity",
            "lfw_folds",
            "lfw_pairs_per_fold",
            "celeba_train_identities",
            "celeba_val_identities",
            "celeba_test_identities",
            "celeba_images_per_identity",
            "supersample",
        ):
            need(getattr(self, name) >= 1, f"{name} must be >= 1, got {getattr(self, name)}")
        need(self.workers >= 0, f"workers must be >= 0, got {self.workers}")
        need(self.lfw_images_per_identity >= 2, "lfw_images_per_identity must be >= 2")
        need(
            self.lfw_identities >= 2 * self.lfw_folds,
            f"lfw_identities ({self.lfw_identities}) must be at least 2 per fold "
            f"(lfw_folds={self.lfw_folds}): folds are disjoint by identity",
        )
        per_fold = self.lfw_identities // self.lfw_folds
        m = self.lfw_images_per_identity
        matched = per_fold * m * (m - 1) // 2
        need(
            matched >= self.lfw_pairs_per_fold,
            f"lfw_pairs_per_fold={self.lfw_pairs_per_fold} exceeds the {matched} distinct matched "
            f"pairs a fold of {per_fold} identities x {m} images offers",
        )
        mismatched = per_fold * (per_fold - 1) // 2 * m * m
        need(
            mismatched >= self.lfw_pairs_per_fold,
            f"lfw_pairs_per_fold={self.lfw_pairs_per_fold} exceeds the {mismatched} distinct "
            f"mismatched pairs a fold of {per_fold} identities x {m} images offers",
        )
        lo, hi = self.vgg_face_width
        need(
            8 <= lo <= hi,
            f"vgg_face_width must satisfy 8 <= low <= high, got {self.vgg_face_width}",
        )
        clo, chi = self.vgg_canvas
        need(clo <= chi, f"vgg_canvas must satisfy low <= high, got {self.vgg_canvas}")
        need(
            clo >= round(hi * 1.22),
            f"vgg_canvas low ({clo}) must hold the largest face crop "
            f"({hi} x {round(hi * 1.22)} px)",
        )
        need(
            8 <= self.lfw_face_width and round(self.lfw_face_width * 1.22) <= self.lfw_size,
            f"lfw_face_width ({self.lfw_face_width}) x 1.22 must fit in lfw_size ({self.lfw_size})",
        )
        need(min(self.celeba_size) >= 8, f"celeba_size too small: {self.celeba_size}")
        need(0 < self.scale[0] <= self.scale[1], f"scale must be 0 < low <= high: {self.scale}")
        need(0.0 <= self.occlusion_rate <= 1.0, "occlusion_rate must be in [0, 1]")
        need(0.0 <= self.label_noise <= 5.0, "label_noise must be in [0, 5]")
        need(
            1 <= self.jpeg_quality[0] <= self.jpeg_quality[1] <= 100,
            f"jpeg_quality must satisfy 1 <= low <= high <= 100: {self.jpeg_quality}",
        )
        need(
            0 <= self.noise_sigma[0] <= self.noise_sigma[1], "noise_sigma must be 0 <= low <= high"
        )


def load_config(path: str | Path | None, **overrides) -> SyntheticConfig:
    """Read a YAML/JSON mapping of SyntheticConfig keys (None: defaults), then apply overrides."""
    data = read_yaml(path) if path is not None else {}
    data.update({k: v for k, v in overrides.items() if v is not None})
    return SyntheticConfig.from_dict(data, label=str(path) if path is not None else "synthetic")
