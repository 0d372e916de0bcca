"""Rule train: one face-identification network per seed."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.logs import end_job, log_to

log_to(snakemake.log[0])

from facecues.training.train import TrainConfig, train_network  # noqa: E402

m = snakemake.params.model
t = {**snakemake.params.train, "workers": snakemake.config["train"]["workers"]}
cfg = TrainConfig(
    base_width=m["base_width"],
    stride_in_1x1=m["stride_in_1x1"],
    input_size=m["input_size"],
    architecture=m.get("architecture"),
    **t,
)
train_network(
    cfg,
    snakemake.params.vggface2,
    snakemake.params.lfw,
    snakemake.output.model,
    snakemake.output.history,
    seed=int(snakemake.wildcards.network),
    threads=snakemake.threads,
)
end_job()
