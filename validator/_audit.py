"""The classified members of every allowed class, as data (`member_audit.json`).

Generated from the pinned torch/numpy/einops by
`tests/unit/validator/validator_member_audit_gen.py` (the categories are explained there);
`test_member_audit.py` fails when an installed class grows a member the table does not list.
The validator never imports torch: it reads this table.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import MappingProxyType

__all__ = [
    "ALLOWED_CATEGORIES",
    "AUDITED_CLASSES",
    "MEMBER_CATEGORY",
    "MODULE_EXTRAS",
    "MODULE_MEMBERS",
    "REFUSED_MEMBERS",
    "REGISTRATION_MEMBERS",
]

_DATA = json.loads(Path(__file__).with_name("member_audit.json").read_text(encoding="utf-8"))

MEMBER_CATEGORY = MappingProxyType(dict(_DATA["members"]))
# Dunders and private names are refused by their own rules (SV104, SV105); registration is
# allowed with a literal name (SV116 checks it).
ALLOWED_CATEGORIES = frozenset({"allowed", "dunder", "private", "registration"})
REFUSED_MEMBERS = MappingProxyType(
    {name: cat for name, cat in MEMBER_CATEGORY.items() if cat not in ALLOWED_CATEGORIES}
)
REGISTRATION_MEMBERS = frozenset(n for n, cat in MEMBER_CATEGORY.items() if cat == "registration")
MODULE_MEMBERS = frozenset(_DATA["module_members"])
MODULE_EXTRAS = MappingProxyType({k: frozenset(v) for k, v in _DATA["module_extras"].items()})
# Dotted paths of every allowed member that is a class (calls through them are SV112's).
AUDITED_CLASSES = frozenset(_DATA["classes"])
