"""Process entry, configuration and the supervision tree. Nothing imports this package."""
