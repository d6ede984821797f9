"""The LINE platform adapter: one SDK client per process, webhook parsing."""
