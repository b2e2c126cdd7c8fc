"""An ALB rule that splits the request between Services by weight says so on its hops.

The steps after the rules follow one Service (the largest share), so the rule hop lists every
Service with its share and the Service hop says which share it is and which Services it shares
the traffic with: nothing reads as if one Service got it all. The world is alb-gateway with
www's rule on listener 80 rewritten to forward 80 to shop's server group and 20 to api's, as the
controller writes a canary by weight.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ackwb import Workbook
from ackwb.demo import demo_world_root


def split_world(tmp_path: Path) -> Path:
    root = tmp_path / "alb-split"
    shutil.copytree(str(demo_world_root("alb-gateway")), root)
    rules_file = root / "cloud" / "alb" / "ListRules.json"
    rules = json.loads(rules_file.read_text(encoding="utf-8"))
    www = next(r for r in rules["Rules"] if r["RuleName"] == "rule-80-3")
    api = next(r for r in rules["Rules"] if r["RuleName"] == "rule-80-1")
    shop_group = www["RuleActions"][0]["ForwardGroupConfig"]["ServerGroupTuples"][0]["ServerGroupId"]
    api_group = api["RuleActions"][0]["ForwardGroupConfig"]["ServerGroupTuples"][0]["ServerGroupId"]
    www["RuleActions"][0]["ForwardGroupConfig"]["ServerGroupTuples"] = [
        {"ServerGroupId": shop_group, "Weight": 80},
        {"ServerGroupId": api_group, "Weight": 20},
    ]
    rules_file.write_text(json.dumps(rules, indent=2), encoding="utf-8")
    return root


def test_the_rule_and_the_service_hop_name_every_service_that_shares_the_traffic(tmp_path: Path) -> None:
    trace = Workbook.from_world(str(split_world(tmp_path))).trace("www.alb.abc.com")
    rule = next(h for h in trace.hops if h.id.startswith("alb-rule:"))
    assert ("services", "shop/shop 80%, shop/api 20%") in rule.details
    service = next(h for h in trace.hops if h.kind == "service")
    assert service.id == "service:shop/shop"  # the largest share is the one followed
    pods = {h.id.rsplit("-", 2)[0] for h in trace.hops if h.kind == "pod"}
    assert pods == {"pod:shop/shop", "pod:shop/api"}  # the other Service's Pods are on the path too
    assert (
        "shares traffic",
        "shop/shop 80% (this Service), shop/api 20% (its Pods are drawn, not its Service)",
    ) in service.details


def test_a_rule_to_one_service_adds_no_share_details() -> None:
    trace = Workbook.demo("alb-gateway").trace("www.alb.abc.com")
    assert not any(key in ("services", "shares traffic") for h in trace.hops for key, _ in h.details)
