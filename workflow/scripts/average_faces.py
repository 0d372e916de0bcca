"""Rule average_faces: Figs. 1 and 6, the mean of the test images that most and least
activate each attribute's best single neuron."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)
import h5py

from facecues.data.celeba import load_celeba
from facecues.logs import end_job, log_to
from facecues.results.figures.faces import average_faces, fig_average_faces

log_to(snakemake.log[0])
celeba = load_celeba(snakemake.params.celeba, check_images=False)
k = snakemake.params.k
panels = []
with h5py.File(snakemake.input.neurons, "r") as f:
    paths = [celeba.image_path(i) for i in f["test_index"][...]]
    for attribute in snakemake.params.attributes:
        d = f[attribute]
        top, bottom = average_faces(paths, d[...], k=min(k, len(paths) // 2), loader="pil")
        panels.append(
            {
                "top": top,
                "bottom": bottom,
                "attribute": attribute,
                "point": d.attrs["point"],
                "name": d.attrs["name"],
                "unit": int(d.attrs["unit"]),
                "k": min(k, len(paths) // 2),
                "accuracy": float(d.attrs["test_accuracy"]),
            }
        )
fig_average_faces(panels, snakemake.output.png, snakemake.output.pdf)
end_job()
