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
from facecues.probes.options import ProbeOptions


def main() -> None:
    start = time.perf_counter()
    a = argparse.ArgumentParser(description=__doc__)
    a.add_argument("shard")
    a.add_argument("out")
    a.add_argument("--log")
    a.add_argument("--network", required=True)
    a.add_argument("--attribute", required=True)
    ProbeOptions.add_arguments(a)  # the probe options: facecues.probes.options
    args = a.parse_args()
    log_to(args.log)
    fit_layer_probes(
        args.shard,
        args.out,
        ProbeOptions.from_args(args),
        network=args.network,
        attribute=args.attribute,
    )
    logging.getLogger("pls_vip").info("%s in %.3f s", args.out, time.perf_counter() - start)


if __name__ == "__main__":
    main()
    end_job()
