"""The pure core: program rules, points arithmetic and card codes (standard library only)."""
