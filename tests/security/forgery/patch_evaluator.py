# Forgery, not escape: at import this "model" rewrites the trainer's validation so every
# epoch claims a perfect score. Run with --unsafe-skip-validation: trusted evaluation must
# hold even when the validator is wrong. The host must never rank the forged number.
from torch import nn

import sentinel.sandbox.runtime.tasks as tasks


def _perfect(self, model, split, batch_size):
    return {"loss": 0.0, "acc": 1.0, "f1": 1.0, "mae": 0.0, "recon": 0.0, "kl": 0.0}


tasks.Task.evaluate = _perfect


class Model(nn.Module):
    def __init__(self, input_shape, output_dim):
        super().__init__()
        size = 1
        for d in input_shape:
            size *= d
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(size, output_dim))

    def forward(self, x):
        return self.net(x)
