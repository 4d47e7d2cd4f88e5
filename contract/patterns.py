"""Identifiers shared across modules, each written once: match them with `fullmatch`.

A run id names a container, a volume, an image tag and a folder, so every module that accepts
one (the sandbox's `RunSpec`, the FeedbackStore, the agent's tools) checks the same pattern;
likewise for campaign ids (store rows and review folders), reviewers, override keys and
digests. No anchors: `fullmatch` is the only way to use them (a `$` would let a trailing
newline through). Stdlib only.
"""

from __future__ import annotations

import re

__all__ = ["CAMPAIGN_ID", "OVERRIDE_KEY", "REVIEWER", "RUN_ID", "SHA256"]

#: A run: container, volume and image-tag safe (lower case, starts alphanumeric, 3..64 long).
RUN_ID = re.compile(r"[a-z0-9][a-z0-9_.-]{2,63}")

#: A campaign: a folder name under the runs and review folders, and a store key.
CAMPAIGN_ID = re.compile(r"[a-z0-9][a-z0-9_.-]{2,47}")

#: Who decided a review (recorded in the store and in the bundle's decision file).
REVIEWER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@+-]{0,63}")

#: A dotted config key a reviewer or a brain may change (`trainer.lr`), at most four parts.
OVERRIDE_KEY = re.compile(r"[a-z_][a-z0-9_]{0,47}(?:\.[a-z_][a-z0-9_]{0,47}){0,3}")

#: A lowercase hex sha256 digest.
SHA256 = re.compile(r"[0-9a-f]{64}")
