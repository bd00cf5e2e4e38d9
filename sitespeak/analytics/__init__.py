"""Conversation analytics for the admin charts: per-day counts, latency percentiles, top
questions and content gaps, always scoped by tenant and site."""
