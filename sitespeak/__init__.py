"""SiteSpeak: a self-hosted voice assistant for websites."""

__version__ = "0.1.0"
