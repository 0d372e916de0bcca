"""The config machinery every config file goes through: merge, defaults, validation.

The study's config (``facecues.study.config``), the synthetic world's
(``facecues.data.synthetic.config``) and the comparison of architectures
(``facecues.results.architectures``) are each checked against a JSON schema by
``validate``, so that a bad file or key gets the same kind of message everywhere:
the file (``label``), the key, the value and what was expected.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

import yaml

from facecues.errors import ConfigError


def update(config: dict, overwrite: Mapping) -> dict:
    """Snakemake's ``update_config``: nested mappings merge key by key, the rest replaces."""
    for key, value in overwrite.items():
        if isinstance(value, Mapping) and isinstance(config.get(key), Mapping):
            update(config[key], value)
        else:
            config[key] = copy.deepcopy(value)
    return config


def set_defaults(instance: dict, schema: Mapping) -> None:
    """Fill in the schema's defaults, level by level, where a key is missing (as
    Snakemake's ``validate(config, schema, set_default=True)`` does)."""
    props = schema.get("properties", {})
    for key, sub in props.items():
        if isinstance(sub, Mapping) and "default" in sub and key not in instance:
            instance[key] = copy.deepcopy(sub["default"])
    for key, sub in props.items():
        if isinstance(instance.get(key), dict) and isinstance(sub, Mapping):
            set_defaults(instance[key], sub)


_NUMBERS = {"integer": int, "number": (int, float)}


def coerce_strings(instance, schema: Mapping, where: str = "") -> list[str]:
    """Read strings as the numbers or booleans the schema asks for, in place.

    ``snakemake --config 'seeds=[0,1,2,3]'`` hands over ``['0', '1', '2', '3']`` (values
    inside a list or mapping stay strings); where the schema's ``type`` is integer,
    number or boolean and admits no string, a string that YAML reads as such a value is
    replaced by it. Returns one note per replaced value (``key: '2' read as 2``); a
    string that does not read as the type is left for ``validate`` to name.
    """
    notes = []
    if isinstance(instance, dict):
        for key, sub in schema.get("properties", {}).items():
            if key in instance and isinstance(sub, Mapping):
                path = f"{where}.{key}" if where else str(key)
                value, note = _coerced(instance[key], sub, path)
                instance[key] = value
                notes += note
    elif isinstance(instance, list) and isinstance(schema.get("items"), Mapping):
        for i, item in enumerate(instance):
            instance[i], note = _coerced(item, schema["items"], f"{where}.{i}")
            notes += note
    return notes


def _coerced(value, schema: Mapping, where: str) -> tuple[object, list[str]]:
    """``value`` read as ``schema``'s scalar type where it is a string that reads as one
    (and the schema admits no string), with its note; else ``value`` (coerced inside)."""
    if not isinstance(value, str):
        return value, coerce_strings(value, schema, where)
    types = schema.get("type", [])
    types = {types} if isinstance(types, str) else set(types)
    numbers = tuple(_NUMBERS[t] for t in types & _NUMBERS.keys())
    if "string" in types or not (numbers or "boolean" in types):
        return value, []
    try:
        read = yaml.safe_load(value)
    except yaml.YAMLError:
        return value, []
    ok = "boolean" in types if isinstance(read, bool) else isinstance(read, numbers)
    if not ok:
        return value, []
    return read, [f"{where}: {value!r} read as {read!r}"]


def validate(config: dict, schema: dict, label: str) -> None:
    """ConfigError for the config's most relevant violation of ``schema``.

    An unknown key is named. Where the violated part of the schema says what it
    ``expected`` (a keyword of facecues' own, which JSON Schema ignores), the message
    says that; where it has a
    ``description`` and the value fails a ``not`` or ``pattern``, the description (e.g.
    which checkpoint names are reserved).
    """
    import jsonschema  # here: a job that only reads a validated config needs none

    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema).iter_errors(config)
    )
    if error is None:
        return
    where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
    message = error.message
    sub = error.schema if isinstance(error.schema, dict) else {}
    expected = f": expected {sub['expected']}" if sub.get("expected") else ""
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        unknown = sorted(map(str, set(error.instance) - set(sub.get("properties", {}))))
        message = f"unknown key {', '.join(unknown)}{expected}"
    elif expected:
        message = f"{error.instance!r}{expected}"
    elif sub.get("description") and error.validator in ("not", "pattern"):
        message = f"{error.instance!r}: {sub['description']}"
    raise ConfigError(f"{label}: config key {where}: {message}")
