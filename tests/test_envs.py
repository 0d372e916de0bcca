"""The conda environments: pinned within pyproject.toml, and holding what each rule imports."""

import ast
import importlib.metadata
import json
import re
import subprocess
import sys
import sysconfig
import tomllib
from functools import cache
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
        version = version.partition("=")[0]  # name=version=build (e.g. pytorch's cuda*)
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
    named = {
        line.strip().strip('"').split("/")[-1]
        for line in rules.splitlines()
        if line.strip().startswith('"../../envs/')
    }
    assert named == {e.name for e in ENVS}
    n_rules = len(re.findall(r"^\s*rule(\s+\w+)?:", rules, re.M))
    assert rules.count("conda:") == n_rules, "every rule declares its conda environment"


def test_pyproject_covers_every_env_package():
    reqs = _requirements()
    for env in ENVS:
        for name in _pins(env):
            assert name in NOT_PYTHON_PACKAGES or name in reqs


# -- Each rule's env holds what its script imports -----------------------------------------
# Snakemake appends the parent interpreter's sys.path to every job script, so in the
# project's venv a package missing from a rule's env is silently found. The gate below
# imports a rule script's imports in a fresh interpreter that sees the venv's packages
# but lets the project's own code (the script, facecues) import only the standard
# library, facecues, snakemake and the packages of the rule's env file; third-party
# packages may import their own dependencies. The venv's .pth files are not read, so
# the editable install of facecues is invisible: the script must find src/ itself.

_RULES = """
import json, sys
from pathlib import Path
from snakemake.api import SnakemakeApi
from snakemake.settings.types import (
    ConfigSettings, DeploymentSettings, OutputSettings, ResourceSettings, StorageSettings)
with SnakemakeApi(OutputSettings()) as api:
    workflow = api.workflow(
        resource_settings=ResourceSettings(), config_settings=ConfigSettings(),
        storage_settings=StorageSettings(), deployment_settings=DeploymentSettings(),
        snakefile=Path(sys.argv[1]), workdir=Path(sys.argv[2]))
    # The shell rule pls_vip runs the project command PLS_VIP_SCRIPT ($FACECUES_PLS_VIP).
    command = workflow._workflow.globals["PLS_VIP_SCRIPT"]
    rules = [
        {"name": r.name, "conda": r.conda_env, "basedir": str(r.basedir),
         "script": r.script or (command if r.name == "pls_vip" else None),
         "threads": getattr(r.resources["_cores"], "value", r.resources["_cores"])}
        for r in workflow._workflow.rules
    ]
    local = sorted(workflow._workflow._localrules)
print("RULES=" + json.dumps({"rules": rules, "local": local}))
"""

_GATE = """
import builtins, json, sys
cfg = json.loads(sys.argv[1])
sys.path += cfg["site"] + [cfg["scripts"]]  # the scripts' folder, as Snakemake's preamble
allowed = set(cfg["allowed"]) | set(sys.stdlib_module_names)
project = tuple(cfg["project"])
real_import = builtins.__import__

def gate(name, globals=None, locals=None, fromlist=(), level=0):
    caller = (globals or {}).get("__file__") or (globals or {}).get("__name__", "")
    top = name.partition(".")[0]
    if level == 0 and top not in allowed and str(caller).startswith(project):
        raise ModuleNotFoundError(f"{caller} imports {name}, which {cfg['env']} lacks", name=name)
    return real_import(name, globals, locals, fromlist, level)

builtins.__import__ = gate
exec(compile(cfg["imports"], cfg["script"], "exec"), {"__name__": cfg["script"]})
import facecues
print("FACECUES=" + facecues.__file__)
"""


@cache
def _workflow_rules() -> dict:
    """The workflow's rules as Snakemake sees them (loops included), and its local rules."""
    run = subprocess.run(
        [sys.executable, "-c", _RULES, str(ROOT / "Snakefile"), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.split("RULES=")[1])


def _rules_with_env_and_script() -> list[dict]:
    return [r for r in _workflow_rules()["rules"] if r["conda"] and r["script"]]


def test_rule_threads_are_those_the_plan_counts():
    from facecues.plan.rules import RULE_THREADS

    threads = {r["name"]: r["threads"] for r in _workflow_rules()["rules"]}
    assert {rule: threads[rule] for rule in RULE_THREADS} == RULE_THREADS


def test_local_rules_are_those_the_plan_counts_as_local():
    from facecues.plan.rules import LOCAL_RULES

    assert set(_workflow_rules()["local"]) == set(LOCAL_RULES)


def _script_imports(script: Path) -> str:
    """Every import statement of a script (also those below its first lines), as code."""
    lines = []
    for node in ast.walk(ast.parse(script.read_text())):
        if isinstance(node, ast.Import | ast.ImportFrom):
            lines.append((node.lineno, ast.unparse(node)))
    return "\n".join(code for _, code in sorted(lines))


def _import_names(conda_name: str) -> set[str]:
    """Top-level modules of the PyPI distribution behind a conda package."""
    dist = CONDA_TO_PYPI.get(conda_name, conda_name)
    norm = re.sub(r"[-_.]+", "-", dist).lower()
    return {
        top
        for top, dists in importlib.metadata.packages_distributions().items()
        if any(re.sub(r"[-_.]+", "-", d).lower() == norm for d in dists)
    }


def test_every_rule_with_a_script_has_an_env():
    rules = _rules_with_env_and_script()
    assert {"pls_vip", "score_val", "average_faces_fig1", "average_faces_fig6"} <= {
        r["name"] for r in rules
    }


@pytest.mark.parametrize("rule", _rules_with_env_and_script(), ids=lambda r: r["name"])
def test_rule_env_holds_what_its_script_imports(rule):
    env = (Path(rule["basedir"]) / rule["conda"]).resolve()
    script = (Path(rule["basedir"]) / rule["script"]).resolve()
    allowed = {"facecues", "snakemake", "_src_path"}
    for name in _pins(env):
        if name not in NOT_PYTHON_PACKAGES:
            names = _import_names(name)
            assert names, f"{env.name}: {name} is not installed here to map it to its modules"
            allowed |= names
    paths = sysconfig.get_paths()
    cfg = {
        "site": sorted({paths["purelib"], paths["platlib"]}),
        "scripts": str(script.parent),
        "allowed": sorted(allowed),
        "project": [str(ROOT / "src"), str(script.parent), script.name],
        "env": f"envs/{env.name}",
        "script": script.name,
        "imports": _script_imports(script),
    }
    run = subprocess.run(
        [sys.executable, "-S", "-c", _GATE, json.dumps(cfg)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT.parent,
    )
    assert run.returncode == 0, f"rule {rule['name']}: " + run.stderr.strip().splitlines()[-1]
    facecues_file = run.stdout.split("FACECUES=")[1].strip()
    assert facecues_file == str(ROOT / "src/facecues/__init__.py")


def test_torch_env_asks_for_the_cuda_build():
    """Without a build selector, conda on a GPU-less login node picks the CPU build."""
    deps = yaml.safe_load((ROOT / "envs/torch.yaml").read_text())["dependencies"]
    for name in ("pytorch", "torchvision"):
        (dep,) = [d for d in deps if d.split("=")[0] == name]
        assert dep.endswith("=cuda*"), dep


def test_src_path_puts_this_checkouts_facecues_first(tmp_path):
    # Snakemake's preamble appends the parent's sys.path (with this src/) after the
    # interpreter's own, where an installed facecues of another checkout may sit first.
    other = tmp_path / "other" / "src" / "facecues"
    other.mkdir(parents=True)
    (other / "__init__.py").write_text("")
    code = (
        "import sys; "
        f"sys.path[:0] = [{str(other.parent)!r}]; sys.path.append({str(ROOT / 'src')!r}); "
        f"sys.path.append({str(ROOT / 'workflow/scripts')!r}); "
        "import _src_path, facecues; print(facecues.__file__)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == str(ROOT / "src/facecues/__init__.py")
