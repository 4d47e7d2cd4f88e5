# technique: if __name__ == '__main__' block: code that runs when the file is executed directly
# source: common LLM output; module-level control flow
# expect: SV108
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        return self.fc(x.flatten(1))


if __name__ == '__main__':
    Model((1, 8), 2)
