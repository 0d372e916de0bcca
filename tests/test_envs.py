"""The conda environments pin versions that pyproject.toml allows."""

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
CONDA_TO_PYPI = {"pytorch": "torch"}
NOT_PYTHON_PACKAGES = {"python"}


def _requirements() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    return {r.name.lower(): r for r in reqs}


def _pins(env: Path) -> dict[str, str]:
    deps = yaml.safe_load(env.read_text())["dependencies"]
    pins = {}
    for dep in deps:
        assert isinstance(dep, str), f"{env.name}: pip sections are not used"
        name, _, version = dep.partition("=")
        assert version, f"{env.name}: {name} is not pinned"
        pins[CONDA_TO_PYPI.get(name, name)] = version
    return pins


ENVS = sorted((ROOT / "envs").glob("*.yaml"))


@pytest.mark.parametrize("env", ENVS, ids=[e.stem for e in ENVS])
def test_env_pins_satisfy_pyproject(env):
    reqs = _requirements()
    for name, version in _pins(env).items():
        if name in NOT_PYTHON_PACKAGES:
            continue
        assert name in reqs, f"{env.name}: {name} is not a dependency in pyproject.toml"
        assert reqs[name].specifier.contains(Version(version)), (
            f"{env.name}: {name}={version} is outside pyproject's {reqs[name].specifier}"
        )


def test_every_rule_names_an_existing_env():
    rules = "\n".join(p.read_text() for p in (ROOT / "workflow/rules").glob("*.smk"))
    named = {line.strip().strip('"').split("/")[-1] for line in rules.splitlines()
             if line.strip().startswith('"../../envs/')}
    assert named == {e.name for e in ENVS}
    n_rules = len(re.findall(r"^\s*rule(\s+\w+)?:", rules, re.M))
    assert rules.count("conda:") == n_rules, "every rule declares its conda environment"


def test_pyproject_covers_every_env_package():
    reqs = _requirements()
    for env in ENVS:
        for name in _pins(env):
            assert name in NOT_PYTHON_PACKAGES or name in reqs
