"""The outside world: settings, storage and cipher, Kafka relay and ingest."""
