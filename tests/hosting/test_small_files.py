"""The web process's memory of small hosted files: bounded in bytes, least recently sent out
first, and never holding a file too big to be kept (those go out by pathsend each time)."""

from __future__ import annotations

from sitespeak.web.hosted_sites import SMALL_FILE, SmallFiles, read_small


def test_the_least_recently_sent_file_goes_first_when_the_memory_is_full():
    small = SmallFiles(total=3 * 1000)
    for name in "abc":
        small.put(name, name.encode() * 1000)
    assert small.get("a") == b"a" * 1000  # "b" is now the least recently sent
    small.put("d", b"d" * 1000)
    assert small.get("b") is None
    assert [small.get(n) is not None for n in "acd"] == [True, True, True]
    assert small.size == 3 * 1000


def test_a_file_over_the_small_size_is_neither_kept_nor_read_whole(tmp_path):
    small = SmallFiles()
    small.put("big", b"x" * (SMALL_FILE + 1))
    assert small.get("big") is None and small.size == 0
    big, page = tmp_path / "big.bin", tmp_path / "page.html"
    big.write_bytes(b"x" * (SMALL_FILE + 1))
    page.write_bytes(b"<h1>hello</h1>")
    assert read_small(str(big)) is None
    assert read_small(str(page)) == b"<h1>hello</h1>"
