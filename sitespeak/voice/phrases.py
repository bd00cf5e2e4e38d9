"""An answer cut into what is spoken: a short first phrase, then the rest sentence by sentence.

Synthesis costs about 0.18 CPU-s per second of speech, so the first audio can only be as quick
as the first chunk is short. The first sentence is cut at a clause boundary a few words in
("We are open" | "from 9 am to 5 pm, Monday to Friday."), never inside a number. Each chunk is
synthesized while the previous one plays, so the rest of the first sentence is cut again where
it is long next to the first phrase ("Call us" | "at 555 0100" | "or send an email to ...");
every later chunk is a whole sentence. Joining the chunks with single spaces gives the answer's
text back, so what was spoken can still be told word for word.
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
# A chunk of the first sentence after the first phrase is at most this many times the words of
# the one before it: its synthesis (~40 ms + ~0.1 CPU-s per second of speech) must end before
# the one before has played. "Call us" (0.5 s of speech) followed by the other nine words of
# its sentence, an email address among them, left a 538 ms silence on the bench.
GROWTH = 3
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
    return _clause_start_cut(words, most) or _plain_cut(words, most)


def next_cut(words: list[str], least: int, most: int) -> int:
    """How many words the chunk after one of ``least`` words takes (0: keep them together).
    Unlike the first phrase it is better long, as its playback hides the next chunk's
    synthesis: the latest clause boundary from ``least`` to ``most`` words."""
    if len(words) <= most:
        return 0
    most = min(most, len(words) - MIN_REST_WORDS)  # what is left after it is no stub either
    least = max(least, 2)
    for count in range(most, least - 1, -1):
        if CLAUSE_END.search(words[count - 1]) and not _inside_number(words, count):
            return count
    return _clause_start_cut(words, most, least) or _plain_cut(words, most)


def _clause_start_cut(words: list[str], most: int, least: int = 2) -> int:
    """Just before a word that starts a clause, as late as ``most`` allows (0: none)."""
    for count in range(most, least - 1, -1):
        if words[count].lower().strip("\"'(") in CLAUSE_STARTS:
            return count
    return 0


def _inside_number(words: list[str], count: int) -> bool:
    return bool(NUMERAL.match(words[count - 1]) and NUMERAL.match(words[count]))


def _plain_cut(words: list[str], most: int) -> int:
    """At ``most`` words, moved past a word that leans on the next and out of a number."""
    count = most
    while count < len(words) - MIN_REST_WORDS and words[count - 1].lower() in LEANS_FORWARD:
        count += 1
    # "555 | 0100" would be heard as two numbers with a pause between: cut before the number,
    # or not at all when it starts too early for a phrase before it.
    while count > 1 and _inside_number(words, count):
        count -= 1
    return count if count >= 2 else 0


def split_answer(sentences: list[str], first_words: int = FIRST_WORDS) -> list[str]:
    """The chunks to synthesize, in order: a short first phrase, the rest of its sentence in
    chunks each at most GROWTH times the one before, then whole sentences."""
    chunks = [s.strip() for s in sentences if s.strip()]
    if not chunks:
        return []
    words = chunks[0].split()
    cut = first_cut(words, first_words)
    if not cut:
        return chunks
    pieces = [words[:cut]]
    rest = words[cut:]
    while cut := next_cut(rest, len(pieces[-1]), GROWTH * len(pieces[-1])):
        pieces.append(rest[:cut])
        rest = rest[cut:]
    return [" ".join(piece) for piece in [*pieces, rest]] + chunks[1:]
