"""Resource types: metadata, specs, definitions."""
