"""Alidns records of a design world, and the DNS answers that match them.

The zone's records (A to a load balancer address, or CNAME to an NLB's DNS name) are what
``DescribeDomainRecords`` lists; ``public_dns`` is what internet resolvers answer (a CNAME
followed by the NLB's A records, one per zone), ``cluster_dns`` what kube-dns answers for
every Service.
"""

from __future__ import annotations

from typing import Any

from tools.demo_world.design import Design

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
    return answers


def cluster_dns(d: Design) -> list[Obj]:
    return [
        {"name": f"{s.name}.{s.namespace}.svc.cluster.local.", "type": "A", "ttl": 30, "value": s.cluster_ip}
        for s in sorted(d.services, key=lambda s: (s.namespace, s.name))
    ]
