"""How the local embedder splits a batch into model runs: by length, within a token budget,
giving the same vectors as texts embedded one at a time."""

from __future__ import annotations

import numpy as np
import pytest

from sitespeak.knowledge.embedders import LocalEmbedder, runs_of


@pytest.fixture(scope="module")
def local() -> LocalEmbedder:
    return LocalEmbedder()


class RecordingSession:
    """onnxruntime's session, with the shape of every run's input kept."""

    def __init__(self, session) -> None:
        self._session = session
        self.shapes: list[tuple[int, int]] = []

    def run(self, outputs, feed):
        self.shapes.append(feed["input_ids"].shape)
        return self._session.run(outputs, feed)


def mixed_texts() -> list[str]:
    passage = " ".join(
        f"The bakery on street {n} sells rye bread and spelt rolls." for n in range(12)
    )
    return [
        passage,
        "When are you open on Sunday?",
        passage[:500],
        "Birthday cakes",
        passage + " Gluten-free loaves on Fridays.",
        "Do you deliver?",
    ]


def test_a_batch_split_by_length_gives_the_same_vectors_as_one_text_at_a_time(local):
    texts = mixed_texts()
    together = local.embed(texts)
    alone = np.vstack([local.embed([text]) for text in texts])
    assert together.shape == (len(texts), 384)
    assert np.allclose(together, alone, atol=1e-5)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)


def test_long_passages_run_one_at_a_time_and_short_questions_share_a_run(local):
    recording = RecordingSession(local._session)
    local._session = recording
    try:
        local.embed(mixed_texts())
    finally:
        local._session = recording._session
    # The three short questions in one run, then each passage alone, shortest first.
    assert [rows for rows, _ in recording.shapes] == [3, 1, 1, 1]
    widths = [width for _, width in recording.shapes]
    assert widths == sorted(widths)
    assert all(rows * width <= 256 for rows, width in recording.shapes)


def test_runs_hold_every_text_once_within_the_token_budget():
    lengths = [140, 12, 256, 9, 30, 300, 12, 64, 64]
    runs = runs_of(lengths, 128)
    assert sorted(i for run in runs for i in run) == list(range(len(lengths)))
    for run in runs:
        assert len(run) == 1 or len(run) * max(lengths[i] for i in run) <= 128
    assert runs[0] == [3, 1, 6, 4]  # 4 × 30 tokens: the short ones together, in length order
    assert runs_of([], 128) == []
