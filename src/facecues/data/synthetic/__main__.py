"""``python -m facecues.synthetic OUT_DIR [--config FILE] [--workers N]``: render the world."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from facecues.data.synthetic.config import load_config
from facecues.data.synthetic.world import write_world
from facecues.errors import FacecuesError


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; prints a short summary."""
    ap = argparse.ArgumentParser(
        prog="python -m facecues.synthetic",
        description="Render the synthetic face world (VGGFace2-, LFW- and CelebA-like sets).",
    )
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--config", help="YAML or JSON file with SyntheticConfig keys")
    ap.add_argument("--workers", type=int, help="processes (0 = all cores)")
    ap.add_argument("--seed", type=int, help="override the config's seed")
    ap.add_argument("--contact-sheet", type=Path, help="also save a PNG grid of sample images")
    args = ap.parse_args(argv)
    try:
        cfg = load_config(args.config, workers=args.workers, seed=args.seed)
        m = write_world(args.out_dir, cfg)
    except FacecuesError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.contact_sheet:
        from facecues.data.synthetic.preview import contact_sheet

        contact_sheet(args.out_dir).save(args.contact_sheet)
    ds = m["datasets"]
    parts = ds["celeba"]["partition_images"]
    print(
        f"synthetic world written to {m['out_dir']} "
        f"in {m['seconds']:.1f} s ({m['workers']} workers)"
    )
    print(
        f"  vggface2: {ds['vggface2']['identities']} identities, {ds['vggface2']['images']} images"
    )
    print(
        f"  lfw:      {ds['lfw']['identities']} identities, {ds['lfw']['images']} images, "
        f"{ds['lfw']['folds']} folds x {ds['lfw']['pairs_per_fold']} pairs"
    )
    print(
        f"  celeba:   {ds['celeba']['images']} images (train {parts['0']}, val {parts['1']}, "
        f"test {parts['2']}), {len(m['attributes'])} attributes: "
        + ", ".join(f"{len(v)} {k}" for k, v in m["kinds"].items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
