#!/usr/bin/env bash
# Create the project virtualenv with the host's packages. torch is pinned to 2.13.0 (the CPU
# wheel on disk here); installing it first keeps any other package from pulling a CUDA build.
set -euo pipefail
venv=${1:-.venv}
python3 -m venv "$venv"
"$venv/bin/pip" install -q --upgrade "setuptools>=70" wheel
"$venv/bin/pip" install -q "torch==2.13.0"
"$venv/bin/pip" install -q -e '.[host,dev]'
# Remove stale venv stamps so the Makefile's current stamp is the only one.
rm -f "$venv"/.installed-*
