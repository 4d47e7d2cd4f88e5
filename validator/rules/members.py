"""SV116: members the audit refuses are refused by name, on any value.

`member_audit.json` classifies every member of every class the allowlist admits (see
`tests/unit/validator/validator_member_audit_gen.py`). The validator cannot type every value
(`m` in `for m in self.modules()` is any module), so a refused member is refused by its
name wherever it appears: hooks (`register_forward_hook`, `register_hook`), raw memory
(`data_ptr`, `untyped_storage`, `set_`, `share_memory_`), getattr/setattr by string
(`get_submodule`, `set_submodule`), serialization (`state_dict`, `load_state_dict`),
autograd state the trainer owns (`grad`, `grad_fn`, `backward`, `zero_grad`) and global
registration (`ABCMeta.register`, `compile`). Names SV105 already refuses (file, pickle and
introspection attributes) are left to it.
`register_buffer`, `register_parameter`, `register_module` and `add_module` store under the
name they are given, so that name must be an identifier-like literal (or an f-string that
starts with a letter, as in `f"block{i}"`): never a computed string that could be a dunder.
The weight reparametrizations (`nn.utils.weight_norm`, `spectral_norm`,
`nn.utils.parametrizations.*`) read and replace the attribute named by their `name`
argument with getattr/setattr, so that argument, when given, must be a literal identifier.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from sentinel.validator._audit import REFUSED_MEMBERS, REGISTRATION_MEMBERS
from sentinel.validator._context import ModuleContext
from sentinel.validator._strings import letter_led, literal_key
from sentinel.validator.report import Violation
from sentinel.validator.rules._base import Rule
from sentinel.validator.rules.attributes import INTROSPECTION_ATTRIBUTES, IO_ATTRIBUTES

__all__ = ["MemberRule"]

_WHY = {
    "hooks": "installs a callback the trainer or autograd runs later",
    "getattr_setattr": "reaches attributes by a runtime string",
    "raw_memory": "reaches raw memory, storages or per-element callbacks",
    "serialization": "reads or writes the model's serialized state",
    "autograd": "touches gradients or the autograd graph, which the trainer owns",
    "global_state": "changes interpreter- or process-wide state",
    "introspection": "walks classes",
}


REPARAMETRIZATIONS = frozenset(
    {
        "torch.nn.utils.weight_norm",
        "torch.nn.utils.spectral_norm",
        "torch.nn.utils.remove_weight_norm",
        "torch.nn.utils.remove_spectral_norm",
        "torch.nn.utils.parametrizations.weight_norm",
        "torch.nn.utils.parametrizations.spectral_norm",
        "torch.nn.utils.parametrizations.orthogonal",
    }
)


class MemberRule(Rule):
    code = "SV116"
    summary = "members the member audit refuses (hooks, raw memory, getattr by string, ...) by name"

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        for node in ctx.nodes(ast.Attribute):
            assert isinstance(node, ast.Attribute)
            name = node.attr
            category = REFUSED_MEMBERS.get(name)
            if category is not None and name not in IO_ATTRIBUTES and name not in INTROSPECTION_ATTRIBUTES:
                yield ctx.at(self.code, node, f"{name!r} {_WHY.get(category, 'is refused')} ({category})")
            elif name in REGISTRATION_MEMBERS:
                call = ctx.parent(node)
                if not (isinstance(call, ast.Call) and call.func is node and call.args):
                    yield ctx.at(self.code, node, f"{name} must be called with the name as first argument")
                elif not _static_name(call.args[0]):
                    yield ctx.at(
                        self.code, call.args[0], f'{name} needs a literal identifier name (or f"name{{i}}")'
                    )
        for call in ctx.nodes(ast.Call):
            assert isinstance(call, ast.Call)
            step = ctx.qualified(call.func)
            if step is None or step.kind != "member" or step.path not in REPARAMETRIZATIONS:
                continue
            names = [k.value for k in call.keywords if k.arg == "name"] + call.args[1:2]
            if any(k.arg is None for k in call.keywords) or any(literal_key(n) is None for n in names):
                yield ctx.at(self.code, call, f"{step.path} takes a literal parameter name (name='weight')")


def _static_name(node: ast.expr) -> bool:
    return literal_key(node) is not None or (not isinstance(node, ast.Constant) and letter_led(node))
