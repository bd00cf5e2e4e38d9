"""Voice activity and endpointing: webrtcvad on 20 ms frames, with start and hangover rules.

webrtcvad keeps calling frames voiced for 120-150 ms after the voice has stopped (its own
smoothing: on the bench's questions digital silence after the last word still counts as speech),
so the 240 ms hangover, counted on its verdicts, is ~370 ms of silence. That longer wait is
kept for ending a turn: counted from the last sound instead, piper's pauses at commas ("So, on
Saturday, when do you close?") ended turns mid-question. What uses the last sound is what may
safely start early: the speculative run (after SPECULATE_AFTER_MS of it) and the record of where
the voice stopped. A frame far quieter than the speaker's own voice (QUIET_RATIO of the
utterance's running level) is silent whatever webrtcvad says; the gate is relative, so in a
noisy room, where the noise floor is above it, webrtcvad decides alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import webrtcvad

from sitespeak.voice.audio import frame_bytes

FRAME_MS = 20
QUIET_RATIO = 0.05  # -26 dB below the utterance's voiced frames: the voice has stopped
LEVEL_WEIGHT = 0.05  # how fast the running level follows the voiced frames
# Quiet long enough to start the speculative run: a stop consonant or a breath between words
# is quiet for 20-60 ms (measured on the bench questions: 0.35 runs discarded per question
# at 60 ms, 0.17 at 80), and each run started and discarded costs a Whisper decode.
SPECULATE_AFTER_MS = 80
Event = Literal["speech.started", "speech.stopped"]


@dataclass
class Endpointer:
    """Feed any-sized PCM16 chunks; get speech start/stop events and the utterance audio.

    Speech starts after ``start_ms`` of mostly voiced frames (a click is not a question) and
    stops after ``silence_ms`` of frames webrtcvad calls unvoiced: that hangover is the
    end-of-speech delay. ``quiet_ms`` is the silence since the last sound.
    """

    sample_rate: int = 16000
    aggressiveness: int = 2
    start_ms: int = 120
    silence_ms: int = 240
    speaking: bool = False
    _vad: webrtcvad.Vad = field(init=False)
    _pending: bytes = b""
    _voiced_run: int = 0
    _silent_run: int = 0  # frames webrtcvad called unvoiced, in a row
    _quiet_run: int = 0  # frames since the last sound (the gate's verdict), in a row
    _preroll: list[bytes] = field(default_factory=list)
    utterance: bytearray = field(default_factory=bytearray)
    last_voiced_at: float = 0.0  # arrival time of the latest frame with sound in it
    voiced_end: int = 0  # bytes of the utterance up to its latest frame with sound in it
    level: float = 0.0  # running RMS of the voiced frames (of the utterance, or of the start run)

    def __post_init__(self) -> None:
        self._vad = webrtcvad.Vad(self.aggressiveness)
        self._size = frame_bytes(self.sample_rate, FRAME_MS)
        self._now = 0.0
        self._skipping = False

    def feed(self, pcm: bytes, now: float = 0.0) -> list[Event]:
        self._now = now
        self._pending += pcm
        events: list[Event] = []
        while len(self._pending) >= self._size:
            frame, self._pending = self._pending[: self._size], self._pending[self._size :]
            event = self._frame(frame)
            if event:
                events.append(event)
        return events

    def _frame(self, frame: bytes) -> Event | None:
        voiced, sounding = self._verdicts(frame)
        if sounding:
            self.last_voiced_at = self._now
        if self._skipping:  # the rest of an utterance cut at the turn limit
            self._silent_run = 0 if voiced else self._silent_run + 1
            self._skipping = self._silent_run * FRAME_MS < self.silence_ms
            return None
        if not self.speaking:
            self._preroll = (self._preroll + [frame])[-15:]  # keep 300 ms before the start
            self._voiced_run = self._voiced_run + 1 if voiced else 0
            if self._voiced_run * FRAME_MS >= self.start_ms:
                self.speaking, self._silent_run, self._quiet_run = True, 0, 0
                self.utterance = bytearray(b"".join(self._preroll))
                self.voiced_end = len(self.utterance)
                return "speech.started"
            return None
        self.utterance += frame
        if sounding:
            self.voiced_end = len(self.utterance)
        self._quiet_run = 0 if sounding else self._quiet_run + 1
        self._silent_run = 0 if voiced else self._silent_run + 1
        if self._silent_run * FRAME_MS >= self.silence_ms:
            return self.stop()
        return None

    def _verdicts(self, frame: bytes) -> tuple[bool, bool]:
        """(webrtcvad's verdict, and whether the frame still has the voice's sound in it: not
        far below the voice's running level)."""
        rms = float(np.sqrt(np.mean(np.frombuffer(frame, dtype=np.int16).astype(np.float32) ** 2)))
        voiced = self._vad.is_speech(frame, self.sample_rate)
        if self.speaking and rms < self.level * QUIET_RATIO:
            return voiced, False
        if voiced:
            fresh = not self.speaking and self._voiced_run == 0  # a new start run: its own level
            self.level = rms if fresh else self.level + LEVEL_WEIGHT * (rms - self.level)
        return voiced, voiced

    def stop(self) -> Event | None:
        """End the utterance now (hangover reached, or the client's input.commit)."""
        was = self.speaking
        self.speaking, self._voiced_run, self._preroll = False, 0, []
        self._silent_run = self._quiet_run = 0
        return "speech.stopped" if was else None

    def cut(self) -> Event | None:
        """End the utterance at the turn limit; ignore the rest of it, up to the next pause."""
        event = self.stop()
        self._skipping = True
        return event

    def take(self) -> bytes:
        audio, self.utterance = bytes(self.utterance), bytearray()
        return audio

    @property
    def quiet_ms(self) -> int:
        """Milliseconds since the last sound of the utterance (0 when not speaking)."""
        return self._quiet_run * FRAME_MS if self.speaking else 0

    @property
    def paused(self) -> bool:
        """Speaking, and no sound for SPECULATE_AFTER_MS: the hangover is running."""
        return self.quiet_ms >= SPECULATE_AFTER_MS

    @property
    def speech_seconds(self) -> float:
        return len(self.utterance) / (self.sample_rate * 2)
