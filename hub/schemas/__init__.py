"""Marshmallow schemas of the REST API: they validate requests and generate the OpenAPI doc."""
