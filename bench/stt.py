"""Speech to text alone (no processes): Whisper tiny.en on the utterance plus a short pad
(sitespeak/voice/stt.py) against faster-whisper's 30 s window, on the 20 visitor questions of
tests/voice/test_stt.py in piper's voice. Prints per question p50/p95/max, then ten questions
arriving at once: one after another, and as one transcribe_batch; with the load average.

    python bench/stt.py [--threads 2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import time

from _paced import load, row
from _stack import ROOT  # noqa: F401 - puts the repository on sys.path

from sitespeak.voice.audio import to_float
from sitespeak.voice.stt import WhisperTranscriber, default_model_dir
from tests.voice.speech import VISITOR_QUESTIONS, spoken


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="SITESPEAK_VOICE_STT_THREADS")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    clips = [spoken(q, "piper", 200, 300) for q in VISITOR_QUESTIONS]
    stt = WhisperTranscriber(threads=args.threads)
    stt.transcribe(clips[0])
    print(
        f"STT, {len(clips)} questions of {min(map(len, clips)) / 32000:.1f}-"
        f"{max(map(len, clips)) / 32000:.1f} s, {args.threads} threads -- {load()}"
    )
    short = [timed(stt.transcribe, c) for _ in range(args.rounds) for c in clips]
    print(row("short window, one question", short))

    from faster_whisper import WhisperModel  # the 30 s window, as SiteSpeak decoded before

    model = WhisperModel(
        str(default_model_dir()),
        device="cpu",
        compute_type="int8",
        cpu_threads=args.threads,
        local_files_only=True,
    )

    def long_window(pcm: bytes) -> str:
        segments, _ = model.transcribe(
            to_float(pcm),
            beam_size=1,
            language="en",
            vad_filter=False,
            condition_on_previous_text=False,
            without_timestamps=True,
        )
        return " ".join(s.text for s in segments)

    long_window(clips[0])
    print(row("30 s window, one question", [timed(long_window, c) for c in clips]))
    ten = [clips[i * 2] for i in range(10)]
    fifo, batch = [], []
    for _ in range(args.rounds):
        fifo.append(timed(lambda: [stt.transcribe(c) for c in ten]))
        batch.append(timed(stt.transcribe_batch, ten))
    print(f"ten questions at once, until the last transcript -- {load()}")
    print(row("short window, one after another", fifo))
    print(row("short window, transcribe_batch", batch))


if __name__ == "__main__":
    main()
