"""Retrieval benchmark: 100,000 chunks in one site (synthetic text in PostgreSQL with its
tsvector, clustered unit vectors as embeddings); prints p50/p95 latency of the web process's
hybrid search (full-text + in-process vectors + RRF, query embedded by the local model), of each
half on its own, and the memory the site's index takes. Goal: p95 <= 10 ms."""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time

import numpy as np
from _stack import bench_services, percentile

from sitespeak import sites
from sitespeak.db.connection import database
from sitespeak.knowledge.cache import KnowledgeCache
from sitespeak.knowledge.embedders import LocalEmbedder
from sitespeak.knowledge.models import Chunk, Page
from sitespeak.knowledge.retrieval import lexical
from sitespeak.tenancy.tenants import create_tenant
from sitespeak.web.dbpool import DbExecutor

WORDS = (
    "bread oven flour rye spelt crust crumb yeast dough bake morning shop coffee cake "
    "butter sugar salt water proof knead loaf bun roll tart pie delivery order price "
    "opening hours sunday monday holiday parking gluten vegan birthday wedding catering "
    "allergy milk egg nut seed honey jam cream chocolate vanilla lemon apple cherry"
).split()


def _vocabulary(rng: random.Random, size: int = 6000) -> list[str]:
    syllables = ["ba", "ke", "ro", "mi", "tu", "sa", "le", "no", "vi", "da", "po", "ri", "ga"]
    made = {"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(size)}
    return WORDS + sorted(made)


def _draw(rng: random.Random, vocab: list[str], n: int) -> str:
    # Zipf-like: a few words are everywhere, most are rare, as in real text.
    return " ".join(vocab[min(int(rng.paretovariate(0.9)) - 1, len(vocab) - 1)] for _ in range(n))


VOCAB: list[str] = []


def _fill(site, chunks: int, per_page: int, dim: int, rng: random.Random) -> None:
    centers = np.random.default_rng(1).normal(size=(500, dim)).astype(np.float32)
    noise = np.random.default_rng(2)
    for start in range(0, chunks, per_page * 50):
        with database.atomic():
            pages = [
                Page.create(
                    tenant=site.tenant_id,
                    site=site.id,
                    url=f"https://bench.example/p/{start // per_page + i}",
                )
                for i in range(min(50, (chunks - start + per_page - 1) // per_page))
            ]
            rows = []
            for page in pages:
                for ord_ in range(per_page):
                    vec = centers[rng.randrange(500)] + noise.normal(scale=0.6, size=dim)
                    vec = (vec / np.linalg.norm(vec)).astype(np.float32)
                    text = _draw(rng, VOCAB, 60)
                    rows.append(
                        dict(
                            tenant=site.tenant_id,
                            site=site.id,
                            page=page.id,
                            ord=ord_,
                            url=page.url,
                            anchor=f"s{ord_}",
                            title="Bench",
                            heading=f"Section {ord_}",
                            text=text,
                            text_hash=f"{page.id}-{ord_}",
                            embedding=vec.tobytes(),
                            embed_model=LocalEmbedder.name,
                        )
                    )
            for i in range(0, len(rows), 1000):
                Chunk.insert_many(rows[i : i + 1000]).execute()


async def _measure(cache: KnowledgeCache, pool: DbExecutor, site_id: int, queries: list[str]):
    index = await cache.index(site_id)  # the first load is not a query
    embedder = await cache.embedder()
    for q in queries[:10]:  # warm-up
        await cache.search(site_id, q, 5)
    hybrid, vector, text, scan = [], [], [], []
    for q in queries:
        qvec = embedder.embed([q])[0]
        t = time.perf_counter()
        index.vectors.top(qvec, 30)
        scan.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        await cache.search(site_id, q, 5)
        hybrid.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        index.vectors.top(embedder.embed([q])[0], 30)
        vector.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        await pool.run(lexical, site_id, q, 30)
        text.append((time.perf_counter() - t) * 1000)
    return index, {
        "hybrid search": hybrid,
        "  vector half (embed + scan)": vector,
        "  full-text half (PostgreSQL)": text,
        "  vector scan alone": scan,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    opts = parser.parse_args()
    rng = random.Random(3)
    VOCAB[:] = _vocabulary(rng)
    rng.shuffle(VOCAB)
    with bench_services() as (found, _state):
        with database.connection_context():
            tenant, _ = create_tenant("bench")
            site = sites.create_site(tenant.id, "bench", ["https://bench.example/"])
            start = time.perf_counter()
            _fill(site, opts.chunks, 20, LocalEmbedder.dim, rng)
            database.execute_sql("ANALYZE chunks")
            print(f"loaded {opts.chunks} chunks in {time.perf_counter() - start:.1f} s")
        queries = [_draw(rng, VOCAB, rng.randint(2, 6)) for _ in range(opts.queries)]
        pool = DbExecutor(database.obj, 4)
        cache = KnowledgeCache(pool.run, LocalEmbedder, check_every=3600)
        t = time.perf_counter()
        index, figures = asyncio.run(_measure(cache, pool, site.id, queries))
        print(
            f"index: {len(index.vectors)} vectors, {index.nbytes / 2**20:.0f} MiB "
            f"(vectors {index.vectors.nbytes / 2**20:.0f} MiB), "
            f"partitioned: {index.vectors.centroids is not None}"
        )
        for label, values in figures.items():
            print(
                f"{label}: p50 {percentile(values, 50):.2f} ms, "
                f"p95 {percentile(values, 95):.2f} ms over {len(values)} queries"
            )
        load = os.getloadavg()[0]
        print(
            f"(measured in {time.perf_counter() - t:.1f} s; load average {load:.1f} on "
            f"{os.cpu_count()} CPUs)"
        )
        cache.close()


if __name__ == "__main__":
    main()
