"""The keys of a page's text blocks as extracted (before the site's boilerplate is taken out):
the crawl counts them across the site's pages to find the blocks every page repeats (a footer
or a menu in a plain <div>). NULL: recorded before this column, not counted."""

SQL = """
ALTER TABLE pages ADD COLUMN blocks JSONB;
"""
