"""A small Vision Transformer for the architectures preset: torchvision's
VisionTransformer (ViT-B/16's design) at a size a laptop CPU trains in minutes.

The preset (configs/small_vit.yaml) is compute-matched to the default study's ResNet:
on the 64 px faces, 8x8 px patches (an 8x8 grid: 64 tokens and the class token), 6
encoder blocks of width 48 (3 heads of 16, an MLP of 96), a training step 0.74-0.76x the
ResNet's (``benchmarks/train_step.py``, one thread, batch 64). The width, not the depth,
was cut from this function's defaults, the first preset's (width 128, 4 heads, an MLP of
256: 2.7x the ResNet's step), keeping its 14 probe points.

Used as ``model.architecture: {source: file, name: configs/networks/small_vit.py:small_vit}``;
the keyword arguments come from the entry's ``kwargs``.
"""

from torchvision.models import VisionTransformer


def small_vit(
    image_size: int = 64,
    patch_size: int = 8,
    num_layers: int = 6,
    num_heads: int = 4,
    hidden_dim: int = 128,
    mlp_dim: int = 256,
) -> VisionTransformer:
    """A ViT of ``num_layers`` encoder blocks on ``image_size`` px images cut into
    ``patch_size`` px patches (with the class token: (image_size / patch_size)^2 + 1 tokens)."""
    return VisionTransformer(
        image_size=image_size,
        patch_size=patch_size,
        num_layers=num_layers,
        num_heads=num_heads,
        hidden_dim=hidden_dim,
        mlp_dim=mlp_dim,
    )
