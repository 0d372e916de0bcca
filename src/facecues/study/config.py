"""The study's config, built once for the Snakefile and for ``facecues plan``.

``load_config`` starts from the workflow's defaults (``config.yaml`` beside
the Snakefile), updates them with the user's config the way Snakemake's
``update_config`` does (nested mappings key by key, anything else replaced),
fills in the schema's defaults (``workflow/schemas/config.schema.yaml``),
reads strings as the numbers the schema asks for (``snakemake --config
'seeds=[0,1]'`` hands the list's values over as strings; a warning names each
key), validates the result against the schema, then checks what a schema cannot
express (``check_config``). Every problem is one ConfigError naming the file
or key, the value and what was expected.

Both files ship inside the package (``facecues/study/config.yaml`` and
``config.schema.yaml`` are links to them in a checkout, copies in an
installed wheel), so ``facecues plan`` works from an installed package in
any folder.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from pathlib import Path

from facecues.data.synthetic.config import SyntheticConfig
from facecues.errors import ConfigError, FacecuesError
from facecues.io import read_yaml
from facecues.nets.layout import ERASABLE_KINDS, point_id, resnet50_points, stage_outputs
from facecues.nets.names import CONTROL_PREFIX, Networks, control_names
from facecues.probes.erasure import eraser_method, rows_per_class
from facecues.probes.options import ProbeOptions
from facecues.schema import coerce_strings, set_defaults, update, validate

HERE = Path(__file__).resolve().parent
DEFAULTS = HERE / "config.yaml"
SCHEMA = HERE / "config.schema.yaml"


def study_networks(config: Mapping) -> Networks:
    """The networks of ``config`` (keys ``seeds``, ``model.checkpoint(s)``,
    ``controls.random_networks``), as the workflow's rules and ``facecues plan`` see them."""
    model = config.get("model", {})
    checkpoints = dict(model.get("checkpoints") or {})
    if model.get("checkpoint"):
        checkpoints.setdefault("checkpoint", model["checkpoint"])
    studied = list(checkpoints) if checkpoints else [str(s) for s in config.get("seeds", [])]
    controls = control_names(config.get("controls", {}).get("random_networks", 0))
    return Networks(tuple(studied), checkpoints, tuple(controls))


def check_config(config: Mapping) -> None:
    """Checks of a validated config that the schema cannot express.

    - ``probe.n_components`` below the training rows of a probe (2 x
      ``probe.train_per_class``): PLS on n centred rows has at most n - 1
      components;
    - ``figures.fig4_attribute`` and ``fig5_attribute`` among ``attributes``;
    - no checkpoint named like a control network (the schema says so too);
    - ``model.architecture``'s ``mean`` and ``std`` given together, ``std`` above 0;
    - ``erasure.points`` exist and are whole modules' outputs (``erasure_points``), and
      with erasure on, ``probe.val_per_class`` is enough for its residual check.

    One ConfigError lists every problem with its key, value and what was expected.
    """
    problems = []
    p = config["probe"]
    k, per_class = p["n_components"], p["train_per_class"]
    if k > 2 * per_class - 1:
        problems.append(
            f"probe.n_components = {k} is larger than a PLS fit on the {2 * per_class} training "
            f"rows (probe.train_per_class = {per_class} per class) can have; expected at most "
            f"{2 * per_class - 1}"
        )
    attributes = list(config["attributes"])
    for key in ("fig4_attribute", "fig5_attribute"):
        value = config["figures"][key]
        if value not in attributes:
            problems.append(
                f"figures.{key} = {value} is not among the probed attributes {attributes}; "
                f"expected one of them (e.g. --config 'figures={{{key}: {attributes[0]}}}')"
            )
    networks = study_networks(config)
    reserved = [n for n in networks.checkpoints if n.startswith(CONTROL_PREFIX)]
    if reserved:
        problems.append(
            f"model.checkpoints: the names {reserved} are reserved for control networks "
            f"(names starting with '{CONTROL_PREFIX}': {CONTROL_PREFIX}0, {CONTROL_PREFIX}1, "
            "...); expected other names"
        )
    arch = config["model"].get("architecture") or {}
    mean, std = arch.get("mean"), arch.get("std")
    if (mean is None) != (std is None):
        problems.append(
            f"model.architecture: mean = {mean}, std = {std}: expected both (the input "
            "normalisation per RGB channel) or neither"
        )
    elif std is not None and min(std) <= 0:
        problems.append(f"model.architecture.std = {std}: expected three values above 0")
    try:
        erased_at = erasure_points(config)
    except ConfigError as e:
        erased_at = []
        problems.append(str(e))
    if erased_networks(config) and config["erasure"]["method"] == "leace":
        m = config["model"]
        units = {
            pt.id: pt.units
            for pt in resnet50_points(m["base_width"], m["input_size"], m["stride_in_1x1"])
        }
        for point in erased_at:
            try:
                eraser_method("leace", config["erasure"]["fit_images"], units[point])
            except FacecuesError as e:
                problems.append(f"{e} (erasure point {point})")
    _, need = rows_per_class(per_class, p["val_per_class"], k)
    if erased_networks(config) and p["val_per_class"] < need:
        problems.append(
            f"probe.val_per_class = {p['val_per_class']} is too few for erasure's residual "
            f"check (the whole-layer probe, probe.n_components = {k}, fitted on half the "
            f"validation sample): expected at least {need}, or erasure.enabled: false"
        )
    if problems:
        raise ConfigError("config:\n  " + "\n  ".join(problems))


def architecture(config: Mapping) -> dict:
    """The config's network as an architecture entry (``facecues.nets.architectures``):
    ``model.architecture``, the built-in topology's keyword arguments taken from
    ``model.base_width`` and ``model.stride_in_1x1``."""
    m = config["model"]
    entry = {"source": "facecues", "name": "resnet50", "kwargs": {}, "points": None}
    entry.update(copy.deepcopy(dict(m.get("architecture") or {})))
    if entry["source"] == "facecues":
        entry["kwargs"] = {
            "base_width": m["base_width"],
            "stride_in_1x1": m["stride_in_1x1"],
            **entry["kwargs"],
        }
    return entry


def erased_networks(config: Mapping) -> list[str]:
    """The networks whose attributes are erased (docs/protocol.md section 13): the studied
    ones, when ``erasure.enabled`` and LFW pairs are at hand (synthetic, or
    ``data.lfw_root`` given)."""
    lfw = config["data"]["source"] == "synthetic" or config["data"].get("lfw_root")
    return list(study_networks(config).studied) if config["erasure"]["enabled"] and lfw else []


def erasure_points(config: Mapping) -> list[str]:
    """The probe points (ids) erased at (docs/protocol.md section 13): ``erasure.points``,
    or each stage's last block output and the pool; ConfigError for a point the network
    lacks or one inside a block (hooked before its ReLU, so not replaceable). Erasure
    runs the rest of the network from the erased point, which only the built-in
    topology can do so far: none for another network, a ConfigError if enabled."""
    entry = architecture(config)
    if entry["source"] != "facecues":
        if config["erasure"]["enabled"]:
            raise ConfigError(
                f"erasure.enabled: erasure runs on the built-in resnet50 only (it runs the rest "
                f"of the network from the erased point); model.architecture is "
                f"{entry['source']}:{entry['name']}"
            )
        return []
    m = config["model"]
    points = resnet50_points(m["base_width"], m["input_size"], m["stride_in_1x1"])
    given = config["erasure"]["points"]
    if given is None:
        return [point_id(i) for i in stage_outputs(points)]
    by_id = {p.id: p for p in points}
    bad = [f"{g} (no such point: L01-{points[-1].id})" for g in given if g not in by_id]
    bad += [
        f"{g} ({by_id[g].name}, inside a block)"
        for g in given
        if g in by_id and by_id[g].kind not in ERASABLE_KINDS
    ]
    if bad:
        raise ConfigError(
            f"erasure.points: {', '.join(bad)}; expected the stem (L01), block outputs "
            "(relu3) or the pool"
        )
    return sorted(set(given))


def load_config(
    configfile: str | Path | None = None,
    given: Mapping | None = None,
    *,
    defaults: str | Path = DEFAULTS,
    schema: str | Path = SCHEMA,
) -> dict:
    """The config a run of this workflow sees.

    ``defaults`` (the workflow's ``config.yaml``), updated by ``configfile`` and
    then by ``given`` (what Snakemake gathered from --configfile and --config,
    or a module's ``config:``), the schema's defaults filled in, validated and
    checked (``check_config``). Raises ConfigError naming the file or key.
    """
    config = read_yaml(defaults)
    default_figures = copy.deepcopy(config.get("figures", {}))
    label = str(defaults)
    layers = []
    if configfile is not None:
        layers.append(read_yaml(configfile))
        update(config, layers[-1])
        label = str(configfile)
    if given:
        layers.append(given)
        update(config, given)
        label = "config"
    chosen = {  # figure settings the user gave, other than the defaults' own
        key: value
        for layer in layers
        for key, value in (layer.get("figures") or {}).items()
        if value != default_figures.get(key)
    }
    if "studies" in config:  # a comparison file (facecues.results.architectures)
        raise ConfigError(
            f"{label}: key 'studies': this names a comparison of architectures, not a "
            "study's config; run it with: facecues architectures FILE -- --cores 2"
        )
    schema = read_yaml(schema)
    # sections declared once where they are used: the probe options' properties
    # (facecues.probes.options) and the synthetic world's (facecues.data.synthetic.config)
    schema["properties"]["probe"]["properties"].update(ProbeOptions.json_schema())
    schema["properties"]["synthetic"] = SyntheticConfig.json_schema()
    set_defaults(config, schema)
    coerced = coerce_strings(config, schema)
    if coerced:  # snakemake --config hands over the values inside a list or mapping as strings
        logging.getLogger(__name__).warning(
            "%s: values read as the numbers the schema asks for: %s", label, "; ".join(coerced)
        )
    validate(config, schema, label)
    _probed_figure_attributes(config, chosen)
    _counterfactual_where_rendered(config, layers, label)
    check_config(config)
    return config


def _counterfactual_where_rendered(config: dict, layers: list[Mapping], label: str) -> None:
    """Counterfactual faces need the synthetic world's renderer: on real data they are off
    (an info line says so; the real-data estimands still run where enabled), unless the
    user's own files or --config turn them on, which is an error naming the key."""
    if config["data"]["source"] == "synthetic" or not config["counterfactual"]["enabled"]:
        return
    asked = [layer for layer in layers if (layer.get("counterfactual") or {}).get("enabled")]
    if asked:
        raise ConfigError(
            f"{label}: counterfactual.enabled = true: counterfactual faces need the synthetic "
            "world's renderer, and data.source is real; expected counterfactual.enabled: false "
            "(the real-data estimands run without them: estimands.enabled)"
        )
    config["counterfactual"]["enabled"] = False
    logging.getLogger(__name__).info(
        "counterfactual faces: synthetic worlds only, off on real data%s",
        "; the real-data estimands run (results/estimands.md)"
        if config["estimands"]["enabled"]
        else "",
    )


def _probed_figure_attributes(config: dict, chosen: Mapping) -> None:
    """Figs. 4 and 5 of a probed attribute: where the default one is not probed and the
    user chose none (``chosen``: {key: value} the user gave, the defaults' own values left
    out), the first probed attribute, with a warning. One the user chose and does not
    probe is ``check_config``'s error."""
    attributes = list(config["attributes"])
    figures = config["figures"]
    for key in ("fig4_attribute", "fig5_attribute"):
        if figures[key] in attributes or key in chosen:
            continue
        logging.getLogger(__name__).warning(
            "figures.%s: the default %s is not probed; drawing %s (set figures.%s to choose)",
            key,
            figures[key],
            attributes[0],
            key,
        )
        figures[key] = attributes[0]
