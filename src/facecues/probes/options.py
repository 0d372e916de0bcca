"""The pls_vip step's options, declared once: :class:`ProbeOptions`.

Each field of ``ProbeOptions`` is one option of the probes of a probe point
(docs/protocol.md sections 5-7 and 11): its type and default are the field's,
its description, schema constraints (``minimum``...), config section and
command-line flag are in the field's metadata (``option``). Everything else
is derived from the fields:

- the config schema's ``probe`` properties (``ProbeOptions.json_schema``,
  merged into ``workflow/schemas/config.schema.yaml``'s ``probe`` section by
  ``facecues.study.config.load_config``; ``identity_task`` stays in the
  schema's ``controls`` section, which declares it);
- the config's values (``ProbeOptions.from_config``) and the pls_vip rule's
  params (``params``: a change reruns exactly the pls_vip jobs);
- the command line of ``workflow/bin/pls_vip.py`` (``to_argv`` for the rule,
  ``argument_parser`` / ``from_args`` / ``from_argv`` for the command);
- the fit itself (``facecues.probes.fit.fit_layer_probes`` and
  ``facecues.probes.units.unit_features`` take a ``ProbeOptions``).

Adding a probe option: before, one edit in each of eight places in five
files in three languages (the schema; common.smk's ``PLS`` dict and
``pls_vip_options``; pls_vip.py's argparse and its call of the fit;
``fit_layer_probes``' signature and its call of ``unit_features``; and
``unit_features``, where the option acts). Now two: a field here (type,
default, description, constraints, flag) and the code in
``facecues.probes.units`` (or ``fit``) that uses it. (The shipped
``config.yaml`` may show it too, and ``facecues.plan`` reads the option where
it changes a job's cost or a file's size.)

Only the standard library is imported: the workflow's start-up and every
pls_vip job read this module.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ProbeOptions", "option"]

_JSON_TYPES = {"int": "integer", "bool": "boolean", "float": "number", "str": "string"}
#: What a field of each type parses from the command line, and the values it accepts.
_PARSE = {"int": int, "float": float, "str": str}
_ACCEPT = {"int": int, "bool": bool, "float": (int, float), "str": str}


def option(default, description: str, *, section: str = "probe", flag: str = "", **schema):
    """A field of :class:`ProbeOptions`: its ``default``, ``description``, the config
    ``section`` it is read from (``config[section][name]``), its command-line ``flag``
    (default ``--name-with-dashes``) and further JSON-schema constraints (``minimum``...).
    A bool field is given as ``--flag`` / ``--no-flag`` when it defaults to true, as a
    switch (``--flag`` only where true) when it defaults to false."""
    return field(
        default=default,
        metadata={"description": description, "section": section, "flag": flag, "schema": schema},
    )


@dataclass(frozen=True)
class ProbeOptions:
    """The options of every probe of one probe point (the pls_vip step)."""

    n_components: int = option(
        8,
        "PLS components of every PLS probe (the whole layer, the top filters): the "
        "features a probe's QDA sees",
        minimum=1,
    )
    scale: bool = option(
        True, "scale every unit to unit variance before the PLS (as PLSRegression(scale=True))"
    )
    top_k: int = option(
        8,
        "the top-k units by VIP (neurons) and by filter score (filters), probed jointly and "
        "one by one",
        minimum=1,
    )
    vip_neurons: int = option(
        50, "single neurons drawn uniformly over the VIP range (Fig. 5; 0: none)", minimum=0
    )
    vip_seed: int = option(
        0, "seeds the VIP-uniform draw, a stream per (network, point, attribute)", minimum=0
    )
    all_filters: bool = option(
        False, "also one probe per channel of every map (docs/protocol.md section 7; costly)"
    )
    pooled_filters: bool = option(
        False,
        "filter probes at the pooled point L50 too (each 'filter' is one unit; the authors "
        "build none)",
    )
    identity_task: bool = option(
        True,
        "fit the curve probes again on a random label per person (needs CelebA's "
        "identity_CelebA.txt): what a probe gets from telling people apart",
        section="controls",
    )

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value, kind = getattr(self, f.name), _kind(f)
            ok = isinstance(value, bool) if kind == "bool" else not isinstance(value, bool)
            if not ok or not isinstance(value, _ACCEPT.get(kind, object)):
                raise TypeError(f"ProbeOptions.{f.name} = {value!r}: expected a {kind}")
            minimum = f.metadata["schema"].get("minimum")
            if minimum is not None and value < minimum:
                raise ValueError(f"ProbeOptions.{f.name} = {value!r}: expected >= {minimum}")

    # -- the config --------------------------------------------------------------------

    @classmethod
    def json_schema(cls, section: str = "probe") -> dict[str, dict]:
        """The config schema's properties of the options read from ``section`` (the
        ``probe`` section's mapping of its keys, for ``load_config`` to merge in)."""
        out = {}
        for f in dataclasses.fields(cls):
            if f.metadata["section"] == section:
                out[f.name] = {
                    "type": _JSON_TYPES[_kind(f)],
                    **f.metadata["schema"],
                    "default": f.default,
                    "description": f.metadata["description"],
                }
        return out

    @classmethod
    def from_config(cls, config: Mapping) -> ProbeOptions:
        """The options of a (loaded) study config: ``config[section][name]`` for every
        field (``probe``; ``controls.identity_task``); a key not there keeps its default."""
        values = {}
        for f in dataclasses.fields(cls):
            section = config.get(f.metadata["section"]) or {}
            if f.name in section:
                values[f.name] = section[f.name]
        return cls(**values)

    def params(self) -> dict[str, Any]:
        """The options as a plain dict (the pls_vip rule's params, in field order)."""
        return dataclasses.asdict(self)

    # -- the command line --------------------------------------------------------------

    def to_argv(self) -> list[str]:
        """The options as ``workflow/bin/pls_vip.py`` arguments: valued options and
        ``--flag`` / ``--no-flag`` bools in field order, then the switches that are on."""
        valued, switches = [], []
        for f in dataclasses.fields(self):
            value, flag = getattr(self, f.name), _flag(f)
            if _kind(f) != "bool":
                valued.append(f"{flag} {value}")
            elif _switch(f):
                switches += [flag] * value
            else:
                valued.append(flag if value else f"--no-{flag[2:]}")
        return [word for item in valued for word in item.split(" ")] + switches

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
        """Add an argument per field to ``parser`` (its default the field's)."""
        for f in dataclasses.fields(cls):
            kw: dict[str, Any] = {"dest": f.name, "help": f.metadata["description"]}
            if _kind(f) != "bool":
                kw.update(type=_PARSE[_kind(f)], default=f.default)
            elif _switch(f):
                kw.update(action="store_true")
            else:
                kw.update(action=argparse.BooleanOptionalAction, default=f.default)
            parser.add_argument(_flag(f), **kw)
        return parser

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ProbeOptions:
        """The options from arguments parsed by a parser given ``add_arguments``."""
        return cls(**{f.name: getattr(args, f.name) for f in dataclasses.fields(cls)})

    @classmethod
    def from_argv(cls, argv: Sequence[str]) -> ProbeOptions:
        """The options from ``to_argv``'s arguments (the inverse of ``to_argv``)."""
        return cls.from_args(cls.add_arguments(argparse.ArgumentParser()).parse_args(argv))


def _kind(f: dataclasses.Field) -> str:
    """A field's type name (``int``, ``bool``): the annotation is a string here."""
    return f.type if isinstance(f.type, str) else f.type.__name__


def _flag(f: dataclasses.Field) -> str:
    return f.metadata["flag"] or "--" + f.name.replace("_", "-")


def _switch(f: dataclasses.Field) -> bool:
    """A bool given as ``--flag`` only where true (one that defaults to false)."""
    return _kind(f) == "bool" and f.default is False
