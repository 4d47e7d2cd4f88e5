"""The tier-3 policy, one rule per module; this tuple *is* the policy, in the order it runs.

Source rules come first and are fatal (no later rule runs on input that is not a usable
tree); the tree rules after them are independent and each reports every hit.
"""

from __future__ import annotations

from sentinel.validator.rules._base import Rule
from sentinel.validator.rules.attributes import AttributeRule
from sentinel.validator.rules.bounded import BoundedRule
from sentinel.validator.rules.class_access import ClassAccessRule
from sentinel.validator.rules.classes import ClassRule
from sentinel.validator.rules.configs import ConfigRule
from sentinel.validator.rules.container_keys import ContainerKeyRule
from sentinel.validator.rules.contract import ContractRule
from sentinel.validator.rules.decorators import DecoratorRule
from sentinel.validator.rules.dunder import DunderRule
from sentinel.validator.rules.formatting import FormatRule
from sentinel.validator.rules.import_time import ImportTimeRule
from sentinel.validator.rules.imports import ImportRule
from sentinel.validator.rules.members import MemberRule
from sentinel.validator.rules.module_api import ModuleApiRule
from sentinel.validator.rules.names import NameRule
from sentinel.validator.rules.overrides import OverrideRule
from sentinel.validator.rules.parse import ParseRule
from sentinel.validator.rules.size import SizeRule
from sentinel.validator.rules.syntax import SyntaxRule
from sentinel.validator.rules.unicode import UnicodeRule

__all__ = ["RULES", "Rule"]

RULES: tuple[Rule, ...] = (
    SizeRule(),  # SV002
    ParseRule(),  # SV001
    UnicodeRule(),  # SV003
    ImportRule(),  # SV101
    ModuleApiRule(),  # SV102
    NameRule(),  # SV103
    DunderRule(),  # SV104
    AttributeRule(),  # SV105
    FormatRule(),  # SV106
    SyntaxRule(),  # SV107
    ImportTimeRule(),  # SV108
    DecoratorRule(),  # SV109
    ClassRule(),  # SV110
    ContractRule(),  # SV111
    ClassAccessRule(),  # SV112
    OverrideRule(),  # SV113
    ContainerKeyRule(),  # SV114
    BoundedRule(),  # SV115
    MemberRule(),  # SV116
    ConfigRule(),  # SV117
)
