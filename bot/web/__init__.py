"""HTTP: one blueprint per feature."""
