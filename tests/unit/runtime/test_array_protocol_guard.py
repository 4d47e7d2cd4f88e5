"""Defence in depth behind the validator: generated classes cannot hand NumPy a raw-memory view
through the array protocols, neither by defining one nor by setting one on an instance."""

from __future__ import annotations

import types

import numpy as np
import pytest
import torch

from sentinel.sandbox.runtime.loader import ModelLoadError, guard_array_protocols

SOURCE = """
import torch

class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(2, 2)

    def forward(self, x):
        return self.layer(x)

class Holder:
    pass
"""


def _module(source: str) -> types.ModuleType:
    module = types.ModuleType("generated.probe")
    exec(compile(source, "probe.py", "exec"), module.__dict__)  # test-written source only
    return module


def test_defining_an_array_protocol_is_refused_at_load() -> None:
    for name in ("__array_interface__", "__array_struct__", "__array__", "__dlpack__"):
        module = _module(SOURCE + f"\nclass Evil:\n    {name} = None\n")
        with pytest.raises(ModelLoadError, match="array protocol"):
            guard_array_protocols(module)


def test_setting_one_on_an_instance_is_refused_and_normal_attributes_still_work() -> None:
    module = _module(SOURCE)
    guard_array_protocols(module)
    net, holder = module.Net(), module.Holder()
    interface = {"shape": (8,), "typestr": "|u1", "data": (id(net), False), "version": 3}
    for target in (net, holder):
        with pytest.raises(AttributeError, match="refused"):
            target.__array_interface__ = interface
        assert not hasattr(target, "__array_interface__")
    holder.value = 3
    net.scale = torch.nn.Parameter(torch.ones(1))
    assert holder.value == 3 and "scale" in dict(net.named_parameters())
    net.train(False)
    assert net.training is False and net(torch.ones(1, 2)).shape == (1, 2)
    assert np.asarray([1, 2]).sum() == 3  # ordinary numpy use is untouched
