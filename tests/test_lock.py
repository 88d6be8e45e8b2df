"""The lock files `make` installs from still cover what pyproject.toml asks for.

`make lock` pins every dependency with its hashes (requirements/dev.lock: runtime + dev extra,
installed by `make`; requirements/run.lock: runtime only, for images). A dependency added to
pyproject.toml without `make lock` would be missing on a fresh machine; this fails first.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def pinned(lock: Path) -> dict[str, str]:
    """Name -> version of every `name==version` line, each of which must carry hashes."""
    text = lock.read_text()
    entries = re.findall(
        r"^([A-Za-z0-9_.\-]+(?:\[[^\]]*\])?)==([^\s;\\]+)(.*?)(?=^\S|\Z)", text, re.M | re.S
    )
    assert entries, f"{lock.name} pins nothing"
    for name, _, rest in entries:
        assert "--hash=sha256:" in rest, f"{lock.name}: {name} has no hash"
    return {canonicalize_name(name.split("[")[0]): version for name, version, _ in entries}


@pytest.mark.parametrize(
    ("lock", "groups"),
    [("dev.lock", ["dependencies", "dev"]), ("run.lock", ["dependencies"])],
)
def test_lock_pins_every_declared_dependency(lock: str, groups: list[str]) -> None:
    versions = pinned(ROOT / "requirements" / lock)
    declared = list(PROJECT["dependencies"])
    if "dev" in groups:
        declared += PROJECT["optional-dependencies"]["dev"]
    for line in declared:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in versions, f"{name} is not in requirements/{lock}: run `make lock`"
        assert requirement.specifier.contains(versions[name], prereleases=True), (
            f"requirements/{lock} pins {name}=={versions[name]}, outside {requirement.specifier}:"
            " run `make lock`"
        )
