"""Attacks tried for real inside the hardened container; each must fail.

Network tests aim only at this machine's loopback or ask the kernel for a route with a UDP
connect(), which sends no packet. Nothing here ever targets an address off this machine.
"""

from __future__ import annotations

import socket
import textwrap
import threading

import pytest
from _support import payload_report

pytestmark = pytest.mark.docker

# TEST-NET-1 (RFC 5737): a UDP connect() only asks the kernel for a route; no packet is sent.
UNROUTABLE_PROBE = "192.0.2.1"


def test_no_network_interfaces_routes_or_egress(run_payload):
    code = textwrap.dedent(f"""
        import errno, json, os, socket
        report = {{"ifaces": sorted(os.listdir("/sys/class/net"))}}
        report["routes4"] = open("/proc/net/route").read().strip().splitlines()[1:]
        report["routes6"] = [l for l in open("/proc/net/ipv6_route").read().splitlines() if not l.endswith(" lo")]
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.connect(("{UNROUTABLE_PROBE}", 53)); report["udp"] = "connected"
        except OSError as e:
            report["udp"] = errno.errorcode[e.errno]
        print(json.dumps(report))
    """)
    report = payload_report(run_payload(code))
    assert report["ifaces"] == ["lo"]
    assert report["routes4"] == []
    assert report["routes6"] == []
    assert report["udp"] == "ENETUNREACH"


def test_host_loopback_listener_is_unreachable(run_payload):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    accepted: list[object] = []
    stop = threading.Event()

    def accept_loop() -> None:
        while not stop.is_set():
            try:
                accepted.append(listener.accept())
            except (TimeoutError, OSError):
                continue

    thread = threading.Thread(target=accept_loop, daemon=True)
    thread.start()
    code = textwrap.dedent(f"""
        import errno, json, socket
        try:
            socket.create_connection(("127.0.0.1", {port}), timeout=3); out = "connected"
        except OSError as e:
            out = errno.errorcode.get(e.errno, str(e))
        print(json.dumps({{"tcp": out}}))
    """)
    try:
        report = payload_report(run_payload(code))
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()
    assert report["tcp"] == "ECONNREFUSED"  # the container's own empty loopback answered
    assert accepted == []  # the host's listener never saw a connection


def test_identity_rootfs_capabilities_and_no_docker_socket(run_payload):
    code = textwrap.dedent("""
        import json, os
        status = dict(l.split(":", 1) for l in open("/proc/self/status").read().splitlines() if ":" in l)
        report = {"uid": os.getuid(), "gid": os.getgid(), "capeff": status["CapEff"].strip(),
                  "capbnd": status["CapBnd"].strip(), "nonewprivs": status["NoNewPrivs"].strip(),
                  "seccomp": status["Seccomp"].strip()}
        for path in ("/etc/evil", "/opt/venv/evil", "/job/evil", "/data/evil"):
            try:
                open(path, "w").write("x"); report[path] = "written"
            except OSError as e:
                report[path] = e.strerror
        report["sockets"] = [p for p in ("/var/run/docker.sock", "/run/docker.sock") if os.path.exists(p)]
        mounts = open("/proc/self/mounts").read().splitlines()
        report["tmp"] = next(l for l in mounts if " /tmp " in l)
        report["artifacts"] = next(l for l in mounts if " /artifacts " in l)
        open("/artifacts/ok", "w").write("fine")
        print(json.dumps(report))
    """)
    report = payload_report(run_payload(code))
    assert report["uid"] == 65534 and report["gid"] == 65534
    assert int(report["capeff"], 16) == 0 and int(report["capbnd"], 16) == 0
    assert report["nonewprivs"] == "1"
    assert report["seccomp"] == "2"  # filter mode: Sentinel's profile is loaded
    for path in ("/etc/evil", "/opt/venv/evil", "/job/evil", "/data/evil"):
        assert report[path] in {"Read-only file system", "Permission denied", "No such file or directory"}, (
            path
        )
    assert report["sockets"] == []
    for mount in ("tmp", "artifacts"):
        options = report[mount].split()[3].split(",")
        assert {"nosuid", "nodev", "noexec"} <= set(options), report[mount]


def test_removed_syscalls_fail_with_eperm(run_payload):
    code = textwrap.dedent("""
        import ctypes, json, os, signal, time
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        child = os.fork()
        if child == 0:
            time.sleep(30); os._exit(0)
        NR = {"ptrace": 101, "process_vm_readv": 310, "io_uring_setup": 425, "userfaultfd": 323,
              "bpf": 321, "perf_event_open": 298, "keyctl": 250, "add_key": 248, "unshare": 272,
              "setns": 308, "mount": 165, "personality": 135, "kcmp": 312}
        args = {"ptrace": (16, child, 0, 0), "process_vm_readv": (child, 0, 0, 0, 0, 0),
                "io_uring_setup": (8, 0), "userfaultfd": (0,), "bpf": (0, 0, 0), "perf_event_open": (0, 0, -1, -1, 0),
                "keyctl": (0, 0), "add_key": (0, 0, 0, 0, 0), "unshare": (0x10000000,), "setns": (0, 0),
                "mount": (0, 0, 0, 0, 0), "personality": (0x0400000,), "kcmp": (os.getpid(), child, 0, 0, 0)}
        report = {}
        for name, nr in NR.items():
            ctypes.set_errno(0)
            rc = libc.syscall(nr, *args[name])
            report[name] = "ok" if rc >= 0 else os.strerror(ctypes.get_errno())
        ctypes.set_errno(0)
        report["ptrace_init"] = os.strerror(ctypes.get_errno()) if libc.syscall(101, 16, 1, 0, 0) < 0 else "ok"
        try:
            fd = os.open(f"/proc/{child}/mem", os.O_RDONLY); os.read(fd, 1); report["procmem"] = "read"
        except OSError as e:
            report["procmem"] = e.strerror
        os.kill(child, signal.SIGKILL)
        import threading; t = threading.Thread(target=lambda: None); t.start(); t.join()
        report["threads"] = "ok"
        print(json.dumps(report))
    """)
    report = payload_report(run_payload(code))
    for name in (
        "ptrace",
        "ptrace_init",
        "process_vm_readv",
        "io_uring_setup",
        "userfaultfd",
        "bpf",
        "perf_event_open",
        "keyctl",
        "add_key",
        "unshare",
        "setns",
        "mount",
        "personality",
        "kcmp",
    ):
        assert report[name] == "Operation not permitted", (name, report[name])
    assert report["procmem"] in {"Permission denied", "Operation not permitted", "Input/output error"}
    assert report["threads"] == "ok"  # ordinary threads still work (clone without namespace flags)
