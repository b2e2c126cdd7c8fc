"""DNS answers of a stored world: what internet resolvers and what kube-dns say.

``dns/public.json`` holds the records public resolvers answer, ``dns/cluster.json`` the
records of the cluster DNS (``<svc>.<ns>.svc.cluster.local``). A query follows CNAME
chains as a recursive resolver does and returns the chain followed by the final records;
a name that does not exist is NXDOMAIN, reported as ``InputError``.
"""

from __future__ import annotations

from typing import Any

from ackwb.errors import InputError, SourceError
from ackwb.sources.base import DnsRecord
from ackwb.sources.world_files import WorldFiles, absent

MAX_CHAIN = 16  # resolvers give up on longer CNAME chains too


def absolute(name: str) -> str:
    name = name.strip().lower()
    return name if name.endswith(".") else name + "."


class WorldDns:
    """``DnsSource`` over ``dns/public.json`` and ``dns/cluster.json``."""

    def __init__(self, files: WorldFiles) -> None:
        self._files = files
        self._zones: dict[str, dict[str, list[DnsRecord]]] = {}

    def _records(self, which: str) -> dict[str, list[DnsRecord]]:
        if which not in self._zones:
            relative = f"dns/{which}.json"
            raw: Any = self._files.json(relative)
            if raw is None:
                what = "what the cluster DNS answers" if which == "cluster" else "what public DNS answers"
                raise absent(self._files.label, f"dns:{which}", relative, what)
            by_name: dict[str, list[DnsRecord]] = {}
            if not isinstance(raw, list):
                raise SourceError(f"dns:{which}", f"{relative} must be a list of records")
            for number, row in enumerate(raw, 1):
                try:
                    record = DnsRecord(
                        absolute(row["name"]), str(row["type"]).upper(), int(row["ttl"]), str(row["value"])
                    )
                except (KeyError, TypeError, ValueError, AttributeError) as error:
                    raise SourceError(
                        f"dns:{which}",
                        f"{relative}, record {number}: needs name, type, ttl and value ({error!r})",
                    ) from error
                by_name.setdefault(record.name, []).append(record)
            self._zones[which] = by_name
        return self._zones[which]

    def _resolve(self, which: str, name: str, rdtype: str) -> list[DnsRecord]:
        records, rdtype = self._records(which), rdtype.upper()
        answer: list[DnsRecord] = []
        current = absolute(name)
        for _ in range(MAX_CHAIN):
            here = records.get(current)
            if not here:
                where = "the cluster DNS" if which == "cluster" else "public DNS"
                via = f" (reached through CNAME from {absolute(name)})" if answer else ""
                raise InputError(f"{current} does not resolve: NXDOMAIN in {where} of this world{via}")
            wanted = [r for r in here if r.type == rdtype]
            cname = next((r for r in here if r.type == "CNAME"), None)
            if wanted or cname is None or rdtype == "CNAME":
                return answer + wanted  # an empty list is NOERROR with no answer
            answer.append(cname)
            current = absolute(cname.value)
        raise SourceError(f"dns:{which}", f"CNAME chain from {absolute(name)} is longer than {MAX_CHAIN}")

    def resolve(self, name: str, rdtype: str = "A") -> list[DnsRecord]:
        return self._resolve("public", name, rdtype)

    def resolve_in_cluster(self, name: str, rdtype: str = "A") -> list[DnsRecord]:
        return self._resolve("cluster", name, rdtype)
