"""The prepared phrases' audio on disk: what a restarted speech process finds again."""

from __future__ import annotations

from sitespeak.speech.prepared import PreparedAudio, encode, file_name

PCM = bytes(range(256)) * 40  # 10 kB of audio that compresses a little, like speech


def test_the_folder_keeps_the_newest_prepared_phrases_within_its_budget(tmp_path):
    one_entry = len(encode("first phrase", (PCM, 22050)))
    store = PreparedAudio(tmp_path, max_bytes=2 * one_entry + one_entry // 2)
    for text in ("first phrase", "second phrase", "third phrase"):
        store.keep(text, (PCM, 22050))
    assert not (tmp_path / file_name("first phrase")).exists()

    again = PreparedAudio(tmp_path, max_bytes=10 * one_entry)
    loaded = dict(again.load())
    assert sorted(loaded) == ["second phrase", "third phrase"]
    assert loaded["third phrase"] == (PCM, 22050)


def test_a_prepared_phrase_kept_again_becomes_the_newest_and_is_not_written_twice(tmp_path):
    one_entry = len(encode("first phrase", (PCM, 22050)))
    store = PreparedAudio(tmp_path, max_bytes=2 * one_entry + one_entry // 2)
    store.keep("first phrase", (PCM, 22050))
    store.keep("second phrase", (PCM, 22050))
    store.keep("first phrase", (PCM, 22050))  # prepared again: now the newest
    store.keep("third phrase", (PCM, 22050))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [file_name("first phrase"), file_name("third phrase")]
    )
    assert store.bytes == sum(p.stat().st_size for p in tmp_path.iterdir())


def test_a_half_written_or_misnamed_or_foreign_file_is_ignored_and_removed(tmp_path):
    store = PreparedAudio(tmp_path, max_bytes=2**20)
    store.keep("kept phrase", (PCM, 16000))
    whole = (tmp_path / file_name("kept phrase")).read_bytes()
    (tmp_path / f".{file_name('torn')}.1.tmp").write_bytes(whole[:100])  # a crash mid-write
    (tmp_path / file_name("another phrase")).write_bytes(whole)  # not its phrase's name
    (tmp_path / file_name("foreign")).write_bytes(b"not audio at all")
    (tmp_path / file_name("truncated")).write_bytes(encode("truncated", (PCM, 16000))[:-50])

    loaded = PreparedAudio(tmp_path, max_bytes=2**20).load()
    assert loaded == [("kept phrase", (PCM, 16000))]
    assert [p.name for p in tmp_path.iterdir()] == [file_name("kept phrase")]


def test_no_budget_keeps_nothing(tmp_path):
    store = PreparedAudio(tmp_path / "prepared", max_bytes=0)
    store.keep("a phrase", (PCM, 16000))
    assert not (tmp_path / "prepared").exists()
    assert store.load() == []
