"""Map each top-level folder onto the `sentinel.<folder>` namespace (see DESIGN.md, Layout).

pyproject.toml cannot discover sub-packages under a renamed prefix, so this file walks the
source folders and lists every package it finds; nothing else lives here.
"""

from pathlib import Path

from setuptools import setup

SOURCE_FOLDERS = ("agent", "sandbox", "monitor", "validator", "contract")


def _packages() -> tuple[list[str], dict[str, str]]:
    packages: list[str] = []
    package_dir: dict[str, str] = {}
    for folder in SOURCE_FOLDERS:
        for init in sorted(Path(folder).rglob("__init__.py")):
            rel = init.parent
            name = "sentinel." + ".".join(rel.parts)
            packages.append(name)
            package_dir[name] = str(rel)
    return packages, package_dir


packages, package_dir = _packages()
setup(
    packages=packages,
    package_dir=package_dir,
    package_data={"": ["*.json", "*.sql", "*.yaml", "templates/*.j2", "templates/*.css"]},
)
