"""``release list|publish|rollback|discard SITE [N]``: a site's releases from the command line.
The switch runs here, in the foreground (it is one transaction), and its events go to every
web process through Redis like a worker's."""

from __future__ import annotations

import argparse
import getpass

from sitespeak.cli.admin import connect, event_publisher
from sitespeak.cli.output import add_json_flag, emit
from sitespeak.cli.sites import find_site
from sitespeak.errors import InvalidInput
from sitespeak.releases import candidates, pausing, switch
from sitespeak.releases.views import release_view
from sitespeak.settings import Settings

ACTIONS = ("list", "publish", "rollback", "discard", "resume")


def register(sub: argparse._SubParsersAction) -> None:
    # Named as in the API and the admin UI (knowledge-releases); `release` was its first name.
    p = sub.add_parser(
        "knowledge-release",
        aliases=["release"],
        help="list a site's knowledge releases (the assistant's); publish, roll back to or "
        "discard one; resume automatic publishing after a rollback",
    )
    p.add_argument("action", choices=ACTIONS)
    p.add_argument("site", metavar="SITE", help="site id or name")
    p.add_argument("number", metavar="N", type=int, nargs="?", help="release number")
    p.add_argument("--tenant", help="tenant name (when several tenants use the site name)")
    add_json_flag(p)
    p.set_defaults(handler=cmd_release)


def _line(view: dict) -> str:
    stats, counts = view["stats"], (view["diff"] or {}).get("counts", {})
    when = view["published_at"] or view["created_at"]
    line = (
        f"{view['number']:>4}  {view['state']:<9} {stats.get('pages', 0):>5} pages "
        f"{stats.get('chunks', 0):>6} chunks  +{counts.get('added', 0)} "
        f"~{counts.get('changed', 0)} -{counts.get('removed', 0)} "
        f"!{counts.get('failed', 0)}  {when[:19]}  {view['published_by'] or ''}"
    )
    if view["held_because"]:
        line += "\n      held: " + "; ".join(view["held_because"])
    return line


def cmd_release(settings: Settings, args: argparse.Namespace) -> int:
    if args.action not in ("list", "resume") and args.number is None:
        raise InvalidInput(f"knowledge-release {args.action} needs the release number N")
    by = f"{getpass.getuser()} (command line)"
    with connect(settings).connection_context():
        site = find_site(args.site, args.tenant)
        if args.action == "list":
            views = [release_view(r) for r in switch.list_releases(site.tenant_id, site.id)]
            why = pausing.reason(site)
            text = "\n".join(map(_line, views)) or "no release yet"
            text += f"\nnote: {why}" if why else ""
            emit(args, {"releases": views, "publishing_paused": pausing.paused(site)}, text)
            return 0
        if args.action == "resume":
            site = candidates.resume_publishing(site.tenant_id, site.id)
            emit(args, {"publishing_paused": None}, "automatic publishing resumed")
            return 0
        events = event_publisher(settings)
        if args.action == "publish":
            done = switch.publish(site.tenant_id, site.id, args.number, by, settings, events)
        elif args.action == "rollback":
            done = switch.rollback(site.tenant_id, site.id, args.number, by, settings, events)
        else:
            done = switch.discard(site.tenant_id, site.id, args.number, by, events)
        view = release_view(switch.get_release(site.tenant_id, site.id, done.number))
    emit(args, view, f"release {done.number} of site {site.name!r} is {done.state}")
    return 0
