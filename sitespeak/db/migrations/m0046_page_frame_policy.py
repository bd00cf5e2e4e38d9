"""Whether a page lets other sites show it in a frame, from the headers the crawl saw: the
try-it page shows the owner's real site behind the widget when it does."""

SQL = """
ALTER TABLE pages ADD COLUMN frame_policy TEXT CHECK (frame_policy IN ('any', 'none'));
"""
