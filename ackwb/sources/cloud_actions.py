"""The exact Alibaba Cloud OpenAPI actions ackwb may call, and where each one's parameters travel.

Read-only is enforced by an allow-list, not by a name prefix: ``GetOrDeleteThing`` starts like a
read and would pass a prefix check. ``ALLOWED_ACTIONS`` names every (product, action) a step
calls or is about to call; a call outside it is refused before anything is sent. To let a step
call a new read action, add it here (and, when the product's SDK sends its parameters in the
form body, to ``FORM_BODY``).

``FORM_BODY`` says which actions the official SDK sends with their business parameters in the
``application/x-www-form-urlencoded`` body instead of the query string (the SDK's
``<action>_with_options`` method builds ``body[...]`` rather than ``query[...]``); the gateway
reads each parameter only where the SDK puts it. The value names the parameters that still
travel in the query (``Tag`` of NLB ListServerGroups). Taken from the installed SDK clients
(alibabacloud_nlb20220430 4.1.3). ALB (alibabacloud_alb20200616 1.3.3) and PrivateZone
(alibabacloud_pvtz20180101 1.5.0) send every parameter of their read actions in the query
string, so they have no entry here; tests/test_openapi_strict.py compares this table with the
installed clients.
"""

from __future__ import annotations

ALLOWED_ACTIONS: frozenset[tuple[str, str]] = frozenset(
    [("alidns", a) for a in ("DescribeSubDomainRecords", "DescribeDomainRecords")]
    + [("pvtz", a) for a in ("DescribeZones", "DescribeZoneRecords", "DescribeZoneInfo")]
    + [
        ("slb", a)
        for a in (
            "DescribeLoadBalancers",
            "DescribeLoadBalancerListeners",
            "DescribeAccessControlListAttribute",
            "DescribeVServerGroups",
            "DescribeVServerGroupAttribute",
            "DescribeHealthStatus",
        )
    ]
    + [
        ("nlb", a)
        for a in (
            "ListLoadBalancers",
            "ListListeners",
            "ListServerGroups",
            "ListServerGroupServers",
            "GetListenerHealthStatus",
        )
    ]
    + [
        ("alb", a)
        for a in (
            "ListLoadBalancers",
            "GetLoadBalancerAttribute",
            "ListListeners",
            "GetListenerAttribute",
            "GetListenerHealthStatus",
            "ListRules",
            "ListServerGroups",
            "ListServerGroupServers",
            "ListAcls",
            "ListAclEntries",
        )
    ]
    + [
        ("ecs", a)
        for a in ("DescribeNetworkInterfaces", "DescribeInstances", "DescribeSecurityGroupAttribute")
    ]
    + [
        ("vpc", a)
        for a in (
            "DescribeVpcs",
            "DescribeVSwitchAttributes",
            "DescribeRouteEntryList",
            "DescribeNatGateways",
            "DescribeSnatTableEntries",
            "DescribeEipAddresses",
        )
    ]
    + [
        ("cs", a)
        for a in (
            "DescribeClusterDetail",
            "DescribeClusterNodes",
            "ListClusterAddonInstances",
            "DescribeClusterAddonsVersion",
        )
    ]
)

# (product, action) → the parameters that stay in the query; every other one goes in the form body.
FORM_BODY: dict[tuple[str, str], frozenset[str]] = {
    ("nlb", "ListServerGroupServers"): frozenset(),
    ("nlb", "ListServerGroups"): frozenset({"Tag"}),
}


def is_allowed(product: str, action: str) -> bool:
    """True only for an action on the allow-list, spelled exactly."""
    return (product, action) in ALLOWED_ACTIONS


def split_parameters(
    product: str, action: str, params: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Wire parameters split as the SDK sends them: (query, form body)."""
    query_names = FORM_BODY.get((product, action))
    if query_names is None:
        return dict(params), {}
    query = {k: v for k, v in params.items() if k.split(".")[0] in query_names}
    body = {k: v for k, v in params.items() if k.split(".")[0] not in query_names}
    return query, body
