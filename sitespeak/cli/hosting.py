"""Hosted-site commands: ``publish SITE PATH`` (a folder or an archive), ``rollback SITE N`` and
``releases SITE``. Like ``crawl``, they run here and now; ``--queue`` hands the work to the
critical queue's worker instead."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import redis

from sitespeak import assembly
from sitespeak.cli.admin import connect
from sitespeak.cli.output import add_json_flag, emit
from sitespeak.cli.sites import find_site
from sitespeak.errors import InvalidInput
from sitespeak.events.bus import EventPublisher
from sitespeak.hosting import intake, publish, registry
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

    p = sub.add_parser("rollback", help="make a kept release of a hosted site live again")
    p.add_argument("site", metavar="SITE")
    p.add_argument("release", type=int, metavar="N")
    p.add_argument("--tenant")
    p.add_argument("--queue", action="store_true", help="submit to the critical queue instead")
    add_json_flag(p)
    p.set_defaults(handler=cmd_rollback)

    p = sub.add_parser("releases", help="list a hosted site's releases")
    p.add_argument("site", metavar="SITE")
    p.add_argument("--tenant")
    add_json_flag(p)
    p.set_defaults(handler=cmd_releases)


def _job_queue(settings: Settings) -> JobQueue:
    if not settings.redis_url:
        raise InvalidInput("--queue needs REDIS_URL")
    client = redis.Redis.from_url(settings.redis_url)
    queues.bind(settings)
    return JobQueue(assembly.job_registry(), EventPublisher(client, settings.redis_prefix))


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
        try:
            result = publish.publish_release(settings, site.tenant_id, site.id, release.number)
        except InvalidInput as exc:
            print(f"sitespeak: release {release.number} refused: {exc.message}", file=sys.stderr)
            return 1
        names = registry.hostnames(hosted, settings)
    emit(
        args,
        {"site_id": site.id, **result, "hostnames": names},
        f"release {result['release']} of {site.name!r} is live: {result['files']} files, "
        f"{result['bytes']} bytes" + (f"; on {', '.join(names)}" if names else ""),
    )
    return 0


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
        result = publish.rollback(settings, site.tenant_id, site.id, args.release)
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
