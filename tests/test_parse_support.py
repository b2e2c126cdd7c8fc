"""Shared helpers for the parser tests, and the check that every fixture comes in a pair.

Fixtures live in ``tests/fixtures/parse/<parser>/``: a raw input ``<case>.txt`` (or
``<case>.json`` for JSON inputs) and ``<case>.expected.json`` next to it. The expected
file holds the records the parser must return, or ``{"error": "substring"}`` when it
must raise ``ParseError`` with that text in its message. Adding a case is adding two
files; each ``test_parse_<parser>.py`` picks them up.

Hypothesis runs ``ACKWB_HYPOTHESIS_EXAMPLES`` examples per property (default 40) so the
property tests stay fast; raise it locally to search harder.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import pytest

from ackwb.parse.common import LazyRecords

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "parse"
PARSERS = (
    "ipvsadm",
    "ipvsadm_numbers",
    "ipvsadm_connections",
    "ipvs_kube",
    "iptables",
    "iptables_backend",
    "nftables",
    "nginx_conf",
    "nginx_index",
    "backends",
    "canary",
    "proxy_mode",
    "endpointslices",
)
EXAMPLES = int(os.environ.get("ACKWB_HYPOTHESIS_EXAMPLES", "40"))
EXPECTED = ".expected.json"


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    raw_path: Path
    expected: dict[str, Any]

    @property
    def raw(self) -> str:
        return self.raw_path.read_text(encoding="utf-8")

    @property
    def error(self) -> str | None:
        return self.expected.get("error")


def _raw_files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.iterdir() if p.suffix in (".txt", ".json") and not p.name.endswith(EXPECTED)
    )


def load_cases(parser: str) -> list[Case]:
    """Every (raw, expected) pair of one parser, sorted by case name."""
    folder = FIXTURES / parser
    cases = []
    for raw in _raw_files(folder):
        expected = raw.with_name(raw.stem + EXPECTED)
        cases.append(Case(raw.stem, raw, json.loads(expected.read_text(encoding="utf-8"))))
    return cases


def case_params(parser: str, *, errors: bool | None = None) -> list[Any]:
    """pytest params (id = case name); ``errors`` True/False keeps only error/success cases."""
    cases = load_cases(parser)
    if errors is not None:
        cases = [c for c in cases if (c.error is not None) == errors]
    return [pytest.param(c, id=c.name) for c in cases]


def plain(value: Any) -> Any:
    """Records as JSON would hold them: dataclasses → dicts, tuples → lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple, LazyRecords)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize("parser", PARSERS)
def test_every_fixture_comes_in_a_pair(parser: str) -> None:
    folder = FIXTURES / parser
    raws = {p.stem for p in _raw_files(folder)}
    expecteds = {p.name[: -len(EXPECTED)] for p in folder.glob("*" + EXPECTED)}
    assert raws, f"no fixtures for {parser}"
    assert expecteds - raws == set(), "expected files without a raw input"
    assert raws - expecteds == set(), "raw inputs without an expected file"
    assert len(raws) == len(list(_raw_files(folder))), "two raw inputs share a case name"


def test_plain_turns_records_into_json_shapes() -> None:
    @dataclasses.dataclass(frozen=True)
    class Inner:
        a: tuple[int, ...]

    @dataclasses.dataclass(frozen=True)
    class Outer:
        inner: Inner
        pairs: tuple[tuple[str, str], ...]

    assert plain(Outer(Inner((1, 2)), (("x", "y"),))) == {"inner": {"a": [1, 2]}, "pairs": [["x", "y"]]}


def rounded(value: Any, digits: int = 9) -> Any:
    """``value`` with every float rounded, for comparing computed shares with expected ones."""
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, (list, tuple)):
        return [rounded(v, digits) for v in value]
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    return value


def kube_rules_view(rules: Any) -> dict[str, Any]:
    """A ProxyRules in the shape of the fixture worlds' truth: per way in, where an allowed
    outside client lands (endpoints with shares, affinity, Local policy, source ranges)."""
    entries = []
    for e in rules.entries:
        chain = rules.chain(e.service_chain) if e.service_chain else None
        endpoints = [[x.address, x.port, x.share] for x in chain.endpoints] if chain else []
        entries.append(
            {
                "kind": e.kind,
                "address": e.address,
                "protocol": e.protocol,
                "port": e.port,
                "service": e.service,
                "local": bool(chain and chain.local and chain.endpoints),
                "endpoints": endpoints,
                "affinity_seconds": chain.affinity_seconds if chain else None,
                "source_ranges": sorted(e.source_ranges),
            }
        )
    no_endpoints = [
        {
            "kind": n.kind,
            "address": n.address,
            "protocol": n.protocol,
            "port": n.port,
            "service": n.service,
            "reason": n.reason,
        }
        for n in rules.no_endpoints
    ]
    key = lambda d: (d["kind"], d["address"] or "", d["protocol"], d["port"])  # noqa: E731
    return {"entries": rounded(sorted(entries, key=key)), "no_endpoints": sorted(no_endpoints, key=key)}


def mutated(texts: list[str]) -> Any:
    """A hypothesis strategy: one of ``texts`` after 1–3 random edits (cut the end, delete,
    duplicate or swap a line, replace, insert or delete a character)."""
    from hypothesis import strategies as st

    @st.composite
    def build(draw: Any) -> str:
        text = draw(st.sampled_from(texts))
        for _ in range(draw(st.integers(1, 3))):
            lines = text.split("\n")
            op = draw(st.sampled_from(["cut", "delete", "duplicate", "swap", "replace", "insert", "drop"]))
            if op == "cut":
                text = text[: draw(st.integers(0, len(text)))]
            elif op in ("delete", "duplicate", "swap") and lines:
                i = draw(st.integers(0, len(lines) - 1))
                j = draw(st.integers(0, len(lines) - 1))
                if op == "delete":
                    del lines[i]
                elif op == "duplicate":
                    lines.insert(i, lines[i])
                else:
                    lines[i], lines[j] = lines[j], lines[i]
                text = "\n".join(lines)
            elif text:
                i = draw(st.integers(0, len(text) - 1))
                char = draw(st.sampled_from(list(" \t\n{}[]\"';:#-\\$=~*^.,0123456789abcxyz") + [""]))
                if op == "replace":
                    text = text[:i] + char + text[i + 1 :]
                elif op == "insert":
                    text = text[:i] + char + text[i:]
                else:
                    text = text[:i] + text[i + 1 :]
        return text

    return build()
