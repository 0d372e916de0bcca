"""Networks named by what they are: the built-in ResNet-50 topology, a torchvision
builder, a timm model or the lab's own module (docs/protocol.md section 1).

An architecture entry is a mapping:

- ``source``: ``facecues`` (the built-in ``resnet50`` topology), ``torchvision``
  (a builder of ``torchvision.models.get_model``), ``timm`` (``timm.create_model``,
  the optional extra ``pip install facecues[timm]``) or ``file`` (``name`` is
  ``path/to/file.py:factory``, a function returning an ``nn.Module``);
- ``name``: what to build; ``kwargs``: the builder's keyword arguments
  (e.g. ``image_size: 64`` for a torchvision ViT);
- ``mean``, ``std`` (optional): the input normalisation the weights expect, per
  RGB channel of pixels in [0, 1] (ImageNet's for torchvision's weights);
  without them, facecues' (x - 128) / 128 (``network_input``).

A spec string names the same in one word: ``resnet50``,
``torchvision:resnet18``, ``timm:resnet18``, ``path/to/file.py:factory``.

Every network is built as a **backbone**: a module whose output is the face
embedding. A classifier head (the last ``nn.Linear``, when its output is the
model's) is replaced by ``nn.Identity``; training puts the identity
classifier on top of the backbone, outside it, so the probe points' names
are the same in training and in probing. Weights are never downloaded:
builders get ``weights=None`` / ``pretrained=False``.
"""

from __future__ import annotations

import difflib
import importlib.util
import inspect
import sys
import traceback
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path

import torch
from torch import nn

from facecues.errors import FacecuesError
from facecues.nets.resnet import FaceResNet
from facecues.nets.spec import BUILT_IN, SOURCES, describe


class FaceNetwork(nn.Module):
    """A backbone with the identity classifier on top, for training: ``embed`` is the
    backbone's output, ``forward`` the logits. (The built-in topology is a
    ``FaceResNet``, which has both already.)"""

    def __init__(self, backbone: nn.Module, num_classes: int, embedding_dim: int, entry=None):
        super().__init__()
        self.backbone = backbone
        self.fc = nn.Linear(embedding_dim, num_classes)
        self.entry = dict(entry or {})  # the architecture entry, saved with the weights

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone(network_input(self.backbone, x)).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.embed(x))


def embed(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The face embedding of ``x`` (facecues' input scale): ``model.embed`` where the model
    has one (a ``FaceResNet``, a ``FaceNetwork``), else the output of a backbone."""
    if hasattr(model, "embed"):
        return model.embed(x)
    return model(network_input(model, x)).flatten(1)


def set_normalisation(model: nn.Module, entry: Mapping) -> nn.Module:
    """Give ``model`` the entry's input normalisation (``mean`` and ``std`` per RGB channel,
    of pixel values scaled to [0, 1], as torchvision's and timm's weights expect), read by
    ``network_input``; without them the network takes facecues' (x - 128) / 128."""
    if entry.get("mean") is not None:
        model.input_mean = torch.tensor(entry["mean"], dtype=torch.float32).view(1, 3, 1, 1)
        model.input_std = torch.tensor(entry["std"], dtype=torch.float32).view(1, 3, 1, 1)
    return model


def network_input(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """A batch in facecues' scale, (x - 128) / 128 of 8-bit pixels, as ``model`` takes it:
    unchanged, or normalised with the entry's mean and std (``set_normalisation``)."""
    mean = getattr(model, "input_mean", None)
    if mean is None:
        return x
    std = model.input_std
    return ((x * 128 + 128) / 255 - mean.to(x.device)) / std.to(x.device)


def embedding_dim(model: nn.Module, input_size: int) -> int:
    """The length of ``model``'s embedding: its ``embedding_dim`` (a ``FaceResNet``), else
    from one forward pass on zeros."""
    if isinstance(getattr(model, "embedding_dim", None), int):
        return model.embedding_dim
    p = next(iter(model.parameters()))
    was_training = model.training
    with torch.no_grad():
        out = embed(model.eval(), torch.zeros(1, 3, input_size, input_size, device=p.device))
    model.train(was_training)
    return out.shape[1]


def build_network(entry: Mapping, input_size: int, num_classes: int) -> nn.Module:
    """The network of ``entry`` to train: a ``FaceResNet`` with ``num_classes`` outputs
    for the built-in topology, else a ``FaceNetwork`` (its backbone and a new head)."""
    if entry["source"] == "facecues":
        _built_in(entry["name"], {})
        return FaceResNet(num_classes, **dict(entry.get("kwargs") or {}))
    backbone = build_backbone(entry, input_size)
    return FaceNetwork(backbone, num_classes, embedding_dim(backbone, input_size), entry)


def build_backbone(entry: Mapping, input_size: int) -> nn.Module:
    """The network of ``entry``, untrained, as a backbone (its output: the embedding);
    ``input_size``: the side of the images it will see (to find its head). Whatever fails
    in the builder or the user's file is one FacecuesError naming the entry, the file and
    function, and the exception's own message."""
    source, name = entry["source"], entry["name"]
    kwargs = dict(entry.get("kwargs") or {})
    what = f"architecture {describe(entry)}"
    try:
        if source == "facecues":
            model = _built_in(name, kwargs)
        elif source == "torchvision":
            model = _torchvision(name, kwargs)
        elif source == "timm":
            model = _timm(name, kwargs)
        elif source == "file":
            model = _from_file(name, kwargs)
        else:
            raise FacecuesError(f"source {source!r}: expected one of {', '.join(SOURCES)}")
    except FacecuesError as e:
        raise FacecuesError(f"{what}: {e}") from None
    except Exception as e:  # noqa: BLE001 - the builder failed: its own words
        refused = isinstance(e, TypeError) and "keyword argument" in str(e)
        did = f"refused kwargs {kwargs}:" if refused else f"(kwargs {kwargs}) raised"
        raise FacecuesError(f"{what}: the builder {did} {_raised(e)}") from None
    if not isinstance(model, nn.Module):
        raise FacecuesError(f"{what}: the factory returned {type(model).__name__}, not a Module")
    return set_normalisation(drop_head(model, input_size), entry)


def _built_in(name: str, kwargs: dict) -> nn.Module:
    if name not in BUILT_IN:
        raise FacecuesError(f"unknown built-in network {name!r}; expected one of {BUILT_IN}")
    return FaceResNet(0, **kwargs)


def _torchvision(name: str, kwargs: dict) -> nn.Module:
    import torchvision

    known = torchvision.models.list_models(module=torchvision.models)
    if name not in known:
        raise FacecuesError(f"no torchvision classification builder {name!r}{_close(name, known)}")
    return torchvision.models.get_model(name, weights=None, **kwargs)


def _timm(name: str, kwargs: dict) -> nn.Module:
    try:
        import timm
    except ImportError:
        raise FacecuesError(
            f"timm is not installed in {sys.prefix}: pip install 'facecues[timm]' (or pip "
            "install timm); with --use-conda, add timm to envs/torch.yaml (not in it: an "
            "optional extra)"
        ) from None
    known = timm.list_models()
    if name not in known:
        raise FacecuesError(f"no timm model {name!r}{_close(name, known)}")
    return timm.create_model(name, pretrained=False, **kwargs)


def _from_file(spec: str, kwargs: dict) -> nn.Module:
    """``factory(**kwargs)`` of the module file of ``spec`` (``path/to/file.py:factory``),
    which may import modules beside it (its folder is on ``sys.path`` while it runs)."""
    file, sep, factory = spec.rpartition(":")
    if not sep or not factory:
        raise FacecuesError(f"{spec!r}: expected path/to/file.py:factory")
    path = Path(file)
    if not path.is_file():
        raise FacecuesError(f"module file {path} does not exist")
    with _beside(path.parent):
        module = _import_file(path)
        fn = getattr(module, factory, None)
        if not callable(fn):
            found = [n for n, v in vars(module).items() if callable(v) and not n.startswith("_")]
            raise FacecuesError(
                f"the file has no function {factory!r}; it defines "
                f"{', '.join(sorted(found)) or 'none'}"
            )
        _check_kwargs(fn, kwargs, factory)
        try:
            return fn(**kwargs)
        except Exception as e:  # noqa: BLE001 - the user's factory failed
            raise FacecuesError(f"{factory}(**{kwargs}) raised {_raised(e, path.parent)}") from None


def _import_file(path: Path):
    """The module of ``path``, run once; a failure names the file and the exception."""
    module_spec = importlib.util.spec_from_file_location(f"facecues_user.{path.stem}", path)
    module = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(module)
    except Exception as e:  # noqa: BLE001 - the user's file failed to import
        raise FacecuesError(f"the file failed to import: {_raised(e, path.parent)}") from None
    return module


@contextmanager
def _beside(folder: Path):
    """``folder`` first on ``sys.path`` (a user's file imports the modules beside it);
    afterwards the path and the modules imported from ``folder`` are taken back, so that
    an edited module is read again and another folder's module of the same name is its
    own."""
    folder = str(folder.resolve())
    before = set(sys.modules)
    sys.path.insert(0, folder)
    try:
        yield
    finally:
        sys.path.remove(folder)
        for name in set(sys.modules) - before:
            where = getattr(sys.modules[name], "__file__", None) or ""
            if str(Path(where).resolve()).startswith(folder + "/"):
                del sys.modules[name]


def _check_kwargs(fn, kwargs: dict, what: str) -> None:
    """Refuse keyword arguments ``fn`` does not take, naming them and what it takes."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # a builtin without one: the call itself will say
        return
    try:
        signature.bind(**kwargs)
    except TypeError as e:
        raise FacecuesError(
            f"{what}{signature} refused kwargs {kwargs}: {e} (model.architecture.kwargs)"
        ) from None


def _raised(e: BaseException, folder: Path | None = None) -> str:
    """``Type: message``, and where it was raised: the innermost line of the traceback in
    a file under ``folder`` (the user's), else the innermost line."""
    frames = traceback.extract_tb(e.__traceback__)
    if folder is not None:
        root = str(folder.resolve())
        mine = [f for f in frames if str(Path(f.filename).resolve()).startswith(root + "/")]
        frames = mine or frames
    if isinstance(e, SyntaxError) and e.filename:  # raised where it is, not in a frame
        return f"SyntaxError: {e.msg} (at {e.filename}, line {e.lineno})"
    where = f" (at {frames[-1].filename}, line {frames[-1].lineno})" if frames else ""
    return f"{type(e).__name__}: {e}{where}"


def _close(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=5)
    return f"; did you mean {', '.join(close)}?" if close else ""


def head_path(model: nn.Module, input_size: int) -> str | None:
    """The classifier head: the last ``nn.Linear`` whose output is the model's output
    (one forward pass on zeros), or None."""
    linears = [p for p, m in model.named_modules() if isinstance(m, nn.Linear)]
    if not linears:
        return None
    seen: list[torch.Tensor] = []
    handle = model.get_submodule(linears[-1]).register_forward_hook(
        lambda _m, _i, out: seen.append(out)
    )
    was_training = model.training
    try:
        with torch.no_grad():
            out = model.eval()(torch.zeros(1, 3, input_size, input_size))
    except Exception:  # noqa: BLE001 - the input size is checked by discovery
        return None
    finally:
        handle.remove()
        model.train(was_training)
    return linears[-1] if seen and seen[-1] is out else None


def drop_head(model: nn.Module, input_size: int) -> nn.Module:
    """``model`` with its classifier head replaced by ``nn.Identity``."""
    if isinstance(model, FaceResNet):
        return model
    path = _declared_head(model, input_size)
    if path is None:
        return model
    parent, _, leaf = path.rpartition(".")
    setattr(model.get_submodule(parent) if parent else model, leaf, nn.Identity())
    model.dropped_head = path  # its keys, in a checkpoint of the whole model, are skipped
    return model


def _declared_head(model: nn.Module, input_size: int) -> str | None:
    """The head named by the model (timm's ``default_cfg['classifier']``), else the last
    ``nn.Linear`` when the model ends in it."""
    cfg = getattr(model, "default_cfg", None) or getattr(model, "pretrained_cfg", None) or {}
    name = cfg.get("classifier") if isinstance(cfg, Mapping) else None
    if isinstance(name, str):
        try:
            if isinstance(model.get_submodule(name), nn.Linear):
                return name
        except AttributeError:
            pass
    return head_path(model, input_size)
