"""The study, read once: ``Study`` is what a config means, interpreted in one place.

``load_study`` reads the config files (``facecues.study.config.load_config``:
defaults, the user's files, the schema's defaults, validation, checks), then
derives everything the rules, ``facecues plan``, the costs and the scripts ask of
it: the networks, the architecture entry with a module file's path resolved, the
manifest of probe points and its depth landmarks, the probed points, the
erasure points and networks. Nothing downstream takes the raw config dict or
guesses a default network: a function that needs the points or the depths takes
the ``Study`` (or its ``depths``).

Sections are read-only typed views of the validated config (``study.probe_sample``,
``study.controls``, ...); ``study.config`` keeps the plain mapping for what records
or hashes it (provenance, Snakemake params).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

from facecues.data.synthetic.config import SyntheticConfig
from facecues.errors import FacecuesError
from facecues.nets.layout import Depths, ProbePoint, depths, input_point
from facecues.nets.manifest import CACHE, Manifest, is_built_in, network_points
from facecues.nets.names import Networks
from facecues.nets.spec import resolve_file
from facecues.probes.options import ProbeOptions
from facecues.study.config import (
    DEFAULTS,
    SCHEMA,
    architecture,
    erased_networks,
    erasure_points,
    load_config,
    study_networks,
)

#: The workflow's folder (the checkout's root) in a checkout; a file entry's relative
#: path is looked up there after the working folder (``configs/networks/``).
WORKFLOW_ROOT = Path(__file__).resolve().parents[3]


def _section(cls, mapping: Mapping):
    """A frozen section dataclass from the validated config's mapping (its own keys)."""
    return cls(**{f.name: mapping[f.name] for f in fields(cls) if f.name in mapping})


@dataclass(frozen=True)
class Model:
    """``model``: the built-in topology's size and the input size every network sees."""

    base_width: int
    input_size: int
    stride_in_1x1: bool


@dataclass(frozen=True)
class ProbeSample:
    """``probe``: the balanced samples each attribute's probes are fitted and scored on."""

    train_per_class: int
    val_per_class: int
    split_seed: str | int
    allow_reduction: bool

    @property
    def train_rows(self) -> int:
        """Rows of a probe's training sample (both classes)."""
        return 2 * int(self.train_per_class)


@dataclass(frozen=True)
class Stream:
    """``probe``: how activations are stored and streamed (no effect on the maths but
    the shards' dtype)."""

    dtype: str
    batch_size: int
    gpus: int = 0


@dataclass(frozen=True)
class Controls:
    """``controls`` (docs/protocol.md section 11)."""

    random_networks: int
    init_seed: int
    recalibrate_bn: int
    input_point: bool
    identity_task: bool
    identity_seed: str | int


@dataclass(frozen=True)
class Erasure:
    """``erasure`` (docs/protocol.md section 13), its points resolved to ids."""

    enabled: bool
    seed: int
    fit_images: int
    method: str
    points: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Figures:
    """``figures``: which attributes the single-attribute figures show."""

    fig4_attribute: str
    fig5_attribute: str
    fig1_attributes: tuple[str, ...]
    fig6_attributes: tuple[str, ...]
    average_k: int


@dataclass(frozen=True)
class Study:
    """A study: its validated config and what it means (built by ``load_study``)."""

    config: Mapping = field(repr=False)
    label: str
    networks: Networks
    architecture: Mapping
    manifest: Manifest
    erasure: Erasure

    @classmethod
    def from_config(
        cls,
        config: Mapping,
        label: str = "config",
        root=WORKFLOW_ROOT,
        write: bool = True,
        cache: Path = CACHE,
    ) -> Study:
        """The study of a validated and checked config (``load_config``'s result); a
        module file's relative path is resolved from the working folder, then ``root``;
        another network's manifest discovered once and cached (``write``: written to
        ``cache``, results/manifests, as the workflow does; ``facecues plan`` writes none)."""
        config = copy.deepcopy(dict(config))
        arch = config["model"].get("architecture") or {}
        if arch:
            config["model"]["architecture"] = resolve_file(arch, root)
        entry = architecture(config)
        try:
            manifest = network_points(
                entry, config["model"]["input_size"], entry.get("points"), cache, write
            )
        except FacecuesError as e:
            raise FacecuesError(f"model.architecture: {e}") from None
        e = config["erasure"]
        erasure = Erasure(
            enabled=e["enabled"],
            seed=e["seed"],
            fit_images=e["fit_images"],
            method=e["method"],
            points=tuple(erasure_points(config)),
            networks=tuple(erased_networks(config)),
        )
        return cls(config, label, study_networks(config), entry, manifest, erasure)

    # ---- the config's sections, typed -------------------------------------------------
    @cached_property
    def model(self) -> Model:
        return _section(Model, self.config["model"])

    @cached_property
    def probe(self) -> ProbeOptions:
        """The probes' options (``facecues.probes.options``: the pls_vip jobs' fit)."""
        return ProbeOptions.from_config(self.config)

    @cached_property
    def probe_sample(self) -> ProbeSample:
        return _section(ProbeSample, self.config["probe"])

    @cached_property
    def stream(self) -> Stream:
        return _section(Stream, self.config["probe"])

    @cached_property
    def controls(self) -> Controls:
        return _section(Controls, self.config["controls"])

    @cached_property
    def figures(self) -> Figures:
        f = self.config["figures"]
        return Figures(
            f["fig4_attribute"],
            f["fig5_attribute"],
            tuple(f["fig1_attributes"]),
            tuple(f["fig6_attributes"]),
            f["average_k"],
        )

    @property
    def train(self) -> Mapping:
        """``train``: the face-ID training's settings (``facecues.training``), read-only."""
        return MappingProxyType(self.config["train"])

    @property
    def multitask(self) -> Mapping:
        """``multitask``: the supervised baseline's settings, read-only."""
        return MappingProxyType(self.config["multitask"])

    @cached_property
    def world(self) -> SyntheticConfig:
        """The synthetic world's settings (``synthetic``; its defaults where unset), from
        the section ``load_config`` validated against the world's schema already."""
        return SyntheticConfig.from_dict(self.config["synthetic"], checked=True)

    @property
    def source(self) -> str:
        """``synthetic`` (the embedded world) or ``real`` (the data roots)."""
        return self.config["data"]["source"]

    @property
    def attributes(self) -> list[str]:
        return list(self.config["attributes"])

    @property
    def synthetic(self) -> bool:
        """Whether the study runs on the synthetic world (``data.source``)."""
        return self.source == "synthetic"

    def data_root(self, name: str) -> str:
        """Root folder of dataset ``name`` (celeba, vggface2, lfw): the synthetic world's
        under results/synthetic, or ``data.<name>_root``."""
        if self.synthetic:
            return f"results/synthetic/{name}"
        return self.config["data"][f"{name}_root"]

    @property
    def built_in(self) -> bool:
        """Whether the network is the built-in ResNet-50 topology."""
        return is_built_in(self.architecture)

    # ---- the network's points and depths ----------------------------------------------
    @property
    def network_points(self) -> tuple[ProbePoint, ...]:
        """The network's probe points (the manifest's), in forward order."""
        return self.manifest.points

    @cached_property
    def probed_points(self) -> tuple[ProbePoint, ...]:
        """Every point probed: the input L00 first when ``controls.input_point``."""
        first = (input_point(self.model.input_size),) if self.controls.input_point else ()
        return first + tuple(self.network_points)

    @property
    def point_ids(self) -> list[str]:
        """The probed points' ids (``L00``, ``L01``, ...)."""
        return [p.id for p in self.probed_points]

    @cached_property
    def depths(self) -> Depths:
        """The network's depth landmarks (shallow and deep ranges, stages, ticks)."""
        return depths(self.network_points)

    @property
    def point_rows(self) -> list[list]:
        """The network's points as plain rows (id, name, kind, layout, shape, stage), as the
        points table is written from them (``facecues.results.tables.write_points``)."""
        return [
            [p.id, p.name, p.kind, p.layout, list(p.shape), p.stage] for p in self.network_points
        ]

    def section(self, name: str) -> dict:
        """A copy of config section ``name`` (for the sections passed whole to a job)."""
        return copy.deepcopy(dict(self.config[name]))


def load_study(
    configfile: str | Path | None = None,
    given: Mapping | None = None,
    *,
    defaults: str | Path = DEFAULTS,
    schema: str | Path = SCHEMA,
    root: str | Path = WORKFLOW_ROOT,
    write: bool = True,
) -> Study:
    """The study of the workflow's defaults updated by ``configfile`` and ``given``
    (``load_config``), read once. Raises ConfigError naming the file or key, and
    FacecuesError where the network's points cannot be found."""
    config = load_config(configfile, given, defaults=defaults, schema=schema)
    label = str(configfile) if configfile else "config"
    return Study.from_config(config, label, root, write)
