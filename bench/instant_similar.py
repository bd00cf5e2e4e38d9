"""Instant answers by a close embedding (issue 14, not built yet): how often would a visitor's
question whose embedding is within a cosine threshold of a prepared question's be a true match
(same intent, other words) or a false one (another intent: the visitor would hear the wrong
prepared answer)? Measured with the local embedder (the one retrieval uses) on hand-labelled
questions, per threshold, after the exact normalised match (instant/matching.py) has failed.
Prints the rates and the load average; nothing is asserted.

    python bench/instant_similar.py
"""

from __future__ import annotations

import os
import time

import numpy as np

from sitespeak.instant.matching import normalise
from sitespeak.knowledge.embedders import LocalEmbedder

# What the job prepares: the key facts and a bakery's likely top questions.
PREPARED = [
    "What are your opening hours?",
    "Where are you?",
    "What is your phone number?",
    "What is your email address?",
    "Do you bake gluten-free bread?",
    "Can I order a birthday cake?",
    "Do you deliver?",
    "Is there parking nearby?",
    "Are you open on Sunday?",
    "How much is a sourdough loaf?",
]
# Other words, same intent: should match the prepared question at this index.
SAME = [
    ("When are you open?", 0),
    ("What time do you open?", 0),
    ("What are the shop's hours?", 0),
    ("When do you close today?", 0),
    ("Where is the bakery?", 1),
    ("What is your address?", 1),
    ("How do I find you?", 1),
    ("Where are you located?", 1),
    ("How can I call you?", 2),
    ("What's the number to call?", 2),
    ("Can I have your telephone number?", 2),
    ("How can I email you?", 3),
    ("What's your e-mail?", 3),
    ("Do you have gluten free bread?", 4),
    ("Is any of your bread gluten-free?", 4),
    ("Can I order a cake for a birthday?", 5),
    ("Do you make birthday cakes to order?", 5),
    ("Can you deliver to my office?", 6),
    ("Do you do deliveries?", 6),
    ("Where can I park?", 7),
    ("Is there a car park?", 7),
    ("Do you open on Sundays?", 8),
    ("Are you open Sunday morning?", 8),
    ("What does a sourdough loaf cost?", 9),
    ("How much for sourdough?", 9),
]
# Another intent, often near in words: any match is a false one.
OTHER = [
    "What are your holiday hours?",
    "Are you open on Christmas Day?",
    "Are you open on Saturday?",
    "Where do you get your flour?",
    "Where can I buy your bread in town?",
    "What is your fax number?",
    "How many people work there?",
    "Who founded the bakery?",
    "Do you bake vegan cakes?",
    "Can I order a wedding cake?",
    "Do you sell gluten-free cakes?",
    "Can I cancel my cake order?",
    "Do you deliver on Sundays?",
    "How much does delivery cost?",
    "Is there bike parking?",
    "How much is a croissant?",
    "How much is a birthday cake?",
    "Are you hiring?",
    "Do you have wifi?",
    "Can I pay by card?",
    "Is the shop wheelchair accessible?",
    "Do you have a loyalty card?",
    "What is your email policy on newsletters?",
    "Who do I call about a job?",
    "What coffee do you serve?",
]
THRESHOLDS = (0.80, 0.85, 0.88, 0.90, 0.92, 0.94, 0.96)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"


def main() -> None:
    embedder = LocalEmbedder()
    prepared = embedder.embed([normalise(q) for q in PREPARED])
    started = time.perf_counter()
    same = embedder.embed([normalise(q) for q, _ in SAME])
    other = embedder.embed([normalise(q) for q in OTHER])
    per_question = (time.perf_counter() - started) * 1000 / (len(SAME) + len(OTHER))
    same_best = same @ prepared.T
    other_best = other @ prepared.T
    print(
        f"{len(PREPARED)} prepared, {len(SAME)} same-intent and {len(OTHER)} other-intent "
        f"questions; embedding {per_question:.1f} ms a question (batched); {load()}"
    )
    print(" threshold  true matches   wrong answer (same-intent)   false matches (other)")
    for threshold in THRESHOLDS:
        true = wrong = 0
        for (_, expected), scores in zip(SAME, same_best, strict=True):
            best = int(np.argmax(scores))
            if scores[best] >= threshold:
                true += best == expected
                wrong += best != expected
        false = int(sum(scores.max() >= threshold for scores in other_best))
        print(
            f"   {threshold:.2f}     {true:2d}/{len(SAME)} ({100 * true / len(SAME):3.0f}%)"
            f"        {wrong:2d}/{len(SAME)}                     "
            f"{false:2d}/{len(OTHER)} ({100 * false / len(OTHER):3.0f}%)"
        )
    print("closest other-intent questions (the false matches a threshold must stay above):")
    for index in np.argsort(-other_best.max(axis=1))[:5]:
        best = int(np.argmax(other_best[index]))
        print(f"  {other_best[index, best]:.3f}  {OTHER[index]!r} -> {PREPARED[best]!r}")
    print("lowest same-intent questions:")
    for index in np.argsort(same_best.max(axis=1))[:5]:
        best = int(np.argmax(same_best[index]))
        print(f"  {same_best[index, best]:.3f}  {SAME[index][0]!r} -> {PREPARED[best]!r}")


if __name__ == "__main__":
    main()
