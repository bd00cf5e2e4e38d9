"""OpenAI-compatible providers for the voice core: settings resolution, answerer, speech and
the Realtime bridge. Nothing here imports Quart or Huey."""
