"""The hub's HTTP and command-line face: app factory, REST blueprints, schemas, CLI, pages."""

from hub.app import create_app

__all__ = ["create_app"]
