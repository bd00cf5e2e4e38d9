"""Voice activity and endpointing: webrtcvad on 20 ms frames, with start and hangover rules.

webrtcvad keeps calling frames voiced for 120-150 ms after the voice has stopped (its own
smoothing, measured on the bench's questions: digital silence after the last word still counts
as speech), so a 240 ms hangover counted on its verdicts was really ~370 ms, and the
speculative run started that late too. A frame far quieter than the speaker's own voice
(QUIET_RATIO of the utterance's running level) is therefore unvoiced whatever webrtcvad says.
The gate is relative: in a noisy room, where the noise floor is above it, webrtcvad decides
alone, as before.
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
    stops after ``silence_ms`` of unvoiced frames: that hangover is the end-of-speech delay.
    """

    sample_rate: int = 16000
    aggressiveness: int = 2
    start_ms: int = 120
    silence_ms: int = 240
    speaking: bool = False
    _vad: webrtcvad.Vad = field(init=False)
    _pending: bytes = b""
    _voiced_run: int = 0
    _silent_run: int = 0
    _preroll: list[bytes] = field(default_factory=list)
    utterance: bytearray = field(default_factory=bytearray)
    last_voiced_at: float = 0.0  # arrival time of the latest voiced frame
    voiced_end: int = 0  # bytes of the utterance up to its latest voiced frame
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
        voiced = self._voiced(frame)
        if voiced:
            self.last_voiced_at = self._now
        if self._skipping:  # the rest of an utterance cut at the turn limit
            self._silent_run = 0 if voiced else self._silent_run + 1
            self._skipping = self._silent_run * FRAME_MS < self.silence_ms
            return None
        if not self.speaking:
            self._preroll = (self._preroll + [frame])[-15:]  # keep 300 ms before the start
            self._voiced_run = self._voiced_run + 1 if voiced else 0
            if self._voiced_run * FRAME_MS >= self.start_ms:
                self.speaking, self._silent_run = True, 0
                self.utterance = bytearray(b"".join(self._preroll))
                self.voiced_end = len(self.utterance)
                return "speech.started"
            return None
        self.utterance += frame
        if voiced:
            self.voiced_end = len(self.utterance)
        self._silent_run = 0 if voiced else self._silent_run + 1
        if self._silent_run * FRAME_MS >= self.silence_ms:
            return self.stop()
        return None

    def _voiced(self, frame: bytes) -> bool:
        """webrtcvad's verdict, overruled when the frame is far below the voice's level."""
        rms = float(np.sqrt(np.mean(np.frombuffer(frame, dtype=np.int16).astype(np.float32) ** 2)))
        voiced = self._vad.is_speech(frame, self.sample_rate)
        if self.speaking and rms < self.level * QUIET_RATIO:
            return False
        if voiced:
            fresh = not self.speaking and self._voiced_run == 0  # a new start run: its own level
            self.level = rms if fresh else self.level + LEVEL_WEIGHT * (rms - self.level)
        return voiced

    def stop(self) -> Event | None:
        """End the utterance now (hangover reached, or the client's input.commit)."""
        was = self.speaking
        self.speaking, self._voiced_run, self._silent_run, self._preroll = False, 0, 0, []
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
    def paused(self) -> bool:
        """Speaking, and quiet for SPECULATE_AFTER_MS: the hangover is running."""
        return self.speaking and self._silent_run * FRAME_MS >= SPECULATE_AFTER_MS

    @property
    def speech_seconds(self) -> float:
        return len(self.utterance) / (self.sample_rate * 2)
