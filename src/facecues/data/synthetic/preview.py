"""Contact sheets of a written synthetic world (for looking at it)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from facecues.data.celeba import load_celeba
from facecues.data.vggface2 import load_vggface2

_TAGS = (
    ("Male", "M"),
    ("Eyeglasses", "G"),
    ("Wearing_Hat", "H"),
    ("Smiling", "S"),
    ("Mouth_Slightly_Open", "O"),
    ("Blurry", "B"),
    ("Pale_Skin", "P"),
    ("Bald", "b"),
    ("Bangs", "f"),
    ("Goatee", "g"),
    ("Mustache", "m"),
)


def contact_sheet(world_dir: str | Path, n: int = 40, cols: int = 10, zoom: int = 2) -> Image.Image:
    """A grid of the first ``n`` CelebA-like images (tagged: M male, G glasses, H hat,
    S smiling, O mouth open, B blurry, P pale, b bald, f bangs, g goatee, m mustache) above a
    row of VGGFace2-like canvases with their loose boxes drawn in red."""
    world_dir = Path(world_dir)
    c = load_celeba(world_dir / "celeba", check_images=False)
    v = load_vggface2(world_dir / "vggface2", check_images=False)
    w, h = Image.open(c.image_path(0)).size
    cw, ch = w * zoom, h * zoom + 12
    rows = (min(n, len(c)) + cols - 1) // cols
    side = 112 * zoom
    n_vgg = min(len(v), max(1, cols * cw // side))
    sheet = Image.new("RGB", (max(cols * cw, n_vgg * side), rows * ch + side), "white")
    draw = ImageDraw.Draw(sheet)
    for i in range(min(n, len(c))):
        x, y = (i % cols) * cw, (i // cols) * ch
        sheet.paste(Image.open(c.image_path(i)).convert("RGB").resize((w * zoom, h * zoom)), (x, y))
        tags = "".join(t for a, t in _TAGS if c.attribute(a)[i] == 1)
        draw.text((x + 2, y + h * zoom), tags, fill="black")
    for k in range(n_vgg):
        i = k * max(1, len(v) // n_vgg)
        im = Image.open(v.image_path(i)).convert("RGB")
        bx, by, bw, bh = v.boxes[i].tolist()
        ImageDraw.Draw(im).rectangle([bx, by, bx + bw - 1, by + bh - 1], outline=(255, 0, 0))
        sheet.paste(im.resize((im.width * zoom, im.height * zoom)), (k * side, rows * ch))
    return sheet
