"""The hub's domain: agencies, referrals and cases as event-sourced aggregates."""
