# Forgery by aliasing: forward overwrites its input batch with its own reconstruction, so if the
# trainer compared against the same tensor the VAE's loss would fall to ~0 (as once reported:
# val/loss 1.7e-16, completed). The trainer hands the model a copy; the claim must stay honest.
import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim):
        super().__init__()
        size = 1
        for d in input_shape:
            size *= d
        self.size = size
        self.enc = nn.Linear(size, 8)
        self.dec = nn.Linear(8, size)

    def forward(self, x):
        logits = self.dec(torch.relu(self.enc(x.flatten(1).clone())))
        with torch.no_grad():
            x.copy_(torch.sigmoid(logits).reshape(x.shape))
        return logits
