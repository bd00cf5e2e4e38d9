"""Publishing archives: a zip or a tar is unpacked into the new release only, and every upload
that could write elsewhere or exhaust the box is refused with an error naming the file."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from sitespeak.errors import InvalidInput
from sitespeak.hosting import intake
from sitespeak.hosting.models import HostedRelease
from tests.hosting.conftest import (
    embed_tags,
    live_files,
    publish_path,
    tree_of,
    write_site,
    zip_folder,
)


def tar_with(archive: Path, *members: tuple[tarfile.TarInfo, bytes | None], **kw) -> Path:
    with tarfile.open(archive, "w:gz", **kw) as out:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            out.addfile(info, io.BytesIO(data) if data is not None else None)
    return archive


def entry(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info


@pytest.fixture()
def live_site(host_settings, hosted_site, tmp_path):
    """A hosted site with release 1 live, and the state dir as it was then."""
    _, hosted = hosted_site
    publish_path(host_settings, hosted, write_site(tmp_path / "good"))
    return hosted, tree_of(host_settings.state_dir)


def assert_refused(host_settings, hosted, before, archive: Path, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        publish_path(host_settings, hosted, archive)
    assert tree_of(host_settings.state_dir) == before
    assert not list(host_settings.state_dir.parent.rglob("escaped*"))
    assert "<h1>Home</h1>" in (live_files(host_settings, hosted) / "index.html").read_text()
    failed = (
        HostedRelease.select()
        .where(HostedRelease.site == hosted.site_id)
        .order_by(HostedRelease.number.desc())[0]
    )
    assert failed.state == "failed" and failed.error


def test_a_zip_of_one_folder_publishes_that_folders_contents(host_settings, hosted_site, tmp_path):
    _, hosted = hosted_site
    archive = zip_folder(write_site(tmp_path / "src"), tmp_path / "site.zip", prefix="public/")
    release = publish_path(host_settings, hosted, archive)
    files = live_files(host_settings, hosted)
    assert release.state == "live"
    assert len(embed_tags(files / "index.html")) == 1
    assert (files / "css" / "app.css").exists() and not (files / "public").exists()
    assert archive.exists()  # an archive the CLI named is the owner's, not ours to delete


def test_a_tar_gz_publishes_like_the_folder_it_holds(host_settings, hosted_site, tmp_path):
    _, hosted = hosted_site
    source = write_site(tmp_path / "src")
    archive = tmp_path / "site.tar.gz"
    with tarfile.open(archive, "w:gz") as out:
        out.add(source, arcname=".")
    publish_path(host_settings, hosted, archive)
    files = live_files(host_settings, hosted)
    assert len(embed_tags(files / "about" / "index.html")) == 1
    assert (files / "sitemap.xml").exists() and (files / "index.html.gz").exists()


def test_an_archive_with_dot_dot_paths_is_refused(host_settings, live_site, tmp_path):
    hosted, before = live_site
    archive = tmp_path / "up" / "evil.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("index.html", "<p>hi</p>")
        out.writestr("../../escaped.txt", "out of the release")
    assert_refused(host_settings, hosted, before, archive, r"\.\./\.\./escaped.txt: '\.\.'")


def test_a_tar_with_an_absolute_path_is_refused(host_settings, live_site, tmp_path):
    hosted, before = live_site
    archive = tar_with(tmp_path / "abs.tar.gz", (entry("/tmp/escaped.txt"), b"x"))
    assert_refused(host_settings, hosted, before, archive, "/tmp/escaped.txt: absolute paths")


def test_a_tar_with_a_symlink_to_etc_is_refused(host_settings, live_site, tmp_path):
    hosted, before = live_site
    archive = tar_with(
        tmp_path / "link.tar.gz",
        (entry("index.html"), b"<p>hi</p>"),
        (entry("etc", tarfile.SYMTYPE, "/etc"), None),
        (entry("etc/escaped.txt"), b"through the link"),
    )
    assert_refused(host_settings, hosted, before, archive, "etc: links are not allowed.*/etc")


def test_a_zip_with_a_symlink_entry_is_refused(host_settings, live_site, tmp_path):
    hosted, before = live_site
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as out:
        link = zipfile.ZipInfo("passwd")
        link.external_attr = (0o120777 << 16) | 0
        out.writestr(link, "/etc/passwd")
    assert_refused(host_settings, hosted, before, archive, "passwd: links are not allowed")


def test_a_tar_with_a_hardlink_or_a_device_is_refused(host_settings, live_site, tmp_path):
    hosted, before = live_site
    hard = tar_with(
        tmp_path / "hard.tar.gz", (entry("shadow", tarfile.LNKTYPE, "/etc/shadow"), None)
    )
    assert_refused(host_settings, hosted, before, hard, "shadow: links are not allowed")
    device = tar_with(tmp_path / "dev.tar.gz", (entry("null", tarfile.CHRTYPE), None))
    assert_refused(host_settings, hosted, before, device, "null: only files and folders")


def test_a_zip_bomb_is_stopped_while_unpacking(host_settings, live_site, tmp_path):
    hosted, before = live_site
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("index.html", "<p>hi</p>")
        with out.open("zeros.html", "w") as zeros:
            for _ in range(40):
                zeros.write(bytes(1024 * 1024))
    assert archive.stat().st_size < 200_000
    assert_refused(host_settings, hosted, before, archive, "zeros.html: .*archive bomb")


def test_an_upload_larger_than_the_site_limit_is_stopped_at_the_limit(
    host_settings, live_site, tmp_path
):
    hosted, before = live_site
    small = host_settings.model_copy(update={"hosted_max_site_bytes": 64 * 1024})
    archive = tmp_path / "big.tar.gz"
    tar_with(archive, (entry("a.bin"), bytes(40_000)), (entry("b.bin"), bytes(40_000)))
    assert_refused(small, hosted, before, archive, "b.bin: the upload unpacks to more than 65536")


def test_an_archive_of_ten_thousand_files_is_refused(host_settings, live_site, tmp_path):
    hosted, before = live_site
    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for n in range(10_000):
            out.writestr(f"f/{n}.txt", "x")
    assert_refused(host_settings, hosted, before, archive, "more than 5000 files in the upload")


def test_names_that_clash_by_letter_case_are_refused(host_settings, live_site, tmp_path):
    hosted, before = live_site
    archive = tar_with(
        tmp_path / "case.tar.gz", (entry("About.html"), b"A"), (entry("about.html"), b"a")
    )
    assert_refused(host_settings, hosted, before, archive, "about.html: clashes with About.html")


def test_a_name_that_is_not_utf8_is_refused(host_settings, live_site, tmp_path):
    hosted, before = live_site
    archive = tar_with(
        tmp_path / "latin.tar.gz",
        (entry("café.html"), b"<p>hi</p>"),
        format=tarfile.GNU_FORMAT,
        encoding="latin-1",
    )
    assert_refused(host_settings, hosted, before, archive, "caf.*html: the name is not valid UTF-8")


def test_a_file_that_is_no_archive_is_refused_by_what_it_is_not_its_name(tmp_path):
    fake = tmp_path / "site.zip"
    fake.write_text("<html>not a zip</html>")
    with pytest.raises(InvalidInput, match="site.zip: not a zip or tar archive"):
        intake.kind_of(fake)


def test_folders_that_clash_by_letter_case_are_refused(host_settings, live_site, tmp_path):
    hosted, before = live_site
    archive = tar_with(
        tmp_path / "folders.tar.gz", (entry("Img/a.png"), b"A"), (entry("img/b.png"), b"b")
    )
    assert_refused(host_settings, hosted, before, archive, "img: clashes with Img")


def test_a_file_and_a_folder_of_one_name_are_refused(host_settings, live_site, tmp_path):
    hosted, before = live_site
    archive = tar_with(
        tmp_path / "both.tar.gz", (entry("about"), b"a page"), (entry("about/index.html"), b"x")
    )
    assert_refused(host_settings, hosted, before, archive, "about: a file and a folder")


def test_the_same_file_twice_is_refused(host_settings, live_site, tmp_path):
    hosted, before = live_site
    archive = tar_with(
        tmp_path / "twice.tar.gz", (entry("index.html"), b"one"), (entry("./index.html"), b"two")
    )
    assert_refused(host_settings, hosted, before, archive, "index.html: appears twice")
