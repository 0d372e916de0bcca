"""The ``facecues`` command: ``facecues plan [--configfile F] [--pls-vip-batch N]``."""

from __future__ import annotations

import argparse
import sys

from facecues.errors import FacecuesError
from facecues.plan.config import load_config
from facecues.plan.report import format_plan, plan
from facecues.plan.rules import SLURM_PLS_VIP_BATCH


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="facecues",
        description="facecues: which face attributes a face-recognition network encodes.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
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
        "--pls-vip-batch",
        type=_positive,
        default=SLURM_PLS_VIP_BATCH,
        metavar="N",
        help=f"pls_vip jobs per cluster submission (default: {SLURM_PLS_VIP_BATCH}, the job "
        "groups of profiles/slurm; 1: one each)",
    )
    p.add_argument(
        "--concurrent-extracts",
        type=_positive,
        default=1,
        metavar="N",
        help="extract jobs running at once, for the peak shard disk (default: 1)",
    )
    args = parser.parse_args(argv)
    try:
        config = load_config(args.configfile)
        result = plan(
            config,
            pls_vip_batch=args.pls_vip_batch,
            concurrent_extracts=args.concurrent_extracts,
        )
    except FacecuesError as e:
        where = args.configfile or "config.yaml"
        message = str(e) if str(e).startswith(str(where)) else f"{where}: {e}"
        print(f"facecues plan: {message}", file=sys.stderr)
        return 2
    print(format_plan(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
