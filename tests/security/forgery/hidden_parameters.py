# Forgery of the training signal: the model hides its parameters from the optimizer and the
# monitor (grad norm 0.0) and trains itself through its own gradient hooks. The trainer must use
# nn.Module.parameters(model), so the optimizer, the grad norm and the monitor see the real ones.
import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim):
        super().__init__()
        size = 1
        for d in input_shape:
            size *= d
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(size, output_dim))
        for p in nn.Module.parameters(self):
            p.register_hook(self._self_update(p))

    @staticmethod
    def _self_update(p):
        def hook(grad):
            with torch.no_grad():
                p.sub_(0.01 * grad)  # trains itself, out of the optimizer's and monitor's sight
            return grad

        return hook

    def parameters(self, recurse=True):
        return iter(())

    def forward(self, x):
        return self.net(x)
