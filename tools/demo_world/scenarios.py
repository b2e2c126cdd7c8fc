"""The broken built-in worlds, in the order the package's ``ackwb.demo.WORLDS`` lists them.

The healthy world's scenarios come first (their edits live in scenarios_edge.py and
scenarios_cluster.py), then those of the other design worlds in the order of their designs
(scenarios_flannel.py, scenarios_terway.py, scenarios_nginx.py). The findings of the healthy
world's scenarios are asserted by tests/test_scenarios.py, which keeps its own table of
expectations.
"""

from __future__ import annotations

from tools.demo_world import scenarios_alb as alb
from tools.demo_world import scenarios_cluster as cluster
from tools.demo_world import scenarios_edge as edge
from tools.demo_world import scenarios_envoy as envoy
from tools.demo_world import scenarios_flannel as flannel
from tools.demo_world import scenarios_l4 as l4
from tools.demo_world import scenarios_nginx as nginx
from tools.demo_world import scenarios_terway as terway
from tools.demo_world.designs import DESIGNS
from tools.demo_world.scenario import Scenario, overlay

__all__ = ["BY_NAME", "SCENARIOS", "Scenario", "overlay"]

HEALTHY = [
    Scenario(
        name="dns-record-deleted",
        family="dns",
        summary="app1's A record was deleted in Alidns: the name does not resolve",
        expect="DNS_NAME_NOT_FOUND on the DNS hop of app1.qas.abc.com",
        domain="app1.qas.abc.com",
        edit=edge.dns_record_deleted,
    ),
    Scenario(
        name="dns-stale-answer",
        family="dns",
        summary="Alidns points app2 at public-lb, resolvers still answer a released CLB's IP",
        expect="DNS_RECORD_MISMATCH on the DNS hop, and LB_NOT_FOUND_FOR_IP for 203.0.113.15",
        domain="app2.qas.abc.com",
        edit=edge.dns_stale_answer,
    ),
    Scenario(
        name="lb-listener-stopped",
        family="load balancer",
        summary="listener 80 of public-lb is stopped",
        expect="LB_LISTENER_STOPPED on listener 80 of public-lb",
        domain="app1.qas.abc.com",
        edit=edge.lb_listener_stopped,
    ),
    Scenario(
        name="lb-acl-entry-removed",
        family="load balancer",
        summary=(
            "the office range left private-lb's whitelist, only the VPN range is left: "
            "client 192.0.2.44 is refused"
        ),
        expect="LB_ACL_DENIES_CLIENT on listener 80 of private-lb for client 192.0.2.44",
        domain="app3.qas.abc.com",
        edit=edge.lb_acl_entry_removed,
        client_ip="192.0.2.44",
    ),
    Scenario(
        name="lb-backends-unhealthy",
        family="load balancer",
        summary="every backend of public-lb fails its health check",
        expect="LB_BACKENDS_UNHEALTHY on listener 80 of public-lb",
        domain="app1.qas.abc.com",
        edit=edge.lb_backends_unhealthy,
    ),
    Scenario(
        name="lb-nodeport-mismatch",
        family="load balancer",
        summary="public-lb's ECS backends use NodePort 30080, not the Service's 31523",
        expect="LB_NODEPORT_MISMATCH on the backends 10.17.10.11:30080 and 10.17.10.12:30080",
        domain="app1.qas.abc.com",
        edit=edge.lb_nodeport_mismatch,
    ),
    Scenario(
        name="nlb-security-group-closed",
        family="load balancer",
        summary="a Drop rule for port 80 in public-nlb's security group refuses every client of app4",
        expect="LB_SECURITY_GROUP_DENIES on listener 80 of public-nlb, naming the Drop rule",
        domain="app4.qas.abc.com",
        edit=edge.nlb_security_group_closed,
    ),
    Scenario(
        name="ingress-host-typo",
        family="ingress",
        summary="app1's Ingress was applied with host app1.qsa.abc.com (a typo)",
        expect="INGRESS_NO_RULE_FOR_HOST for app1.qas.abc.com (default backend, 404)",
        domain="app1.qas.abc.com",
        edit=edge.ingress_host_typo,
    ),
    Scenario(
        name="ingress-class-not-served",
        family="ingress",
        summary="app2's Ingress names IngressClass alb, which ingress-nginx does not serve",
        expect="INGRESS_CLASS_NOT_SERVED for app2.qas.abc.com",
        domain="app2.qas.abc.com",
        edit=edge.ingress_class_not_served,
    ),
    Scenario(
        name="ingress-out-of-sync",
        family="ingress",
        summary="app1 moved to Service port 80; the controller's nginx.conf still says 8080",
        expect="INGRESS_OUT_OF_SYNC on Ingress app/app1-service-ingress",
        domain="app1.qas.abc.com",
        edit=edge.ingress_out_of_sync,
    ),
    Scenario(
        name="ingress-backend-empty",
        family="ingress",
        summary="the controller's dynamic backend for app1 is empty while the Pod is ready",
        expect="INGRESS_BACKEND_NO_ENDPOINTS on Ingress app/app1-service-ingress",
        domain="app1.qas.abc.com",
        edit=edge.ingress_backend_empty,
    ),
    Scenario(
        name="service-selector-typo",
        family="service",
        summary="app1-service selects app=app1-srvice, which no Pod carries",
        expect="SERVICE_SELECTOR_MATCHES_NOTHING on Service app/app1-service",
        domain="app1.qas.abc.com",
        edit=cluster.service_selector_typo,
    ),
    Scenario(
        name="service-target-port",
        family="service",
        summary="app2-service's targetPort is 80; its Pods expose 8080",
        expect="SERVICE_TARGET_PORT_NOT_EXPOSED on Service app/app2-service",
        domain="app2.qas.abc.com",
        edit=cluster.service_target_port,
    ),
    Scenario(
        name="ipvs-stale-real-server",
        family="kube-proxy",
        summary="IPVS on node 10.17.10.11 sends app2 to an old Pod IP (stale rule)",
        expect="KUBE_PROXY_STALE_RULES on kube-proxy of cn-hangzhou.10.17.10.11",
        domain="app2.qas.abc.com",
        edit=cluster.ipvs_stale_real_server,
    ),
    Scenario(
        name="ipvs-weight-zero",
        family="kube-proxy",
        summary="an app2 Pod drains: its endpoint is terminating and IPVS gives it weight 0",
        expect="KUBE_PROXY_WEIGHT_ZERO (warning) on the kube-proxy hop; the request gets through",
        domain="app2.qas.abc.com",
        edit=cluster.ipvs_weight_zero,
    ),
    Scenario(
        name="proxy-mode-differs",
        family="kube-proxy",
        summary="kube-proxy on node 10.17.10.13 runs iptables, the others IPVS",
        expect="KUBE_PROXY_MODE_DIFFERS (warning) on kube-proxy of cn-hangzhou.10.17.10.11",
        domain="app1.qas.abc.com",
        edit=cluster.proxy_mode_differs,
    ),
    Scenario(
        name="iptables-stale-dnat",
        family="kube-proxy",
        summary="kube-proxy in iptables mode on node 10.17.10.11 DNATs app1 to an old Pod IP",
        expect="KUBE_PROXY_STALE_RULES on kube-proxy of cn-hangzhou.10.17.10.11 (iptables mode)",
        domain="app1.qas.abc.com",
        edit=cluster.iptables_stale_dnat,
    ),
    Scenario(
        name="pod-crashloop",
        family="pod",
        summary="app1's Pod is in CrashLoopBackOff after 7 restarts",
        expect="POD_NOT_READY and POD_RESTARTING on app1's Pod",
        domain="app1.qas.abc.com",
        edit=cluster.pod_crashloop,
    ),
    Scenario(
        name="node-not-ready",
        family="pod",
        summary="node 10.17.10.13 is NotReady; app1's Pod on it is not ready",
        expect="POD_NODE_NOT_READY on app1's Pod",
        domain="app1.qas.abc.com",
        edit=cluster.node_not_ready,
    ),
    Scenario(
        name="egress-no-default-route",
        family="egress",
        summary="the vSwitch's route 0.0.0.0/0 to the NAT gateway was deleted",
        expect="EGRESS_NO_ROUTE_TO_NAT on the vSwitch",
        domain="app1.qas.abc.com",
        edit=cluster.egress_no_default_route,
    ),
    Scenario(
        name="egress-snat-removed",
        family="egress",
        summary="the NAT gateway's SNAT entry for the vSwitch was deleted",
        expect="EGRESS_NO_SNAT_ENTRY on the NAT gateway",
        domain="app1.qas.abc.com",
        edit=cluster.egress_snat_removed,
    ),
]
OTHERS = [*flannel.SCENARIOS, *terway.SCENARIOS, *nginx.SCENARIOS, *l4.SCENARIOS, *alb.SCENARIOS,
          *envoy.SCENARIOS]  # fmt: skip
SCENARIOS = [*HEALTHY, *sorted(OTHERS, key=lambda s: list(DESIGNS).index(s.base))]  # grouped by design
BY_NAME = {s.name: s for s in SCENARIOS}
