"""Architectures compared in one command: ``facecues architectures FILE -- SNAKEMAKE_ARGS``.

A comparison file (``configs/architectures.yaml``) names the studies, each a whole
study of this workflow in its own folder:

    studies:
      resnet50: {directory: .}                   # config.yaml alone: the default study
      small_vit: {configfiles: [configs/small_vit.yaml], directory: runs/small_vit}
    out: results/architectures                   # the comparison (the default)

Paths are relative to the folder the command runs in, as Snakemake's own arguments
are. Each study is a plain Snakemake run, ``snakemake ARGS --directory D --configfile
F ...``: cached and resumable like any run, on the executor ``ARGS`` names (``--cores
2``, ``--profile profiles/slurm``, ``--use-conda``). Every study is dry-run first, so a
bad config stops the comparison before any job runs; then they run one after another
(each uses every core it is given). A study done before is not run again: Snakemake finds
nothing to do. The comparison written to ``out``: ``compare.{png,pdf}`` (the whole-layer
curves on relative depth, ``facecues.results.figures.compare``) and
``architectures.md``, per study its network, probe points, units per image, LFW
verification accuracy, Table I's averages and the verdicts (``results/verdicts.json``).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from facecues.errors import FacecuesError
from facecues.io import read_yaml, write_text
from facecues.results.claims import KEYS
from facecues.results.claims.store import read_verdicts
from facecues.results.figures.compare import compare_figure, network_label
from facecues.results.provenance import finished_study
from facecues.results.table1 import AVG_PROBED, ROWS, RUN, format_mean_std, read_table1
from facecues.schema import validate

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
DEFAULT_OUT = "results/architectures"
#: A comparison file, checked by the config machinery every config file goes through
#: (``facecues.schema``); ``expected`` is what a bad value's message says.
SCHEMA = {
    "type": "object",
    "required": ["studies"],
    "additionalProperties": False,
    "expected": "a mapping with 'studies' and 'out' (a comparison of studies; a study's "
    "own config goes in its configfiles)",
    "properties": {
        "studies": {
            "type": "object",
            "minProperties": 2,
            "expected": "a mapping of at least two named studies",
            "propertyNames": {
                "pattern": NAME.pattern,
                "expected": "study names of letters, digits, '_', '.', '-'",
            },
            "additionalProperties": {
                "type": "object",
                "required": ["directory"],
                "additionalProperties": False,
                "expected": "a mapping with 'directory' and optional 'configfiles'",
                "properties": {
                    "directory": {
                        "type": "string",
                        "minLength": 1,
                        "expected": "the folder the study runs in",
                    },
                    "configfiles": {
                        "type": "array",
                        "items": {"type": "string"},
                        "expected": "a list of files",
                    },
                },
            },
        },
        "out": {"type": "string", "minLength": 1, "expected": "a folder"},
    },
}
#: The claims a row shows (docs/protocol.md section 10), in the summary's order.
CLAIMS = KEYS


class StudyFailed(FacecuesError):
    """A study's Snakemake run (or dry run) exited non-zero."""


@dataclass(frozen=True)
class ComparedStudy:
    """One study of the comparison: its name, the folder it runs in, its config files."""

    name: str
    directory: Path
    configfiles: tuple[Path, ...] = field(default_factory=tuple)

    @property
    def results(self) -> Path:
        return self.directory / "results"


def read_comparison(path: str | Path) -> tuple[list[ComparedStudy], Path]:
    """The studies and the output folder of comparison file ``path``; a FacecuesError
    naming the file and the key of anything wrong, before anything runs."""
    data = read_yaml(path)
    where = str(path)
    validate(data, SCHEMA, where)
    studies = []
    for name, entry in data["studies"].items():
        files = entry.get("configfiles") or []
        for i, f in enumerate(files):
            if not Path(f).is_file():
                raise FacecuesError(
                    f"{where}: studies.{name}.configfiles[{i}] = {f!r}: no such file"
                )
        studies.append(ComparedStudy(name, Path(entry["directory"]), tuple(Path(f) for f in files)))
    folders = [s.directory.resolve() for s in studies]
    for i, folder in enumerate(folders):
        if folder in folders[:i]:
            raise FacecuesError(
                f"{where}: studies.{studies[i].name}.directory = "
                f"{data['studies'][studies[i].name]['directory']!r}"
                f" is also studies.{studies[folders.index(folder)].name}'s: expected a folder "
                "per study (each writes its own results/)"
            )
    return studies, Path(data.get("out", DEFAULT_OUT))


def snakemake_command(
    study: ComparedStudy, args: Sequence[str], dry_run: bool = False
) -> list[str]:
    """The Snakemake command running ``study`` with the user's ``args``."""
    cmd = [sys.executable, "-m", "snakemake", *args, "--directory", str(study.directory)]
    if dry_run:
        cmd += ["--dry-run", "--quiet"]
    if study.configfiles:  # last: --configfile takes every value after it
        cmd += ["--configfile", *map(str, study.configfiles)]
    return cmd


def run_studies(
    studies: Sequence[ComparedStudy],
    args: Sequence[str],
    run: Callable[..., subprocess.CompletedProcess] = subprocess.run,
) -> None:
    """Dry-run every study (a bad config stops here, before any job), then run each in
    turn; StudyFailed naming the study and its command where Snakemake fails."""
    for dry_run in (True, False):
        for i, study in enumerate(studies, 1):
            cmd = snakemake_command(study, args, dry_run)
            what = "checking" if dry_run else "running"
            print(f"[{i}/{len(studies)}] {what} {study.name}: {' '.join(cmd)}", file=sys.stderr)
            done = run(cmd, capture_output=dry_run, text=True)
            if done.returncode != 0:
                said = f"{done.stdout}{done.stderr}".strip().splitlines()[-12:] if dry_run else []
                raise StudyFailed(
                    f"study {study.name} ({study.directory}): snakemake "
                    f"{'--dry-run ' if dry_run else ''}exited with {done.returncode}"
                    + (":\n  " + "\n  ".join(said) if said else "; its log is the output above")
                    + ("; no study was run" if dry_run else "")
                )


def study_row(study: ComparedStudy) -> dict:
    """What ``architectures.md`` shows of a finished study (a missing file is named)."""
    results = study.results
    prov_path, table1_path = results / "provenance.json", results / "tables" / "table1.csv"
    verdicts_path = results / "verdicts.json"
    for path in (prov_path, table1_path, verdicts_path):
        if not path.is_file():
            raise FacecuesError(
                f"study {study.name}: {path} does not exist: expected a finished study"
            )
    finished = finished_study(results)
    manifest = finished.manifest
    logs = sorted((results / "models").glob("*/train_log.tsv"))
    lfw = [pd.read_csv(p, sep="\t")["lfw_acc"].iloc[-1] for p in logs]
    t1 = read_table1(table1_path)
    t1 = t1[(t1["source"] == RUN) & (t1["column"] == AVG_PROBED)].set_index("row")
    return {
        "study": study.name,
        "network": network_label(finished),
        "points": len(manifest.points),
        "units": sum(p.units for p in manifest.points),
        "lfw": lfw,
        "table1": {row: (t1.at[row, "mean"], t1.at[row, "std"]) for row in t1.index},
        "verdicts": read_verdicts(verdicts_path),
        "results": str(results),
    }


def _mean_sd(values: Sequence[float]) -> str:
    s = pd.Series(values, dtype=float)
    if s.empty:
        return "n/a"
    return f"{100 * s.mean():.1f}%" + (f" ± {100 * s.std():.1f}" if len(s) > 1 else "")


# Column heads of the claims whose key is not their name in the summary.
_CLAIM_HEADS = {"b_each": "claim (b), each attribute", "planted": "planted truth"}


def render_comparison(rows: Sequence[dict]) -> str:
    """Markdown: the studies side by side (their networks, sizes, accuracies, verdicts)."""
    heads = [
        "study",
        "network",
        "probe points",
        "units per image",
        "LFW verification",
        *(f"best {r} (Table I avg.)" for r in ("layer", "filter", "neuron")),
        *(_CLAIM_HEADS.get(c, f"claim ({c})") for c in CLAIMS),
    ]
    lines = [
        "# Architectures compared",
        "",
        "Each study is a whole run of the workflow in its own folder (its `summary.md` "
        "says why each verdict is what it is). LFW verification: accuracy of the trained "
        "networks after their last epoch (mean ± std over networks); Table I averages: "
        "test accuracy over the probed attributes, mean ± std over networks. Figure: "
        "`compare.png`, whole-layer curves on relative depth.",
        "",
        "| " + " | ".join(heads) + " |",
        "|" + "---|" * len(heads),
    ]
    for r in rows:
        cells = [
            r["study"],
            r["network"],
            str(r["points"]),
            f"{r['units']:,}",
            _mean_sd(r["lfw"]),
        ]
        for row in ("layer", "filter", "neuron"):  # Table I's rows, in p.p.
            mean, std = r["table1"].get(ROWS[row], (float("nan"), float("nan")))
            cells.append(format_mean_std(mean, std) or "n/a")
        cells += [r["verdicts"].get(c, "n/a") for c in CLAIMS]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Results folders: " + "; ".join(f"{r['study']}: `{r['results']}`" for r in rows)]
    return "\n".join(lines) + "\n"


def write_comparison(studies: Sequence[ComparedStudy], out: str | Path) -> list[Path]:
    """Write ``out/compare.{png,pdf}`` and ``out/architectures.md`` from finished studies;
    returns the files written."""
    out = Path(out)
    rows = [study_row(s) for s in studies]  # every study read before anything is written
    png, pdf, md = out / "compare.png", out / "compare.pdf", out / "architectures.md"
    compare_figure([s.results for s in studies], png, pdf, names=[s.name for s in studies])
    write_text(md, render_comparison(rows))
    return [png, pdf, md]
