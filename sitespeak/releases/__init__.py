"""Releases of the assistant: what visitors are answered from is a site's live release (a set
of chunks with the action catalog and voice settings it was built with). A finished crawl run
becomes a candidate (``candidates.build_candidate``), which a safety gate publishes or holds
for review; publishing, rollback and discard switch the live pointer (``switch``)."""
