"""A visitor's vote on an answer, on the turn it is about: the widget's feedback beacon names the
voice session and turn, so an owner can list the conversations a visitor called not helpful."""

SQL = """
ALTER TABLE voice_turns ADD COLUMN feedback TEXT CHECK (feedback IN ('up', 'down'));
CREATE INDEX voice_turns_down_votes ON voice_turns (session_id) WHERE feedback = 'down';
"""
