"""The extract step: activations of an attribute's balanced training sample, written
to one HDF5 shard per probe point (the format: ``facecues.activations.shards``).

Every shard is written to a temporary name and renamed once all are complete
and checked (``facecues.io.atomic_h5_set``).
"""

from __future__ import annotations

import logging
from pathlib import Path

import h5py
import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from facecues.activations.shards import check_activations, create_shard, reserved_bytes
from facecues.data.images import ImageFiles
from facecues.io import atomic_h5_set, check_free_space, truncate_files
from facecues.nets.probe_points import ProbePoint, point_capture, probe_points

log = logging.getLogger(__name__)


@torch.no_grad()
def extract_shards(
    model: torch.nn.Module,
    samples: dict[str, tuple[list[Path], np.ndarray]],
    out_paths: dict[int, Path],
    *,
    input_size: int,
    dtype: str = "float16",
    batch_size: int = 128,
    device: torch.device | str = "cpu",
    workers: int = 0,
    network: str | None = None,
    attribute: str | None = None,
    identity_y: np.ndarray | None = None,
    check_space: bool = True,
) -> list[ProbePoint]:
    """Run ``samples`` ({"train": (paths, y), "val": (paths, y)}) through ``model`` and
    write each probe point's activations to ``out_paths[index]`` (index 0: the input).
    ``identity_y``: the identity control task's labels of the training rows, stored
    beside them (None: no control task).

    ``network`` and ``attribute``, when given, are recorded in each shard's
    attributes, so that a reader can tell a foreign shard
    (``facecues.activations.shards.read_shard``). Before anything is written
    the disk is checked for room for every shard (one FacecuesError saying how
    much is needed; ``check_space=False`` skips it, then a full disk is met
    while reserving or writing, with the same outcome). Every shard is written
    under a temporary name and renamed only once all are complete and checked:
    NaN or Inf activations (a diverged network) or a point whose units are all
    constant over the training rows (dead ReLUs) raise FacecuesError and leave
    no shard.
    """
    log.info("extracting on %s", device)
    model = model.to(device).eval()
    points = probe_points(model, input_size, with_input=0 in out_paths)
    points = [p for p in points if p.index in out_paths]
    torch_dtype = getattr(torch, dtype)  # cast in torch: h5py's own conversion is slow
    owner = {k: v for k, v in (("network", network), ("attribute", attribute)) if v is not None}
    nonfinite = {p.index: 0 for p in points}
    lo: dict[int, torch.Tensor] = {}
    hi: dict[int, torch.Tensor] = {}
    rows_all = sum(len(paths) for paths, _ in samples.values())
    reserve = {p.index: reserved_bytes(p.units, rows_all, dtype) for p in points}
    if check_space:
        check_free_space(
            Path(out_paths[points[0].index]).parent,
            sum(reserve.values()),
            f"the {len(points)} activation shards"
            + "".join(f" of {k} {v}" if k == "network" else f", {k} {v}" for k, v in owner.items()),
        )
    with atomic_h5_set({p.index: out_paths[p.index] for p in points}, reserve=reserve) as files:
        datasets: dict[tuple[int, str], h5py.Dataset] = {}
        try:
            for p in points:
                made = create_shard(files[p.index], p, samples, dtype, identity_y, **owner)
                datasets.update({(p.index, sample): d for sample, d in made.items()})
            for sample, (paths, _) in samples.items():
                loader = DataLoader(
                    ImageFiles(paths, input_size), batch_size=batch_size, num_workers=workers
                )
                row = 0
                with point_capture(model, list(files), input_size=input_size) as (run, acts):
                    for x in tqdm(loader, desc=f"extract {sample}", mininterval=5):
                        run(x.to(device))
                        n = len(x)
                        for i in files:
                            a = acts[i].flatten(1).to(torch_dtype)
                            nonfinite[i] += int(a.numel() - torch.isfinite(a).sum())
                            if sample == "train":
                                a32 = a.float()
                                bmin, bmax = a32.amin(0), a32.amax(0)
                                lo[i] = bmin if i not in lo else torch.minimum(lo[i], bmin)
                                hi[i] = bmax if i not in hi else torch.maximum(hi[i], bmax)
                            datasets[i, sample][row : row + n] = a.cpu().numpy()
                        row += n
            rows = len(samples["train"][0]) if "train" in samples else 0
            total = sum(len(paths) for paths, _ in samples.values())
            for p in points:
                constant = int((lo[p.index] == hi[p.index]).sum()) if p.index in lo else 0
                where = f"{out_paths[p.index]}: probe point {p.id} ({p.name})"
                if network is not None:
                    where += f" of network {network}"
                if attribute is not None:
                    where += f", attribute {attribute}"
                check_activations(
                    where, nonfinite[p.index], total * p.units, constant, p.units, rows
                )
            for f in files.values():
                f.flush()  # a full disk shows here, not later when a handle is freed
        except BaseException:
            # the files are thrown away: empty them first, so that the dataset handles,
            # freed before their files close (h5py can crash otherwise), flush without error
            truncate_files(files.values())
            datasets.clear()
            raise
        datasets.clear()
    log.info("wrote %d shards (%s)", len(files), dtype)
    return points
