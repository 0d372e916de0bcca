"""Every number facecues quotes from the paper and the literature, in one place.

The paper: M. A. Diniz and W. R. Schwartz, "Face Attributes as Cues for Deep
Face Recognition Understanding", IEEE FG 2020 (docs/protocol.md). Accuracies
are CelebA test accuracies in percent, as printed in its Table I.
"""

from __future__ import annotations

# ----------------------------------------------------------------------------------------
# The paper's Table I.

#: The 14 attributes of the paper's Table I, in its order.
TABLE1_ATTRIBUTES = (
    "Male",
    "Smiling",
    "Eyeglasses",
    "Wearing_Hat",
    "Wearing_Lipstick",
    "Wavy_Hair",
    "High_Cheekbones",
    "Pointy_Nose",
    "Big_Nose",
    "Blurry",
    "Brown_Hair",
    "Oval_Face",
    "Narrow_Eyes",
    "Wearing_Necklace",
)
#: The paper's own rows: the 14 attributes, then the average over all 40 (percent).
PAPER_ROWS = {
    "Multitask": (
        (98.2, 91.3, 99.5, 98.9, 93.7, 82.3, 86.2, 76.6, 83.9, 95.2, 86.2, 73.7, 85.6, 86.2),
        90.2,
    ),
    "Best Layer": (
        (97.7, 90.4, 98.3, 97.5, 92.1, 80.2, 83.6, 65.3, 72.6, 83.4, 74.0, 60.4, 71.3, 62.7),
        83.1,
    ),
    "Best Filter": (
        (96.4, 87.9, 96.7, 95.1, 89.9, 77.3, 81.0, 62.6, 69.6, 76.8, 67.3, 59.4, 72.4, 54.8),
        79.5,
    ),
    "Best Neuron": (
        (96.2, 83.4, 96.1, 96.3, 89.6, 70.5, 78.8, 65.3, 68.7, 69.8, 64.2, 60.3, 75.2, 54.7),
        77.4,
    ),
}
#: Supervised attribute networks as quoted in the paper's Table I: (the 14 attributes or
#: None where it quotes only the average, the average over 40), percent. MOON: Rudd et al.
#: 2016; AttCNN: Hand et al. 2018; LNets+ANets: Liu et al. 2015.
LITERATURE_ROWS = {
    "MOON": (None, 90.9),
    "AttCNN": (None, 91.0),
    "LNets+ANets": ((98, 92, 99, 99, 93, 80, 87, 72, 78, 84, 80, 66, 81, 71), 87.0),
}
#: The supervised networks claim (a) compares single neurons with.
CLAIM_A_REFERENCE = "LNets+ANets"


def quoted(row: str) -> dict[str, float]:
    """{attribute: percent} of a quoted Table I row (the paper's or the literature's)."""
    numbers = {**PAPER_ROWS, **LITERATURE_ROWS}[row][0]
    return dict(zip(TABLE1_ATTRIBUTES, numbers, strict=True)) if numbers else {}


# ----------------------------------------------------------------------------------------
# The paper's claims (docs/protocol.md section 10) and the attributes they name.

#: (a) "gender, eyeglasses and hat usage can be predicted with over 96% accuracy even when
#: only a single neural output is used ... less than 3 percentage points lower than ...
#: deep supervised face attribute networks".
SINGLE_NEURON_ATTRIBUTES = ("Male", "Eyeglasses", "Wearing_Hat")
SINGLE_NEURON_ACCURACY = 96.0
SUPERVISED_GAP = 3.0
#: (b) over the 40 attributes, "a single neuron is less than 6 p.p. worse than an entire
#: ... layer. Selecting the best filter diminishes this gap to less than 4 p.p."
NEURON_GAP, FILTER_GAP = 6.0, 4.0
ALL_ATTRIBUTES = 40


def paper_gap(row: str) -> float:
    """The paper's own gap of claim (b), from Table I's averages over the 40 attributes:
    best layer minus ``row`` (p.p., one decimal: 83.1 - 77.4 = 5.7 for the best neuron)."""
    return round(PAPER_ROWS["Best Layer"][1] - PAPER_ROWS[row][1], 1)


PAPER_NEURON_GAP, PAPER_FILTER_GAP = paper_gap("Best Neuron"), paper_gap("Best Filter")
#: (c) attributes that "encode intra-class variations of an identity" and lose accuracy
#: with depth (the last row of the paper's Fig. 3) ...
PER_IMAGE_ATTRIBUTES = ("Pale_Skin", "Blurry", "Mouth_Slightly_Open", "Smiling")
#: ... and identity-bound ones that stay high: eyeglasses, hat, gender and hair colour
#: (the hair colours are this project's reading of "hair colour").
IDENTITY_ATTRIBUTES = (
    "Eyeglasses",
    "Wearing_Hat",
    "Male",
    "Black_Hair",
    "Blond_Hair",
    "Brown_Hair",
    "Gray_Hair",
)

# ----------------------------------------------------------------------------------------
# The real datasets' published sizes (``facecues plan`` never reads the data).

VGGFACE2_TRAIN_IMAGES = 3_141_890  # VGGFace2 train split (Cao et al., 2018)
VGGFACE2_TRAIN_IDENTITIES = 8_631
LFW_IMAGES = 13_233  # Huang et al., 2007
LFW_PAIRS = 6_000  # pairs.txt: 10 folds x (300 matched + 300 mismatched)
CELEBA_PARTITIONS = (162_770, 19_867, 19_962)  # train, val, test (Liu et al., 2015)
CELEBA_PIXELS = 178 * 218  # img_align_celeba
LFW_PIXELS = 250 * 250
