"""The names of a turn's timings: what `response.done` carries, the conversations table keeps
and the admin's charts read. Milliseconds end in ``_ms``; the rest are flags (1.0 when true) or
counts. A tool call's mark is named after its tool (``tool_<name>_at_ms``), so it is not listed."""

from __future__ import annotations

from enum import StrEnum


class Timing(StrEnum):
    # Since the end of the question (the last voiced sample, or the typed text's arrival).
    EOS_DELAY = "eos_delay_ms"  # how long the end of speech took to decide
    EOS_TO_STARTED = "eos_to_started_ms"  # response.started: the visitor's first feedback
    EOS_TO_FIRST_AUDIO = "eos_to_first_audio_ms"  # the promise: first audio of any kind
    EOS_TO_ANSWER_AUDIO = "eos_to_answer_audio_ms"  # first audio of the answer itself
    TOTAL = "total_ms"
    # Time spent in each stage, in the order a turn runs them.
    WAIT = "wait_ms"
    STT = "stt_ms"
    RETRIEVAL = "retrieval_ms"
    ANSWER = "answer_ms"
    ANSWER_FIRST_TOKEN = "answer_first_token_ms"
    TTS_FIRST_AUDIO = "tts_first_audio_ms"
    # Other measures.
    FIRST_PHRASE_AUDIO = "first_phrase_audio_ms"  # how long the first phrase plays
    HEARD = "heard_ms"  # how much of an interrupted answer was played
    ADMISSION_WAIT = "admission_wait_ms"  # the speech process's predicted wait
    TOOL_SEARCH_SITE = "tool_search_site_ms"
    # Flags and counts.
    SPECULATIVE = "speculative"  # the stages up to the answer ran during the hangover
    EARLY_END = "early_end"  # the turn ended before the hangover: a whole question was heard
    INSTANT = "instant"  # the first phrase came from the speech process's phrase cache
    # 1: the first phrase's audio was made from a partial transcript's answer, before the
    # final transcript; 0: one was made, but the answer began otherwise (it was not played)
    FIRST_PHRASE_AHEAD = "first_phrase_ahead"
    ANSWER_PREPARED = "answer_prepared"  # a prepared answer, composed before this turn
    FILLER = "filler"  # a filler was played before the answer
    ADMISSION_LEVEL = "admission_level"  # index of the admission level (full, short, ...)
    SPECULATIONS_DISCARDED = "speculations_discarded"
