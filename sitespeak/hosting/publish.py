"""Publishing a hosted site: an upload becomes a numbered release, built in its own folder, then
made live by switching one link; older releases are kept up to the site's count, and a rollback is
the same switch to a kept one. A failed build leaves the live release as it was."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sitespeak import sites
from sitespeak.db.connection import database
from sitespeak.db.models import Job, utcnow
from sitespeak.errors import Conflict, InvalidInput, NotFound
from sitespeak.events.bus import HeldEvents, Publish, nowhere
from sitespeak.hosting import build, intake, layout, registry
from sitespeak.hosting.jobs import INGEST, PURGE
from sitespeak.hosting.models import HostedRelease, HostedSite
from sitespeak.jobs.context import Submitter
from sitespeak.settings import Settings

log = logging.getLogger(__name__)
Progress = Callable[..., None]
_LOCK = 0x5174  # advisory lock class of hosted-site switches; the site id is the other half
# A publish job retries for minutes at most; an upload a day old will not be built.
STALE_UPLOAD = dt.timedelta(days=1)


def uploads_dir(settings: Settings) -> Path:
    """Where uploads wait for their build: in the state dir, never in memory or /tmp."""
    return layout.hosted_root(settings.state_dir) / "uploads"


def record_release(hosted: HostedSite, source: Path, kind: str, created_by: str) -> HostedRelease:
    """The next release of the site, in state ``building``, naming its upload."""
    if kind not in intake.KINDS:
        raise InvalidInput(f"unknown upload kind {kind!r}")
    with database.atomic():
        database.execute_sql("SELECT pg_advisory_xact_lock(%s, %s)", (_LOCK, hosted.site_id))
        last = (
            HostedRelease.select(HostedRelease.number)
            .where(HostedRelease.site == hosted.site_id)
            .order_by(HostedRelease.number.desc())
            .first()
        )
        return HostedRelease.create(
            tenant=hosted.tenant_id,
            site=hosted.site_id,
            number=(last.number if last else 0) + 1,
            source=str(source),
            source_kind=kind,
            created_by=created_by,
        )


def accept_upload(
    tenant_id: int, site_id: int | str, upload: Path, filename: str, created_by: str
) -> HostedRelease:
    """Record a received upload (a file in the uploads folder) as the site's next release; a
    file that is no archive is refused here and deleted, before any job is queued."""
    try:
        kind = intake.kind_of(upload, filename)
        if kind == "folder":
            raise InvalidInput(f"{filename}: upload an archive, not a folder")
        hosted = registry.enable(tenant_id, site_id)
        return record_release(hosted, upload, kind, created_by)
    except BaseException:
        upload.unlink(missing_ok=True)
        raise


def get_release(tenant_id: int, site_id: int | str, number: int) -> HostedRelease:
    return release_of(registry.get(tenant_id, site_id), number)


def release_of(hosted: HostedSite, number: int) -> HostedRelease:
    release = HostedRelease.get_or_none(
        HostedRelease.site == hosted.site_id,
        HostedRelease.tenant == hosted.tenant_id,
        HostedRelease.number == number,
    )
    if release is None:
        raise NotFound(f"no release {number} of this site")
    return release


def list_releases(tenant_id: int, site_id: int | str) -> list[HostedRelease]:
    """Newest first; none for a site never published."""
    site = sites.get_site(tenant_id, site_id)
    return list(
        HostedRelease.select()
        .where(HostedRelease.site == site.id, HostedRelease.tenant == tenant_id)
        .order_by(HostedRelease.number.desc())
    )


def publish_release(
    settings: Settings,
    tenant_id: int,
    site_id: int,
    number: int,
    progress: Progress | None = None,
    *,
    jobs: Submitter | None = None,
    ingest: bool = True,
) -> dict[str, Any]:
    """Build release ``number`` of the site and make it live. A refused upload marks the
    release failed and raises InvalidInput; the live release is untouched either way. With
    ``jobs``, the site's knowledge (unless ``ingest`` is off: the caller indexes it) and its
    purge hooks follow as jobs."""
    hosted = registry.get(tenant_id, site_id)
    release = release_of(hosted, number)
    if release.state != "building":
        return {"release": number, "state": release.state}  # a retry of a finished job
    if current_number(settings, hosted.site_id) == number:
        # An attempt switched the link and died before its rows committed (its follow-ups
        # with them): it is live; the rows, and the follow-ups, are recorded now.
        built_manifest = _manifest_of(settings, hosted.site_id, number)
        previous = _live_row_manifest(settings, hosted)
        changed = changed_paths(previous, built_manifest) if built_manifest else []
        recorded = switch_to(
            settings, hosted, release, follow=_follow(jobs, hosted, changed, ingest), events=jobs
        )
        return {"release": number, "state": "live", "follow_up": _send(jobs, recorded)}
    folder = layout.release_dir(settings.state_dir, hosted.site_id, number)
    shutil.rmtree(folder, ignore_errors=True)  # what a killed attempt left; never live
    try:
        built = _build(settings, hosted, release, folder, progress or _quiet)
    except InvalidInput as exc:
        shutil.rmtree(folder, ignore_errors=True)
        _finish_failed(release, exc.message)
        _drop_upload(settings, release)
        raise
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    # What changed is only worked out for the purge hooks: reading two manifests of a big site
    # takes longer than the switch itself.
    previous = live_manifest(settings, hosted.site_id) if hosted.purge_hooks else None
    changed = changed_paths(previous, built.manifest) if hosted.purge_hooks else []
    release.file_count, release.bytes, release.digest = built.file_count, built.bytes, built.digest
    follow = _follow(jobs, hosted, changed, ingest)
    recorded = switch_to(settings, hosted, release, follow=follow, events=jobs)
    _drop_upload(settings, release)
    pruned = prune(settings, hosted)
    return {
        "release": number,
        "state": "live",
        "files": built.file_count,
        "bytes": built.bytes,
        "digest": built.digest,
        "changed": changed,
        "pruned": pruned,
        "follow_up": _send(jobs, recorded),
    }


FollowUp = Callable[[HostedRelease], list[Job]]


def _follow(
    jobs: Submitter | None, hosted: HostedSite, changed: list[str], ingest: bool
) -> FollowUp | None:
    """What a switch records with itself: index the live release's pages, and tell each purge
    hook what changed, both on the critical queue. Recorded in the switch's transaction, so a
    worker that dies once it committed leaves them to the reaper, not lost."""
    if jobs is None:
        return None

    def record(release: HostedRelease) -> list[Job]:
        args = {"site_id": hosted.site_id, "release": release.number}
        recorded = []
        if ingest:
            recorded.append(jobs.record(hosted.tenant_id, INGEST, args, queue="critical")[0])
        for hook in hosted.purge_hooks if changed else ():
            recorded.append(
                jobs.record(
                    hosted.tenant_id,
                    PURGE,
                    {**args, "hook": hook, "paths": changed},
                    queue="critical",
                )[0]
            )
        return recorded

    return record


def _send(jobs: Submitter | None, recorded: list[Job]) -> list[str]:
    """Enqueue the follow-ups a switch committed (the reaper's, if the queues are down)."""
    for job in recorded:
        assert jobs is not None
        jobs.enqueue_committed(job)
    return [str(job.id) for job in recorded]


def _manifest_of(settings: Settings, site_id: int, number: int) -> layout.Manifest | None:
    folder = layout.release_dir(settings.state_dir, site_id, number)
    try:
        return layout.Manifest.from_json((folder / layout.MANIFEST).read_text("utf-8"))
    except OSError:
        return None


def _live_row_manifest(settings: Settings, hosted: HostedSite) -> layout.Manifest | None:
    """The manifest of the release the rows say is live (the link may already be ahead)."""
    live = HostedRelease.get_or_none(
        HostedRelease.site == hosted.site_id, HostedRelease.state == "live"
    )
    return _manifest_of(settings, hosted.site_id, live.number) if live else None


def _quiet(**_data: Any) -> None:
    return None


def _build(
    settings: Settings,
    hosted: HostedSite,
    release: HostedRelease,
    folder: Path,
    progress: Progress,
) -> build.Built:
    files = folder / layout.FILES
    files.mkdir(parents=True)
    source = Path(release.source)
    if not source.exists():
        raise InvalidInput(f"{source.name}: the upload is gone (removed before it was built)")
    progress(step="unpacking", release=release.number)
    unpacked = intake.unpack(source, release.source_kind, files, settings)
    if unpacked.files == 0:
        raise InvalidInput(f"{source.name}: the upload holds no files", code="upload_refused")
    site = sites.get_site(hosted.tenant_id, hosted.site_id)
    embed = build.Embed(f"{settings.base_url}/widget.js", site.key, hosted.embed_position)
    built = build.build(
        files,
        release.number,
        embed,
        registry.primary_url(hosted, settings),
        lambda step: progress(step=step, release=release.number),
    )
    (folder / layout.MANIFEST).write_text(built.manifest.to_json(), encoding="utf-8")
    return built


def _finish_failed(release: HostedRelease, error: str) -> None:
    release.state, release.error, release.finished_at = "failed", error, utcnow()
    release.save()


def _drop_upload(settings: Settings, release: HostedRelease) -> None:
    """An upload in the state dir is spent once built; a folder the CLI named is the owner's."""
    source = Path(release.source)
    if source.is_relative_to(uploads_dir(settings)):
        source.unlink(missing_ok=True)


def current_number(settings: Settings, site_id: int) -> int | None:
    """The number of the release ``current`` points at, read from the link itself."""
    try:
        target = (layout.site_dir(settings.state_dir, site_id) / layout.CURRENT).readlink()
    except OSError:
        return None
    return int(target.name) if target.name.isdigit() else None


def live_manifest(settings: Settings, site_id: int) -> layout.Manifest | None:
    current = layout.site_dir(settings.state_dir, site_id) / layout.CURRENT
    try:
        return layout.Manifest.from_json((current / layout.MANIFEST).read_text("utf-8"))
    except OSError:
        return None


def changed_paths(before: layout.Manifest | None, after: layout.Manifest) -> list[str]:
    """URL paths whose answer changed: added, removed or with other content."""
    old = before.files if before else {}
    paths = set(old) | set(after.files)
    return sorted(
        p
        for p in paths
        if p not in old or p not in after.files or old[p].sha256 != after.files[p].sha256
    )


def switch_to(
    settings: Settings,
    hosted: HostedSite,
    release: HostedRelease,
    relink: bool = True,
    follow: FollowUp | None = None,
    events: Submitter | None = None,
) -> list[Job]:
    """Make ``release`` the live one: the rows (and the ``follow`` jobs' rows), then the
    ``current`` link (a link that cannot be switched rolls the rows back), in one transaction
    under the site's lock so two switches never interleave. ``relink``: also (re)make the host
    links, which a rollback never needs: they name the site's folder, not a release. Returns
    the follow-up jobs recorded, for the caller to enqueue once committed. The host links can
    add the site's origins (``registry.allow_widget``): that change is announced through
    ``events`` (none: to no one) once the transaction committed."""
    held = HeldEvents()
    with database.atomic():
        database.execute_sql("SELECT pg_advisory_xact_lock(%s, %s)", (_LOCK, hosted.site_id))
        HostedRelease.update(state="archived").where(
            HostedRelease.site == hosted.site_id,
            HostedRelease.state == "live",
            HostedRelease.id != release.id,
        ).execute()
        release.state, release.error, release.finished_at = "live", None, utcnow()
        release.save()
        recorded = follow(release) if follow is not None else []
        site_folder = layout.site_dir(settings.state_dir, hosted.site_id)
        layout.switch_link(site_folder / layout.CURRENT, Path("releases") / str(release.number))
        if relink:
            registry.link_hosts(hosted, settings, held.publish)
    held.release(_publisher(events))
    return recorded


def _publisher(jobs: Submitter | None) -> Publish:
    return jobs.publish if jobs is not None else nowhere


def prune(settings: Settings, hosted: HostedSite) -> list[int]:
    """Delete the files of built releases beyond the newest ``keep_releases`` (never the live
    one); their rows stay, marked pruned, as the history."""
    kept = (
        HostedRelease.select()
        .where(
            HostedRelease.site == hosted.site_id,
            HostedRelease.state.in_(("live", "archived")),
            HostedRelease.pruned_at.is_null(),
        )
        .order_by(HostedRelease.number.desc())
    )
    pruned = []
    for release in list(kept)[hosted.keep_releases :]:
        if release.state == "live":
            continue
        shutil.rmtree(
            layout.release_dir(settings.state_dir, hosted.site_id, release.number),
            ignore_errors=True,
        )
        release.pruned_at = utcnow()
        release.save()
        pruned.append(release.number)
    return pruned


def rollback(
    settings: Settings,
    tenant_id: int,
    site_id: int,
    number: int,
    *,
    jobs: Submitter | None = None,
    ingest: bool = True,
) -> dict[str, Any]:
    """Make kept release ``number`` live again: only the switch, nothing is rebuilt; then the
    same follow-ups as a publish."""
    hosted = registry.get(tenant_id, site_id)
    release = release_of(hosted, number)
    folder = layout.release_dir(settings.state_dir, hosted.site_id, number)
    if release.state not in ("live", "archived") or release.pruned_at is not None:
        raise Conflict(f"release {number} is {_described(release)}; roll back to a kept one")
    if not (folder / layout.MANIFEST).is_file():
        raise Conflict(f"release {number}'s files are missing from the state dir")
    previous = live_manifest(settings, hosted.site_id) if hosted.purge_hooks else None
    after = _manifest_of(settings, hosted.site_id, number) if hosted.purge_hooks else None
    changed = changed_paths(previous, after) if after else []
    follow = _follow(jobs, hosted, changed, ingest)
    recorded = switch_to(settings, hosted, release, relink=False, follow=follow)
    return {
        "release": number,
        "state": "live",
        "changed": changed,
        "follow_up": _send(jobs, recorded),
    }


def _described(release: HostedRelease) -> str:
    return "pruned" if release.pruned_at is not None else str(release.state)


def sweep_uploads(settings: Settings, older_than: dt.timedelta = STALE_UPLOAD) -> dict[str, int]:
    """Uploads nobody will build: a release still ``building`` long after its upload (its job
    died for good) is marked failed, and upload files no building release names are deleted."""
    cutoff = utcnow() - older_than
    stale = HostedRelease.update(
        state="failed", error="never built: its publish job ended first", finished_at=utcnow()
    ).where(HostedRelease.state == "building", HostedRelease.created_at < cutoff)
    failed = stale.execute()
    wanted = {
        r.source
        for r in HostedRelease.select(HostedRelease.source).where(HostedRelease.state == "building")
    }
    removed = 0
    folder = uploads_dir(settings)
    for path in folder.iterdir() if folder.is_dir() else ():
        old = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC) < cutoff
        if old and str(path) not in wanted:
            path.unlink(missing_ok=True)
            removed += 1
    return {"releases_failed": failed, "uploads_removed": removed}


def release_view(release: HostedRelease) -> dict[str, Any]:
    return {
        "number": release.number,
        "state": release.state,
        "kept": release.state in ("live", "archived") and release.pruned_at is None,
        "created_by": release.created_by,
        "created_at": release.created_at.isoformat() if release.created_at else None,
        "finished_at": release.finished_at.isoformat() if release.finished_at else None,
        "file_count": release.file_count,
        "bytes": release.bytes,
        "digest": release.digest,
        "error": release.error,
    }
