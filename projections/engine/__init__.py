"""The projections' machinery: tracked views, batched catch-up, a background runner."""
