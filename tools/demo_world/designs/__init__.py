"""The design worlds the generator builds, in the order ``ackwb.demo.DESIGNS`` lists them."""

from __future__ import annotations

from tools.demo_world.design import Design
from tools.demo_world.designs import alb_gateway, flannel_nodeport, healthy, terway_eni_https, terway_nlb

DESIGNS: dict[str, Design] = {
    d.name: d
    for d in (
        healthy.DESIGN,
        flannel_nodeport.DESIGN,
        terway_nlb.DESIGN,
        terway_eni_https.DESIGN,
        alb_gateway.DESIGN,
    )
}
