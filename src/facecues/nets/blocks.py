"""The block rule: which modules of a network are its blocks (docs/protocol.md section 4).

One rule for every architecture family. A **container** is an ``nn.Sequential``,
``nn.ModuleList`` or ``nn.ModuleDict``, or a subclass of one (torchvision's
``Conv2dNormActivation``, DenseNet's ``_DenseBlock``): it holds parts, it is
never a block. A **unit** is a module that has submodules, is not a container
and is not one of torch's own modules (``nn.MultiheadAttention``). A unit
class is **repeated** where two of its instances sit next to each other in a
container. Then a **block** is an instance of a repeated unit class that sits
in a container, does not itself hold two adjacent instances of a repeated
class (a module that does is a stage: its blocks are inside it), and is not
inside another block. A block's **stage** is the container holding it.

This finds ResNet's Bottleneck and BasicBlock, an iResNet's IBasicBlock,
DenseNet's dense layers, MobileNet's and EfficientNet's inverted residuals
(MBConv, a stage of one block included), ConvNeXt's CNBlock, Swin's and
ViT's transformer blocks and MaxViT's attention layers; not the plain
``nn.Sequential`` stages that hold them, nor the downsampling units between
stages (DenseNet's transitions, Swin's patch merging), nor what sits inside a
block (an MBConv's squeeze-excitation).
"""

from __future__ import annotations

from torch import nn

CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)


def is_container(m: nn.Module) -> bool:
    """Whether ``m`` only holds parts (a Sequential, ModuleList, ModuleDict or subclass)."""
    return isinstance(m, CONTAINERS)


def _is_unit(m: nn.Module) -> bool:
    own = type(m).__module__.startswith(("torch.nn", "torch.ao.nn"))
    return not own and not is_container(m) and next(m.children(), None) is not None


def repeated_classes(model: nn.Module) -> set[type]:
    """The unit classes two of whose instances sit next to each other in a container."""
    found: set[type] = set()
    for m in model.modules():
        if is_container(m):
            kinds = [type(c) if _is_unit(c) else None for c in m.children()]
            found |= {a for a, b in zip(kinds, kinds[1:], strict=False) if a is not None and a == b}
    return found


def _holds_group(m: nn.Module, repeated: set[type]) -> bool:
    """Whether ``m`` holds two adjacent instances of a repeated class (it is a stage)."""
    for inner in m.modules():
        if inner is not m and is_container(inner):
            kinds = [type(c) for c in inner.children()]
            if any(a == b and a in repeated for a, b in zip(kinds, kinds[1:], strict=False)):
                return True
    return False


def blocks(model: nn.Module) -> list[str]:
    """The paths of ``model``'s blocks (see the module docstring), in module order."""
    repeated = repeated_classes(model)
    found: list[str] = []

    def visit(path: str, m: nn.Module) -> None:
        for name, child in m.named_children():
            where = f"{path}.{name}" if path else name
            if is_container(m) and type(child) in repeated and not _holds_group(child, repeated):
                found.append(where)
            else:
                visit(where, child)

    visit("", model)
    return found


def stage_of(block: str) -> str:
    """A block's stage: the path of the container holding it (``layer2.3`` -> ``layer2``)."""
    return block.rpartition(".")[0] or block
