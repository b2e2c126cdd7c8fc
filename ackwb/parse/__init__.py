"""Pure parsers: raw text or decoded JSON in, frozen records out.

Each module reads one format a source returns. kube-proxy: ``ipvsadm`` (``-Ln``),
``ipvsadm_numbers`` (``--stats``/``--rate``/``--thresholds``/``--persistent-conn``),
``ipvsadm_connections`` (``-Lnc``, ``--timeout``), ``ipvsadm_any`` (any listing, by its
title), ``ipvs_kube`` (virtual servers → ClusterIP / NodePort / external / LB),
``iptables_save`` and ``kube_iptables`` (``iptables-save -t nat``), ``iptables_backend``
(nft or legacy), ``nft_json`` and ``kube_nftables`` (``nft -j list table ip kube-proxy``),
``kube_rules`` (the records both rule readers return), ``kube_services`` (Service objects),
``proxy_mode``, ``endpointslices``. ingress-nginx: ``nginx_syntax``, ``nginx_conf`` (one
server block), ``nginx_index`` (every host of a whole config), ``nginx_routing`` (server and
location selection by nginx's rules), ``backends`` and ``canary`` (dynamic backends).
``common`` holds what they share.

They do no I/O and import nothing heavy, so replaying a snapshot runs exactly the code
a live trace runs. Bad input raises ``ackwb.errors.ParseError`` naming the source, the
line when there is one, and "truncated" when the input stops early; what a parser only
partly understands is a ``ParseWarning`` in the result's ``warnings``. Import the modules
directly (``from ackwb.parse.ipvsadm import parse_ipvsadm``); this package imports none
of them, so each caller pays only for what it uses.
"""
