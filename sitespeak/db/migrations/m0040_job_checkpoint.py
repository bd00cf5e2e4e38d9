"""Jobs: a checkpoint, where a job interrupted by its worker's stop resumes (for instance the
instant answers' phrases still to synthesize), kept on the row so whichever worker claims it
next goes on from there instead of starting over."""

SQL = """
ALTER TABLE jobs ADD COLUMN checkpoint JSONB;
"""
