"""The member audit covers every member of every allowed class in the installed versions.

Imports torch/numpy/einops on the host: trusted libraries, read to prove what the table says.
A torch upgrade that adds a member fails `test_every_installed_member_is_classified` until
someone regenerates the table (validator_member_audit_gen.py) and reviews the diff.
"""

from __future__ import annotations

import inspect
import json
import re

import pytest
from validator_member_audit_gen import OUTPUT, allowed_classes, generate
from validator_testkit import codes, model_source

from sentinel.validator._api import NAMESPACES
from sentinel.validator._audit import MEMBER_CATEGORY, REFUSED_MEMBERS
from sentinel.validator.rules.attributes import INTROSPECTION_ATTRIBUTES, IO_ATTRIBUTES

pytest.importorskip("einops", reason="einops is part of the allowlist; install it to check the audit")

CATEGORIES = {
    "allowed", "dunder", "private", "registration", "hooks", "getattr_setattr", "raw_memory",
    "serialization", "autograd", "introspection", "global_state",
}  # fmt: skip
# Module-level switches that change other code's behaviour (issue 12): none may be allowed.
GLOBAL_SWITCH = re.compile(
    r"^(set_\w+|manual_seed|seed|initial_seed|use_deterministic_algorithms|seterr|setbufsize|"
    r"set_printoptions|set_string_function|set_grad_enabled|set_default_\w+|set_num_threads|"
    r"set_flush_denormal|set_anomaly_enabled|set_autocast_\w+|random|compile|export|load|save)$"
)


def test_stored_table_is_what_the_generator_produces() -> None:
    stored = json.loads(OUTPUT.read_text(encoding="utf-8"))
    assert stored == json.loads(json.dumps(generate())), (
        "run tests/unit/validator/validator_member_audit_gen.py"
    )


def test_every_installed_member_is_classified() -> None:
    unclassified = [
        f"{path}.{name}"
        for path, cls in allowed_classes().items()
        for name in {*dir(cls), *dir(type(cls))}
        if name not in MEMBER_CATEGORY
    ]
    assert not unclassified, f"review and regenerate the member audit: {unclassified[:20]}"


def test_every_allowed_class_is_audited() -> None:
    audited = set(json.loads(OUTPUT.read_text(encoding="utf-8"))["classes"])
    for namespace, entry in NAMESPACES.items():
        module = __import__(namespace, fromlist=["_"])
        for member in entry.members:
            if inspect.isclass(getattr(module, member)):
                assert f"{namespace}.{member}" in audited


def test_categories_are_the_documented_ones() -> None:
    assert set(MEMBER_CATEGORY.values()) <= CATEGORIES


@pytest.mark.parametrize(
    "name",
    ["register_forward_hook", "register_hook", "data_ptr", "untyped_storage", "set_", "share_memory_",
     "get_submodule", "set_submodule", "state_dict", "load_state_dict", "grad", "backward", "zero_grad",
     "register", "mro"],
)  # fmt: skip
def test_issue_members_are_refused(name: str) -> None:
    assert MEMBER_CATEGORY.get(name) not in (None, "allowed", "registration"), name


def test_every_refused_member_is_rejected_by_name() -> None:
    for name, category in sorted(REFUSED_MEMBERS.items()):
        source = model_source(forward=f"y = x.{name}\nreturn self.fc(x.flatten(1))")
        expected = "SV105" if name in IO_ATTRIBUTES or name in INTROSPECTION_ATTRIBUTES else "SV116"
        assert expected in codes(source), (name, category)


def test_no_global_switch_is_in_the_module_allowlist() -> None:
    for namespace in ("torch", "numpy", "torch.nn.init", "torch.nn.functional", "math"):
        allowed = NAMESPACES[namespace].members
        assert not {m for m in allowed if GLOBAL_SWITCH.match(m)}, namespace


def test_container_item_access_is_what_the_key_rule_assumes() -> None:
    """SV114 treats ParameterDict items as getattr and the other containers as dict/int lookups."""
    from torch import nn

    assert "getattr(self, attr)" in inspect.getsource(nn.ParameterDict.__getitem__)
    assert "setattr(self, attr" in inspect.getsource(nn.ParameterDict.__setitem__)
    assert "self._modules[key]" in inspect.getsource(nn.ModuleDict.__getitem__)
    for cls in (nn.ModuleList, nn.ParameterList, nn.Sequential):
        source = inspect.getsource(cls.__getitem__)
        assert "_get_abs_string_index" in source or "_get_item_by_idx" in source, cls


def test_no_other_module_class_has_item_access() -> None:
    """SV114's container reasoning covers exactly these classes; a new one needs a review."""
    from torch import nn

    with_items = {
        path
        for path, cls in allowed_classes().items()
        if isinstance(cls, type)
        and issubclass(cls, nn.Module)
        and any(hasattr(cls, name) for name in ("__getitem__", "__setitem__"))
    }
    assert with_items == {
        "torch.nn.ModuleDict", "torch.nn.ModuleList", "torch.nn.ParameterDict", "torch.nn.ParameterList",
        "torch.nn.Sequential", "torch.nn.utils.parametrize.ParametrizationList",  # a ModuleList
    }, with_items  # fmt: skip


def test_no_allowed_name_is_a_shared_mutable_container() -> None:
    """A library dict or list reachable by name could be mutated for the trainer too."""
    mutable = (dict, list, set, bytearray)
    for namespace, entry in NAMESPACES.items():
        module = __import__(namespace, fromlist=["_"])
        for member in entry.members:
            assert not isinstance(getattr(module, member), mutable), f"{namespace}.{member}"
    for path, cls in allowed_classes().items():
        for name in dir(cls):
            if MEMBER_CATEGORY.get(name) == "allowed":
                value = inspect.getattr_static(cls, name, None)
                assert not isinstance(value, mutable), f"{path}.{name}"
