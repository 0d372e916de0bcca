"""Write the synthetic face world as VGGFace2-, LFW- and CelebA-like datasets in their real formats.

Layout under ``out_dir``::

    vggface2/train/n000001/0001_01.jpg          faces inside larger canvases
    vggface2/bb_landmark/loose_bb_train.csv    NAME_ID,X,Y,W,H (the face crop)
    lfw/lfw/Synth_Person_0001/Synth_Person_0001_0001.jpg
    lfw/pairs.txt                               "n_folds<TAB>n_per_fold", then pairs
    celeba/Img/img_align_celeba/000001.jpg      aligned crops (original CelebA layout)
    celeba/Anno/list_attr_celeba.txt            real irregular spacing
    celeba/Anno/identity_CelebA.txt
    celeba/Eval/list_eval_partition.txt
    world.json                                  the planted truth and the config
    people.json                                 discrete traits of every identity

Every file depends only on the config (not on ``workers``): each image is drawn from
generators seeded by (seed, dataset, person, image).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from facecues.data.celeba import CELEBA_ATTRIBUTES
from facecues.data.synthetic.config import SyntheticConfig
from facecues.data.synthetic.people import (
    ATTRIBUTES,
    IDENTITY,
    IMAGE,
    UNRENDERED,
    sample_image_state,
    sample_people,
)
from facecues.data.synthetic.render import ASPECT, jpeg_bytes, render_image
from facecues.io import atomic_path, write_text

VGG, LFW, CELEBA = 1, 2, 3  # dataset codes in the seed sequences
_GEOMETRY = 3  # stream tag for canvas / box placement
WORLD_FORMAT = "facecues-synthetic-world/1"
TRAIT_KEYS = (
    "male",
    "hair_color",
    "hair_style",
    "bald",
    "bangs",
    "glasses",
    "sunglasses",
    "hat",
    "lipstick",
    "makeup",
    "earrings",
    "necklace",
    "necktie",
    "mustache",
    "goatee",
    "sideburns",
    "big_nose",
    "pointy_nose",
    "narrow_eyes",
    "bushy_brows",
    "arched_brows",
    "chubby",
    "oval",
    "big_lips",
    "young",
)


@dataclass
class _Job:
    """All images of one person in one dataset (the unit of parallel work)."""

    person: dict
    states: list[dict] = field(default_factory=list)
    canvases: list[tuple[int, int]] = field(default_factory=list)
    boxes: list[tuple[int, int, int, int]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # relative to out_dir


@dataclass
class WorldPlan:
    """Everything about a world except its pixels."""

    cfg: SyntheticConfig
    jobs: list[_Job]
    vgg_rows: list[tuple[str, tuple[int, int, int, int]]]
    lfw_names: list[str]
    lfw_pairs: list[tuple]  # per fold: matched (name, i, j) then mismatched (n1, i, n2, j)
    celeba_files: list[str]
    celeba_labels: np.ndarray
    celeba_partition: np.ndarray
    celeba_identity: np.ndarray
    people: dict[str, dict[str, dict]]
    lfw_box: tuple[int, int, int, int]
    celeba_box: tuple[int, int, int, int]


def _nuisance(cfg: SyntheticConfig) -> dict:
    return {
        "occlusion_rate": cfg.occlusion_rate,
        "rotation": cfg.rotation,
        "shift": cfg.shift,
        "scale": cfg.scale,
        "noise_sigma": cfg.noise_sigma,
        "jpeg_quality": cfg.jpeg_quality,
        "label_noise": cfg.label_noise,
    }


def _face_h(w: int) -> int:
    return int(round(w * ASPECT))


def _traits(person: dict) -> dict:
    return {k: person[k] for k in TRAIT_KEYS}


def _plan_vgg(cfg: SyntheticConfig, nuis: dict, jobs: list, people: dict) -> list:
    rows = []
    persons = sample_people(cfg.seed, VGG, 0, list(range(cfg.vgg_identities)))
    people["vggface2"] = {}
    for person in persons:
        ident = f"n{person['pid'] + 1:06d}"
        people["vggface2"][ident] = _traits(person)
        job = _Job(person)
        for k in range(cfg.vgg_images_per_identity):
            g = np.random.default_rng([cfg.seed, VGG, person["pid"], _GEOMETRY, k])
            cw, ch = (int(v) for v in g.integers(cfg.vgg_canvas[0], cfg.vgg_canvas[1] + 1, 2))
            fw = int(g.integers(cfg.vgg_face_width[0], cfg.vgg_face_width[1] + 1))
            fh = _face_h(fw)
            x = int(g.integers(0, max(cw - fw, 0) + 1))
            y = int(g.integers(0, max(ch - fh, 0) + 1))
            face_no = 2 if g.random() < 0.1 else 1
            name = f"{ident}/{k + 1:04d}_{face_no:02d}"
            job.states.append(sample_image_state(cfg.seed, VGG, person, k, nuis))
            job.canvases.append((cw, ch))
            job.boxes.append((x, y, fw, fh))
            job.paths.append(f"vggface2/train/{name}.jpg")
            rows.append((name, (x, y, fw, fh)))
        jobs.append(job)
    return rows


def _plan_lfw(cfg: SyntheticConfig, nuis: dict, jobs: list, people: dict):
    persons = sample_people(cfg.seed, LFW, 0, list(range(cfg.lfw_identities)))
    names = [f"Synth_Person_{p['pid'] + 1:04d}" for p in persons]
    people["lfw"] = {}
    s = cfg.lfw_size
    fw = cfg.lfw_face_width
    fh = _face_h(fw)
    box = ((s - fw) // 2, (s - fh) // 2, fw, fh)
    m = cfg.lfw_images_per_identity
    for name, person in zip(names, persons, strict=True):
        people["lfw"][name] = _traits(person)
        job = _Job(person)
        for k in range(m):
            job.states.append(sample_image_state(cfg.seed, LFW, person, k, nuis))
            job.canvases.append((s, s))
            job.boxes.append(box)
            job.paths.append(f"lfw/lfw/{name}/{name}_{k + 1:04d}.jpg")
        jobs.append(job)

    # folds disjoint by identity, as in the real View 2
    rng = np.random.default_rng([cfg.seed, LFW, 4_000_000])
    order = rng.permutation(len(names))
    folds = np.array_split(order, cfg.lfw_folds)
    n = cfg.lfw_pairs_per_fold
    pairs = []
    for members in folds:
        members = sorted(int(i) for i in members)
        matched = [(i, a, b) for i in members for a in range(m) for b in range(a + 1, m)]
        mism = [
            (i, a, j, b)
            for x, i in enumerate(members)
            for j in members[x + 1 :]
            for a in range(m)
            for b in range(m)
        ]
        for t in rng.choice(len(matched), n, replace=False):
            i, a, b = matched[t]
            pairs.append((names[i], a + 1, b + 1))
        for t in rng.choice(len(mism), n, replace=False):
            i, a, j, b = mism[t]
            if rng.random() < 0.5:
                i, a, j, b = j, b, i, a
            pairs.append((names[i], a + 1, names[j], b + 1))
    return names, pairs, box


def _plan_celeba(cfg: SyntheticConfig, nuis: dict, jobs: list, people: dict):
    sizes = [cfg.celeba_train_identities, cfg.celeba_val_identities, cfg.celeba_test_identities]
    m = cfg.celeba_images_per_identity
    w, h = cfg.celeba_size
    # the crop spans the canvas width; the canvas height sets how much neck/hair shows
    fw = w
    box = (0, int(round((h - _face_h(fw)) / 2)), fw, _face_h(fw))
    id_numbers = np.random.default_rng([cfg.seed, CELEBA, 3_000_000]).permutation(sum(sizes)) + 1
    images = []  # (partition, identity number, job, k)
    start = 0
    people["celeba"] = {}
    for part, n in enumerate(sizes):
        persons = sample_people(cfg.seed, CELEBA, part, list(range(start, start + n)))
        order = []
        for person in persons:
            ident = int(id_numbers[person["pid"]])
            people["celeba"][str(ident)] = {**_traits(person), "partition": part}
            job = _Job(person, paths=[""] * m)  # paths follow the shuffled file order
            for k in range(m):
                job.states.append(sample_image_state(cfg.seed, CELEBA, person, k, nuis))
                job.canvases.append((w, h))
                job.boxes.append(box)
                order.append((part, ident, job, k))
            jobs.append(job)
        shuffle = np.random.default_rng([cfg.seed, CELEBA, 2_000_000 + part]).permutation(
            len(order)
        )
        images.extend(order[i] for i in shuffle)
        start += n
    files, labels, partition, identity = [], [], [], []
    for idx, (part, ident, job, k) in enumerate(images):
        fname = f"{idx + 1:06d}.jpg"
        job.paths[k] = f"celeba/Img/img_align_celeba/{fname}"
        files.append(fname)
        labels.append(job.states[k]["labels"])
        partition.append(part)
        identity.append(ident)
    return (
        files,
        np.asarray(labels, dtype=np.int8).reshape(-1, len(CELEBA_ATTRIBUTES)),
        np.asarray(partition, dtype=np.int8),
        np.asarray(identity, dtype=np.int64),
        box,
    )


def plan_world(cfg: SyntheticConfig) -> WorldPlan:
    """Decide every person, image state, file name and label of a world (no rendering)."""
    nuis = _nuisance(cfg)
    jobs: list[_Job] = []
    people: dict[str, dict] = {}
    vgg_rows = _plan_vgg(cfg, nuis, jobs, people)
    lfw_names, lfw_pairs, lfw_box = _plan_lfw(cfg, nuis, jobs, people)
    files, labels, partition, identity, celeba_box = _plan_celeba(cfg, nuis, jobs, people)
    return WorldPlan(
        cfg=cfg,
        jobs=jobs,
        vgg_rows=vgg_rows,
        lfw_names=lfw_names,
        lfw_pairs=lfw_pairs,
        celeba_files=files,
        celeba_labels=labels,
        celeba_partition=partition,
        celeba_identity=identity,
        people=people,
        lfw_box=lfw_box,
        celeba_box=celeba_box,
    )


def _render_job(args: tuple[str, int, _Job]) -> int:
    out_dir, ss, job = args
    root = Path(out_dir)
    for st, canvas, box, rel in zip(job.states, job.canvases, job.boxes, job.paths, strict=True):
        img = render_image(job.person, st, canvas, box, ss)
        (root / rel).write_bytes(jpeg_bytes(img, st["jpeg"]))
    return len(job.states)


def _n_workers(requested: int) -> int:
    if requested > 0:
        return requested
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _write_text(path: Path, lines: list[str]) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text("".join(line + "\n" for line in lines), encoding="utf-8", newline="\n")


def _attribute_table(plan: WorldPlan) -> dict:
    labels, part = plan.celeba_labels, plan.celeba_partition
    table = {}
    for j, name in enumerate(CELEBA_ATTRIBUTES):
        spec = ATTRIBUTES[name]
        pos = labels[:, j] == 1
        prev = {
            split: round(float(pos[mask].mean()), 4) if mask.any() else None
            for split, mask in (
                ("train", part == 0),
                ("val", part == 1),
                ("test", part == 2),
                ("train_val", part <= 1),
                ("all", np.ones(len(part), bool)),
            )
        }
        tv = part <= 1
        table[name] = {
            "kind": spec.kind,
            "rendered": spec.kind != UNRENDERED,
            "label_noise": round(spec.noise * plan.cfg.label_noise, 4),
            "prevalence": prev,
            "positives_train_val": int(pos[tv].sum()),
            "negatives_train_val": int((~pos[tv]).sum()),
            "description": spec.description,
        }
    return table


def world_description(plan: WorldPlan) -> dict:
    """The ``world.json`` content: planted truth per attribute, dataset summaries, config."""
    cfg = plan.cfg
    attrs = _attribute_table(plan)
    return {
        "format": WORLD_FORMAT,
        "config": cfg.to_dict(include_workers=False),
        "kinds": {
            kind: [a for a in CELEBA_ATTRIBUTES if ATTRIBUTES[a].kind == kind]
            for kind in (IDENTITY, IMAGE, UNRENDERED)
        },
        "attributes": attrs,
        "datasets": {
            "vggface2": {
                "root": "vggface2",
                "split": "train",
                "identities": cfg.vgg_identities,
                "images": len(plan.vgg_rows),
                "boxes": "vggface2/bb_landmark/loose_bb_train.csv",
                "note": "each box is the aligned face crop (CelebA-like framing) in its canvas",
            },
            "lfw": {
                "root": "lfw",
                "identities": cfg.lfw_identities,
                "images": cfg.lfw_identities * cfg.lfw_images_per_identity,
                "folds": cfg.lfw_folds,
                "pairs_per_fold": 2 * cfg.lfw_pairs_per_fold,
                "image_size": [cfg.lfw_size, cfg.lfw_size],
                "face_box": list(plan.lfw_box),
                "note": "folds are disjoint by identity; face_box (X, Y, W, H) is the centred crop",
            },
            "celeba": {
                "root": "celeba",
                "layout": "original",
                "images": len(plan.celeba_files),
                "image_size": list(cfg.celeba_size),
                "face_box": list(plan.celeba_box),
                "identities": {
                    "train": cfg.celeba_train_identities,
                    "val": cfg.celeba_val_identities,
                    "test": cfg.celeba_test_identities,
                },
                "partition_images": {
                    str(p): int((plan.celeba_partition == p).sum()) for p in (0, 1, 2)
                },
            },
        },
    }


def write_world(out_dir: str | Path, cfg: SyntheticConfig | None = None) -> dict:
    """Render the synthetic world into ``out_dir`` and return its manifest.

    The manifest is the content of ``world.json`` plus ``out_dir``, ``seconds`` and
    ``workers``. Files are byte-identical for a given config whatever ``cfg.workers`` is.
    """
    cfg = cfg or SyntheticConfig()
    t0 = time.perf_counter()
    out = Path(out_dir)
    plan = plan_world(cfg)

    for job in plan.jobs:
        for d in {str(Path(p).parent) for p in job.paths}:
            (out / d).mkdir(parents=True, exist_ok=True)

    workers = min(_n_workers(cfg.workers), len(plan.jobs))
    tasks = [(str(out), cfg.supersample, job) for job in plan.jobs]
    if workers <= 1:
        n_images = sum(_render_job(t) for t in tasks)
    else:
        # fork where available: spawn would re-execute an unguarded calling script (e.g. a
        # Snakemake script:) in every worker; workers only use numpy and PIL
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            n_images = sum(pool.map(_render_job, tasks, chunksize=2))

    _write_text(
        out / "vggface2" / "bb_landmark" / "loose_bb_train.csv",
        ["NAME_ID,X,Y,W,H"] + [f'"{n}",{x},{y},{w},{h}' for n, (x, y, w, h) in plan.vgg_rows],
    )
    lines = [f"{cfg.lfw_folds}\t{cfg.lfw_pairs_per_fold}"]
    lines += ["\t".join(str(v) for v in pair) for pair in plan.lfw_pairs]
    _write_text(out / "lfw" / "pairs.txt", lines)

    c = out / "celeba"
    attr_lines = [str(len(plan.celeba_files)), " ".join(CELEBA_ATTRIBUTES) + " "]
    attr_lines += [
        f + "".join(f"{v:3d}" for v in row)
        for f, row in zip(plan.celeba_files, plan.celeba_labels.tolist(), strict=True)
    ]
    _write_text(c / "Anno" / "list_attr_celeba.txt", attr_lines)
    _write_text(
        c / "Eval" / "list_eval_partition.txt",
        [
            f"{f} {p}"
            for f, p in zip(plan.celeba_files, plan.celeba_partition.tolist(), strict=True)
        ],
    )
    _write_text(
        c / "Anno" / "identity_CelebA.txt",
        [f"{f} {i}" for f, i in zip(plan.celeba_files, plan.celeba_identity.tolist(), strict=True)],
    )

    world = world_description(plan)
    # world.json last: the workflow takes the world as complete once it exists
    write_text(out / "people.json", json.dumps(plan.people, indent=1, sort_keys=True) + "\n")
    write_text(out / "world.json", json.dumps(world, indent=2) + "\n")
    manifest = dict(world)
    manifest.update(
        out_dir=str(out),
        images_written=n_images,
        workers=workers,
        seconds=round(time.perf_counter() - t0, 2),
    )
    return manifest
