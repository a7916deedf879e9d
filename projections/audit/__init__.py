"""The audit trail: a global Merkle log over every event, checkpoints, proofs and bundles."""
