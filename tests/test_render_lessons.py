"""The lesson and overview texts escape world values, and read the rules they quote.

A Pod or vSwitch name is data from a world: it must reach the notebook's Markdown as literal
text, never as markup. The rule chain is read from the evidence lines a step quoted, so a line
of another node, or another command, never enters it.
"""

from __future__ import annotations

from ackwb.model import Evidence, Hop
from ackwb.render import lessons
from ackwb.steps.pod.result import PodInfo, PodResult

EVIL = "web<script>alert(1)</script>*[x](javascript:1)"


def test_a_pod_name_is_escaped_in_the_crossing_lesson() -> None:
    info = PodInfo("app", EVIL, "10.0.0.5", 8080, "node-1", "Running", True, 0)
    hop = Hop(info.hop_id, "pod", EVIL, details=(("reached", "same node as a controller: it never leaves"),))
    text = lessons.crossing(PodResult(step="pod", title="7", domain="d", pods=[info], hops=[hop]), "Terway")
    assert "<script>" not in text and "](javascript:" not in text
    assert "&lt;script&gt;" in text and "same node as a controller" in text


def test_the_rule_chain_follows_one_nodes_iptables_lines() -> None:
    where = "node 10.20.1.11: iptables-save -t nat"
    evidence = [
        Evidence(where, "line 48", "-A KUBE-NODEPORTS -p tcp -m tcp --dport 30581 -j KUBE-EXT-AAA"),
        Evidence(where, "line 120", "-A KUBE-SVL-AAA -m comment --comment x -j KUBE-SEP-BBB"),
        Evidence(where, "line 68", "-A KUBE-SEP-BBB -p tcp -m tcp -j DNAT --to-destination 172.20.0.3:80"),
        Evidence("node 10.20.1.14: iptables-save -t nat", "line 1", "-A KUBE-NODEPORTS -j KUBE-EXT-OTHER"),
    ]
    chain = lessons._rule_chain(lessons._evidence_on(evidence, "10.20.1.11"))
    last = "one of: KUBE-SEP-BBB (DNAT 172.20.0.3:80)"
    assert chain == ["KUBE-NODEPORTS", "KUBE-EXT-AAA", "KUBE-SVL-AAA", last]
