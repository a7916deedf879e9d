"""Kafka: the outbound relay (events as CloudEvents) and the inbound ingest (agencies' commands)."""
