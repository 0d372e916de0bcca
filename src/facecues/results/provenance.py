"""What produced a study's results: code, software, config and inputs, hashed.

``results/provenance.json`` (rule ``provenance``):

- ``workflow``: the facecues commit the Snakefile sits in and whether its tree
  had changes (``dirty``); outside a git checkout (an export) ``commit`` says
  ``not a git checkout`` and ``source_sha256`` hashes the source tree instead
  (``src/facecues``, ``workflow``, ``Snakefile``); the facecues and Snakemake
  versions, and the sha256 of the network's source files (``network_files``:
  a ``file`` entry's module and the modules beside it that it imports), read at
  workflow start-up;
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


#: What the source tree's hash covers, relative to the workflow's folder (the Snakefile's).
SOURCE_TREE = ("src/facecues", "workflow", "Snakefile")
NOT_A_CHECKOUT = "not a git checkout"


def git_state(folder: str | Path) -> dict:
    """The commit of the git checkout holding ``folder`` and whether its tree has
    changes. Outside a checkout (an export, an unpacked archive) or without git:
    ``commit`` says so (``not a git checkout``, or why git could not tell), ``dirty`` is
    None, and ``source_sha256`` (``source_tree``) names the code instead."""
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
    except (OSError, subprocess.TimeoutExpired) as e:
        return {"commit": f"unknown (git: {type(e).__name__})", **source_tree(folder)}
    if commit.returncode != 0 or status.returncode != 0:
        said = (commit.stderr or status.stderr).strip().splitlines()
        why = NOT_A_CHECKOUT if "not a git repository" in "".join(said) else f"unknown ({said})"
        return {"commit": why, **source_tree(folder)}
    return {"commit": commit.stdout.strip(), "dirty": bool(status.stdout.strip())}


def source_tree(folder: str | Path) -> dict:
    """``dirty`` None and the sha256 of the source tree under ``folder`` (``SOURCE_TREE``),
    and its number of files: of the lines ``<sha256 of the file>  <path relative to
    folder>``, one per file (links followed, ``__pycache__`` left out), in the byte order
    of the paths, as ``find -L src/facecues workflow Snakefile -type f -not -path
    '*__pycache__*' | LC_ALL=C sort | xargs sha256sum | sha256sum`` computes it."""
    folder = Path(folder)
    files = sorted(
        f.relative_to(folder).as_posix()
        for part in SOURCE_TREE
        for f in ([folder / part] if (folder / part).is_file() else (folder / part).rglob("*"))
        if f.is_file() and "__pycache__" not in f.parts
    )
    lines = "".join(f"{sha256_file(folder / f)}  {f}\n" for f in files)
    return {
        "dirty": None,
        "source_sha256": hashlib.sha256(lines.encode()).hexdigest(),
        "source_files": len(files),
    }


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


def code_words(w: dict) -> str:
    """The code that ran, in a few words: ``commit <sha>`` (with uncommitted changes), or,
    outside a git checkout, ``not a git checkout, source tree sha256 <sha>``."""
    if w.get("source_sha256"):
        return f"{w.get('commit')}, source tree sha256 {w['source_sha256'][:12]}"
    dirty = " with uncommitted changes" if w.get("dirty") is True else ""
    return f"commit {str(w.get('commit'))[:12]}{dirty}"


def stamp(prov: dict) -> str:
    """One line naming what produced a table: version, commit (dirty) or source tree
    hash, and config hash."""
    w = prov["workflow"]
    return (
        f"facecues {w.get('facecues', '?')}, {code_words(w)}, "
        f"config sha256 {prov['config_sha256'][:12]}"
    )


def _code_cell(w: dict) -> str:
    if w.get("source_sha256"):
        return (
            f"{w.get('commit')}: source tree sha256 {w['source_sha256']}, "
            f"{w.get('source_files')} files of {', '.join(SOURCE_TREE)}"
        )
    return f"commit {w.get('commit')}" + (", uncommitted changes" if w.get("dirty") is True else "")


def provenance_lines(prov: dict) -> list[str]:
    """A Markdown table of the provenance, for the head of summary.md and the report."""
    w = prov["workflow"]
    lines = [
        "| what | value |",
        "|---|---|",
        f"| facecues | {w.get('facecues')} ({_code_cell(w)}) |",
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
