"""Count the places that read the study's raw config, at a commit or in the work tree.

The study is read once (``facecues.study``): everything else should ask the
``Study``. This counts, outside ``src/facecues/study/``, in the package, the
rules and the job scripts:

- ``reads``: subscripts and ``.get`` of a config mapping (``config[...]``,
  ``config.get(...)``, ``snakemake.config``, ``study.config[...]``);
- ``derivations``: calls that interpret a config again (``study_networks``,
  ``architecture``, ``erasure_points``, ``erased_networks``, ``network_manifest``,
  ``probed_points``, ``resnet50_depths``, ``load_config``);
- ``takers``: functions with a parameter named ``config``.

    python benchmarks/config_reads.py            # the work tree
    python benchmarks/config_reads.py 985181d    # a commit
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
READ = re.compile(r"\bconfig(\[|\.get\()")
DERIVE = re.compile(
    r"\b(study_networks|architecture|erasure_points|erased_networks|network_manifest|"
    r"probed_points|resnet50_depths|load_config)\("
)
TAKER = re.compile(r"^\s*def \w+\([^)]*\bconfig\b")
WHERE = ("src/facecues", "workflow", "Snakefile")


def files(rev: str | None) -> dict[str, str]:
    """{path: text} of the package, rules and scripts (outside facecues/study)."""
    if rev is None:
        paths = [
            p
            for w in WHERE
            for p in ([ROOT / w] if (ROOT / w).is_file() else (ROOT / w).rglob("*"))
        ]
        return {
            str(p.relative_to(ROOT)): p.read_text()
            for p in paths
            if p.is_file() and p.suffix in (".py", ".smk", "") and "__pycache__" not in p.parts
        }
    names = subprocess.run(
        ["git", "-C", ROOT, "ls-tree", "-r", "--name-only", rev, *WHERE],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    return {
        n: subprocess.run(
            ["git", "-C", ROOT, "show", f"{rev}:{n}"], capture_output=True, text=True, check=True
        ).stdout
        for n in names
        if n.endswith((".py", ".smk")) or n == "Snakefile"
    }


def count(texts: dict[str, str]) -> dict[str, dict[str, int]]:
    """Per file: reads, derivations, takers (definitions and docstring lines left out)."""
    out = {}
    for path, text in texts.items():
        if "facecues/study/" in path or path.endswith(("plan/config.py", "facecues/schema.py")):
            continue  # where the config is read (facecues.study, .schema; was plan.config)
        c = {"reads": 0, "derivations": 0, "takers": 0}
        for line in text.splitlines():
            code = line.split("#")[0]
            if code.lstrip().startswith(("def ", '"""', "``")) and not TAKER.match(code):
                continue
            c["reads"] += len(READ.findall(code))
            c["derivations"] += (
                len(DERIVE.findall(code)) if not code.lstrip().startswith("def ") else 0
            )
            c["takers"] += bool(TAKER.match(code))
        if any(c.values()):
            out[path] = c
    return out


def main() -> None:
    rev = sys.argv[1] if len(sys.argv) > 1 else None
    per_file = count(files(rev))
    totals = {k: sum(c[k] for c in per_file.values()) for k in ("reads", "derivations", "takers")}
    print(
        f"{rev or 'work tree'}: {totals['reads']} config reads, {totals['derivations']} "
        f"re-derivations, {totals['takers']} functions taking a config, in {len(per_file)} files"
    )
    for path, c in sorted(per_file.items()):
        print(f"  {path:<48} {c['reads']:>3} {c['derivations']:>3} {c['takers']:>3}")


if __name__ == "__main__":
    main()
