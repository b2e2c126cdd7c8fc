"""environment.yml must mirror pyproject.toml, which is the source of truth for dependencies.

Conda users get the same packages, with the same lower bounds, as `pip install -e '.[test]'`.
Every runtime dependency and every `test` extra appears in environment.yml exactly once: as a
conda-forge package (under the name in CONDA_FORGE_NAMES when conda-forge spells it differently)
or in the `pip:` section. Nothing else may appear there except the few entries in
CONDA_ONLY_ENTRIES, which are not Python packages of ours.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")

ROOT = Path(__file__).resolve().parent.parent

# PyPI name (as in pyproject.toml, canonicalised) -> conda-forge name, where they differ.
CONDA_FORGE_NAMES = {
    "graphviz": "python-graphviz",  # conda-forge's `graphviz` is the system program
    "kubernetes": "python-kubernetes",
}

# conda entries that mirror nothing in pyproject.toml, and why they are there.
CONDA_ONLY_ENTRIES = {
    "python": "the interpreter",
    "pip": "installs the pip: section",
    "graphviz": "the `dot` program that renders diagrams (a system package for pip users)",
}

EDITABLE_CHECKOUT = "-e ."

CONDA_SPEC = re.compile(r"^\s*(?P<name>[A-Za-z0-9_.\-]+)\s*(?P<spec>.*?)\s*$")


def load_pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def load_environment() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))


def declared_requirements(pyproject: dict[str, Any]) -> list[Requirement]:
    """Runtime dependencies plus the `test` extra, as pyproject.toml states them."""
    project = pyproject["project"]
    extras = project.get("optional-dependencies", {})
    lines = list(project.get("dependencies", [])) + list(extras.get("test", []))
    return [Requirement(line) for line in lines]


def split_environment(env: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The conda entries (strings) and the lines of the pip: section."""
    conda: list[str] = []
    pip: list[str] = []
    for entry in env.get("dependencies", []):
        if isinstance(entry, dict) and set(entry) == {"pip"}:
            pip.extend(str(line) for line in entry["pip"])
        elif isinstance(entry, str):
            conda.append(entry)
        else:
            raise AssertionError(f"environment.yml: unexpected dependency entry {entry!r}")
    return conda, pip


def conda_name_and_spec(entry: str) -> tuple[str, str]:
    match = CONDA_SPEC.match(entry)
    if match is None:
        raise AssertionError(f"environment.yml: cannot read conda entry {entry!r}")
    return match["name"].lower(), match["spec"].replace(" ", "")


def mirror_problems(pyproject: dict[str, Any], env: dict[str, Any]) -> list[str]:
    """Every way in which environment.yml fails to mirror pyproject.toml, one sentence each."""
    problems: list[str] = []
    wanted = {canonicalize_name(req.name): req for req in declared_requirements(pyproject)}
    conda, pip = split_environment(env)

    found: dict[str, list[str]] = {}  # canonical PyPI name -> where it was found, with its bounds
    pypi_name_of = {conda_name: pypi for pypi, conda_name in CONDA_FORGE_NAMES.items()}
    for entry in conda:
        name, spec = conda_name_and_spec(entry)
        if name in CONDA_ONLY_ENTRIES:
            continue
        pypi = pypi_name_of.get(name, canonicalize_name(name))
        found.setdefault(pypi, []).append(f"conda:{spec}")
    for line in pip:
        if line.strip() == EDITABLE_CHECKOUT:
            continue
        req = Requirement(line)
        found.setdefault(canonicalize_name(req.name), []).append(f"pip:{req.specifier}")

    for name, req in sorted(wanted.items()):
        places = found.get(name, [])
        expected = CONDA_FORGE_NAMES.get(name, name)
        if not places:
            problems.append(
                f"{req.name} is in pyproject.toml but not in environment.yml "
                f"(add `{expected}` to its conda dependencies, or `{req.name}` to its pip: section)"
            )
        elif len(places) > 1:
            problems.append(f"{req.name} appears {len(places)} times in environment.yml: {places}")
        else:
            spec = places[0].split(":", 1)[1]
            if SpecifierSet(spec) != req.specifier:
                problems.append(
                    f"{req.name}: pyproject.toml says {str(req.specifier) or 'any version'}, "
                    f"environment.yml says {spec or 'any version'}"
                )
    for name in sorted(set(found) - set(wanted)):
        problems.append(
            f"{name} is in environment.yml but not in pyproject.toml, the source of truth "
            f"(add it there first, or list it in CONDA_ONLY_ENTRIES with a reason)"
        )
    if EDITABLE_CHECKOUT not in [line.strip() for line in pip]:
        problems.append(f"environment.yml's pip: section must install the checkout: `{EDITABLE_CHECKOUT}`")
    return problems


# --- the real files -------------------------------------------------------------------------


def test_environment_mirrors_pyproject() -> None:
    assert mirror_problems(load_pyproject(), load_environment()) == []


def test_environment_python_satisfies_requires_python() -> None:
    conda, _ = split_environment(load_environment())
    pins = [conda_name_and_spec(entry)[1] for entry in conda if conda_name_and_spec(entry)[0] == "python"]
    assert len(pins) == 1, "environment.yml must pin python exactly once"
    version = pins[0].lstrip("=")
    requires = SpecifierSet(load_pyproject()["project"]["requires-python"])
    assert Version(version) in requires, f"python={version} does not satisfy requires-python {requires}"


def test_environment_installs_the_dot_program() -> None:
    conda, _ = split_environment(load_environment())
    assert "graphviz" in [conda_name_and_spec(entry)[0] for entry in conda]


def test_console_script_and_package_data() -> None:
    pyproject = load_pyproject()
    assert pyproject["project"]["scripts"] == {"ackwb": "ackwb.cli:main"}
    data = pyproject["tool"]["setuptools"]["package-data"]["ackwb.demo"]
    assert "worlds/**/*" in data and "designs.json" in data  # the overview reads the stored designs


def test_conda_name_table_only_names_declared_packages() -> None:
    """A stale entry in the mapping table would hide a rename."""
    wanted = {canonicalize_name(req.name) for req in declared_requirements(load_pyproject())}
    assert set(CONDA_FORGE_NAMES) <= wanted


# --- the check itself can fail ----------------------------------------------------------------


def _with_dependency(pyproject: dict[str, Any], line: str) -> dict[str, Any]:
    changed = copy.deepcopy(pyproject)
    changed["project"]["dependencies"].append(line)
    return changed


def _with_conda_entry(env: dict[str, Any], entry: str) -> dict[str, Any]:
    changed = copy.deepcopy(env)
    changed["dependencies"].insert(0, entry)
    return changed


def _with_pip_line(env: dict[str, Any], line: str) -> dict[str, Any]:
    changed = copy.deepcopy(env)
    for entry in changed["dependencies"]:
        if isinstance(entry, dict) and "pip" in entry:
            entry["pip"].insert(0, line)
    return changed


def _without_conda_entry(env: dict[str, Any], name: str) -> dict[str, Any]:
    changed = copy.deepcopy(env)
    changed["dependencies"] = [
        entry
        for entry in changed["dependencies"]
        if not (isinstance(entry, str) and conda_name_and_spec(entry)[0] == name)
    ]
    return changed


def _with_bound_changed(env: dict[str, Any], name: str, spec: str) -> dict[str, Any]:
    changed = copy.deepcopy(env)
    changed["dependencies"] = [
        f"{name}{spec}" if isinstance(entry, str) and conda_name_and_spec(entry)[0] == name else entry
        for entry in changed["dependencies"]
    ]
    return changed


MUTATIONS = {
    "dependency added to pyproject.toml only": (
        lambda p, e: (_with_dependency(p, "rich>=13"), e),
        "rich is in pyproject.toml but not in environment.yml",
    ),
    "package added to environment.yml only": (
        lambda p, e: (p, _with_conda_entry(e, "rich>=13")),
        "rich is in environment.yml but not in pyproject.toml",
    ),
    "pip line added to environment.yml only": (
        lambda p, e: (p, _with_pip_line(e, "alibabacloud_ram20150501>=1.0.0")),
        "alibabacloud-ram20150501 is in environment.yml but not in pyproject.toml",
    ),
    "mapped package removed from environment.yml": (
        lambda p, e: (p, _without_conda_entry(e, "python-kubernetes")),
        "kubernetes is in pyproject.toml but not in environment.yml (add `python-kubernetes`",
    ),
    "lower bound differs": (
        lambda p, e: (p, _with_bound_changed(e, "pandas", ">=1.5")),
        "pandas: pyproject.toml says >=2.0, environment.yml says >=1.5",
    ),
    "listed twice": (
        lambda p, e: (p, _with_pip_line(e, "pandas>=2.0")),
        "pandas appears 2 times in environment.yml",
    ),
    "checkout not installed": (
        lambda p, e: (p, {**e, "dependencies": [d for d in e["dependencies"] if not isinstance(d, dict)]}),
        "must install the checkout: `-e .`",
    ),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_mismatch_is_reported(mutation: str) -> None:
    change, expected = MUTATIONS[mutation]
    pyproject, env = change(load_pyproject(), load_environment())
    problems = mirror_problems(pyproject, env)
    assert any(expected in problem for problem in problems), problems
