"""The Gateway API front door on Envoy Gateway, as step 4: ``envoy.envoy_path`` reads the Gateway
the load balancer's proxy Service belongs to (``reads``), evaluates its HTTPRoutes with the pure
Gateway API functions (``gateway_routes``, ``gateway_match``, ``gateway_backends``) and draws
the Gateway, the route rule and the backends (``backends``) into an ``EnvoyResult``.
"""

from __future__ import annotations
