"""``actions SITE [--kind K] [--json]`` lists a site's page-action catalog;
``actions SITE --enable ID`` / ``--disable ID`` switch an entry (kept across rebuilds)."""

from __future__ import annotations

import argparse
import getpass

from sitespeak.actions import catalog
from sitespeak.cli.admin import connect, event_publisher
from sitespeak.cli.output import add_json_flag, emit
from sitespeak.cli.sites import find_site
from sitespeak.releases import edits
from sitespeak.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("actions", help="list or switch a site's page actions (the catalog)")
    p.add_argument("site", metavar="SITE", help="site id or name")
    p.add_argument("--tenant", help="tenant name, when several tenants use the site name")
    p.add_argument("--kind", choices=catalog.KINDS, help="only this kind of action")
    switch = p.add_mutually_exclusive_group()
    switch.add_argument("--enable", type=int, metavar="ID", help="allow this action again")
    switch.add_argument("--disable", type=int, metavar="ID", help="never use this action")
    add_json_flag(p)
    p.set_defaults(handler=cmd_actions)


def _line(view: dict) -> str:
    flags = ("on " if view["enabled"] else "off") + (
        " confirm" if view["needs_confirmation"] else ""
    )
    where = f" {view['target']}" if view["target"] else ""
    return f"{view['id']:>5}  {view['kind']:<8} {flags:<11} {view['url']}{where}  {view['label']}"


def cmd_actions(settings: Settings, args: argparse.Namespace) -> int:
    with connect(settings).connection_context():
        site = find_site(args.site, args.tenant)
        if args.enable is not None or args.disable is not None:
            action_id = args.enable if args.enable is not None else args.disable
            row = edits.set_action_enabled(
                site.tenant_id,
                site.id,
                action_id,
                args.enable is not None,
                f"{getpass.getuser()} (command line)",
                settings,
                event_publisher(settings),
            )
            view = catalog.action_view(row)
            emit(args, view, _line(view))
            return 0
        views = [
            catalog.action_view(r) for r in catalog.list_actions(site.tenant_id, site.id, args.kind)
        ]
    emit(args, views, "\n".join(_line(v) for v in views) or "no actions (crawl the site first)")
    return 0
