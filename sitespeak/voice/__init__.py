"""Real-time voice: speech in, a grounded spoken answer out (no Quart, no Huey in here)."""
