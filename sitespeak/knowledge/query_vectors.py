"""Query embeddings kept for reuse: visitors ask the same few questions ("what are your opening
hours?") again and again, and embedding one costs ~8 ms of CPU that a dictionary look-up does not.
Keyed by the embedder's name, so a change of model never reuses a vector of the old one."""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from sitespeak.knowledge.embedders import Embedder

SIZE = 2048  # questions; 384 float32 each: ~3 MB


class QueryVectors:
    def __init__(self, size: int = SIZE) -> None:
        self._size = size
        self._vectors: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # called from several executor threads

    def vector(self, embedder: Embedder, query: str) -> np.ndarray:
        found = self.get(embedder.name, query)
        if found is not None:
            return found
        vector: np.ndarray = embedder.embed([query])[0]
        self.put(embedder.name, query, vector)
        return vector

    def get(self, name: str, query: str) -> np.ndarray | None:
        key = _key(name, query)
        with self._lock:
            found = self._vectors.get(key)
            if found is not None:
                self._vectors.move_to_end(key)
            return found

    def put(self, name: str, query: str, vector: np.ndarray) -> None:
        with self._lock:
            self._vectors[_key(name, query)] = vector
            while len(self._vectors) > self._size:
                self._vectors.popitem(last=False)

    def __len__(self) -> int:
        return len(self._vectors)


def _key(name: str, query: str) -> tuple[str, str]:
    return name, " ".join(query.lower().split())


shared = QueryVectors()  # one per process: every site's questions share it
