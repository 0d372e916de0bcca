"""What a study's jobs read and hold: image counts, probe units, network sizes.

Torch-free (workflow start-up sizes every heavy rule from it): the real sets'
published sizes (``facecues.literature``) or the synthetic world's, and the
network's points from the study's manifest.
"""

from __future__ import annotations

from dataclasses import dataclass

from facecues.activations.shards import shard_bytes
from facecues.literature import (
    CELEBA_PARTITIONS,
    CELEBA_PIXELS,
    LFW_IMAGES,
    LFW_PAIRS,
    LFW_PIXELS,
    VGGFACE2_TRAIN_IDENTITIES,
    VGGFACE2_TRAIN_IMAGES,
)
from facecues.nets.layout import STAGE_BLOCKS
from facecues.plan.measured import REF_FLOPS, REF_SIZE, REF_WIDTH, VGGFACE2_SOURCE_PIXELS
from facecues.probes.erasure import rows_per_class
from facecues.study.study import Study


@dataclass(frozen=True)
class Datasets:
    """Image counts and typical source sizes the jobs read (real: published sizes)."""

    train_images: int  # face-ID training images per epoch
    identities: int
    lfw_images: int  # images embedded for the per-epoch LFW check
    celeba: tuple[int, int, int]  # train, val, test partitions
    vgg_pixels: int  # pixels of one training source image
    celeba_pixels: int
    lfw_pixels: int
    synthetic_images: int = 0  # images synthesize renders (0 for real data)


def datasets(study: Study) -> Datasets:
    """The data a study's jobs read, from the published sizes or the synthetic world's."""
    if study.synthetic:
        w = study.world
        ids, per_id = w.vgg_identities, w.vgg_images_per_identity
        lfw = w.lfw_identities * w.lfw_images_per_identity
        pairs = w.lfw_folds * w.lfw_pairs_per_fold * 2
        per = w.celeba_images_per_identity
        parts = (w.celeba_train_identities, w.celeba_val_identities, w.celeba_test_identities)
        celeba = tuple(n * per for n in parts)
        canvas = sum(w.vgg_canvas) / 2
        cw, ch = w.celeba_size
        out = dict(
            lfw_images=min(lfw, 2 * pairs),
            celeba=celeba,
            vgg_pixels=int(canvas * canvas),
            celeba_pixels=int(cw * ch),
            lfw_pixels=int(w.lfw_size) ** 2,
            synthetic_images=ids * per_id + lfw + sum(celeba),
        )
    else:
        ids = VGGFACE2_TRAIN_IDENTITIES
        per_id = VGGFACE2_TRAIN_IMAGES / VGGFACE2_TRAIN_IDENTITIES
        out = dict(
            lfw_images=min(LFW_IMAGES, 2 * LFW_PAIRS),
            celeba=CELEBA_PARTITIONS,
            vgg_pixels=VGGFACE2_SOURCE_PIXELS,
            celeba_pixels=CELEBA_PIXELS,
            lfw_pixels=LFW_PIXELS,
        )
    train = study.train
    ids = max(1, ids - len(train.get("exclude_identities") or []))
    if train.get("max_identities"):
        ids = min(ids, int(train["max_identities"]))
    return Datasets(train_images=int(round(ids * per_id)), identities=ids, **out)


def activation_sets(study: Study) -> int:
    """The (network, attribute) sets of activation shards: every probed network's, the
    untrained controls' included (as many as the extract jobs)."""
    return len(study.networks.probed) * len(study.attributes)


def point_units(study: Study) -> list[int]:
    """Units of each probed point (``Study.probed_points``: the input L00 too when probed)."""
    return [p.units for p in study.probed_points]


def itemsize(study: Study) -> int:
    """Bytes per value of the activation shards (probe.dtype)."""
    return shard_bytes(1, 1, study.stream.dtype)


def train_rows(study: Study) -> int:
    """Rows of every shard: the attribute's balanced training sample."""
    return study.probe_sample.train_rows


def model_parameters(base_width: int, num_classes: int) -> tuple[int, int]:
    """(trainable parameters, state-dict values) of ``FaceResNet(num_classes, base_width)``.

    Counted from the ResNet-50 layout (convs without bias, batch norms with weight, bias,
    running mean and variance); tests/test_plan.py checks it against the torch module.
    """
    w = base_width
    params, buffers = 3 * w * 49 + 2 * w, 2 * w + 1  # + each BN's num_batches_tracked
    inplanes = w
    for s, blocks in enumerate(STAGE_BLOCKS):
        planes = w * 2**s
        out = planes * 4
        for b in range(blocks):
            params += inplanes * planes + planes * planes * 9 + planes * out
            params += 2 * (2 * planes + out)
            buffers += 2 * (2 * planes + out) + 3
            if b == 0:  # projection shortcut
                params += inplanes * out + 2 * out
                buffers += 2 * out + 1
            inplanes = out
    if num_classes > 0:
        params += inplanes * num_classes + num_classes
    return params, params + buffers


def compute_scale(base_width: int, input_size: int) -> float:
    """Compute per image relative to ResNet-50 (width 64) at 224 px: (w/64)^2 (s/224)^2."""
    return (base_width / REF_WIDTH) ** 2 * (input_size / REF_SIZE) ** 2


def network_scale(study: Study) -> float:
    """The study network's compute per image relative to ResNet-50 at 224 px: from its
    width and input size for the built-in topology, else from the FLOPs its manifest
    counted (``REF_FLOPS``; a crude guide: a ViT's attention runs at another speed)."""
    if study.built_in:
        return compute_scale(study.model.base_width, study.model.input_size)
    return study.manifest.flops / REF_FLOPS


def network_parameters(study: Study, num_classes: int) -> tuple[int, int]:
    """``model_parameters`` of the study's network with a head of ``num_classes``; for a
    network other than the built-in topology, from its manifest, the head's input being
    its last point (the embedding)."""
    if study.built_in:
        return model_parameters(study.model.base_width, num_classes)
    manifest = study.manifest
    head = (manifest.points[-1].units + 1) * num_classes if num_classes > 0 else 0
    return manifest.parameters + head, manifest.state_values + head


def identity_control(study: Study) -> bool:
    """Whether every pls_vip job also fits the identity control task's probes (where the
    data lists identities, which the plan does not read: assumed)."""
    return bool(study.controls.identity_task)


def probes_per_point(study: Study) -> int:
    """Probes fitted at one point (layer, neurons, filters, top-k of each, VIP-uniform,
    and the identity-task twins of layer, filters, neurons, filter_1, neuron_1)."""
    k = study.probe.top_k
    return 3 + 2 * k + study.probe.vip_neurons + 5 * identity_control(study)


def features_per_point(study: Study) -> int:
    """Feature columns kept per row and point in score_val (layer, filters, neurons...)."""
    k, nc = study.probe.top_k, study.probe.n_components
    return nc + k + k + k * nc + nc + study.probe.vip_neurons


def erasure_units(study: Study) -> list[int]:
    """Units of each erasure point (``Study.erasure.points``)."""
    by_id = {pt.id: pt.units for pt in study.network_points}
    return [by_id[i] for i in study.erasure.points]


def erasure_rows(study: Study) -> int:
    """Rows of an erasure job's sample: the training sample and its validation rows
    (``facecues.probes.erasure.rows_per_class``)."""
    s = study.probe_sample
    per_class, _ = rows_per_class(s.train_per_class, s.val_per_class, study.probe.n_components)
    return train_rows(study) + 2 * per_class


def erasure_fit_images(study: Study, d: Datasets) -> int:
    """Images an erasure job fits its eraser on: ``erasure.fit_images``, or fewer where
    CelebA (``d.celeba``) has fewer outside the attribute's validation sample, but at
    least the training sample."""
    outside = sum(d.celeba) - 2 * int(study.probe_sample.val_per_class)
    return max(train_rows(study), min(study.erasure.fit_images, outside))
