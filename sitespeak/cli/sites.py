"""Knowledge-base commands: ``site create|list``, ``crawl SITE`` and ``search SITE QUERY``.

SITE is a site's id or name; ``--tenant`` picks the tenant when a name is used by several.
"""

from __future__ import annotations

import argparse
import sys

import redis

from sitespeak import assembly, sites
from sitespeak.cli.admin import connect, event_publisher
from sitespeak.cli.output import add_json_flag, emit
from sitespeak.crawl import diagnosis
from sitespeak.db.models import Site
from sitespeak.errors import InvalidInput, NotFound
from sitespeak.events.bus import EventPublisher
from sitespeak.jobs import queues
from sitespeak.jobs.tasks import JobQueue
from sitespeak.settings import Settings
from sitespeak.tenancy import tenants


def register(sub: argparse._SubParsersAction) -> None:
    site = sub.add_parser("site", help="manage sites").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    p = site.add_parser("create", help="create a site of a tenant")
    p.add_argument("--tenant", required=True, help="tenant name")
    p.add_argument("--name", required=True)
    p.add_argument("--url", action="append", required=True, help="start URL (repeatable)")
    p.add_argument(
        "--allow-private",
        action="store_true",
        help="allow private and loopback addresses (local test sites)",
    )
    p.add_argument("--schedule", default="never", choices=["never", "hourly", "daily", "weekly"])
    p.add_argument("--max-pages", type=int, default=1000)
    add_json_flag(p)
    p.set_defaults(handler=cmd_site_create)
    p = site.add_parser(
        "allow-private",
        help="let a site crawl private and loopback addresses (an operator's decision)",
    )
    p.add_argument("site", help="site id or name")
    p.add_argument("--tenant", help="tenant name (when several tenants use the name)")
    p.add_argument("--off", action="store_true", help="refuse private addresses again")
    add_json_flag(p)
    p.set_defaults(handler=cmd_site_allow_private)
    p = site.add_parser(
        "origins", help="set the origins the widget may run on (none: the start URLs' origins)"
    )
    p.add_argument("site", help="site id or name")
    p.add_argument("origin", nargs="*", help="an origin, e.g. https://shop.example")
    p.add_argument("--tenant", help="tenant name (when several tenants use the name)")
    add_json_flag(p)
    p.set_defaults(handler=cmd_site_origins)
    p = site.add_parser("list", help="list sites")
    p.add_argument("--tenant", help="only this tenant's sites")
    add_json_flag(p)
    p.set_defaults(handler=cmd_site_list)

    p = sub.add_parser("crawl", help="crawl a site now, embeddings included")
    p.add_argument("site", metavar="SITE")
    p.add_argument("--tenant")
    p.add_argument("--queue", action="store_true", help="submit to the crawler queue instead")
    add_json_flag(p)
    p.set_defaults(handler=cmd_crawl)

    p = sub.add_parser("search", help="retrieve passages of a site for a question")
    p.add_argument("site", metavar="SITE")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=5)
    p.add_argument("--tenant")
    add_json_flag(p)
    p.set_defaults(handler=cmd_search)


def find_site(ref: str, tenant: str | None) -> Site:
    if tenant:
        return sites.get_site(tenants.get_tenant(tenant).id, ref)
    query = (
        Site.select().where(Site.id == int(ref))
        if ref.isdigit()
        else Site.select().where(Site.name == ref)
    )
    found = list(query)
    if not found:
        raise NotFound(f"no site {ref!r}")
    if len(found) > 1:
        raise InvalidInput(f"several tenants have a site named {ref!r}; add --tenant")
    return found[0]


def cmd_site_create(settings: Settings, args: argparse.Namespace) -> int:
    diagnosis.check_start_urls(args.url, args.allow_private)
    with connect(settings).connection_context():
        tenant = tenants.get_tenant(args.tenant)
        site = sites.create_site(
            tenant.id,
            args.name,
            args.url,
            args.allow_private,
            schedule=args.schedule,
            max_pages=args.max_pages,
            privileged=True,  # the operator, on the box itself
        )
        view = sites.site_view(site)
    emit(args, view, f"site {view['id']} {view['name']!r} created; key {view['key']}")
    return 0


def cmd_site_allow_private(settings: Settings, args: argparse.Namespace) -> int:
    with connect(settings).connection_context():
        site = find_site(args.site, args.tenant)
        site = sites.update_site(
            site.tenant_id,
            site.id,
            publish=event_publisher(settings),
            privileged=True,
            allow_private=not args.off,
        )
        view = sites.site_view(site)
    state = "allowed" if view["allow_private"] else "refused"
    emit(args, view, f"site {view['id']} {view['name']!r}: private addresses {state}")
    return 0


def cmd_site_origins(settings: Settings, args: argparse.Namespace) -> int:
    with connect(settings).connection_context():
        site = find_site(args.site, args.tenant)
        site = sites.update_site(
            site.tenant_id,
            site.id,
            publish=event_publisher(settings),  # the running web processes drop their copy
            allowed_origins=args.origin,
        )
        view = sites.site_view(site)
    origins = ", ".join(view["allowed_origins"])
    emit(args, view, f"site {view['id']} {view['name']!r}: the widget may run on {origins}")
    return 0


def cmd_site_list(settings: Settings, args: argparse.Namespace) -> int:
    with connect(settings).connection_context():
        tenant_id = tenants.get_tenant(args.tenant).id if args.tenant else None
        views = [sites.site_view(s) for s in sites.list_sites(tenant_id)]
    lines = [f"{v['id']:>5}  {v['name']}  {', '.join(v['start_urls'])}" for v in views]
    emit(args, views, "\n".join(lines) or "no sites")
    return 0


def _bar(stream):
    def show(**data) -> None:
        if "embedded" in data:
            line = f"embedding {data['embedded']}/{data['total']}"
        else:
            line = f"crawled {data.get('done', 0)} pages, {data.get('queued', 0)} queued"
        stream.write("\r" + line.ljust(60))
        stream.flush()

    return show


def cmd_crawl(settings: Settings, args: argparse.Namespace) -> int:
    from sitespeak.crawl import refresh

    client = redis.Redis.from_url(settings.redis_url) if settings.redis_url else None
    publisher = EventPublisher(client, settings.redis_prefix) if client else None
    publish = publisher.publish if publisher else (lambda *a: None)
    with connect(settings).connection_context():
        site = find_site(args.site, args.tenant)
        if args.queue:
            if client is None:
                raise InvalidInput("--queue needs REDIS_URL")
            queues.bind(settings)
            jobs = JobQueue(
                assembly.job_registry(settings.instant_answers),
                EventPublisher(client, settings.redis_prefix),
            )
            job, created = refresh.request_crawl(jobs, site.tenant_id, site.id, by_person=True)
            emit(args, {"job_id": str(job.id), "created": created}, str(job.id))
            return 0
        progress = None if args.json else _bar(sys.stderr)
        totals = refresh.crawl_foreground(site, settings, publish, progress)
    if progress:
        sys.stderr.write("\n")
    emit(
        args,
        {"site_id": site.id, **totals},
        f"site {site.name!r} indexed: "
        + ", ".join(
            f"{totals[k]} {k}" for k in ("new", "changed", "unchanged", "removed", "failed")
        ),
    )
    if totals.get("status") == "failed":
        print(f"sitespeak: crawl failed: {totals.get('problem')}", file=sys.stderr)
        return 1
    if totals.get("problem"):
        print(f"sitespeak: {totals['problem']}", file=sys.stderr)
    return 0


def cmd_search(settings: Settings, args: argparse.Namespace) -> int:
    from sitespeak.knowledge.embedders import embedder_for
    from sitespeak.knowledge.retrieval import search

    with connect(settings).connection_context():
        site = find_site(args.site, args.tenant)
        found = search(site.id, args.query, args.k, embedder=embedder_for(settings))
    data = [p.__dict__ for p in found]
    text = "\n\n".join(
        f"[{p.score:.4f}] {p.url}{'#' + p.anchor if p.anchor else ''}\n{p.heading}: {p.text[:300]}"
        for p in found
    )
    emit(args, {"site_id": site.id, "query": args.query, "passages": data}, text or "no passages")
    return 0
