"""REST blueprints under /api/v1: one module per resource, each exposing `blp`."""

# Modules of hub.api registered by create_app, in this order.
BLUEPRINTS = ["agencies", "referrals", "cases", "audit"]
