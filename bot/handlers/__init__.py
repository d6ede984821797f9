"""Webhook event handlers: small functions that return the messages to send."""
