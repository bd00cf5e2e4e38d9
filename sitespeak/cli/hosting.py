"""Hosted-site commands: ``publish SITE PATH`` (a folder or an archive), ``hosting-release
rollback SITE N`` and ``hosting-release list SITE`` (first named ``rollback`` and ``releases``,
still accepted), ``hosting SITE``. Like ``crawl``, they run here and now; ``--queue`` hands the
work to the critical queue's worker instead."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import redis

from sitespeak import assembly
from sitespeak.cli.admin import connect, event_publisher
from sitespeak.cli.output import add_json_flag, emit
from sitespeak.cli.sites import find_site
from sitespeak.errors import InvalidInput
from sitespeak.events.bus import EventPublisher, Publish
from sitespeak.hosting import intake, knowledge, publish, purge, registry
from sitespeak.hosting.jobs import PUBLISH, ROLLBACK
from sitespeak.jobs import queues
from sitespeak.jobs.tasks import JobQueue
from sitespeak.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("publish", help="publish a static site (a folder or an archive)")
    p.add_argument("site", metavar="SITE", help="site id or name")
    p.add_argument("path", metavar="PATH", type=Path, help="a folder, or a zip or tar archive")
    p.add_argument("--tenant", help="tenant name (when several tenants use the name)")
    p.add_argument("--label", help="its name under the hosted-sites domain (first publish)")
    p.add_argument("--queue", action="store_true", help="submit to the critical queue instead")
    add_json_flag(p)
    p.set_defaults(handler=cmd_publish)

    p = sub.add_parser(
        "hosting-release",
        help="list a hosted site's releases, or make a kept one live again (rollback N)",
    )
    p.add_argument("action", choices=("list", "rollback"))
    p.add_argument("site", metavar="SITE", help="site id or name")
    p.add_argument("number", metavar="N", type=int, nargs="?", help="release number")
    p.add_argument("--tenant", help="tenant name (when several tenants use the site name)")
    p.add_argument("--queue", action="store_true", help="rollback: submit to the critical queue")
    add_json_flag(p)
    p.set_defaults(handler=cmd_hosting_release)

    p = sub.add_parser("hosting", help="show or change a hosted site's names and purge hooks")
    p.add_argument("site", metavar="SITE")
    p.add_argument("--tenant")
    p.add_argument("--hostname", action="append", help="custom host name (repeatable; replaces)")
    p.add_argument("--no-hostnames", action="store_true", help="drop every custom host name")
    p.add_argument("--hook", action="append", help="purge hook URL (repeatable; replaces)")
    p.add_argument("--no-hooks", action="store_true", help="drop every purge hook")
    p.add_argument("--keep", type=int, help="how many releases keep their files")
    p.add_argument("--position", choices=registry.POSITIONS, help="where the embed tag goes")
    add_json_flag(p)
    p.set_defaults(handler=cmd_hosting)

    # The first names of `hosting-release rollback` and `list`, kept for scripts that use them.
    p = sub.add_parser("rollback", help="same as hosting-release rollback SITE N")
    p.add_argument("site", metavar="SITE")
    p.add_argument("release", type=int, metavar="N")
    p.add_argument("--tenant")
    p.add_argument("--queue", action="store_true", help="submit to the critical queue instead")
    add_json_flag(p)
    p.set_defaults(handler=cmd_rollback)

    p = sub.add_parser("releases", help="same as hosting-release list SITE")
    p.add_argument("site", metavar="SITE")
    p.add_argument("--tenant")
    add_json_flag(p)
    p.set_defaults(handler=cmd_releases)


def _job_queue(settings: Settings) -> JobQueue:
    if not settings.redis_url:
        raise InvalidInput("--queue needs REDIS_URL")
    client = redis.Redis.from_url(settings.redis_url)
    queues.bind(settings)
    return JobQueue(
        assembly.job_registry(settings.instant_answers),
        EventPublisher(client, settings.redis_prefix),
    )


def cmd_publish(settings: Settings, args: argparse.Namespace) -> int:
    source = args.path.expanduser().resolve()
    if not source.exists():
        raise InvalidInput(f"{args.path}: no such file or folder")
    kind = intake.kind_of(source)
    with connect(settings).connection_context():
        site = find_site(args.site, args.tenant)
        hosted = registry.enable(site.tenant_id, site.id, label=args.label)
        release = publish.record_release(hosted, source, kind, "cli")
        if args.queue:
            job, _ = _job_queue(settings).submit(
                site.tenant_id, PUBLISH, {"site_id": site.id, "release": release.number}
            )
            data = {"site_id": site.id, "release": release.number, "job_id": str(job.id)}
            emit(args, data, f"release {release.number} queued: job {job.id}")
            return 0
        jobs = _job_queue(settings) if settings.redis_url else None
        try:
            result = publish.publish_release(
                settings, site.tenant_id, site.id, release.number, jobs=jobs, ingest=False
            )
        except InvalidInput as exc:
            print(f"sitespeak: release {release.number} refused: {exc.message}", file=sys.stderr)
            return 1
        names = registry.hostnames(hosted, settings)
        print(f"release {release.number} is live; indexing its pages", file=sys.stderr)
        result["knowledge"] = knowledge.ingest_foreground(
            settings, hosted, release.number, _publisher(jobs)
        )
    _warn_unpurged(hosted.purge_hooks, jobs)
    emit(
        args,
        {"site_id": site.id, **result, "hostnames": names},
        f"release {result['release']} of {site.name!r} is live: {result['files']} files, "
        f"{result['bytes']} bytes, {_indexed(result['knowledge'])}"
        + (f"; on {', '.join(names)}" if names else ""),
    )
    return 0


def _publisher(jobs: JobQueue | None) -> Publish:
    return jobs.publish if jobs else (lambda *_args: None)


def _indexed(totals: dict) -> str:
    pages = totals["new"] + totals["changed"] + totals["unchanged"]
    return f"{pages} pages indexed ({totals['embedding']['embedded']} passages embedded)"


def _warn_unpurged(hooks: list[str], jobs: JobQueue | None) -> None:
    if hooks and jobs is None:
        print("sitespeak: REDIS_URL is not set: the purge hooks were not called", file=sys.stderr)


def cmd_hosting_release(settings: Settings, args: argparse.Namespace) -> int:
    if args.action == "list":
        return cmd_releases(settings, args)
    if args.number is None:
        raise InvalidInput("hosting-release rollback needs the release number N")
    args.release = args.number
    return cmd_rollback(settings, args)


def cmd_rollback(settings: Settings, args: argparse.Namespace) -> int:
    with connect(settings).connection_context():
        site = find_site(args.site, args.tenant)
        publish.get_release(site.tenant_id, site.id, args.release)
        if args.queue:
            job, _ = _job_queue(settings).submit(
                site.tenant_id, ROLLBACK, {"site_id": site.id, "release": args.release}
            )
            emit(args, {"job_id": str(job.id)}, f"rollback queued: job {job.id}")
            return 0
        jobs = _job_queue(settings) if settings.redis_url else None
        result = publish.rollback(
            settings, site.tenant_id, site.id, args.release, jobs=jobs, ingest=False
        )
        hosted = registry.get(site.tenant_id, site.id)
        result["knowledge"] = knowledge.ingest_foreground(
            settings, hosted, args.release, _publisher(jobs)
        )
    _warn_unpurged(hosted.purge_hooks, jobs)
    emit(args, {"site_id": site.id, **result}, f"release {args.release} of {site.name!r} is live")
    return 0


def cmd_releases(settings: Settings, args: argparse.Namespace) -> int:
    with connect(settings).connection_context():
        site = find_site(args.site, args.tenant)
        views = [publish.release_view(r) for r in publish.list_releases(site.tenant_id, site.id)]
    lines = [
        f"{v['number']:>4}  {v['state']:<9}{'' if v['kept'] else ' (pruned)'}  "
        f"{v['file_count']} files  {v['created_at']}  {v['error'] or ''}".rstrip()
        for v in views
    ]
    emit(args, views, "\n".join(lines) or "no releases")
    return 0


def cmd_hosting(settings: Settings, args: argparse.Namespace) -> int:
    with connect(settings).connection_context():
        site = find_site(args.site, args.tenant)
        hosted = registry.enable(site.tenant_id, site.id)
        if args.hostname or args.no_hostnames:
            registry.set_hostnames(hosted, args.hostname or [], settings)
            if publish.live_manifest(settings, hosted.site_id) is not None:
                registry.link_hosts(hosted, settings, event_publisher(settings))
        if args.hook or args.no_hooks:
            purge.set_hooks(hosted, args.hook or [])
        if args.keep is not None:
            registry.check_keep(args.keep)
            hosted.keep_releases = args.keep
        if args.position:
            hosted.embed_position = args.position
        hosted.save()
        view = registry.view(hosted, settings)
    lines = [
        f"label {view['label']}; keeps {view['keep_releases']} releases; embed at "
        f"{view['embed_position']}",
        "host names: " + (", ".join(view["hostnames"]) or "none"),
        *(
            f"hook {url}: {view['hook_results'].get(url, 'not called yet')}"
            for url in view["purge_hooks"]
        ),
    ]
    emit(args, view, "\n".join(lines))
    return 0
