"""Pure parsers: raw text or decoded JSON in, frozen records out.

Each module reads one format a source returns (``ipvsadm -Ln``, an ingress-nginx
server block, the dynamic backends JSON, kube-proxy's ``/proxyMode``, EndpointSlices).
They do no I/O and import nothing heavy, so replaying a snapshot runs exactly the code
a live trace runs. Bad input raises ``ackwb.errors.ParseError`` naming the source, the
line when there is one, and whether the input looks truncated. Import the modules
directly (``from ackwb.parse.ipvsadm import parse_ipvsadm``); this package imports none
of them, so each caller pays only for what it uses.
"""
