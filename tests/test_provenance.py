"""results/provenance.json: the commit, the environments, the config and the inputs, hashed."""

import hashlib
import json
import re
import subprocess

from facecues.results.provenance import (
    config_sha256,
    environment,
    git_state,
    provenance_lines,
    read_provenance,
    sha256_file,
    stamp,
    write_provenance,
)
from tests.conftest import ROOT


def test_git_state_of_this_checkout_and_of_a_folder_outside_one(tmp_path):
    state = git_state(ROOT)
    assert re.fullmatch(r"[0-9a-f]{40}", state["commit"]) and state["dirty"] in (True, False)
    assert "source_sha256" not in state  # the commit names the code
    empty = hashlib.sha256(b"").hexdigest()
    assert git_state(tmp_path) == {
        "commit": "not a git checkout",
        "dirty": None,
        "source_sha256": empty,
        "source_files": 0,
    }


def test_an_export_without_git_is_named_by_its_source_tree(tmp_path):
    """An export (git archive, no .git): 'not a git checkout', and the sha256 of its
    source tree (src/facecues, workflow, Snakefile) instead, which any edit changes."""
    export = tmp_path / "export"
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", "HEAD"], capture_output=True
    )
    export.mkdir()
    subprocess.run(["tar", "-x", "-C", str(export)], input=archive.stdout, check=True)
    state = git_state(export)
    assert state["commit"] == "not a git checkout" and state["dirty"] is None
    shell = subprocess.run(  # the same hash, as the docstring says a shell computes it
        "find -L src/facecues workflow Snakefile -type f -not -path '*__pycache__*' "
        "| LC_ALL=C sort | xargs sha256sum | sha256sum",
        shell=True,
        cwd=export,
        capture_output=True,
        text=True,
        check=True,
    )
    files = len(list((export / "src/facecues").rglob("*.py")))
    assert state["source_files"] > files > 100
    assert state["source_sha256"] == shell.stdout.split()[0]
    (export / "README.md").write_text("not code")  # outside the tree: the same hash
    assert git_state(export) == state
    (export / "workflow/rules/train.smk").write_text("# edited\n")
    assert git_state(export)["source_sha256"] != state["source_sha256"]

    prov = {"workflow": {**state, "facecues": "0.2.0"}, "config_sha256": "f" * 64}
    assert stamp(prov) == (
        f"facecues 0.2.0, not a git checkout, source tree sha256 {state['source_sha256'][:12]}"
        ", config sha256 ffffffffffff"
    )
    line = provenance_lines({**prov, "environments": {}, "files": {}})[2]
    assert line == (
        f"| facecues | 0.2.0 (not a git checkout: source tree sha256 {state['source_sha256']}, "
        f"{state['source_files']} files of src/facecues, workflow, Snakefile) |"
    )


def test_config_hash_ignores_key_order_and_sees_values():
    a = {"probe": {"top_k": 8, "n_components": 8}, "seeds": [0, 1]}
    b = {"seeds": [0, 1], "probe": {"n_components": 8, "top_k": 8}}
    assert config_sha256(a) == config_sha256(b)
    assert config_sha256(a) != config_sha256({**a, "seeds": [0, 2]})


def test_environment_reports_what_this_process_has():
    env = environment(["numpy", "torch", "not-a-package-here"])
    assert env["packages"]["numpy"] and env["packages"]["not-a-package-here"] is None
    assert "cuda" in env and isinstance(env["devices"], list)  # torch is installed here
    assert "cuda" not in environment(["numpy"])


def test_provenance_file_hashes_inputs_and_renders(tmp_path):
    model, split = tmp_path / "model.pt", tmp_path / "Male.tsv"
    model.write_bytes(b"weights")
    split.write_text("index\tfilename\tlabel\tsample\n")
    env = tmp_path / "probe.json"
    env.write_text(json.dumps(environment(["numpy"])))
    workflow = {"commit": "a" * 40, "dirty": True, "facecues": "0.2.0", "snakemake": "9"}
    out = tmp_path / "provenance.json"
    prov = write_provenance(out, workflow, {"seeds": [0]}, {"probe": env}, [model, split])
    assert read_provenance(out) == prov
    assert prov["files"][str(model)] == hashlib.sha256(b"weights").hexdigest()
    assert prov["files"][str(split)] == sha256_file(split)
    assert prov["config_sha256"] == config_sha256({"seeds": [0]})
    line = stamp(prov)
    assert "commit aaaaaaaaaaaa with uncommitted changes" in line
    assert f"config sha256 {prov['config_sha256'][:12]}" in line
    text = "\n".join(provenance_lines(prov))
    assert "| probe jobs | Python" in text and "1 checkpoint(s), 1 sample file(s)" in text
