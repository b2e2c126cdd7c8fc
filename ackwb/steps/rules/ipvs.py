"""One IPVS virtual server on a node, read with the narrowed ``ipvsadm -Ln -t ADDRESS:PORT``.

kube-proxy in IPVS mode programs a virtual server per ClusterIP:port and per node
address:NodePort, with one real server per endpoint it uses. Reading only the one asked for
keeps the answer small on a node with 10,000 Services. ``ipvsadm`` exits 1 when the
service does not exist (printing "No such service", or "Memory allocation problem" in
releases that report it that way): that, and only that, means the virtual server is absent.
Any other failure (the command missing, exit 127; no permission, "Can't initialize ipvs")
is a read that failed, raised as ``ParseError`` so the step says it could not see the rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from ackwb.errors import ParseError
from ackwb.model import Evidence
from ackwb.parse.ipvsadm import VirtualService, parse_ipvsadm
from ackwb.sources import Sources, commands
from ackwb.steps.rules import Target

ABSENT = ("no such service", "memory allocation problem")


@dataclass(frozen=True)
class IpvsLookup:
    where: str  # the evidence source: "node 10.17.10.11: ipvsadm -Ln -t 192.168.0.10:53"
    service: VirtualService | None  # None: no such virtual server on the node
    targets: tuple[Target, ...]

    @property
    def head(self) -> tuple[Evidence, ...]:
        return (Evidence(self.where, f"line {self.service.line}", self.service.raw),) if self.service else ()


def read_virtual_service(
    sources: Sources, node_ip: str, address: str, port: int, protocol: str
) -> IpvsLookup:
    """The virtual server ``address:port`` on ``node_ip``; raises ``SourceError`` when the node
    cannot be reached and ``ParseError`` when ipvsadm fails for another reason than absence."""
    command = commands.ipvsadm_service(address, port, protocol)
    where = f"node {node_ip}: {command}"
    output = sources.node.run(node_ip, command)
    if output.exit_status != 0:
        said = (output.stderr or output.stdout).strip()
        if output.exit_status == 1 and any(word in said.lower() for word in ABSENT):
            return IpvsLookup(where, None, ())
        reason = said.splitlines()[0] if said else "no output"
        raise ParseError(where, f"ipvsadm failed (exit status {output.exit_status}): {reason}")
    table = parse_ipvsadm(output.stdout, where)
    service = table.find(address, port, protocol)
    targets = tuple(
        Target(rs.address, rs.port, rs.weight > 0, (Evidence(where, f"line {rs.line}", rs.raw),))
        for rs in (service.real_servers if service else ())
    )
    return IpvsLookup(where, service, targets)
