"""The parts of Kubernetes objects a snapshot keeps because a step reads them; everything else of
the kinds listed here is dropped by a capture, since it may hold a credential.

Annotations are free text that people fill with passwords, keys and whole manifests, so a
capture keeps only the annotations named here (exact keys, or keys starting with a prefix).
Container ``args`` and ``command`` carry tokens and connection strings; the only arguments
kept are the ingress controller's flags below (their values still pass the credential
filter). ConfigMaps keep only the data keys named per (namespace, name).

**A step that starts reading another annotation, container flag or ConfigMap key must add it
here**, or replaying a snapshot will not see it. Steps may import these names.
"""

from __future__ import annotations

# Annotation keys steps read, exactly.
KEPT_ANNOTATIONS: frozenset[str] = frozenset(
    {
        "nginx.ingress.kubernetes.io/service-upstream",  # the Ingress step: ClusterIP or Pod IPs
        # the checks across Ingress objects: regex locations, cookie affinity, snippets (their values
        # still pass the credential filter: a snippet's "Basic ..." is redacted, the annotation kept)
        "nginx.ingress.kubernetes.io/use-regex",
        "nginx.ingress.kubernetes.io/rewrite-target",
        "nginx.ingress.kubernetes.io/affinity",
        "nginx.ingress.kubernetes.io/configuration-snippet",
        "nginx.ingress.kubernetes.io/server-snippet",
        "nginx.ingress.kubernetes.io/auth-snippet",
        "kubernetes.io/ingress.class",  # which controller serves an Ingress (before ingressClassName)
        "ingressclass.kubernetes.io/is-default-class",  # IngressClass: the default class
        "service.beta.kubernetes.io/class",  # CCM: which load balancer kind a Service gets (NLB)
        # ALB Ingress: how the controller orders and writes forwarding rules (Ingress ↔ rule drift)
        "alb.ingress.kubernetes.io/order",
        "alb.ingress.kubernetes.io/use-regex",
        "alb.ingress.kubernetes.io/rewrite-target",
        "alb.ingress.kubernetes.io/listen-ports",
        "alb.ingress.kubernetes.io/ssl-redirect",
        "nginx.ingress.kubernetes.io/ssl-redirect",
    }
)

# Annotation keys steps read, by prefix: a family of related keys.
KEPT_ANNOTATION_PREFIXES: tuple[str, ...] = (
    "nginx.ingress.kubernetes.io/canary",  # canary, canary-by-header(-value|-pattern), -by-cookie, -weight
    "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-",  # CCM: id, address-type, acl-*, backend-type...
    "service.beta.kubernetes.io/alicloud-loadbalancer-",  # the same, older spelling CCM still accepts
    "alb.ingress.kubernetes.io/canary",  # ALB Ingress canaries: canary, canary-weight, canary-by-*
    "alb.ingress.kubernetes.io/actions.",  # ALB Ingress custom actions per Service (replace the forward)
)

# Container arguments kept (``--flag`` or ``--flag=value``): the ingress controller's class flags.
KEPT_CONTAINER_FLAGS: tuple[str, ...] = (
    "--watch-ingress-without-class",
    "--ingress-class",
    "--controller-class",
    "--ingress-class-by-name",
)

# ConfigMap data keys kept, per (namespace, name); other ConfigMaps keep no data at all.
KEPT_CONFIGMAP_KEYS: dict[tuple[str, str], frozenset[str]] = {
    ("kube-system", "eni-config"): frozenset({"disable_network_policy"}),  # Terway: NetworkPolicy on?
    ("kube-system", "kube-flannel-cfg"): frozenset({"net-conf.json"}),  # Flannel: Pod CIDR, backend
}


def keeps_annotation(key: str) -> bool:
    return key in KEPT_ANNOTATIONS or key.startswith(KEPT_ANNOTATION_PREFIXES)


def kept_flag(argument: str) -> str | None:
    """The flag ``argument`` sets when it is one of the kept flags (``--x`` or ``--x=value``), else None."""
    name = argument.split("=", 1)[0]
    return name if name in KEPT_CONTAINER_FLAGS else None
