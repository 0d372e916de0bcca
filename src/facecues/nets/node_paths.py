"""FX tracing that names every node by its place in the network: ``NodePathTracer``.

The names are torchvision's feature extraction's (its ``NodePathTracer``, whose rules
this follows): a node is named by the path of the module it runs in (``layer1.0.conv1``),
an operation outside a leaf module by that path and the operation's own node name
(``layer1.0.add``), and a name met again within its parent gets ``_1``, ``_2``, ... in
the order of the pass (FX numbers repeats over the whole graph instead).
``tests/test_discovery.py`` checks the names equal torchvision's on its models.

Written here because importing torchvision imports ``torch._dynamo`` (through
``torchvision.ops``): ~1.8 s in every job of a study whose network is traced, a user
file's (benchmarks/README.md). A traced network that uses torchvision has imported it
already: its ``torchvision.ops`` functions are then wrapped as leaves, as torchvision's
tracer wraps them.
"""

from __future__ import annotations

import math
import re
import sys

from torch import fx, nn


class NodePathTracer(fx.Tracer):
    """An ``fx.Tracer`` that records ``node_to_qualname``: each node's name, as above."""

    def __init__(self):
        ops = sys.modules.get("torchvision.ops")
        super().__init__(autowrap_modules=(math, ops) if ops is not None else (math,))
        self.module_path = ""  # the module being traced
        self.node_to_qualname: dict[fx.Node, str] = {}

    def call_module(self, m: nn.Module, forward, args, kwargs):
        outer = self.module_path
        try:
            self.module_path = self.path_of_module(m)
            if not self.is_leaf_module(m, self.module_path):
                return forward(*args, **kwargs)
            return self.create_proxy("call_module", self.module_path, args, kwargs)
        finally:
            self.module_path = outer

    def create_proxy(self, kind, target, args, kwargs, name=None, type_expr=None, *_):
        proxy = super().create_proxy(kind, target, args, kwargs, name, type_expr)
        self.node_to_qualname[proxy.node] = self._qualname(proxy.node)
        return proxy

    def _qualname(self, node: fx.Node) -> str:
        name = self.module_path
        if node.op != "call_module":  # an operation: the path and the node's own name
            name = f"{name}.{node}" if name else str(node)
        if re.match(r".+_[0-9]+$", name):  # FX's graph-wide repeat number, dropped
            name = name.rsplit("_", 1)[0]
        for seen in reversed(self.node_to_qualname.values()):  # the last of this name
            if re.match(rf"{name}(_[0-9]+)?$", seen) is not None:
                repeat = seen.replace(name, "")
                return f"{name}_{int(repeat[1:]) + 1 if repeat else 1}"
        return name
