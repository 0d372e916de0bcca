"""facecues.plan and the ``facecues plan`` command, against real dry runs and real files."""

import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest
import yaml

from facecues.activations.shards import SHARD_FORMAT_VERSION, VERSION_ATTR
from facecues.plan.costs import rule_resources
from facecues.plan.measured import REF_FLOPS
from facecues.plan.report import format_plan, plan
from facecues.plan.rules import HEAVY_RULES, PROBE_GPU_RULES, TRAIN_GPU_RULES
from facecues.plan.sizes import datasets, model_parameters
from facecues.probes.probe_file import probe_file_bytes
from facecues.study.config import load_config
from facecues.study.study import load_study
from tests.conftest import ROOT, snakemake

PAPER = ROOT / "configs/paper.yaml"


def _job_counts(stdout: str) -> dict[str, int]:
    """Snakemake's "Job stats" table as {rule: jobs} (without its total)."""
    block = stdout.split("Job stats:")[1].split("\n\n")[0]
    counts = {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", block, re.M)}
    assert counts.pop("total") == sum(counts.values())
    return counts


def _dry_run(workdir: Path, config: dict | None = None, *args: str, configfile=None):
    if config is not None:
        (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    run = snakemake(workdir, "-n", *args, configfile=configfile)
    assert run.returncode == 0, run.stderr[-3000:]
    return run


@pytest.mark.workflow
def test_default_config_jobs_equal_the_dry_run(tmp_path):
    run = _dry_run(tmp_path, configfile=ROOT / "config.yaml")
    p = plan(load_study(write=False))
    assert p.jobs == _job_counts(run.stdout)
    # 2 trained networks and 2 untrained controls, 8 attributes
    # one pls_vip job per (network, attribute): its 50 points and the input L00 in turn
    assert p.jobs["pls_vip"] == (2 + 2) * 8 and p.jobs["synthesize"] == 1
    assert p.jobs["control_network"] == 2 and p.controls == ["random0", "random1"]
    # the same shard size as the workflow's start-up message
    assert f"take {p.set_bytes / 1e9:.2f} GB (float16)" in run.stderr


@pytest.mark.workflow
def test_paper_preset_jobs_equal_the_dry_run(tiny_world, tmp_path):
    roots = ", ".join(f"{n}_root: {tiny_world / n}" for n in ("celeba", "vggface2", "lfw"))
    run = _dry_run(tmp_path, None, "--config", f"data={{{roots}}}", configfile=PAPER)
    p = plan(load_study(PAPER, write=False))  # no roots: the plan reads no data
    assert p.jobs == _job_counts(run.stdout)
    assert p.jobs["train"] == 6 and p.jobs["pls_vip"] == (6 + 2) * 40
    assert "synthesize" not in p.jobs
    assert f"take {p.set_bytes / 1e9:.2f} GB (float16)" in run.stderr


@pytest.mark.workflow
def test_given_checkpoints_and_float32_jobs_equal_the_dry_run(tmp_path):
    import torch

    from facecues.nets.resnet import FaceResNet

    for name in ("a", "b"):  # start-up loads given checkpoints: real ones, at the default width
        torch.save(FaceResNet(0, base_width=16).state_dict(), tmp_path / f"{name}.pt")
    override = {
        "seeds": [3],
        "attributes": ["Male", "Smiling", "Bald"],
        "model": {"checkpoints": {"a": str(tmp_path / "a.pt"), "b": str(tmp_path / "b.pt")}},
        "probe": {"dtype": "float32"},
        "figures": {"fig4_attribute": "Bald"},
    }
    configfile = tmp_path / "override.yaml"
    configfile.write_text(yaml.safe_dump(override))
    run = _dry_run(tmp_path, None, configfile=configfile)
    study = load_study(configfile, write=False)
    assert study.probe_sample.train_per_class == 256  # merged with config.yaml's, key by key
    p = plan(study)
    assert p.jobs == _job_counts(run.stdout)
    assert p.networks == ["a", "b"] and not p.trained and "train" not in p.jobs
    assert p.jobs["extract"] == (2 + 2) * 3  # the 2 given networks and 2 controls
    assert f"take {p.set_bytes / 1e9:.2f} GB (float32)" in run.stderr


def test_paper_shards_are_37_82_gb_per_set_in_float16():
    p = plan(load_study(PAPER, write=False))
    assert f"{p.set_bytes / 1e9:.2f}" == "37.82"  # 37.21 GB of the network, 0.62 of the input
    assert p.shard_bytes["L00"] == 3 * 224 * 224 * 2048 * 2
    assert p.shard_bytes["L01"] == 64 * 112 * 112 * 2048 * 2
    assert p.shard_bytes["L50"] == 2048 * 2048 * 2
    assert sum(p.shard_bytes.values()) == p.set_bytes == (9_083_904 + 150_528) * 2048 * 2
    assert p.sets == (6 + 2) * 40 and p.peak_shard_bytes == 2 * p.set_bytes
    assert (
        plan(load_study(PAPER, write=False), concurrent_extracts=3).peak_shard_bytes
        == 4 * p.set_bytes
    )
    assert p.peak_disk_bytes > p.kept_total > p.kept_bytes["probes"] > 0


def test_submissions_leave_local_rules_on_the_host():
    study = load_study(PAPER, write=False)
    one_each = plan(study)
    # 6 trained networks and 2 untrained controls, 40 attributes
    assert one_each.rules["pls_vip"].submissions == 320  # one per (network, attribute)
    assert one_each.rules["aggregate"].submissions == 0 == one_each.rules["splits"].submissions
    # train, control_network, finetune, extract, score_val, score_test, environment_torch,
    # estimands (on real data without the counterfactual faces)
    heavy = 6 + 2 + 6 + 320 + 320 + 6 + 1 + 8
    assert one_each.submissions == heavy + 320
    assert one_each.rules["train"].device == "gpu" and one_each.rules["pls_vip"].device == "cpu"
    assert one_each.gpu_hours > 0 and plan(load_study(write=False)).gpu_hours == 0


def test_resources_fit_the_default_on_a_small_node_and_the_paper_training_takes_a_day():
    default, paper = load_study(write=False), load_study(PAPER, write=False)
    for rule in HEAVY_RULES:
        r = rule_resources(rule, default)
        assert 2000 <= r["mem_mb"] <= 24_000 and 10 <= r["runtime"] <= 180, (rule, r)
    train = rule_resources("train", paper)
    assert train["runtime"] >= 24 * 60 and 8_000 <= train["mem_mb"] <= 64_000
    # pls_vip asks what workflow/rules/common.smk's probe_mem_mb asks for the largest shard
    size_mb = 64 * 112 * 112 * 2048 * 2 / 2**20
    assert rule_resources("pls_vip", paper)["mem_mb"] == int(size_mb * 2 * 1.25) + 800
    with pytest.raises(ValueError, match="aggregate"):
        rule_resources("aggregate", paper)


def test_probe_file_size_is_what_fit_layer_probes_writes(tmp_path):
    from facecues.probes.fit import fit_layer_probes

    config = load_config()
    config["probe"].update(train_per_class=40, top_k=4, vip_neurons=5)
    rng = np.random.default_rng(0)
    for shape in [(6, 5, 5), (24,)]:
        x = np.maximum(rng.standard_normal((80, int(np.prod(shape)))), 0).astype(np.float16)
        shard, out = tmp_path / "shard.h5", tmp_path / "probe.h5"
        import h5py

        with h5py.File(shard, "w") as f:
            f.attrs.update(point="L01", name="relu", kind="stem", shape=shape, index=1)
            f.attrs[VERSION_ATTR] = SHARD_FORMAT_VERSION
            f["train"] = x
            f["train_y"] = np.tile(np.array([1, -1], dtype=np.int8), 40)
            f["train_identity_y"] = np.repeat(np.array([1, -1, -1, 1], dtype=np.int8), 20)
        fit_layer_probes(shard, out, top_k=4, vip_neurons=5)
        p = config["probe"]
        expected = probe_file_bytes(
            shape,
            rows=2 * p["train_per_class"],
            n_components=p["n_components"],
            top_k=p["top_k"],
            vip_neurons=p["vip_neurons"],
            control_twins=True,
        )
        real = out.stat().st_size
        # an upper bound: the raw probes' units are counted without overlaps, which small
        # maps have (the VIP-uniform draws repeat units); large maps are within a few %
        assert 0.97 * real < expected < 1.15 * real, (shape, real, expected)


def test_model_parameters_match_the_network():
    torch = pytest.importorskip("torch")
    from facecues.nets.resnet import FaceResNet

    for width, classes in [(4, 6), (16, 100)]:
        net = FaceResNet(classes, base_width=width)
        params, state = model_parameters(width, classes)
        assert params == sum(p.numel() for p in net.parameters())
        assert state == sum(v.numel() for v in net.state_dict().values())
    # the reference compute of other networks' FLOPs, as discovery counts them
    from facecues.nets.discovery import discover

    assert discover(FaceResNet(0, base_width=64), 224).flops == REF_FLOPS
    del torch


def test_plan_of_another_network_reads_its_discovered_points(tmp_path):
    """A torchvision ViT-B/16 at 224 px on the paper's data sizes: its 26 points (+ L00)
    with their shard sizes, parameters and compute from the discovery."""
    config = yaml.safe_load(PAPER.read_text())
    config["model"]["architecture"] = {"source": "torchvision", "name": "vit_b_16"}
    (tmp_path / "vit.yaml").write_text(yaml.safe_dump(config))
    run = _cli("plan", "--configfile", str(tmp_path / "vit.yaml"))
    assert run.returncode == 0, run.stderr
    assert "x 27 probe points (the input L00 included)" in run.stdout
    assert (
        "network: torchvision:vit_b_16 (26 points found by FX tracing; 85.8 M parameters, "
        "22.5 GFLOPs per image), 224 px input: 9,380,352 probe units per image"
    ) in run.stdout
    assert re.search(r"^pls_vip\s+320\s", run.stdout, re.M)  # 320 sets, 27 points each
    assert "one shard per point: 2.48 GB (L02) to 3.15 MB (L26)" in run.stdout
    run = _cli("plan", "--configfile", str(tmp_path / "vit.yaml"), "--points")
    rows = run.stdout.split("probe points\n")[1].splitlines()
    assert rows[0].split() == ["id", "name", "kind", "shape", "units", "shard", "pls_vip", "mem_mb"]
    assert rows[2].split()[:3] == ["L01", "encoder.dropout", "stem"]  # the first block's input
    assert rows[3].split()[:6] == [
        "L02",
        "encoder.layers.encoder_layer_0.mlp.1",
        "inner",
        "3072x197",
        "605,184",
        "2.48",
    ]
    assert rows[27].split()[:2] == ["L26", "embedding"] and len(rows) == 29
    config["erasure"] = {"enabled": True}
    (tmp_path / "vit.yaml").write_text(yaml.safe_dump(config))
    run = _cli("plan", "--configfile", str(tmp_path / "vit.yaml"))
    assert run.returncode == 2 and "erasure runs on the built-in resnet50 only" in run.stderr


def test_the_plan_counts_the_images_the_synthetic_world_renders():
    from facecues.data.synthetic.config import SyntheticConfig
    from facecues.data.synthetic.world import plan_world

    for given in ({}, {"vgg_identities": 7, "celeba_test_identities": 5, "lfw_folds": 3}):
        config = load_config(given={"synthetic": given})
        world = plan_world(SyntheticConfig.from_dict(config["synthetic"]))
        d = datasets(load_study(given={"synthetic": given}, write=False))
        assert d.synthetic_images == sum(len(job.paths) for job in world.jobs), given
        assert d.identities == SyntheticConfig.from_dict(given).vgg_identities


@pytest.mark.parametrize(
    ("modules", "heavy"),
    [
        # what the Snakefile imports at start-up (and every cluster job again)
        (
            "facecues.study.study, facecues.plan.costs, facecues.plan.rules, "
            "facecues.nets.names, facecues.nets.layout",
            ("torch", "pandas", "h5py", "sklearn"),
        ),
        ("facecues.cli", ("torch", "pandas", "sklearn")),  # the facecues plan command
    ],
)
def test_startup_and_plan_import_no_heavy_library(modules, heavy):
    code = (
        f"import sys, {modules}; "
        f"heavy = {set(heavy)!r} & set(sys.modules); "
        "sys.exit(f'imported {sorted(heavy)}' if heavy else 0)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def _cli(*args: str, exe=None):
    cmd = [str(exe)] if exe else [sys.executable, "-m", "facecues.cli"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, cwd=ROOT, timeout=60)


def test_cli_prints_the_paper_plan():
    run = _cli("plan", "--configfile", "configs/paper.yaml")
    assert run.returncode == 0, run.stderr
    assert re.search(r"^pls_vip\s+320\s+320\s", run.stdout, re.M)
    assert re.search(r"^train\s+6\s+6\s+gpu", run.stdout, re.M)
    assert "37.8 GB per (network, attribute) set" in run.stdout
    assert "320 sets, 12.1 TB written in all" in run.stdout  # units that scale
    assert "CPU-h, GPU-h: threads x time" in run.stdout  # the columns explained
    assert "warning: one train job asks for 25.4 h, more than the 24 h" in run.stdout
    assert run.stdout.strip() == format_plan(plan(load_study(PAPER, write=False)))


def test_console_script_prints_the_default_plan():
    exe = Path(sys.executable).parent / "facecues"
    if not exe.exists():
        pytest.skip(f"no console script beside {sys.executable} (pip install -e .)")
    run = _cli("plan", exe=exe)
    assert run.returncode == 0, run.stderr
    assert re.search(r"^synthesize\s+1\s", run.stdout, re.M)
    assert re.search(r"^pls_vip\s+32\s", run.stdout, re.M)
    assert "plan" in _cli("--help", exe=exe).stdout


def test_plan_runs_from_an_installed_wheel_in_another_folder(tmp_path):
    """`pip install .` then `facecues plan` elsewhere: the defaults and the schema ship in
    the package (links in a checkout), nothing is read from a checkout."""
    source = tmp_path / "source"
    for part in ("pyproject.toml", "README.md", "config.yaml", "src", "workflow/schemas"):
        (source / part).parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / part).is_dir():
            shutil.copytree(
                ROOT / part,
                source / part,
                symlinks=True,
                ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"),
            )
        else:
            shutil.copy2(ROOT / part, source / part)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    build = [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", tmp_path, source]
    run = subprocess.run(build, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    (wheel,) = tmp_path.glob("facecues-*.whl")
    # a fresh environment, the project's dependencies taken from this one (not its facecues:
    # the editable install's .pth is not read from a folder a .pth file names)
    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", env], check=True)
    site = next((env / "lib").glob("python3*/site-packages"))
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run = subprocess.run([*pip, "--python", env / "bin/python", "install", "--no-deps", wheel],
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(PAPER, elsewhere / "study.yaml")
    cmd = [env / "bin/facecues", "plan", "--configfile", "study.yaml"]
    run = subprocess.run(cmd, capture_output=True, text=True, cwd=elsewhere, timeout=120)
    assert run.returncode == 0, run.stderr
    assert re.search(r"^pls_vip\s+320\s", run.stdout, re.M), run.stdout
    where = subprocess.run(
        [env / "bin/python", "-c", "import facecues.study.config as c; print(c.DEFAULTS)"],
        capture_output=True, text=True, cwd=elsewhere,
    )  # fmt: skip
    assert where.stdout.startswith(str(site)) and not Path(where.stdout.strip()).is_symlink()


def test_cli_names_a_missing_or_broken_config_and_exits_2(tmp_path):
    missing = tmp_path / "nope.yaml"
    run = _cli("plan", "--configfile", str(missing))
    assert run.returncode == 2
    assert str(missing) in run.stderr and "not found" in run.stderr
    assert "Traceback" not in run.stderr

    broken = tmp_path / "broken.yaml"
    broken.write_text("seeds: [0, 1\nattributes: Male\n")
    run = _cli("plan", "--configfile", str(broken))
    assert run.returncode == 2 and str(broken) in run.stderr and "YAML" in run.stderr
    assert "Traceback" not in run.stderr

    invalid = tmp_path / "invalid.yaml"
    invalid.write_text("attributes: [Mael]\n")
    run = _cli("plan", "--configfile", str(invalid))
    assert run.returncode == 2 and str(invalid) in run.stderr and "Mael" in run.stderr

    unprobed = tmp_path / "unprobed.yaml"  # a Fig. 4 attribute the user names, not probed
    unprobed.write_text("attributes: [Male, Smiling]\nfigures: {fig4_attribute: Blurry}\n")
    run = _cli("plan", "--configfile", str(unprobed))
    assert run.returncode == 2 and str(unprobed) in run.stderr
    assert "figures.fig4_attribute = Blurry" in run.stderr

    smaller = tmp_path / "smaller.yaml"  # the default one, not probed: a probed one instead
    smaller.write_text("attributes: [Male, Smiling]\n")
    run = _cli("plan", "--configfile", str(smaller))
    assert run.returncode == 0, run.stderr
    assert "the default Pale_Skin is not probed; drawing Male" in run.stderr


def test_cli_help_lists_the_subcommands():
    run = _cli("--help")
    assert run.returncode == 0 and "plan" in run.stdout


def test_the_slurm_profile_sends_every_gpu_rule_to_the_gpu_partition():
    """The rules that may ask for a GPU (train.gpus, probe.gpus) run where there are
    GPUs on a cluster: profiles/slurm names them under set-resources."""
    profile = yaml.safe_load((ROOT / "profiles/slurm/config.yaml").read_text())
    gpu = {r for r, res in profile["set-resources"].items() if res["slurm_partition"] == "gpu"}
    assert gpu == set(TRAIN_GPU_RULES) | set(PROBE_GPU_RULES)
