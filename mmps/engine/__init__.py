"""mmps.engine."""
