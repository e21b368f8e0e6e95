"""mmps.visualization."""
