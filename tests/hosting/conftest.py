"""Fixtures of the hosted-site tests: a state dir of each test's own (so "nothing written outside
the release" can be checked by listing it), a sample static site, and publishing helpers; for
the serving tests, a web process of their own with a hosted-sites domain and a state dir of its
own (so the releases they write never meet another test's sites)."""

from __future__ import annotations

import os
import uuid
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import lxml.html
import pytest

from sitespeak import sites
from sitespeak.db.models import Site
from sitespeak.hosting import intake, layout, publish, registry
from sitespeak.hosting.models import HostedRelease, HostedSite
from sitespeak.settings import Settings
from tests.admin.conftest import flush_login_limits, passwords_set, quiet_app
from tests.support.processes import Proc, start_web
from tests.support.serving import serving

__all__ = ["flush_login_limits", "passwords_set"]  # fixtures shared with the admin tests

DOMAIN = "sites.test"
ADMIN_HOST = "voice.test"


@pytest.fixture()
def host_settings(settings: Settings, tmp_path: Path) -> Settings:
    state = tmp_path / "state"
    state.mkdir()
    return settings.model_copy(
        update={
            "state_dir": state,
            "hosted_sites_domain": DOMAIN,
            "public_url": "https://box.example",
        }
    )


@pytest.fixture()
def hosted_site(db, alice, make_site):
    site = make_site(alice.tenant)
    return site, registry.enable(alice.tenant.id, site.id)


def write_site(root: Path, *, title: str = "Home", extra_pages: int = 0) -> Path:
    """A small static site: pages in folders, a stylesheet naming a font and an image, a page
    whose author already pasted the embed tag."""
    files = {
        "index.html": f"""<!DOCTYPE html><html><head><title>{title}</title>
<link rel="stylesheet" href="css/app.css"></head>
<body><h1>{title}</h1><img src="/img/logo.png" alt="logo">
<p>We bake bread every morning and open at seven.</p><a href="about/">About</a></body></html>""",
        "about/index.html": """<!DOCTYPE html><html><head><title>About</title>
<link rel="stylesheet" href="../css/app.css"></head>
<body><p>A family bakery since 1980.</p>
<script src="https://old.example/widget.js" data-site-key="pk_old" async></script></body></html>""",
        "404.html": "<!DOCTYPE html><html><body><p>Not here.</p></body></html>",
        "css/app.css": "@font-face{font-family:B;src:url('../fonts/body.woff2')}\n"
        "body{background:url(/img/logo.png);font-family:B}\n" + "p{margin:0}\n" * 40,
        "fonts/body.woff2": "wOF2-font-bytes",
        "img/logo.png": "\x89PNG-bytes",
        "unreferenced.js": "console.log('never fingerprinted')",
    }
    for n in range(extra_pages):
        files[f"pages/p{n}.html"] = (
            f"<!DOCTYPE html><html><head><title>Page {n}</title></head><body>"
            f"<p>Page {n} tells of loaf {n}.</p></body></html>"
        )
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("latin-1") if path.endswith(".png") else text.encode())
    return root


def publish_path(
    settings: Settings, hosted: HostedSite, source: Path, by: str = "test"
) -> HostedRelease:
    """Record ``source`` as the next release and build it (raises what the build raises)."""
    release = publish.record_release(hosted, source, intake.kind_of(source), by)
    publish.publish_release(settings, hosted.tenant_id, hosted.site_id, release.number)
    return HostedRelease.get_by_id(release.id)


def live_files(settings: Settings, hosted: HostedSite) -> Path:
    host = f"{hosted.label}.{DOMAIN}"
    release = layout.live_release(settings.state_dir, host)
    assert release is not None, f"{host} answers with no release"
    return release / layout.FILES


def embed_tags(page: Path) -> list[lxml.html.HtmlElement]:
    root = lxml.html.document_fromstring(page.read_bytes())
    return [s for s in root.iter("script") if s.get("data-site-key") is not None]


def tree_of(folder: Path) -> set[str]:
    """Every path under ``folder`` (links not followed), to show what a step wrote."""
    found = set()
    for current, dirs, names in os.walk(folder):
        for name in dirs + names:
            found.add(str(Path(current, name).relative_to(folder)))
    return found


def site_key(site: Site) -> str:
    return str(Site.get_by_id(site.id).key)


@dataclass(frozen=True)
class HostedWeb:
    proc: Proc
    state_dir: Path

    @property
    def url(self) -> str:
        return self.proc.url


def hosted_env(base_env: dict[str, str], state_dir: Path) -> dict[str, str]:
    return {
        **base_env,
        "SITESPEAK_STATE_DIR": str(state_dir),
        "SITESPEAK_HOSTED_SITES_DOMAIN": DOMAIN,
        "SITESPEAK_PUBLIC_URL": f"http://{ADMIN_HOST}",
    }


@pytest.fixture(scope="module")
def hosted_web(base_env, tmp_path_factory) -> HostedWeb:
    state_dir = tmp_path_factory.mktemp("hosted-state")
    proc = start_web(hosted_env(base_env, state_dir), tmp_path_factory.mktemp("hosted-web"))
    yield HostedWeb(proc, state_dir)
    proc.stop()


def zip_folder(folder: Path, archive: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                out.write(path, prefix + path.relative_to(folder).as_posix())
    return archive


def uploads_left(settings: Settings) -> list[Path]:
    folder = publish.uploads_dir(settings)
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.fixture()
async def hosting_app(host_settings, passwords_set, flush_login_limits):
    """The web app on the test's own state dir, with a 64 KiB upload limit."""
    async with quiet_app(
        host_settings.model_copy(update={"hosted_max_upload_bytes": 64 * 1024})
    ) as application:
        yield application


@dataclass
class PurgeReceiver:
    """A loopback CDN purge endpoint: records each POST, answers the statuses it is given in
    turn (then 200)."""

    statuses: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""


@pytest.fixture()
def purge_receiver():
    receiver = PurgeReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            receiver.received.append((dict(self.headers.items()), body))
            status = receiver.statuses.pop(0) if receiver.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/purge"
    with serving(server):
        yield receiver


@pytest.fixture()
def private_site(db, alice):
    """A hosted site of alice's that may reach loopback addresses (its purge receiver)."""
    site = sites.create_site(
        alice.tenant.id,
        f"private-{uuid.uuid4().hex[:8]}",
        ["https://shop.example/"],
        allow_private=True,
        privileged=True,
    )
    return site, registry.enable(alice.tenant.id, site.id)
