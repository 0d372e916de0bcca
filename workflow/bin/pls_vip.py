"""Rule pls_vip: PLS + VIP and the probe features of one probe point.

A plain command (``python pls_vip.py SHARD OUT --network ... --log LOG``), not a
Snakemake ``script:``: the rule runs thousands of times, and this way a job
imports only numpy, h5py and facecues' probe code (no Snakemake preamble).
"""

import argparse
import logging
import time

# facecues from ../../src (a link to workflow/scripts/_src_path.py): the command lives in
# its own folder, beside no rule script.
import _src_path  # noqa: F401

from facecues.logs import end_job, log_to
from facecues.probes.fit import fit_layer_probes


def main() -> None:
    start = time.perf_counter()
    a = argparse.ArgumentParser(description=__doc__)
    a.add_argument("shard")
    a.add_argument("out")
    a.add_argument("--log")
    a.add_argument("--network", required=True)
    a.add_argument("--attribute", required=True)
    a.add_argument("--n-components", type=int, required=True)
    a.add_argument("--scale", action=argparse.BooleanOptionalAction, required=True)
    a.add_argument("--top-k", type=int, required=True)
    a.add_argument("--vip-neurons", type=int, required=True)
    a.add_argument("--vip-seed", type=int, required=True)
    a.add_argument(
        "--identity-task",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="fit the identity control task's probes too (where the shard has its labels)",
    )
    a.add_argument("--all-filters", action="store_true")
    a.add_argument("--pooled-filters", action="store_true")
    args = a.parse_args()
    log_to(args.log)
    fit_layer_probes(
        args.shard,
        args.out,
        network=args.network,
        attribute=args.attribute,
        n_components=args.n_components,
        scale=args.scale,
        top_k=args.top_k,
        vip_neurons=args.vip_neurons,
        vip_seed=args.vip_seed,
        identity_task=args.identity_task,
        all_filters=args.all_filters,
        pooled_filters=args.pooled_filters,
    )
    logging.getLogger("pls_vip").info("%s in %.3f s", args.out, time.perf_counter() - start)


if __name__ == "__main__":
    main()
    end_job()
