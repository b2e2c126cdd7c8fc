"""Read kube-proxy's ``/proxyMode`` answer: which data plane forwards Service traffic.

``curl -s 127.0.0.1:10249/proxyMode`` on a node prints the bare mode, without a
trailing newline. The kube-proxy step uses it to decide which rules to read next
(``ipvsadm``, ``iptables-save`` or ``nft``), so anything other than a known mode is an
error rather than a guess.
"""

from __future__ import annotations

from ackwb.errors import ParseError

MODES = ("ipvs", "iptables", "nftables", "kernelspace")  # kernelspace: Windows nodes


def parse_proxy_mode(text: str | bytes, source: str = "127.0.0.1:10249/proxyMode") -> str:
    """The proxy mode: one of ``MODES``."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    answer = text.strip()
    if not answer:
        raise ParseError(source, "empty answer: kube-proxy did not answer (is its metrics server on 10249?)")
    if answer in MODES:
        return answer
    shown = answer if len(answer) <= 80 else answer[:77] + "..."
    if "\n" in answer:
        raise ParseError(source, f"expected one word (the proxy mode), got several lines: {shown!r}")
    raise ParseError(source, f"unknown proxy mode {shown!r}; expected one of {', '.join(MODES)}")
