"""Read models: per-agency boards, audit trail, statistics; replay and rebuild."""
