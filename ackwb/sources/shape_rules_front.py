"""Field types of the other front doors: ALB and PrivateZone answers, Gateway API objects and AlbConfigs.

The same notation as ``shape_rules`` (which merges these tables into ``KUBE`` and ``CLOUD``).
Cloud field names are the wire names of alibabacloud_alb20200616 1.3.3 and
alibabacloud_pvtz20180101 1.5.0 (PrivateZone spells ``Rr`` and ``Ttl``, not Alidns' ``RR`` and
``TTL``; its ``RecordId`` is a number); ALB returns ``RedirectConfig.HttpCode`` and ``Port`` as
strings and ``HealthCheckEnabled`` as "on". Kubernetes paths follow gateway.networking.k8s.io v1
(ReferenceGrant v1beta1) and alibabacloud.com/v1 AlbConfig.
"""

from __future__ import annotations

from ackwb.sources.shape_text import Rules, rules

_TAGS = "Tags list; Tags[] obj; Tags[].Key str; Tags[].Value str"
_GROUPS = (
    "ForwardGroupConfig obj; ForwardGroupConfig.ServerGroupTuples list; "
    "ForwardGroupConfig.ServerGroupTuples[] obj; ForwardGroupConfig.ServerGroupTuples[].ServerGroupId str"
)
_LISTENER = f"""ListenerId str; ListenerPort int; ListenerProtocol str; ListenerStatus str; LoadBalancerId str
    DefaultActions list; DefaultActions[] obj; DefaultActions[].Type str
    {"; ".join("DefaultActions[]." + part.strip() for part in _GROUPS.split(";"))}"""
_HEALTH = """ServerGroupInfos list; ServerGroupInfos[] obj; ServerGroupInfos[].ServerGroupId str
    ServerGroupInfos[].HealthCheckEnabled str; ServerGroupInfos[].ServerCount int
    ServerGroupInfos[].NonNormalServers list; ServerGroupInfos[].NonNormalServers[] obj
    ServerGroupInfos[].NonNormalServers[].ServerId str; ServerGroupInfos[].NonNormalServers[].ServerIp str
    ServerGroupInfos[].NonNormalServers[].Port int; ServerGroupInfos[].NonNormalServers[].Status str"""


def _under(prefix: str, text: str) -> Rules:
    return {f"{prefix}{path}": kind for path, kind in rules(text).items()}


CLOUD_FRONT: dict[tuple[str, str], Rules] = {
    ("alb", "ListLoadBalancers"): _under(
        "LoadBalancers[].",
        f"""LoadBalancerId str; LoadBalancerName str; DNSName str
        AddressType str; VpcId str; LoadBalancerStatus str; SecurityGroupIds list
        SecurityGroupIds[] str; {_TAGS}""",
    )
    | rules("LoadBalancers list; LoadBalancers[] obj"),
    ("alb", "GetLoadBalancerAttribute"): rules(f"""LoadBalancerId str; DNSName str; AddressType str; VpcId str
        SecurityGroupIds list; SecurityGroupIds[] str; ZoneMappings list; ZoneMappings[] obj
        ZoneMappings[].ZoneId str
        ZoneMappings[].VSwitchId str; ZoneMappings[].LoadBalancerAddresses list
        ZoneMappings[].LoadBalancerAddresses[] obj
        ZoneMappings[].LoadBalancerAddresses[].Address str
        ZoneMappings[].LoadBalancerAddresses[].IntranetAddress str
        ZoneMappings[].LoadBalancerAddresses[].AllocationId str; {_TAGS}"""),
    ("alb", "ListListeners"): _under("Listeners[].", _LISTENER) | rules("Listeners list; Listeners[] obj"),
    ("alb", "GetListenerAttribute"): rules(f"""{_LISTENER}; Certificates list; Certificates[] obj
        Certificates[].CertificateId str; AclConfig obj; AclConfig.AclType str; AclConfig.AclRelations list
        AclConfig.AclRelations[] obj; AclConfig.AclRelations[].AclId str
        AclConfig.AclRelations[].Status str"""),
    ("alb", "ListRules"): _under(
        "Rules[].",
        """RuleId str; RuleName str; Priority int; RuleStatus str; Direction str
        ListenerId str; LoadBalancerId str; RuleConditions list; RuleConditions[] obj
        RuleConditions[].Type str
        RuleActions list; RuleActions[] obj; RuleActions[].Type str; RuleActions[].Order int""",
    )
    | rules("Rules list; Rules[] obj"),
    ("alb", "ListServerGroups"): _under(
        "ServerGroups[].",
        f"""ServerGroupId str; ServerGroupName str
        ServerGroupType str; Protocol str; VpcId str; ServerCount int; {_TAGS}""",
    )
    | rules("ServerGroups list; ServerGroups[] obj"),
    ("alb", "ListServerGroupServers"): _under(
        "Servers[].",
        """ServerGroupId str; ServerId str; ServerIp str
        ServerType str; Port int; Weight int; Status str""",
    )
    | rules("Servers list; Servers[] obj"),
    ("alb", "GetListenerHealthStatus"): _under(
        "ListenerHealthStatus[].", f"ListenerId str; ListenerPort int; {_HEALTH}"
    )
    | _under("RuleHealthStatus[].", f"RuleId str; {_HEALTH}")
    | rules(
        "ListenerHealthStatus list; ListenerHealthStatus[] obj; RuleHealthStatus list; RuleHealthStatus[] obj"
    ),
    ("alb", "ListAcls"): rules(
        "Acls list; Acls[] obj; Acls[].AclId str; Acls[].AclName str; Acls[].AclStatus str"
    ),
    ("alb", "ListAclEntries"): rules("""AclEntries list; AclEntries[] obj; AclEntries[].Entry str
        AclEntries[].Status str; AclEntries[].Description str"""),
    ("pvtz", "DescribeZones"): rules("""Zones obj; Zones.Zone list; Zones.Zone[] obj; Zones.Zone[].ZoneId str
        Zones.Zone[].ZoneName str; Zones.Zone[].ZoneType str; Zones.Zone[].RecordCount int
        Zones.Zone[].IsPtr bool"""),
    (
        "pvtz",
        "DescribeZoneInfo",
    ): rules("""ZoneId str; ZoneName str; BindVpcs obj; BindVpcs.Vpc list; BindVpcs.Vpc[] obj
        BindVpcs.Vpc[].VpcId str; BindVpcs.Vpc[].RegionId str"""),
    ("pvtz", "DescribeZoneRecords"): rules("""Records obj; Records.Record list; Records.Record[] obj
        Records.Record[].Rr str; Records.Record[].Type str; Records.Record[].Value str
        Records.Record[].Ttl int
        Records.Record[].Status str; Records.Record[].RecordId int; Records.Record[].Priority int
        Records.Record[].Weight int; Records.Record[].Line str"""),
}

_CONDITIONS = (
    "conditions list; conditions[] obj; conditions[].type str; conditions[].status str; "
    "conditions[].reason str; conditions[].message str"
)

KUBE_FRONT: dict[str, Rules] = {
    "gatewayclasses": rules("spec.controllerName str") | _under("status.", _CONDITIONS),
    "gateways": rules("""spec.gatewayClassName str; spec.listeners list; spec.listeners[] obj
        spec.listeners[].name str; spec.listeners[].hostname str; spec.listeners[].port int
        spec.listeners[].protocol str; spec.listeners[].allowedRoutes obj
        spec.listeners[].allowedRoutes.namespaces obj; spec.listeners[].allowedRoutes.namespaces.from str
        spec.listeners[].allowedRoutes.namespaces.selector obj; spec.listeners[].allowedRoutes.kinds list
        status.addresses list; status.addresses[] obj; status.addresses[].type str
        status.addresses[].value str
        status.listeners list; status.listeners[] obj; status.listeners[].name str
        status.listeners[].attachedRoutes int""")
    | _under("status.", _CONDITIONS)
    | _under("status.listeners[].", _CONDITIONS),
    "httproutes": rules("""spec.parentRefs list; spec.parentRefs[] obj; spec.parentRefs[].name str
        spec.parentRefs[].namespace str; spec.parentRefs[].sectionName str; spec.parentRefs[].port int
        spec.hostnames list; spec.hostnames[] str; spec.rules list; spec.rules[] obj
        spec.rules[].matches list
        spec.rules[].matches[] obj; spec.rules[].filters list; spec.rules[].filters[] obj
        spec.rules[].filters[].type str; spec.rules[].backendRefs list; spec.rules[].backendRefs[] obj
        spec.rules[].backendRefs[].name str; spec.rules[].backendRefs[].namespace str
        spec.rules[].backendRefs[].port int; spec.rules[].backendRefs[].weight int; status.parents list
        status.parents[] obj; status.parents[].parentRef obj; status.parents[].controllerName str""")
    | _under("status.parents[].", _CONDITIONS),
    "referencegrants": rules("""spec.from list; spec.from[] obj; spec.from[].group str; spec.from[].kind str
        spec.from[].namespace str; spec.to list; spec.to[] obj; spec.to[].group str; spec.to[].kind str
        spec.to[].name str"""),
    "albconfigs": rules("""spec.config obj; spec.config.id str; spec.config.name str
        spec.config.addressType str
        spec.listeners list; spec.listeners[] obj; spec.listeners[].port port; spec.listeners[].protocol str
        status.loadBalancer obj; status.loadBalancer.id str; status.loadBalancer.dnsname str"""),
}
