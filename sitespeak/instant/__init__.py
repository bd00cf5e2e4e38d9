"""Instant answers: a site's likely answers worked out with the voice turn's own answer path
and synthesized ahead of time by the speech process (the voice queue's ``voice.*`` jobs).
A package of its own because it reads the knowledge base and the analytics rollups, which the
voice package must not import (they reach back into it through the sites and providers)."""
