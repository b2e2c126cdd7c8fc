"""Empty answers for the products a design world does not use (no ALB, no PrivateZone zone).

A built-in world is complete: a query whose file is missing reads as unknown, never as
"there is none". So a world without ALBs stores the ALB listings a step may ask, each the
empty answer the API gives an account without them, and likewise PrivateZone's zone list.
A design that uses a product writes its real answers over these.
"""

from __future__ import annotations

from typing import Any

from tools.demo_world.design import Design
from tools.demo_world.ids import request_id

Obj = dict[str, Any]

ALB_LISTINGS = {  # file under cloud/alb → the list field of its answer
    "ListLoadBalancers": "LoadBalancers",
    "ListListeners": "Listeners",
    "ListRules": "Rules",
    "ListServerGroups": "ServerGroups",
    "ListAcls": "Acls",
}


def responses(d: Design) -> dict[str, Obj]:
    """Relative path under cloud/ → the empty answer."""
    out: dict[str, Obj] = {
        f"alb/{action}.json": {
            field: [],
            "MaxResults": 100,
            "NextToken": "",
            "RequestId": request_id(f"{d.name} alb {action}"),
            "TotalCount": 0,
        }
        for action, field in ALB_LISTINGS.items()
    }
    out["pvtz/DescribeZones.json"] = {
        "PageNumber": 1,
        "PageSize": 100,
        "RequestId": request_id(f"{d.name} pvtz DescribeZones"),
        "TotalItems": 0,
        "TotalPages": 0,
        "Zones": {"Zone": []},
    }
    return out
