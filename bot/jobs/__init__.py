"""Background work on RQ: webhook events, pushes."""
