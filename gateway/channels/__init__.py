"""Channels: one adapter per SMS/USSD provider, registered by slug."""
