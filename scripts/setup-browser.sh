#!/usr/bin/env bash
# Install Debian's headless Chromium for the dashboard's browser test (tests/e2e/). The
# dashboard itself needs no browser; only the test that opens it does. Idempotent: a machine
# that already has /usr/bin/chromium goes straight on. Playwright's own browser download needs
# the internet, so the test drives this Debian build through `executable_path` instead.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "setup-browser: Chromium is missing; run as root (apt-get install -y chromium)" >&2
    exit 3
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
/usr/bin/chromium --version
