# Reads another process's memory and environment in the run container (PID 1) and looks for the
# test split's targets in /data. Reports what it saw on stdout; the test asserts every read failed.
import json
import os

from torch import nn

report = {}
for name, path in (("mem", "/proc/1/mem"), ("environ", "/proc/1/environ"), ("maps", "/proc/1/maps")):
    try:
        with open(path, "rb") as f:
            if name == "mem":
                f.seek(0x400000)
            f.read(64)
        report[name] = "succeeded"
    except OSError as err:
        report[name] = type(err).__name__
found = []
for _root, _dirs, files in os.walk("/data"):
    found += [f for f in files if "target" in f]
report["targets_in_data"] = found
print("PAYLOAD " + json.dumps(report), flush=True)


class Model(nn.Module):
    def __init__(self, input_shape, output_dim):
        super().__init__()
        size = 1
        for d in input_shape:
            size *= d
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(size, output_dim))

    def forward(self, x):
        return self.net(x)
