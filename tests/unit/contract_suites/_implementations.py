"""Find every implementation of a contract the way a reviewer would: import the whole package,
then list the concrete subclasses of its base class defined there. A suite compares that list
with the product's registry, so an implementation that is not registered (or registered twice)
fails before the suite runs the contract over every registered one."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections import Counter
from collections.abc import Iterable

__all__ = ["concrete_subclasses", "registered_once"]


def _import_all(package: str) -> None:
    root = importlib.import_module(package)
    for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        importlib.import_module(info.name)


def _walk(cls: type) -> Iterable[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _walk(sub)


def concrete_subclasses(base: type, package: str) -> set[type]:
    """Non-abstract subclasses of `base` whose module is inside `package` (all its modules imported)."""
    _import_all(package)
    return {
        cls
        for cls in _walk(base)
        if not inspect.isabstract(cls)
        and (cls.__module__ == package or cls.__module__.startswith(f"{package}."))
    }


def registered_once(found: set[type], registered: Iterable[type]) -> list[str]:
    """Problems: a class found but not registered, or registered more than once."""
    counts = Counter(registered)
    problems = [f"{c.__module__}.{c.__qualname__} is not registered" for c in found if c not in counts]
    problems += [f"{c.__qualname__} is registered {n} times" for c, n in counts.items() if n > 1]
    return sorted(problems)
