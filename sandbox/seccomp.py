"""Sentinel's own seccomp profile: an allowlist of what model training needs, EPERM for the rest.

It starts from the same idea as Docker's default profile (allow the ordinary syscalls of a
Linux process, deny by default) and then removes what training never needs and attackers love.
PLATFORM.md measured that this engine's default profile still lets a same-uid process ptrace
PID 1 and call io_uring_setup; those are exactly what this profile closes.

Removed on purpose (each is EPERM here even where Docker's default allows it):
- ptrace, process_vm_readv, process_vm_writev, kcmp: reading or steering another process
  of the same uid (the trainer, the init) is the first step of most container escapes.
- io_uring_setup/enter/register: a second syscall interface that bypasses seccomp filtering
  of the calls it performs, and the source of many kernel CVEs.
- userfaultfd: turns kernel races into reliable exploits.
- bpf, perf_event_open: kernel attack surface and a side channel.
- keyctl, add_key, request_key: the kernel keyring is not namespaced.
- unshare, setns, mount, umount2, pivot_root, chroot: no new namespaces or mounts.
- personality: READ_IMPLIES_EXEC and ASLR opt-outs.
- clone with namespace flags (the flags are masked; plain threads and forks work) and clone3,
  which answers ENOSYS so glibc falls back to the filtered clone.
- fanotify_mark, name_to_handle_at, open_by_handle_at, quotactl, acct, swapon/off, reboot,
  kexec_*, init/finit/delete_module, iopl/ioperm, settimeofday, clock_settime, syslog,
  lookup_dcookie, vhangup, nfsservctl: host administration, never training.
"""

from __future__ import annotations

import json
from typing import Any

EPERM, ENOSYS = 1, 38
# CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET: a clone that sets any is refused.
CLONE_NAMESPACE_FLAGS = 0x7E020000

ALLOWED_SYSCALLS: tuple[str, ...] = tuple(
    """
    accept accept4 access alarm arch_prctl bind brk capget capset chdir chmod chown
    clock_getres clock_gettime clock_nanosleep close close_range connect copy_file_range creat
    dup dup2 dup3 epoll_create epoll_create1 epoll_ctl epoll_pwait epoll_pwait2 epoll_wait
    eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64 fallocate
    fchdir fchmod fchmodat fchown fchownat fcntl fdatasync fgetxattr flistxattr flock fork
    fremovexattr fsetxattr fstat fstatfs fsync ftruncate futex futex_waitv futimesat getcpu
    getcwd getdents getdents64 getegid geteuid getgid getgroups getitimer getpeername getpgid
    getpgrp getpid getppid getpriority getrandom getresgid getresuid getrlimit get_robust_list
    getrusage getsid getsockname getsockopt gettid gettimeofday getuid getxattr
    inotify_add_watch inotify_init inotify_init1 inotify_rm_watch ioctl ioprio_get ioprio_set
    kill lchown lgetxattr link linkat listen listxattr llistxattr lremovexattr lseek lsetxattr
    lstat madvise membarrier memfd_create mincore mkdir mkdirat mlock mlock2 mlockall mmap
    mprotect mremap msync munlock munlockall munmap nanosleep newfstatat open openat openat2
    pause pipe pipe2 poll ppoll prctl pread64 preadv preadv2 prlimit64 pselect6 pwrite64
    pwritev pwritev2 read readahead readlink readlinkat readv recvfrom recvmmsg recvmsg
    removexattr rename renameat renameat2 restart_syscall rmdir rseq rt_sigaction
    rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait
    rt_tgsigqueueinfo sched_getaffinity sched_getattr sched_getparam sched_get_priority_max
    sched_get_priority_min sched_getscheduler sched_rr_get_interval sched_setaffinity
    sched_setattr sched_setparam sched_setscheduler sched_yield seccomp select semctl semget
    semop semtimedop sendfile sendmmsg sendmsg sendto setfsgid setfsuid setgid setgroups
    setitimer setpgid setpriority setregid setresgid setresuid setreuid setrlimit
    set_robust_list setsid setsockopt set_tid_address setuid setxattr shmat shmctl shmdt
    shmget shutdown sigaltstack signalfd signalfd4 socket socketpair splice stat statfs statx
    symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill time timer_create
    timer_delete timer_getoverrun timer_gettime timer_settime timerfd_create timerfd_gettime
    timerfd_settime times tkill truncate umask uname unlink unlinkat utime utimensat utimes
    vfork wait4 waitid write writev
    """.split()  # noqa: SIM905 - one readable block of names beats a 300-line list
)

DENIED_SYSCALLS: tuple[str, ...] = tuple(
    """
    ptrace process_vm_readv process_vm_writev kcmp io_uring_setup io_uring_enter
    io_uring_register userfaultfd bpf perf_event_open keyctl add_key request_key unshare
    setns mount umount2 pivot_root chroot personality fanotify_init fanotify_mark
    name_to_handle_at open_by_handle_at quotactl acct swapon swapoff reboot kexec_load
    kexec_file_load init_module finit_module delete_module iopl ioperm settimeofday
    clock_settime clock_adjtime adjtimex syslog lookup_dcookie vhangup nfsservctl
    move_mount open_tree fsopen fsconfig fsmount fspick
    """.split()  # noqa: SIM905 - one readable block of names beats a 300-line list
)


def profile() -> dict[str, Any]:
    """The profile as the engine expects it (Docker's seccomp JSON format)."""
    overlap = set(ALLOWED_SYSCALLS) & set(DENIED_SYSCALLS)
    if overlap:  # a policy bug, not a run-time condition
        raise AssertionError(f"syscalls both allowed and denied: {sorted(overlap)}")
    return {
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": EPERM,
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "syscalls": [
            {"names": list(ALLOWED_SYSCALLS), "action": "SCMP_ACT_ALLOW"},
            {
                "names": ["clone"],
                "action": "SCMP_ACT_ALLOW",
                "args": [
                    {"index": 0, "value": CLONE_NAMESPACE_FLAGS, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}
                ],
            },
            {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": ENOSYS},
            {"names": list(DENIED_SYSCALLS), "action": "SCMP_ACT_ERRNO", "errnoRet": EPERM},
        ],
    }


def profile_json() -> str:
    return json.dumps(profile(), separators=(",", ":"))
