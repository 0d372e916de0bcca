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
