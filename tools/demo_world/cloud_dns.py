"""Alidns records of a design world, and the DNS answers that match them.

The zone's records (A to a load balancer address, or CNAME to an NLB's DNS name) are what
``DescribeDomainRecords`` lists; ``public_dns`` is what internet resolvers answer (a CNAME
followed by the NLB's A records, one per zone, and the names outside the zone the design
reaches), ``cluster_dns`` what kube-dns answers for every Service.
"""

from __future__ import annotations

from typing import Any

from tools.demo_world.design import Design
from tools.demo_world.model import Service

Obj = dict[str, Any]
RECORD_ID_BASE = 1891286346574329856  # the record ID Alidns gave at dns_stamp of the healthy world
STAMP_BASE = 1716173528000


def domain_records(d: Design) -> Obj:
    records = []
    for index, r in enumerate(d.dns_records):
        stamp = d.dns_stamp + index * 61_000
        records.append(
            {
                "DomainName": d.dns_zone,
                "LbaStatus": False,
                "Line": "default",
                "Locked": False,
                "RR": r.rr,
                "RecordId": str(RECORD_ID_BASE + (stamp - STAMP_BASE) * 4096 // 61_000),
                "Status": "ENABLE",
                "TTL": 600,
                "Type": r.type,
                "Value": r.value,
                "Weight": 1,
                "CreateTimestamp": stamp,
                "UpdateTimestamp": stamp,
                "Remark": r.remark,
            }
        )
    return {
        "DomainRecords": {"Record": records},
        "PageNumber": 1,
        "PageSize": 500,
        "RequestId": d.rid("dns"),
        "TotalCount": len(records),
    }


def public_dns(d: Design) -> list[Obj]:
    answers = [
        {
            "name": f"{r.rr}.{d.dns_zone}.",
            "type": r.type,
            "ttl": 600,
            "value": r.value + ("." if r.type == "CNAME" else ""),
        }
        for r in d.dns_records
    ]
    targets = {r.value for r in d.dns_records if r.type == "CNAME"}
    for nlb in d.nlbs:
        if nlb.dns_name in targets:  # the NLB's own name: one A record per zone address
            answers += [
                {"name": nlb.dns_name + ".", "type": "A", "ttl": 60, "value": z.public_ip} for z in nlb.zones
            ]
    for alb in d.albs:
        if alb.dns_name in targets:  # an ALB's name: one A record per zone's public address
            answers += [
                {"name": alb.dns_name + ".", "type": "A", "ttl": 60, "value": z[1]} for z in alb.zones
            ]
    for name in dict.fromkeys(r.name for r in d.outside_dns):
        answers += _outside(d, name)
    return answers


def _outside(d: Design, name: str, ttl: int | None = None) -> list[Obj]:
    return [
        {
            "name": r.name + ".",
            "type": r.type,
            "ttl": r.ttl if ttl is None else min(ttl, r.ttl),
            "value": r.value,
        }
        for r in d.outside_dns
        if r.name == name
    ]


def _ready_pod_ips(d: Design, s: Service) -> list[str]:
    return [
        ip
        for w in d.workloads
        if w.namespace == s.namespace and all(w.labels.get(k) == v for k, v in s.selector.items())
        for i, (ip, _node) in enumerate(w.replicas)
        if i not in w.not_ready
    ]


def cluster_dns(d: Design) -> list[Obj]:
    """kube-dns: a Service's name → its ClusterIP; a headless one's → the ready Pod IPs; an
    ExternalName's → a CNAME to the external name, whose answer kube-dns forwards (TTL capped at
    30 s by its cache). Outside names the Pods resolve (nginx's ``resolver`` is kube-dns) follow."""
    out = []
    for s in sorted(d.services, key=lambda s: (s.namespace, s.name)):
        name = f"{s.name}.{s.namespace}.svc.cluster.local."
        if s.external_name:
            out.append({"name": name, "type": "CNAME", "ttl": 30, "value": s.external_name + "."})
        else:
            addresses = _ready_pod_ips(d, s) if s.headless else [s.cluster_ip]
            out += [{"name": name, "type": "A", "ttl": 30, "value": ip} for ip in addresses]
    for target in dict.fromkeys(s.external_name for s in d.services if s.external_name):
        out += _outside(d, target, ttl=30)
    return out
