"""ARM routes, one module per resource type."""
