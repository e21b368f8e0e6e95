"""mmps.apis."""
