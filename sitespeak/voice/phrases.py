"""An answer cut into what is spoken: a short first phrase, then the rest sentence by sentence.

Synthesis costs about 0.18 CPU-s per second of speech, so the first audio can only be as quick
as the first chunk is short. The first sentence is cut at a clause boundary a few words in
("We are open" | "from 9 am to 5 pm, Monday to Friday."), never inside a number; every later
chunk is a whole sentence, synthesized while the previous one plays. Joining the chunks with
single spaces gives the answer's text back, so what was spoken can still be told word for word.
"""

from __future__ import annotations

import re

# The first phrase's length in words when the sentence has no earlier break. Its synthesis is
# what a visitor waits for when the answer is not in the phrase cache, and on a quiet box it
# costs ~0.1 CPU-s per second of speech plus ~40 ms: on the bench's answers six words were
# 1.4-3.5 s of speech and 0.2-0.7 s of CPU, four 0.8-1.8 s and 141 ms (median), three (cut as
# below) 0.7-1.5 s and ~100 ms. The rest of the sentence is synthesized while it plays.
FIRST_WORDS = 3
SHORT_FIRST_WORDS = 2  # under load: a shorter first phrase still buys the visitor time
MIN_REST_WORDS = 3  # never leave a stub ("us.") as the second chunk
# Words a spoken clause may start with: cutting just before one sounds natural. A subject
# pronoun after an opening phrase starts one too ("On Sunday | we open at 9 am").
CLAUSE_STARTS = frozenset(
    """and but or so because which who when where while until from to at on in with for by
    after before between during if unless we you they""".split()
)
# Words that lean on the next one: a first phrase ending in one sounds cut off ("Maria and").
LEANS_FORWARD = frozenset("and or but the a an of to".split())
CLAUSE_END = re.compile(r"[,;:\u2013\u2014]$|^-+$")
NUMERAL = re.compile(r"^\W*\d")


def first_cut(words: list[str], most: int) -> int:
    """How many words the first phrase takes (0: do not cut this sentence)."""
    if len(words) < most + MIN_REST_WORDS:
        return 0
    for count in range(2, most + 1):  # a punctuated clause boundary first
        if CLAUSE_END.search(words[count - 1]):
            return count
    for count in range(most, 1, -1):  # else just before a word that starts a clause
        if words[count].lower().strip("\"'(") in CLAUSE_STARTS:
            return count
    count = most
    while count < len(words) - MIN_REST_WORDS and words[count - 1].lower() in LEANS_FORWARD:
        count += 1
    # "555 | 0100" would be heard as two numbers with a pause between: cut before the number,
    # or not at all when it starts too early for a phrase before it.
    while count > 1 and NUMERAL.match(words[count - 1]) and NUMERAL.match(words[count]):
        count -= 1
    return count if count >= 2 else 0


def split_answer(sentences: list[str], first_words: int = FIRST_WORDS) -> list[str]:
    """The chunks to synthesize, in order: a short first phrase, then whole sentences."""
    chunks = [s.strip() for s in sentences if s.strip()]
    if not chunks:
        return []
    words = chunks[0].split()
    cut = first_cut(words, first_words)
    if cut:
        chunks[0:1] = [" ".join(words[:cut]), " ".join(words[cut:])]
    return chunks
