from sentinel.sandbox import seccomp

MUST_DENY = {
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "userfaultfd",
    "bpf",
    "perf_event_open",
    "keyctl",
    "add_key",
    "request_key",
    "unshare",
    "setns",
    "mount",
    "personality",
}


def test_profile_denies_by_default_with_eperm():
    profile = seccomp.profile()
    assert profile["defaultAction"] == "SCMP_ACT_ERRNO"
    assert profile["defaultErrnoRet"] == seccomp.EPERM


def test_attack_syscalls_are_never_allowed():
    allowed = set(seccomp.ALLOWED_SYSCALLS)
    assert not (MUST_DENY & allowed)
    assert set(seccomp.DENIED_SYSCALLS) >= MUST_DENY


def test_clone_is_filtered_for_namespace_flags_and_clone3_falls_back():
    rules = {tuple(r["names"]): r for r in seccomp.profile()["syscalls"]}
    clone = rules[("clone",)]
    assert clone["args"][0]["op"] == "SCMP_CMP_MASKED_EQ"
    assert clone["args"][0]["value"] & 0x10000000  # CLONE_NEWUSER is in the refused mask
    assert rules[("clone3",)]["errnoRet"] == seccomp.ENOSYS


def test_training_essentials_are_allowed():
    for name in ("futex", "mmap", "read", "write", "openat", "sched_getaffinity", "getrandom", "exit_group"):
        assert name in seccomp.ALLOWED_SYSCALLS
