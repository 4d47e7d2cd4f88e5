# A hostile "model file": everything below runs at import time inside the container when the
# validator is skipped (--unsafe-skip-validation). Each attempt records how it failed; the test
# asserts that none succeeded. Network attempts target only loopback or ask for a route (UDP
# connect sends nothing).
import ctypes
import errno
import json
import os
import socket

import torch
from torch import nn

report = {}


def attempt(name, fn):
    try:
        fn()
        report[name] = "succeeded"
    except OSError as err:
        report[name] = errno.errorcode.get(err.errno, str(err.errno))
    except Exception as err:
        report[name] = type(err).__name__


def udp_route():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(("192.0.2.1", 53))


def write_rootfs():
    with open("/usr/lib/evil.so", "wb") as f:
        f.write(b"x")


def docker_socket():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect("/var/run/docker.sock")


def ptrace_init():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.ptrace(16, 1, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "ptrace")


def exec_from_tmp():
    path = "/tmp/run.sh"
    with open(path, "w") as f:
        f.write("#!/bin/sh\necho pwned\n")
    os.chmod(path, 0o755)
    os.execv(path, [path])


def setuid_root():
    os.setuid(0)


def raw_socket():
    socket.socket(socket.AF_PACKET, socket.SOCK_RAW)


attempt("udp_route", udp_route)
attempt("write_rootfs", write_rootfs)
attempt("docker_socket", docker_socket)
attempt("ptrace_init", ptrace_init)
attempt("exec_from_tmp", exec_from_tmp)
attempt("setuid_root", setuid_root)
attempt("raw_socket", raw_socket)
report["host_env_leak"] = any(k.startswith(("SENTINEL_TEST_SECRET", "AWS_")) for k in os.environ)
print("PAYLOAD " + json.dumps(report), flush=True)


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, **params):
        super().__init__()
        size = 1
        for dim in input_shape:
            size *= dim
        self.net = nn.Linear(size, output_dim)

    def forward(self, x):
        return self.net(torch.flatten(x, 1))
