"""The fields steps read from Kubernetes objects and cloud answers, and their types (used by ``shapes``).

One table per Kubernetes resource (``KUBE``, plus ``META`` for every object) and per cloud action
(``CLOUD``, plus ``PAGING`` for every answer). Each entry is ``path kind``: paths are dotted, ``[]``
goes into every item of a list and ``*`` into every value of an object; kinds are ``obj``,
``list``, ``str``, ``int``, ``bool``, ``port`` (a number or a port name) and ``num`` (a number or its
digits as a string). A step that starts
reading another field adds it here, so that a wrong type is reported instead of crashing it.
"""

from __future__ import annotations

from ackwb.sources.shape_rules_front import CLOUD_FRONT, KUBE_FRONT
from ackwb.sources.shape_text import Rules, rules

__all__ = ["CLOUD", "KUBE", "META", "PAGING", "Rules", "rules"]


META = rules("""metadata obj; metadata.name str; metadata.namespace str; metadata.labels obj
    metadata.labels.* str; metadata.annotations obj; metadata.annotations.* str; spec obj
    status obj""")
KUBE: dict[str, Rules] = {
    "services": rules(
        """spec.ports list; spec.ports[] obj; spec.ports[].port int; spec.ports[].targetPort port
        spec.ports[].nodePort int; spec.ports[].name str; spec.ports[].protocol str
        spec.selector obj; spec.selector.* str; spec.clusterIP str; spec.clusterIPs list
        spec.type str; spec.externalName str; spec.externalTrafficPolicy str
        spec.healthCheckNodePort int; status.loadBalancer obj; status.loadBalancer.ingress list
        status.loadBalancer.ingress[].ip str"""
    ),
    "pods": rules(
        """spec.nodeName str; spec.hostNetwork bool; spec.containers list; spec.containers[] obj
        spec.containers[].name str; spec.containers[].ports list
        spec.containers[].ports[].containerPort int; status.podIP str; status.podIPs list
        status.podIPs[].ip str; status.hostIP str; status.phase str; status.conditions list
        status.conditions[] obj; status.conditions[].type str; status.conditions[].status str
        status.containerStatuses list; status.containerStatuses[] obj
        status.containerStatuses[].name str; status.containerStatuses[].ready bool
        status.containerStatuses[].restartCount int; status.containerStatuses[].state obj
        status.containerStatuses[].lastState obj"""
    ),
    "nodes": rules(
        """status.addresses list; status.addresses[] obj; status.addresses[].type str
        status.addresses[].address str; status.conditions list; status.conditions[] obj
        status.conditions[].type str; status.conditions[].status str; spec.providerID str
        spec.podCIDR str; spec.podCIDRs list; spec.podCIDRs[] str"""
    ),
    "ingresses": rules(
        """spec.ingressClassName str; spec.rules list; spec.rules[] obj; spec.rules[].host str
        spec.rules[].http obj; spec.rules[].http.paths list; spec.rules[].http.paths[] obj
        spec.rules[].http.paths[].path str; spec.rules[].http.paths[].pathType str
        spec.rules[].http.paths[].backend obj; spec.rules[].http.paths[].backend.service obj
        spec.rules[].http.paths[].backend.service.name str
        spec.rules[].http.paths[].backend.service.port obj
        spec.rules[].http.paths[].backend.service.port.number int
        spec.rules[].http.paths[].backend.service.port.name str; spec.tls list"""
    ),
    "ingressclasses": rules("""spec.controller str"""),
    "endpointslices": rules(
        """addressType str; endpoints list; endpoints[] obj; endpoints[].addresses list
        endpoints[].addresses[] str; endpoints[].conditions obj; endpoints[].conditions.ready bool
        endpoints[].conditions.serving bool; endpoints[].conditions.terminating bool
        endpoints[].nodeName str; endpoints[].targetRef obj; endpoints[].targetRef.name str
        endpoints[].targetRef.namespace str; ports list; ports[] obj; ports[].port int
        ports[].name str; ports[].protocol str"""
    ),
    "configmaps": rules("""data obj; data.* str"""),
}

PAGING = rules("""TotalCount int; PageNumber int; PageSize int; NextToken str; MaxResults int
    TotalItems int; TotalPages int""")
CLOUD: dict[tuple[str, str], Rules] = {
    ("alidns", "DescribeSubDomainRecords"): rules(
        """DomainRecords obj; DomainRecords.Record list; DomainRecords.Record[] obj
        DomainRecords.Record[].Value str; DomainRecords.Record[].Type str
        DomainRecords.Record[].RR str; DomainRecords.Record[].Status str
        DomainRecords.Record[].TTL int; DomainRecords.Record[].DomainName str"""
    ),
    ("slb", "DescribeLoadBalancers"): rules(
        """LoadBalancers obj; LoadBalancers.LoadBalancer list; LoadBalancers.LoadBalancer[] obj
        LoadBalancers.LoadBalancer[].LoadBalancerId str; LoadBalancers.LoadBalancer[].Address str
        LoadBalancers.LoadBalancer[].LoadBalancerName str
        LoadBalancers.LoadBalancer[].AddressType str"""
    ),
    ("slb", "DescribeLoadBalancerListeners"): rules(
        """Listeners list; Listeners[] obj; Listeners[].ListenerPort int
        Listeners[].ListenerProtocol str; Listeners[].Status str; Listeners[].VServerGroupId str
        Listeners[].AclStatus str; Listeners[].AclId str; Listeners[].AclType str
        Listeners[].LoadBalancerId str"""
    ),
    ("slb", "DescribeAccessControlListAttribute"): rules(
        """AclEntrys obj; AclEntrys.AclEntry list; AclEntrys.AclEntry[] obj
        AclEntrys.AclEntry[].AclEntryIP str; AclEntrys.AclEntry[].AclEntryComment str"""
    ),
    ("slb", "DescribeVServerGroupAttribute"): rules(
        """BackendServers obj; BackendServers.BackendServer list; BackendServers.BackendServer[] obj
        BackendServers.BackendServer[].ServerId str; BackendServers.BackendServer[].ServerIp str
        BackendServers.BackendServer[].Port int; BackendServers.BackendServer[].Weight int
        BackendServers.BackendServer[].Type str
        BackendServers.BackendServer[].ServerHealthStatus str
        BackendServers.BackendServer[].ListenerPort int"""
    ),
    ("slb", "DescribeHealthStatus"): rules(
        """BackendServers obj; BackendServers.BackendServer list; BackendServers.BackendServer[] obj
        BackendServers.BackendServer[].ServerId str; BackendServers.BackendServer[].ServerIp str
        BackendServers.BackendServer[].Port int; BackendServers.BackendServer[].Weight int
        BackendServers.BackendServer[].Type str
        BackendServers.BackendServer[].ServerHealthStatus str
        BackendServers.BackendServer[].ListenerPort int"""
    ),
    ("nlb", "ListLoadBalancers"): rules(
        """LoadBalancers list; LoadBalancers[] obj; LoadBalancers[].LoadBalancerId str
        LoadBalancers[].DNSName str; LoadBalancers[].ZoneMappings list
        LoadBalancers[].ZoneMappings[] obj; LoadBalancers[].ZoneMappings[].ZoneId str
        LoadBalancers[].ZoneMappings[].LoadBalancerAddresses list
        LoadBalancers[].ZoneMappings[].LoadBalancerAddresses[] obj
        LoadBalancers[].ZoneMappings[].LoadBalancerAddresses[].PublicIPv4Address str
        LoadBalancers[].ZoneMappings[].LoadBalancerAddresses[].PrivateIPv4Address str
        LoadBalancers[].ZoneMappings[].LoadBalancerAddresses[].AllocationId str
        LoadBalancers[].SecurityGroupIds list; LoadBalancers[].SecurityGroupIds[] str"""
    ),
    ("nlb", "ListListeners"): rules(
        """Listeners list; Listeners[] obj; Listeners[].ListenerId str; Listeners[].ListenerPort int
        Listeners[].StartPort num; Listeners[].EndPort num; Listeners[].ListenerProtocol str
        Listeners[].ListenerStatus str; Listeners[].ServerGroupId str
        Listeners[].LoadBalancerId str"""
    ),
    ("nlb", "ListServerGroupServers"): rules(
        """Servers list; Servers[] obj; Servers[].ServerId str; Servers[].ServerIp str
        Servers[].Port int; Servers[].Weight int; Servers[].ServerType str; Servers[].Status str"""
    ),
    ("nlb", "GetListenerHealthStatus"): rules(
        """ListenerHealthStatus list; ListenerHealthStatus[] obj
        ListenerHealthStatus[].ServerGroupInfos list; ListenerHealthStatus[].ServerGroupInfos[] obj
        ListenerHealthStatus[].ServerGroupInfos[].ServerGroupId str
        ListenerHealthStatus[].ServerGroupInfos[].HeathCheckEnabled bool
        ListenerHealthStatus[].ServerGroupInfos[].NonNormalServers list
        ListenerHealthStatus[].ServerGroupInfos[].NonNormalServers[] obj
        ListenerHealthStatus[].ServerGroupInfos[].NonNormalServers[].ServerId str
        ListenerHealthStatus[].ServerGroupInfos[].NonNormalServers[].ServerIp str
        ListenerHealthStatus[].ServerGroupInfos[].NonNormalServers[].Port int
        ListenerHealthStatus[].ServerGroupInfos[].NonNormalServers[].Status str"""
    ),
    ("ecs", "DescribeNetworkInterfaces"): rules(
        """NetworkInterfaceSets obj; NetworkInterfaceSets.NetworkInterfaceSet list
        NetworkInterfaceSets.NetworkInterfaceSet[] obj
        NetworkInterfaceSets.NetworkInterfaceSet[].NetworkInterfaceId str
        NetworkInterfaceSets.NetworkInterfaceSet[].InstanceId str
        NetworkInterfaceSets.NetworkInterfaceSet[].VSwitchId str
        NetworkInterfaceSets.NetworkInterfaceSet[].VpcId str
        NetworkInterfaceSets.NetworkInterfaceSet[].Type str
        NetworkInterfaceSets.NetworkInterfaceSet[].PrivateIpAddress str
        NetworkInterfaceSets.NetworkInterfaceSet[].PrivateIpSets obj
        NetworkInterfaceSets.NetworkInterfaceSet[].PrivateIpSets.PrivateIpSet list
        NetworkInterfaceSets.NetworkInterfaceSet[].PrivateIpSets.PrivateIpSet[] obj
        NetworkInterfaceSets.NetworkInterfaceSet[].PrivateIpSets.PrivateIpSet[].PrivateIpAddress str
        NetworkInterfaceSets.NetworkInterfaceSet[].SecurityGroupIds obj
        NetworkInterfaceSets.NetworkInterfaceSet[].SecurityGroupIds.SecurityGroupId list
        NetworkInterfaceSets.NetworkInterfaceSet[].SecurityGroupIds.SecurityGroupId[] str"""
    ),
    ("ecs", "DescribeInstances"): rules(
        """Instances obj; Instances.Instance list; Instances.Instance[] obj
        Instances.Instance[].InstanceId str; Instances.Instance[].InstanceName str
        Instances.Instance[].HostName str; Instances.Instance[].VpcAttributes obj
        Instances.Instance[].VpcAttributes.VSwitchId str
        Instances.Instance[].VpcAttributes.PrivateIpAddress obj
        Instances.Instance[].VpcAttributes.PrivateIpAddress.IpAddress list
        Instances.Instance[].VpcAttributes.PrivateIpAddress.IpAddress[] str
        Instances.Instance[].SecurityGroupIds obj
        Instances.Instance[].SecurityGroupIds.SecurityGroupId list
        Instances.Instance[].SecurityGroupIds.SecurityGroupId[] str"""
    ),
    ("ecs", "DescribeSecurityGroupAttribute"): rules(
        """Permissions obj; Permissions.Permission list; Permissions.Permission[] obj
        Permissions.Permission[].Policy str; Permissions.Permission[].Priority num
        Permissions.Permission[].IpProtocol str; Permissions.Permission[].PortRange str
        Permissions.Permission[].SourceCidrIp str; Permissions.Permission[].Direction str
        Permissions.Permission[].NicType str; Permissions.Permission[].SecurityGroupRuleId str"""
    ),
    ("vpc", "DescribeVSwitchAttributes"): rules(
        """RouteTable obj; RouteTable.RouteTableId str; VpcId str; CidrBlock str; VSwitchId str"""
    ),
    ("vpc", "DescribeRouteEntryList"): rules(
        """RouteEntrys obj; RouteEntrys.RouteEntry list; RouteEntrys.RouteEntry[] obj
        RouteEntrys.RouteEntry[].DestinationCidrBlock str; RouteEntrys.RouteEntry[].Type str
        RouteEntrys.RouteEntry[].Status str; RouteEntrys.RouteEntry[].NextHops obj
        RouteEntrys.RouteEntry[].NextHops.NextHop list
        RouteEntrys.RouteEntry[].NextHops.NextHop[] obj
        RouteEntrys.RouteEntry[].NextHops.NextHop[].NextHopType str
        RouteEntrys.RouteEntry[].NextHops.NextHop[].NextHopId str"""
    ),
    ("vpc", "DescribeVpcs"): rules(
        """Vpcs obj; Vpcs.Vpc list; Vpcs.Vpc[] obj; Vpcs.Vpc[].VpcId str; Vpcs.Vpc[].CidrBlock str
        Vpcs.Vpc[].SecondaryCidrBlocks obj; Vpcs.Vpc[].SecondaryCidrBlocks.SecondaryCidrBlock list
        Vpcs.Vpc[].SecondaryCidrBlocks.SecondaryCidrBlock[] str"""
    ),
    ("vpc", "DescribeNatGateways"): rules(
        """NatGateways obj; NatGateways.NatGateway list; NatGateways.NatGateway[] obj
        NatGateways.NatGateway[].NatGatewayId str; NatGateways.NatGateway[].Name str
        NatGateways.NatGateway[].SnatTableIds obj
        NatGateways.NatGateway[].SnatTableIds.SnatTableId list
        NatGateways.NatGateway[].SnatTableIds.SnatTableId[] str
        NatGateways.NatGateway[].IpLists obj; NatGateways.NatGateway[].IpLists.IpList list
        NatGateways.NatGateway[].IpLists.IpList[] obj
        NatGateways.NatGateway[].IpLists.IpList[].IpAddress str"""
    ),
    ("vpc", "DescribeSnatTableEntries"): rules(
        """SnatTableEntries obj; SnatTableEntries.SnatTableEntry list
        SnatTableEntries.SnatTableEntry[] obj; SnatTableEntries.SnatTableEntry[].SourceVSwitchId str
        SnatTableEntries.SnatTableEntry[].SourceCIDR str
        SnatTableEntries.SnatTableEntry[].SnatIp str
        SnatTableEntries.SnatTableEntry[].SnatEntryId str
        SnatTableEntries.SnatTableEntry[].Status str"""
    ),
    ("vpc", "DescribeEipAddresses"): rules(
        """EipAddresses obj; EipAddresses.EipAddress list; EipAddresses.EipAddress[] obj
        EipAddresses.EipAddress[].IpAddress str; EipAddresses.EipAddress[].AllocationId str
        EipAddresses.EipAddress[].InstanceId str; EipAddresses.EipAddress[].InstanceType str
        EipAddresses.EipAddress[].Status str"""
    ),
}
KUBE.update(KUBE_FRONT)  # Gateway API objects and AlbConfigs
CLOUD.update(CLOUD_FRONT)  # ALB and PrivateZone
