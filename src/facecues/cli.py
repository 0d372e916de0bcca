"""The ``facecues`` command: ``facecues plan [--configfile F]``, and
``facecues points [--configfile F]`` (the study's network) or ``facecues points SPEC
[--input-size N] [--kwargs JSON] [--points P ...]`` and
``facecues compare RESULTS ... --out PNG`` and ``facecues architectures FILE [--no-run]
[-- SNAKEMAKE_ARGS]``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from facecues.errors import FacecuesError
from facecues.nets.spec import describe
from facecues.plan.report import format_plan, format_points_plan, plan
from facecues.study.study import load_study


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command line: one subcommand each for plan, points, compare, architectures."""
    parser = argparse.ArgumentParser(
        prog="facecues",
        description="facecues: which face attributes a face-recognition network encodes.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_plan(sub)
    _add_points(sub)
    _add_compare(sub)
    _add_architectures(sub)
    return parser


def _add_plan(sub) -> None:
    p = sub.add_parser(
        "plan",
        help="what a config's study will run and need (jobs, submissions, disk, time), "
        "before anything runs",
        description="Print a config's plan: jobs per rule (as snakemake -n counts them), "
        "SLURM submissions, activation-shard and kept disk, estimated time, memory and "
        "CPU/GPU-hours. Reads no data.",
    )
    p.add_argument(
        "--configfile",
        metavar="F",
        help="config overriding the workflow's config.yaml, as snakemake --configfile does",
    )
    p.add_argument(
        "--points",
        action="store_true",
        help="also list every probe point: units, shard bytes, its pls_vip time and memory",
    )
    p.add_argument(
        "--concurrent-extracts",
        type=_positive,
        default=1,
        metavar="N",
        help="extract jobs running at once, for the peak shard disk (default: 1)",
    )


def _add_points(sub) -> None:
    p = sub.add_parser(
        "points",
        help="the probe points of the study's network, or of any network (torchvision, "
        "timm, your own module)",
        description="List a network's probe points in forward order: id, name, kind, stage, "
        "layout (how the network lays the values out: chw, hwc a channels-last map, tokens, "
        "vector), per-image shape as stored (channels first, whatever the layout) and units "
        "(docs/protocol.md section 4). With no SPEC, the network "
        "of the configured study (config.yaml, or --configfile as for plan), as its jobs "
        "probe it; with a SPEC, that network built untrained (no download).",
    )
    p.add_argument(
        "spec",
        nargs="?",
        help="resnet50 (built in), torchvision:<builder>, timm:<model> or "
        "path/to/file.py:<factory> (default: the study's network)",
    )
    p.add_argument(
        "--configfile",
        metavar="F",
        help="with no SPEC: the config overriding the workflow's config.yaml, as plan reads it",
    )
    p.add_argument(
        "--input-size", type=_positive, metavar="N", help="with a SPEC: pixels (default 224)"
    )
    p.add_argument("--kwargs", metavar="JSON", help="with a SPEC: the builder's keyword arguments")
    p.add_argument(
        "--points", nargs="+", metavar="P", help="with a SPEC: names or patterns (default: all)"
    )
    p.add_argument("--manifest", metavar="F", help="also write the manifest (JSON) to F")


def _add_compare(sub) -> None:
    p = sub.add_parser(
        "compare",
        help="overlay finished studies' whole-layer curves per attribute on relative depth",
        description="Draw the whole-layer accuracy curves of finished studies (one per "
        "network architecture, each its own results folder) per attribute on relative "
        "depth (0: first probe point, 1: the embedding), untrained controls dashed.",
    )
    p.add_argument("results", nargs="+", metavar="RESULTS", help="a study's results/ folder")
    p.add_argument("--out", required=True, metavar="PNG", help="the figure (a PDF beside it)")


def _add_architectures(sub) -> None:
    p = sub.add_parser(
        "architectures",
        help="run the studies a comparison file names (one per architecture), then set "
        "them side by side",
        description="Run each study of a comparison file (configs/architectures.yaml) with "
        "Snakemake in its own folder, every one dry-run first, then write the comparison: "
        "the whole-layer curves on relative depth (compare.png, .pdf) and architectures.md "
        "(each study's network, points, units, LFW accuracy, Table I averages, verdicts). "
        "Snakemake's arguments follow '--': facecues architectures FILE -- --cores 2.",
    )
    p.add_argument("file", help="the comparison file (studies, out)")
    p.add_argument("--no-run", action="store_true", help="only compare studies already finished")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    snakemake_args = []  # after '--': every study's snakemake arguments
    if "--" in argv:
        i = argv.index("--")
        argv, snakemake_args = argv[:i], argv[i + 1 :]
    args = parser.parse_args(argv)
    if snakemake_args and args.command != "architectures":
        parser.error(f"unrecognized arguments: -- {' '.join(snakemake_args)}")
    args.snakemake_args = snakemake_args
    commands = {
        "plan": _plan,
        "points": _points,
        "compare": _compare,
        "architectures": _architectures,
    }
    return commands[args.command](args)


def _plan(args) -> int:
    try:
        study = load_study(args.configfile, write=False)
        result = plan(study, concurrent_extracts=args.concurrent_extracts)
    except FacecuesError as e:
        where = args.configfile or "config.yaml"
        message = str(e) if str(e).startswith(str(where)) else f"{where}: {e}"
        print(f"facecues plan: {message}", file=sys.stderr)
        return 2
    print(format_plan(result))
    if args.points:
        print("\nprobe points\n" + format_points_plan(study))
    return 0


def _points(args) -> int:
    from facecues.nets.manifest import write_manifest

    try:
        manifest, head, foot = _study_manifest(args) if args.spec is None else _spec_manifest(args)
    except FacecuesError as e:
        print(f"facecues points: {e}", file=sys.stderr)
        return 2
    print("\n".join([*head, format_points(manifest), *foot]))
    if args.manifest:
        write_manifest(manifest, args.manifest)
    return 0


def _study_manifest(args):
    """The configured study's manifest (``--configfile``, as ``plan``), a line naming its
    network and one naming the input point the study probes besides."""
    given = [f"--{k.replace('_', '-')}" for k in ("input_size", "kwargs", "points")]
    given = [flag for flag in given if getattr(args, flag[2:].replace("-", "_")) is not None]
    if given:
        raise FacecuesError(
            f"{' and '.join(given)}: options of a SPEC; with none, the study's network is "
            "listed as its config sets it (model.*): give a SPEC, or leave them out"
        )
    where = args.configfile or "config.yaml"
    try:
        study = load_study(args.configfile, write=False)
    except FacecuesError as e:
        raise FacecuesError(e if str(e).startswith(str(where)) else f"{where}: {e}") from None
    entry = study.architecture
    kwargs = json.dumps(dict(entry.get("kwargs") or {}))
    head = [
        f"the study's network ({where}): {describe(entry)}, kwargs {kwargs}, "
        f"{study.model.input_size} px input"
    ]
    foot = []
    if study.controls.input_point:
        first = study.probed_points[0]
        units = sum(p.units for p in study.probed_points)
        foot.append(
            f"the study probes the input {first.id} too ({'x'.join(map(str, first.shape))}, "
            f"{first.units:,} units; controls.input_point): {len(study.probed_points)} points, "
            f"{units:,} units per image"
        )
    return study.manifest, head, foot


def _spec_manifest(args):
    """The manifest of the network of ``args.spec`` (built untrained)."""
    from facecues.nets.manifest import discover_manifest
    from facecues.nets.spec import parse_spec

    if args.configfile:
        raise FacecuesError(
            f"--configfile names a study; the network listed is {args.spec!r}: give one"
        )
    text = args.kwargs or "{}"
    try:
        kwargs = json.loads(text)
    except json.JSONDecodeError as e:
        raise FacecuesError(f"--kwargs {text!r} is not JSON ({e})") from None
    if not isinstance(kwargs, dict):
        raise FacecuesError(f"--kwargs {text!r}: expected a JSON object")
    entry = parse_spec(args.spec, kwargs)
    return discover_manifest(entry, args.input_size or 224, args.points), [], []


def _compare(args) -> int:
    from facecues.results.figures.compare import compare_figure

    try:
        png = Path(args.out)
        labels = compare_figure(args.results, png, png.with_suffix(".pdf"))
    except FacecuesError as e:
        print(f"facecues compare: {e}", file=sys.stderr)
        return 2
    print(f"{png} (and {png.with_suffix('.pdf').name}): {'; '.join(labels)}")
    return 0


def _architectures(args) -> int:
    from facecues.results.architectures import (
        StudyFailed,
        read_comparison,
        run_studies,
        write_comparison,
    )

    try:
        studies, out = read_comparison(args.file)
        if not args.no_run:
            run_studies(studies, args.snakemake_args)
        written = write_comparison(studies, out)
    except FacecuesError as e:
        print(f"facecues architectures: {e}", file=sys.stderr)
        return 1 if isinstance(e, StudyFailed) else 2
    print("the comparison: " + ", ".join(map(str, written)))
    return 0


def format_points(manifest) -> str:
    """The manifest as a table, with its totals and how the points were found."""
    rows = [("id", "name", "kind", "stage", "layout", "shape", "units")]
    rows += [
        (p.id, p.name, p.kind, p.stage, p.layout, "x".join(map(str, p.shape)), f"{p.units:,}")
        for p in manifest.points
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            c.rjust(w) if i == len(widths) - 1 else c.ljust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ).rstrip()
        for r in rows
    ]
    total = sum(p.units for p in manifest.points)
    how = {
        "fx": "FX tracing",
        "hooks": "forward hooks (tracing failed)",
        "layout": "the built-in topology's layout (docs/protocol.md section 4)",
    }[manifest.method]
    lines.append(
        f"{len(manifest.points)} points, {total:,} units per {manifest.input_size}x"
        f"{manifest.input_size} image; found by {how}"
    )
    if manifest.trace_error:
        lines.append(f"tracing failed: {manifest.trace_error.splitlines()[0]}")
        lines.append(
            "functional nonlinearities are not seen by hooks; name points by hand with --points"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
