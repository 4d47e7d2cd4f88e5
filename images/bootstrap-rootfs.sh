#!/usr/bin/env bash
# Air-gapped base root filesystem: Debian minbase + a venv with the pinned runtime wheels.
# Usage: bootstrap-rootfs.sh ROOTFS WHEELHOUSE LOCKFILE
# No registry is needed: packages come from Debian's archive, wheels from a host wheelhouse.
set -euo pipefail
rootfs=$1 wheelhouse=$2 lock=$3
mirror=${SENTINEL_DEBIAN_MIRROR:-http://deb.debian.org/debian}

debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$rootfs" "$mirror" >/dev/null
chroot "$rootfs" python3 -m venv /opt/venv
mkdir -p "$rootfs/wheels"
cp "$wheelhouse"/*.whl "$rootfs/wheels/"
cp "$lock" "$rootfs/wheels/lock.txt"
# pip inside the chroot cannot reach an index, so it installs only from the copied wheelhouse.
env -u PIP_FIND_LINKS -u PIP_CONSTRAINT PIP_CONFIG_FILE=/dev/null \
  chroot "$rootfs" /opt/venv/bin/pip install -q --no-index --find-links /wheels -r /wheels/lock.txt
rm -rf "$rootfs/wheels" "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"*
