"""Rebuild Service → endpoints from kube-proxy's iptables rules (``iptables-save -t nat``).

kube-proxy (iptables mode) writes, in the nat table: KUBE-SERVICES (one rule per ClusterIP,
external IP and load-balancer IP, commented "ns/svc:port cluster IP" / "external IP" /
"loadbalancer IP", and last a jump to KUBE-NODEPORTS), KUBE-NODEPORTS (one rule per node
port), KUBE-EXT-X (external traffic; forks pod and node-local traffic to KUBE-SVC-X and the
rest to KUBE-SVC-X or, with Local policy, KUBE-SVL-X), KUBE-FW-X (loadBalancerSourceRanges),
KUBE-SVC-X / KUBE-SVL-X (the endpoints, chosen by a ``statistic`` probability cascade after
the ``recent`` ClientIP-affinity checks) and one KUBE-SEP-X per endpoint (its DNAT). Before
1.24 the Local policy chain was KUBE-XLB-X and every LB IP went through KUBE-FW-X. In the
filter table, "has no endpoints" REJECT and "has no local endpoints" DROP rules stand for
ways in without endpoints.

Above 1,000 endpoints kube-proxy stops commenting the per-endpoint rules, so this reader
follows the jumps and reads the DNAT targets; comments only name things. Each rule's
``--probability`` p_i (printed with 11 decimals) gives endpoint i the share
p_i · Π_{j<i}(1 − p_j); the last rule has no probability (p = 1).
"""

from __future__ import annotations

from ackwb.errors import ParseError
from ackwb.parse.common import ParseWarning, refuse_redacted
from ackwb.parse.iptables_save import IptablesSave, Rule, parse_iptables_save
from ackwb.parse.kube_rules import Branch, Entry, NoEndpoints, ProxyRules, RuleEndpoint, ServiceChain

_KINDS = {" cluster IP": "cluster-ip", " external IP": "external-ip", " loadbalancer IP": "load-balancer"}
_SERVICE_CHAINS = ("KUBE-SVC-", "KUBE-SVL-")
_DISPATCH_CHAINS = ("KUBE-EXT-", "KUBE-FW-", "KUBE-XLB-")
_MARKS = ("KUBE-MARK-MASQ", "MARK", "CONNMARK", "LOG", "NFLOG")
_DROPS = {"KUBE-MARK-DROP": "DROP", "DROP": "DROP", "REJECT": "REJECT"}
_BUILTIN_TARGETS = {"ACCEPT", "RETURN", "DNAT", "SNAT", "MASQUERADE", "REDIRECT", "NOTRACK"}
_NOISE = {"-m", "tcp", "udp", "sctp", "comment", "--comment", "-j", "-g", "-p"}


def _host(address: str) -> str:
    for suffix in ("/32", "/128"):
        address = address.removesuffix(suffix)
    return address


def _service_name(comment: str | None) -> str | None:
    """ "ns/svc:port" from the comments kube-proxy writes on per-service rules."""
    if not comment:
        return None
    for suffix in (*_KINDS, " has no endpoints", " has no local endpoints", " health check node port"):
        if comment.endswith(suffix):
            return comment[: -len(suffix)]
    name = comment.split(" -> ", 1)[0]
    return name if " " not in name and "/" in name else None


def _condition(rule: Rule) -> str:
    """The rule's matches as written, minus the comment, protocol modules and the target."""
    args = list(rule.args)
    for option in ("--comment", "-j", "-g"):
        if option in args:
            i = args.index(option)
            del args[i : i + 2 if option == "--comment" else len(args)]
    return " ".join(a for a in args if a not in _NOISE)


def _audience(rule: Rule, chain: str) -> str:
    if rule.value("--src-type") == "LOCAL":
        return "node"
    if rule.value("-s") is not None and not rule.negated("-s"):
        return "allowed-sources" if chain.startswith("KUBE-FW-") else "pods"
    return "all" if not _condition(rule) else "other"


def _narrower(outer: str, inner: str) -> str:
    order = ("all", "allowed-sources", "other-sources", "pods", "node", "other")
    return max(outer, inner, key=order.index)


class _Reader:
    def __init__(self, save: IptablesSave, source: str) -> None:
        self.save = save
        self.source = source
        self.warnings: list[ParseWarning] = []
        self._nat_chains = save.tables["nat"].chains
        self._reported: set[str] = set()  # chains whose repeated rules were already reported

    def _undeclared(self, chain: str, line: int) -> ParseError:
        if self.save.tables["nat"].excerpt:
            where = "which this excerpt does not hold: paste the whole output of iptables-save -t nat"
        else:
            where = "which the nat table does not declare"
        return ParseError(self.source, f"jump to chain {chain!r}, {where}", line)

    def rules(self, chain: str, warnings: list[ParseWarning] | None = None) -> list[Rule]:
        """The chain's rules, each identical rule once (pasted twice, it would count twice: a
        probability cascade would then send the wrong share to each endpoint)."""
        seen: set[tuple[str, ...]] = set()
        unique, repeated = [], []
        for rule in self.save.rules("nat", chain):
            if rule.args in seen:
                repeated.append(rule.line)
                continue
            seen.add(rule.args)
            unique.append(rule)
        if repeated and chain not in self._reported:
            self._reported.add(chain)
            lines = ", ".join(map(str, repeated[:5])) + (", ..." if len(repeated) > 5 else "")
            note = (
                f"{len(repeated)} rule(s) of {chain} repeat an earlier rule (pasted twice?), "
                f"lines {lines}: counted once"
            )
            (self.warnings if warnings is None else warnings).append(ParseWarning(note, repeated[0]))
        return unique

    def entries(self) -> list[Entry]:
        entries = []
        for rule in self.rules("KUBE-SERVICES"):
            target = rule.target
            if target in ("KUBE-NODEPORTS", *_MARKS) or target is None:
                continue
            address, port, protocol = rule.value("-d"), rule.value("--dport"), rule.value("-p")
            if address is None or port is None or protocol is None:
                self.warnings.append(
                    ParseWarning(f"KUBE-SERVICES rule not understood: {rule.raw}", rule.line)
                )
                continue
            comment = rule.comment or ""
            kind = next((k for suffix, k in _KINDS.items() if comment.endswith(suffix)), None)
            if kind is None:  # no comment: the first chain still says ClusterIP (SVC) or external (EXT/FW)
                kind = "cluster-ip" if target.startswith(_SERVICE_CHAINS) else "external"
            entries.append(self._entry(kind, _host(address), protocol, port, _service_name(comment), rule))
        for rule in self.rules("KUBE-NODEPORTS"):
            target = rule.target
            if target in _MARKS or target is None:
                continue
            port, protocol = rule.value("--dport"), rule.value("-p")
            if port is None or protocol is None:
                self.warnings.append(
                    ParseWarning(f"KUBE-NODEPORTS rule not understood: {rule.raw}", rule.line)
                )
                continue
            address = rule.value("-d")  # 127.0.0.0/8 for the localhost node-port rules
            entries.append(
                self._entry("node-port", address, protocol, port, _service_name(rule.comment), rule)
            )
        return entries

    def _entry(
        self, kind: str, address: str | None, protocol: str, port: str, name: str | None, rule: Rule
    ) -> Entry:
        if not port.isdigit() or int(port) > 65535:
            raise ParseError(self.source, f"port {port!r} is not a port number", rule.line)
        refuse_redacted(address, self.source, rule.line)
        ranges: list[str] = []
        branches = self._walk(rule.target or "", "all", "", ranges, set(), rule.line)
        return Entry(
            kind,
            address,
            protocol.upper(),
            int(port),
            name,
            rule.target or "",
            tuple(branches),
            tuple(ranges),
            rule.line,
        )

    def _walk(
        self, chain: str, audience: str, condition: str, ranges: list[str], seen: set[str], line: int
    ) -> list[Branch]:
        """Branches reached by jumping to ``chain`` under ``condition``."""
        if chain in _DROPS:
            return [Branch(audience, condition, _DROPS[chain], line)]
        if chain in _BUILTIN_TARGETS:
            return [Branch(audience, condition, chain, line)]
        if chain not in self._nat_chains:
            raise self._undeclared(chain, line)
        if chain.startswith(_SERVICE_CHAINS):
            return [Branch(audience, condition, chain, line)]
        if chain in seen:  # a loop: nothing new down there
            return []
        seen = seen | {chain}
        branches: list[Branch] = []
        for rule in self.rules(chain):
            target = rule.target
            if target is None:
                if chain.startswith("KUBE-FW-"):  # "other traffic … will be dropped by KUBE-PROXY-FIREWALL"
                    branches.append(
                        Branch(_narrower(audience, "other-sources"), condition, "DROP", rule.line)
                    )
                continue
            if target in _MARKS or target == "RETURN":
                if target == "RETURN" and not _condition(rule):
                    break
                continue
            if target.startswith("KUBE-SEP-"):  # a KUBE-XLB chain balancing over local endpoints itself
                if "--rcheck" not in rule.args:
                    branches.append(Branch(audience, condition, chain, rule.line))
                    break
                continue
            own = _audience(rule, chain)
            if chain.startswith("KUBE-FW-") and own == "allowed-sources":
                ranges.append(rule.value("-s") or "")
            if chain.startswith("KUBE-FW-") and target in _DROPS:
                own = "other-sources"
            here = " ".join(c for c in (condition, _condition(rule)) if c)
            branches += self._walk(target, _narrower(audience, own), here, ranges, seen, rule.line)
            if own == "all" and (
                target in _DROPS or target.startswith((*_SERVICE_CHAINS, *_DISPATCH_CHAINS))
            ):
                break  # nothing after an unconditional jump to a chain that decides is reached
        return branches

    def service_chain(self, name: str) -> ServiceChain | None:
        if name not in self._nat_chains:
            return None
        warnings: list[ParseWarning] = []
        picks: list[tuple[str, float | None, int]] = []
        affinity = None
        drops = False
        service = None
        for rule in self.rules(name, warnings):
            target = rule.target
            service = service or _service_name(rule.comment)
            if target is None or target in _MARKS:
                continue
            if target.startswith("KUBE-SEP-"):
                if "--rcheck" in rule.args:
                    seconds = rule.value("--seconds")
                    affinity = int(seconds) if seconds and seconds.isdigit() else affinity
                    continue
                picks.append((target, _probability(rule, self.source), rule.line))
            elif target in _DROPS:
                drops = True
            elif not target.startswith(("KUBE-SVC-", *_DISPATCH_CHAINS)):
                warnings.append(ParseWarning(f"rule not understood in {name}: {rule.raw}", rule.line))
        endpoints = self._shares(name, picks, warnings)
        local = name.startswith(("KUBE-SVL-", "KUBE-XLB-"))
        line = self.save.tables["nat"].runs.get(name, [(None, None)])[0][0]
        return ServiceChain(
            name,
            service,
            local,
            tuple(endpoints),
            affinity,
            drops,
            tuple(warnings),
            None if line is None else line + 1,
        )

    def _shares(
        self, name: str, picks: list[tuple[str, float | None, int]], warnings: list[ParseWarning]
    ) -> list[RuleEndpoint]:
        endpoints = []
        remaining = 1.0
        for sep, probability, line in picks:
            if remaining <= 0.0:
                warnings.append(
                    ParseWarning(f"{sep} is never reached: an earlier rule takes every connection", line)
                )
            share = remaining * (1.0 if probability is None else probability)
            remaining -= share
            address, port, dnat_line = self._dnat(sep, line)
            endpoints.append(RuleEndpoint(address, port, share, probability, sep, dnat_line))
        if picks and remaining > 1e-9:
            warnings.append(
                ParseWarning(
                    f"{remaining:.2%} of new connections to {name} match no endpoint rule", picks[-1][2]
                )
            )
        return endpoints

    def _dnat(self, sep: str, line: int) -> tuple[str, int, int]:
        if sep not in self._nat_chains:
            raise self._undeclared(sep, line)
        lines = self.save.lines
        for index in self.save.rule_lines("nat", sep):
            raw = lines[index]
            at = raw.find(" --to-destination ")
            if at > 0 and " DNAT " in raw:
                destination = raw[at + 18 :].split(" ", 1)[0]
                return (*_split_destination(destination, self.source, index + 1), index + 1)
        raise ParseError(self.source, f"{sep} has no DNAT --to-destination rule", line)


def _probability(rule: Rule, source: str) -> float | None:
    text = rule.value("--probability")
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise ParseError(source, f"--probability {text!r} is not between 0 and 1", rule.line)
    return value


def _split_destination(text: str, source: str, line: int) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    refuse_redacted(host, source, line)
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host or not port.isdigit() or int(port) > 65535:
        raise ParseError(source, f"--to-destination {text!r} is not address:port", line)
    return host.lower(), int(port)


def _no_endpoints(save: IptablesSave, warnings: list[ParseWarning]) -> list[NoEndpoints]:
    """The filter table's "has no endpoints" REJECT and "has no local endpoints" DROP rules."""
    found = []
    for chain in ("KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES"):
        for rule in save.rules("filter", chain):
            comment = rule.comment or ""
            if rule.target not in ("REJECT", "DROP") or "endpoints" not in comment:
                continue
            reason = "no-local-endpoints" if comment.endswith("has no local endpoints") else "no-endpoints"
            address, port = rule.value("-d"), rule.value("--dport")
            if rule.value("--dst-type") == "LOCAL":
                kind, address = "node-port", None
            else:
                kind = "cluster-ip" if chain == "KUBE-SERVICES" else "external"
            if port is None or not port.isdigit() or int(port) > 65535:
                warnings.append(ParseWarning(f"{chain} rule without a port: {rule.raw}", rule.line))
                continue
            protocol = (rule.value("-p") or "").upper()
            host = _host(address) if address else None
            name = _service_name(comment)
            found.append(NoEndpoints(kind, host, protocol, int(port), name, reason, rule.line))
    return found


def parse_kube_iptables(
    text: str | bytes, source: str = "iptables-save -t nat", check: bool = False
) -> ProxyRules:
    """Every way into every Service the rules know, with the chains they lead to.

    Endpoint chains are read on first use (``ProxyRules.chain``/``endpoints``); ``check=True``
    reads them all now, so that a broken rule anywhere raises here.
    """
    save = parse_iptables_save(text, source)
    if "nat" not in save.tables:
        raise ParseError(
            source, f"no nat table (tables: {', '.join(save.tables)}): capture iptables-save -t nat"
        )
    reader = _Reader(save, source)
    entries = reader.entries()
    no_endpoints = _no_endpoints(save, reader.warnings)
    rules = ProxyRules(
        "iptables",
        tuple(entries),
        tuple(no_endpoints),
        save.backend,
        source,
        tuple(save.warnings) + tuple(reader.warnings),
        reader.service_chain,
    )
    if check:
        rules.check()
    return rules
