"""Reports for site owners, built on the analytics rollups: the weekly report, its CSV, and who
gets it by email."""
