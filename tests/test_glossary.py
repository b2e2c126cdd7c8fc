"""The glossary explains the words of the path, and the notebooks and README link to it.

``notebooks/glossary.md`` holds one line per word and per id prefix, each with an anchor. A
word a newcomer may not know (``JARGON``) must link to its own line at its first use in each
notebook's Markdown (but the report's, which is exported to stand alone) and in the README;
every glossary link must lead to an anchor that exists. First use means the first place the
word appears in prose: code blocks, inline code, headings (a notebook's heading is its step
title) and the text of other links do not count, and a word inside the link of a longer
glossary word ("shared ENI" for ENI) is passed over.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "notebooks" / "glossary.md"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
README = ROOT / "README.md"
REPORT = "report.ipynb"

# Glossary anchor → the word as prose uses it (case-sensitive).
JARGON: dict[str, str] = {
    "ccm": r"cloud-controller-manager|\bCCM\b",
    "ecs": r"\bECS\b",
    "vpc": r"\bVPCs?\b",
    "vswitch": r"\bvSwitch(?:es)?\b",
    "route-table": r"\broute tables?\b",
    "eni": r"\bENIs?\b",
    "eniip": r"\bENIIP\b|\bshared ENIs?\b",
    "exclusive-eni": r"\bexclusive ENIs?\b",
    "terway": r"\bTerway\b",
    "flannel": r"\bFlannel\b",
    "datapathv2": r"\bDataPathV2\b",
    "slb": r"\bSLB\b",
    "clb": r"\bCLBs?\b",
    "nlb": r"\bNLBs?\b",
    "alb": r"\bALBs?\b",
    "acl": r"\bACLs?\b",
    "security-group": r"\bsecurity groups?\b",
    "nat-gateway": r"\bNAT gateways?\b",
    "snat": r"\bSNAT\b",
    "dnat": r"\bDNAT\b",
    "masquerade": r"\bmasquerad(?:e|es|ed|ing)\b",
    "eip": r"\bEIPs?\b",
    "alidns": r"\bAlidns\b",
    "privatezone": r"\bPrivateZone\b",
    "ingress-nginx": r"\bingress-nginx\b",
    "dynamic-backends": r"\bdynamic backends?\b",
    "service-upstream": r"\bservice-upstream\b",
    "canary": r"\bcanar(?:y|ies)\b",
    "gateway-api": r"\bGateway API\b",
    "httproute": r"\bHTTPRoutes?\b",
    "referencegrant": r"\bReferenceGrants?\b",
    "envoy-gateway": r"\bEnvoy Gateway\b",
    "x-forwarded-for": r"\bX-Forwarded-For\b",
    "host-network": r"\bhost network\b",
    "clusterip": r"\bClusterIPs?\b",
    "endpointslice": r"\bEndpointSlices?\b",
    "kube-dns": r"\bkube-dns\b",
    "kube-proxy": r"\bkube-proxy\b",
    "ipvs": r"\bIPVS\b",
    "ipvs-columns": r"\bActiveConn\b|\bInActConn\b",
    "masq": r"\bMasq\b",
    "nodeport": r"\bNodePorts?\b",
    "external-traffic-policy": r"\bexternalTrafficPolicy\b",
    "health-check-node-port": r"\bhealth check node port\b|\bhealthCheckNodePort\b",
    "pod-cidr": r"\bPod CIDRs?\b",
    "dns-policy": r"\bdnsPolicy\b|\bClusterFirstWithHostNet\b",
    "packet-view": r"\bpacket view\b",
    "tls-termination": r"\bTLS termination\b|\bterminates? TLS\b|\bterminating TLS\b",
}
_FENCE = re.compile(r"^```.*?^```[^\n]*$", re.M | re.S)
_CODE = re.compile(r"`[^`\n]*`")
_HEADING = re.compile(r"^#{1,6} .*$", re.M)
_HTML = re.compile(r"<[^>\n]+>")
_LINK = re.compile(r"\[((?:[^\[\]]|`[^`]*`)+)\]\(([^)\s]+)\)")


@dataclass(frozen=True)
class Link:
    start: int  # span of the link text
    end: int
    target: str


def anchors() -> list[str]:
    return re.findall(r'<a id="([^"]+)"></a>', GLOSSARY.read_text(encoding="utf-8"))


def glossary_anchor(target: str) -> str | None:
    """The anchor of a link to the glossary (``glossary.md#ccm`` → ``ccm``), else None."""
    match = re.fullmatch(r"(?:\.?/?notebooks/)?glossary\.md#([\w-]+)", target)
    return match.group(1) if match else None


def masked_spans(text: str) -> list[tuple[int, int]]:
    """Where prose is not: code blocks, inline code, headings, HTML tags, link targets."""
    spans = [m.span() for pattern in (_FENCE, _HEADING, _HTML) for m in pattern.finditer(text)]
    spans += [m.span() for m in _CODE.finditer(text)]
    spans += [m.span(2) for m in _LINK.finditer(text)]
    return spans


def links(text: str) -> list[Link]:
    return [Link(m.start(1), m.end(1), m.group(2)) for m in _LINK.finditer(text)]


def first_use(text: str, anchor: str) -> tuple[int, int, Link | None] | None:
    """The first prose use of the word: (start, end, the link around it or None), or None."""
    masked = masked_spans(text)
    found = links(text)
    for match in re.finditer(JARGON[anchor], text):
        start, end = match.span()
        if any(a <= start < b for a, b in masked):
            continue
        around = next((link for link in found if link.start <= start and end <= link.end), None)
        if around is not None and glossary_anchor(around.target) != anchor:
            continue  # inside another link: a longer glossary word, or a link elsewhere
        return start, end, around
    return None


def markdown_of(notebook: Path) -> str:
    nb = nbformat.read(notebook, as_version=4)
    return "\n\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")


def documents() -> Iterator[tuple[str, str]]:
    """(name, Markdown text) of every notebook that links the glossary, and of the README.

    Not the report notebook: ``ackwb report`` exports it as one self-contained HTML file, where a
    link to glossary.md would lead nowhere (``test_report_links_no_files`` keeps it that way).
    """
    for notebook in NOTEBOOKS:
        if notebook.name != REPORT:
            yield notebook.name, markdown_of(notebook)
    yield "README.md", README.read_text(encoding="utf-8")


def test_glossary_has_one_line_per_word_and_every_jargon_word() -> None:
    found = anchors()
    assert len(found) == len(set(found)), "an anchor is used twice"
    assert set(JARGON) <= set(found), f"words without a glossary line: {sorted(set(JARGON) - set(found))}"
    lines = [line for line in GLOSSARY.read_text(encoding="utf-8").splitlines() if "<a id=" in line]
    assert all(line.startswith("- <a id=") for line in lines), "each word is one list line"
    text = GLOSSARY.read_text(encoding="utf-8")
    for prefix in ("lb-", "nlb-", "alb-", "rsp-", "sgp-", "lsn-", "acl-", "sg-", "eni-", "i-", "vsw-", "vtb-",
                   "ngw-", "stb-", "snat-", "eip-", "vpc-"):  # fmt: skip
        assert re.search(rf"^- `{re.escape(prefix)}`: \S", text, re.M), f"id prefix {prefix} is not explained"


@pytest.mark.parametrize(("name", "text"), list(documents()), ids=[name for name, _ in documents()])
def test_every_glossary_link_leads_to_an_anchor(name: str, text: str) -> None:
    known = set(anchors())
    targets = [link.target for link in links(text) if "glossary.md" in link.target]
    broken = [target for target in targets if glossary_anchor(target) not in known | {None}]
    assert not broken, f"{name}: glossary links to missing anchors: {broken}"
    if name == "README.md":
        assert all(t.startswith("notebooks/glossary.md") for t in targets), "README links into notebooks/"
        assert "notebooks/glossary.md" in text
    else:
        assert all(t.startswith("glossary.md") for t in targets), f"{name}: link glossary.md beside it"


@pytest.mark.parametrize(("name", "text"), list(documents()), ids=[name for name, _ in documents()])
def test_each_jargon_word_links_to_the_glossary_at_its_first_use(name: str, text: str) -> None:
    unlinked = []
    for anchor in JARGON:
        use = first_use(text, anchor)
        if use is not None and use[2] is None:
            start, end, _ = use
            unlinked.append(f"{anchor}: {text[max(0, start - 30) : end + 30]!r}")
    assert not unlinked, f"{name}: first uses not linked to the glossary:\n" + "\n".join(unlinked)


def test_the_check_finds_an_unlinked_first_use() -> None:
    """The rule itself: a plain first use fails, a linked one passes, code and headings don't count."""
    assert first_use("# ENI\n\nan `ENI` then an ENI", "eni")[2] is None
    linked = "[ENI](glossary.md#eni) then ENI"
    assert first_use(linked, "eni")[2] == Link(1, 4, "glossary.md#eni")
    inside = "a [shared ENI](glossary.md#eniip), then an ENI"
    assert first_use(inside, "eni")[0] == inside.rindex("ENI")


def test_report_links_no_files() -> None:
    """The exported report stands alone: its own links stay inside the page (``#...``)."""
    targets = [link.target for link in links(markdown_of(ROOT / "notebooks" / REPORT))]
    assert targets and all(target.startswith("#") for target in targets), targets
