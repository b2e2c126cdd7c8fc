"""Tell which iptables backend (nft or legacy) a node's kube-proxy and kubelet use.

A node can carry rules in both the legacy x_tables and nf_tables; only one is live for
kube-proxy. kubelet marks the one it uses by creating the chain ``KUBE-IPTABLES-HINT``
(1.24+) or ``KUBE-KUBELET-CANARY`` in the mangle table of that backend. So capture
``iptables-nft-save -t mangle`` and ``iptables-legacy-save -t mangle`` and read both: the
side with a hint chain wins (nft first, as the iptables wrappers check it first); without
any hint, the side holding more rules is the likely one. Then read the nat table with the
matching binary.
"""

from __future__ import annotations

from dataclasses import dataclass

from ackwb.parse.iptables_save import IptablesSave, parse_iptables_save

HINT_CHAINS = ("KUBE-IPTABLES-HINT", "KUBE-KUBELET-CANARY")


@dataclass(frozen=True)
class BackendGuess:
    backend: str | None  # "nft", "legacy", or None when nothing tells
    reason: str


def _read(text: str | bytes | None, source: str) -> IptablesSave | None:
    if text is None or not (text.strip() if isinstance(text, str) else text.strip()):
        return None
    return parse_iptables_save(text, source)


def _hints(save: IptablesSave | None) -> list[str]:
    if save is None:
        return []
    return [c for table in save.tables.values() for c in HINT_CHAINS if c in table.chains]


def _rule_count(save: IptablesSave | None) -> int:
    if save is None:
        return 0
    return sum(
        end - first for table in save.tables.values() for runs in table.runs.values() for first, end in runs
    )


def detect_iptables_backend(
    nft_save: str | bytes | None, legacy_save: str | bytes | None, source: str = "iptables-*-save -t mangle"
) -> BackendGuess:
    """Which backend is live, from ``iptables-nft-save`` and ``iptables-legacy-save`` output
    (either may be None or empty when that binary is missing or printed nothing)."""
    nft = _read(nft_save, f"{source} (nft)")
    legacy = _read(legacy_save, f"{source} (legacy)")
    for name, save in (("nft", nft), ("legacy", legacy)):
        found = _hints(save)
        if found:
            return BackendGuess(name, f"kubelet's {' and '.join(found)} chain is in the {name} mangle table")
    nft_rules, legacy_rules = _rule_count(nft), _rule_count(legacy)
    if nft_rules != legacy_rules:
        name = "nft" if nft_rules > legacy_rules else "legacy"
        return BackendGuess(
            name, f"no kubelet hint chain; {name} holds more rules ({nft_rules} nft, {legacy_rules} legacy)"
        )
    return BackendGuess(
        None,
        "no kubelet hint chain (KUBE-IPTABLES-HINT, KUBE-KUBELET-CANARY) in either backend "
        f"and both hold {nft_rules} rules",
    )
