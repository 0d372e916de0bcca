"""What produced a study's results: code, software, config and inputs, hashed.

``results/provenance.json`` (rule ``provenance``):

- ``workflow``: the facecues commit the Snakefile sits in and whether its tree
  had changes (``dirty``; ``unknown`` outside a git checkout), the facecues
  and Snakemake versions, read at workflow start-up;
- ``config``: the resolved config (defaults, your files, the schema's
  defaults) and its ``config_sha256`` (of its canonical JSON);
- ``environments``: per kind of rule (``torch``, ``probe``, ``report``: one
  conda env each, or the one venv), what a job of that kind saw: Python,
  platform, host, the versions of the packages its env file pins, and for
  ``torch`` the CUDA and cuDNN versions and the GPUs it was given; written
  by the rules ``environment_<kind>``, so the versions are those of the
  environment that ran, not the pins;
- ``files``: the sha256 of every checkpoint (trained, given, control) and of
  every balanced-sample file.

``table1.*`` and ``summary.md`` carry the config hash and the commit.
"""

from __future__ import annotations

import hashlib
import json
import platform
import socket
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from facecues.io import write_text

if TYPE_CHECKING:
    from facecues.study.study import Study


def git_state(folder: str | Path) -> dict:
    """The commit of the git checkout holding ``folder`` and whether its tree has
    changes; ``unknown`` outside a checkout (or without git)."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        status = subprocess.run(
            ["git", "-C", str(folder), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return {"commit": "unknown", "dirty": "unknown"}
    if commit.returncode != 0 or status.returncode != 0:
        return {"commit": "unknown", "dirty": "unknown"}
    return {"commit": commit.stdout.strip(), "dirty": bool(status.stdout.strip())}


def config_sha256(config: dict) -> str:
    """sha256 of the config's canonical JSON (keys sorted, no spaces)."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def sha256_file(path: str | Path, block: int = 1 << 20) -> str:
    """sha256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(block):
            digest.update(chunk)
    return digest.hexdigest()


def environment(packages: list[str]) -> dict:
    """What this process sees: Python, platform, host, the versions of ``packages``
    (distribution names; None where not installed) and, where torch is one of them,
    CUDA, cuDNN and the GPUs."""
    versions = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    env = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "host": socket.gethostname(),
        "executable": sys.executable,
        "packages": versions,
    }
    if versions.get("torch"):
        import torch

        cuda = torch.cuda.is_available()
        env["cuda"] = torch.version.cuda
        env["cudnn"] = torch.backends.cudnn.version() if cuda else None
        env["devices"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return env


def write_provenance(
    path: str | Path,
    workflow: dict,
    config: dict,
    environments: dict[str, str | Path],
    files: list[str | Path],
) -> dict:
    """Write ``results/provenance.json`` (module docstring) and return its content;
    ``environments``: {kind: the JSON an ``environment_<kind>`` job wrote}."""
    prov = {
        "workflow": workflow,
        "config_sha256": config_sha256(config),
        "config": config,
        "environments": {k: json.loads(Path(p).read_text()) for k, p in environments.items()},
        "files": {str(f): sha256_file(f) for f in sorted(map(str, files))},
    }
    write_text(path, json.dumps(prov, indent=1, sort_keys=False, default=str) + "\n")
    return prov


def read_provenance(path: str | Path) -> dict:
    """The content of a ``provenance.json``."""
    return json.loads(Path(path).read_text())


def finished_study(results: str | Path) -> Study:
    """The ``Study`` a finished run in ``results`` (its ``provenance.json``) was made
    from: its recorded config, read like a config file (defaults filled, validated), its
    network's points from the run's own manifests (none written)."""
    from facecues.study.config import load_config  # here: jobs writing provenance need
    from facecues.study.study import Study  # no schema machinery (jsonschema)

    results = Path(results)
    config = read_provenance(results / "provenance.json")["config"]
    return Study.from_config(
        load_config(given=config), str(results), write=False, cache=results / "manifests"
    )


def stamp(prov: dict) -> str:
    """One line naming what produced a table: commit (dirty) and config hash."""
    w = prov["workflow"]
    dirty = " with uncommitted changes" if w.get("dirty") is True else ""
    return (
        f"facecues {w.get('facecues', '?')}, commit {str(w.get('commit'))[:12]}{dirty}, "
        f"config sha256 {prov['config_sha256'][:12]}"
    )


def provenance_lines(prov: dict) -> list[str]:
    """A Markdown table of the provenance, for the head of summary.md and the report."""
    w = prov["workflow"]
    lines = [
        "| what | value |",
        "|---|---|",
        f"| facecues | {w.get('facecues')} (commit {w.get('commit')}"
        + (", uncommitted changes" if w.get("dirty") is True else "")
        + ") |",
        f"| Snakemake | {w.get('snakemake')} |",
        f"| config sha256 | {prov['config_sha256']} |",
    ]
    for kind, env in prov["environments"].items():
        packages = ", ".join(f"{n} {v}" for n, v in env["packages"].items() if v)
        devices = ""
        if env.get("devices"):
            gpus = ", ".join(env["devices"])
            devices = f"; CUDA {env.get('cuda')}, cuDNN {env.get('cudnn')}, GPUs: {gpus}"
        elif "devices" in env:
            devices = f"; no GPU (torch built for CUDA {env.get('cuda')})"
        lines.append(
            f"| {kind} jobs | Python {env['python']} on {env['host']} ({env['platform']}): "
            f"{packages}{devices} |"
        )
    checkpoints = [f for f in prov["files"] if f.endswith(".pt")]
    lines.append(
        f"| inputs hashed | {len(checkpoints)} checkpoint(s), "
        f"{len(prov['files']) - len(checkpoints)} sample file(s): results/provenance.json |"
    )
    return lines
