"""Rule pls_vip: PLS + VIP and the probe features of every probe point of one
(network, attribute).

A plain command (``python pls_vip.py --shards S... --out O... --network ...
--attribute ... --log LOG``), not a Snakemake ``script:``: it imports only numpy,
h5py and facecues' probe code. One job fits every point of an extract job's shards,
one shard at a time (memory: the largest), so the interpreter starts once per
(network, attribute), not once per point: the default study's 1,632 point jobs
spent ~0.2 s each starting up against ~0.03 s of fitting (benchmarks/README.md).
Shard i is fitted into output i; both are named by the point's id.
"""

import argparse
import logging
import time
from pathlib import Path

# facecues from ../../src (a link to workflow/scripts/_src_path.py): the command lives in
# its own folder, beside no rule script.
import _src_path  # noqa: F401

from facecues.errors import FacecuesError
from facecues.logs import end_job, log_to
from facecues.probes.fit import fit_layer_probes
from facecues.probes.options import ProbeOptions


def paired(shards: list[str], outs: list[str]) -> list[tuple[str, str]]:
    """(shard, probe file) pairs, checked to name the same point ids in the same order."""
    if [Path(s).stem for s in shards] != [Path(o).stem for o in outs]:
        raise FacecuesError(
            f"pls_vip: the shards {[Path(s).stem for s in shards]} and the probe files "
            f"{[Path(o).stem for o in outs]} must name the same points in the same order"
        )
    return list(zip(shards, outs, strict=True))


def main() -> None:
    start = time.perf_counter()
    a = argparse.ArgumentParser(description=__doc__)
    a.add_argument("--shards", nargs="+", required=True)
    a.add_argument("--out", nargs="+", required=True)
    a.add_argument("--log")
    a.add_argument("--network", required=True)
    a.add_argument("--attribute", required=True)
    ProbeOptions.add_arguments(a)  # the probe options: facecues.probes.options
    args = a.parse_args()
    log_to(args.log)
    log = logging.getLogger("pls_vip")
    options = ProbeOptions.from_args(args)
    pairs = paired(args.shards, args.out)
    for i, (shard, out) in enumerate(pairs, 1):
        t = time.perf_counter()
        fit_layer_probes(shard, out, options, network=args.network, attribute=args.attribute)
        log.info("%d/%d %s in %.3f s", i, len(pairs), out, time.perf_counter() - t)
    log.info("%d points in %.1f s", len(pairs), time.perf_counter() - start)


if __name__ == "__main__":
    main()
    end_job()
