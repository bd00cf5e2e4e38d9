"""A question asked again is not embedded again; a question's vector is the embedder's own."""

from __future__ import annotations

import numpy as np

from sitespeak.knowledge.embedders import LocalEmbedder
from sitespeak.knowledge.query_vectors import QueryVectors


def test_a_repeated_question_reuses_its_vector_and_old_ones_make_room():
    embedder = LocalEmbedder()
    vectors = QueryVectors(size=2)
    first = vectors.vector(embedder, "When are you open on Sunday?")
    assert np.allclose(first, embedder.embed(["When are you open on Sunday?"])[0], atol=1e-5)
    assert vectors.vector(embedder, "when are you  open on sunday?") is first
    vectors.vector(embedder, "Where is the shop?")
    vectors.vector(embedder, "What is your phone number?")
    assert len(vectors) == 2
    assert vectors.vector(embedder, "When are you open on Sunday?") is not first
