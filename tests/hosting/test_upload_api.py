"""Uploading a site through the API and the admin UI: streamed to the state dir, recorded as a
release, built by a ``hosting.publish`` job on the critical queue; owners and editors only."""

from __future__ import annotations

import io

import pytest
from werkzeug.datastructures import FileStorage

from sitespeak.db.models import Job
from sitespeak.hosting import layout, publish, purge, registry
from sitespeak.hosting.jobs import PUBLISH, ROLLBACK
from sitespeak.hosting.models import HostedRelease
from tests.admin.conftest import log_in
from tests.hosting.conftest import (
    DOMAIN,
    embed_tags,
    live_files,
    uploads_left,
    write_site,
    zip_folder,
)


def bearer(persona) -> dict[str, str]:
    return {"Authorization": f"Bearer {persona.token}"}


def site_zip(tmp_path, title: str = "Home") -> bytes:
    return zip_folder(
        write_site(tmp_path / title, title=title), tmp_path / f"{title}.zip"
    ).read_bytes()


async def test_an_owner_uploads_an_archive_and_a_publish_job_builds_it(
    hosting_app, host_settings, alice, make_site, tmp_path
):
    site = make_site(alice.tenant)
    body = site_zip(tmp_path)
    client = hosting_app.test_client()

    response = await client.post(
        f"/api/v1/sites/{site.id}/uploads",
        data=body,
        headers={**bearer(alice), "Content-Type": "application/zip", "X-Filename": "site.zip"},
    )

    assert response.status_code == 202, await response.get_data(as_text=True)
    answer = await response.get_json()
    assert answer["release"]["number"] == 1 and answer["release"]["state"] == "building"
    job = Job.get_by_id(answer["job"]["id"])
    assert (job.name, job.queue) == (PUBLISH, "critical")
    assert job.args == {"site_id": site.id, "release": 1}
    [upload] = uploads_left(host_settings)
    assert upload.read_bytes() == body  # streamed to the state dir as sent

    publish.publish_release(host_settings, alice.tenant.id, site.id, 1)

    hosted = registry.get(alice.tenant.id, site.id)
    assert len(embed_tags(live_files(host_settings, hosted) / "index.html")) == 1
    assert uploads_left(host_settings) == []  # spent once built
    listed = await client.get(f"/api/v1/sites/{site.id}/hosting/releases", headers=bearer(alice))
    assert [r["state"] for r in (await listed.get_json())["releases"]] == ["live"]


async def test_a_form_upload_works_like_a_raw_body(
    hosting_app, host_settings, alice, make_site, tmp_path
):
    site = make_site(alice.tenant)
    archive = FileStorage(io.BytesIO(site_zip(tmp_path)), filename="site.zip")
    response = await hosting_app.test_client().post(
        f"/api/v1/sites/{site.id}/uploads", files={"file": archive}, headers=bearer(alice)
    )
    assert response.status_code == 202
    release = HostedRelease.get(HostedRelease.site == site.id)
    assert release.source_kind == "zip" and len(uploads_left(host_settings)) == 1


async def test_a_viewer_is_refused_and_another_tenant_sees_no_site_and_no_file_is_kept(
    hosting_app, host_settings, alice, bob, charlie, make_site, tmp_path
):
    site = make_site(alice.tenant)
    body = site_zip(tmp_path)
    client = hosting_app.test_client()
    url = f"/api/v1/sites/{site.id}/uploads"
    headers = {"Content-Type": "application/zip"}

    viewer = await client.post(url, data=body, headers={**headers, **bearer(bob)})
    other = await client.post(url, data=body, headers={**headers, **bearer(charlie)})
    releases = await client.get(
        f"/api/v1/sites/{site.id}/hosting/releases", headers=bearer(charlie)
    )

    assert viewer.status_code == 403
    assert other.status_code == 404 and releases.status_code == 404
    assert uploads_left(host_settings) == []
    assert not HostedRelease.select().where(HostedRelease.site == site.id).exists()


async def test_an_upload_over_the_limit_is_refused_and_leaves_no_file(
    hosting_app, host_settings, alice, make_site
):
    site = make_site(alice.tenant)
    client = hosting_app.test_client()
    too_big = bytes(70 * 1024)

    raw = await client.post(
        f"/api/v1/sites/{site.id}/uploads",
        data=too_big,
        headers={**bearer(alice), "Content-Type": "application/zip"},
    )
    form = await client.post(
        f"/api/v1/sites/{site.id}/uploads",
        files={"file": FileStorage(io.BytesIO(too_big), filename="big.zip")},
        headers=bearer(alice),
    )

    assert raw.status_code == 413 and form.status_code == 413
    assert uploads_left(host_settings) == []


async def test_a_file_that_is_no_archive_is_a_clear_400(
    hosting_app, host_settings, alice, make_site
):
    site = make_site(alice.tenant)
    response = await hosting_app.test_client().post(
        f"/api/v1/sites/{site.id}/uploads",
        data=b"<html>just a page</html>",
        headers={**bearer(alice), "Content-Type": "application/zip", "X-Filename": "page.zip"},
    )
    assert response.status_code == 400
    assert "page.zip: not a zip or tar archive" in (await response.get_json())["detail"]
    assert uploads_left(host_settings) == []


async def test_a_rollback_through_the_api_is_a_job_and_needs_a_kept_release(
    hosting_app, host_settings, alice, bob, make_site, tmp_path
):
    site = make_site(alice.tenant)
    client = hosting_app.test_client()
    url = f"/api/v1/sites/{site.id}/uploads"
    for title in ("One", "Two"):
        await client.post(
            url,
            data=site_zip(tmp_path, title),
            headers={**bearer(alice), "Content-Type": "application/zip"},
        )
    publish.publish_release(host_settings, alice.tenant.id, site.id, 1)
    publish.publish_release(host_settings, alice.tenant.id, site.id, 2)

    refused = await client.post(
        f"/api/v1/sites/{site.id}/hosting/releases/1/rollback", headers=bearer(bob)
    )
    asked = await client.post(
        f"/api/v1/sites/{site.id}/hosting/releases/1/rollback", headers=bearer(alice)
    )

    assert refused.status_code == 403 and asked.status_code == 202
    job = Job.get_by_id((await asked.get_json())["job"]["id"])
    assert (job.name, job.queue, job.args["release"]) == (ROLLBACK, "critical", 1)


async def test_the_admin_hosting_page_uploads_and_offers_a_rollback(
    hosting_app, host_settings, alice, bob, make_site, tmp_path
):
    site = make_site(alice.tenant)
    owner = await log_in(hosting_app, alice.user.email)
    page = f"/admin/sites/{site.id}/hosting"
    _, html = await owner.get(page)
    assert 'enctype="multipart/form-data"' in html and "Nothing published yet" in html

    for title in ("One", "Two"):
        response, _ = await owner.post(
            f"{page}/upload",
            files={
                "file": FileStorage(io.BytesIO(site_zip(tmp_path, title)), filename=f"{title}.zip")
            },
        )
        assert response.status_code == 303
        assert Job.get_by_id(response.headers["Location"].split("job=")[1]).name == PUBLISH
    publish.publish_release(host_settings, alice.tenant.id, site.id, 1)
    publish.publish_release(host_settings, alice.tenant.id, site.id, 2)

    _, html = await owner.get(page)
    assert 'data-release="2" data-state="live"' in html
    assert f"{page}/releases/1/rollback" in html and f"{page}/releases/2/rollback" not in html
    assert alice.user.email in html

    viewer = await log_in(hosting_app, bob.user.email)
    await viewer.get(page)
    refused, _ = await viewer.post(
        f"{page}/upload", files={"file": FileStorage(io.BytesIO(b"PK.."), filename="x.zip")}
    )
    assert refused.status_code == 403
    assert uploads_left(host_settings) == []


async def test_deleting_a_hosted_site_stops_serving_it_and_removes_its_files(
    hosting_app, host_settings, alice, make_site, tmp_path
):
    site = make_site(alice.tenant)
    client = hosting_app.test_client()
    await client.post(
        f"/api/v1/sites/{site.id}/uploads",
        data=site_zip(tmp_path),
        headers={**bearer(alice), "Content-Type": "application/zip"},
    )
    publish.publish_release(host_settings, alice.tenant.id, site.id, 1)
    host = f"{registry.get(alice.tenant.id, site.id).label}.{DOMAIN}"
    assert layout.live_release(host_settings.state_dir, host) is not None

    deleted = await client.delete(f"/api/v1/sites/{site.id}", headers=bearer(alice))

    assert deleted.status_code == 204
    assert layout.live_release(host_settings.state_dir, host) is None
    assert not layout.host_link(host_settings.state_dir, host).is_symlink()
    assert not layout.site_dir(host_settings.state_dir, site.id).exists()


async def test_the_hosting_page_shows_each_purge_hooks_last_result(
    hosting_app, host_settings, alice, private_site, purge_receiver
):
    site, hosted = private_site
    owner = await log_in(hosting_app, alice.user.email)
    page = f"/admin/sites/{site.id}/hosting"
    await owner.get(page)
    saved, _ = await owner.post(f"{page}/hooks", {"hooks": purge_receiver.url})
    assert saved.status_code == 303
    _, html = await owner.get(page)
    assert f'data-hook="{purge_receiver.url}"' in html and "not called yet" in html

    purge_receiver.statuses = [503]
    with pytest.raises(purge.HookFailed):
        purge.call_hook(host_settings, alice.tenant.id, site.id, 1, purge_receiver.url, ["/"])

    _, html = await owner.get(page)
    assert "HTTP 503" in html and "attempt 1" in html


async def test_the_hosted_releases_old_paths_still_answer_and_name_their_successor(
    hosting_app, host_settings, alice, charlie, make_site, tmp_path
):
    site = make_site(alice.tenant)
    client = hosting_app.test_client()
    for title in ("One", "Two"):
        await client.post(
            f"/api/v1/sites/{site.id}/uploads",
            data=site_zip(tmp_path, title),
            headers={**bearer(alice), "Content-Type": "application/zip"},
        )
    publish.publish_release(host_settings, alice.tenant.id, site.id, 1)
    publish.publish_release(host_settings, alice.tenant.id, site.id, 2)
    old, new = f"/api/v1/sites/{site.id}/releases", f"/api/v1/sites/{site.id}/hosting/releases"

    current = await client.get(new, headers=bearer(alice))
    listed = await client.get(old, headers=bearer(alice))
    assert "Deprecation" not in current.headers
    assert listed.status_code == 200
    assert await listed.get_json() == await current.get_json()
    assert listed.headers["Deprecation"] == "@1796256000"  # 2026-12-03, RFC 9745
    assert listed.headers["Link"] == f'<{new}>; rel="successor-version"'
    hidden = await client.get(old, headers=bearer(charlie))  # errors say it too
    assert hidden.status_code == 404 and hidden.headers["Deprecation"] == "@1796256000"

    asked = await client.post(f"{old}/1/rollback", headers=bearer(alice))
    assert asked.status_code == 202
    assert asked.headers["Link"] == f'<{new}/1/rollback>; rel="successor-version"'
    assert Job.get_by_id((await asked.get_json())["job"]["id"]).name == ROLLBACK

    document = await (await client.get("/api/v1/openapi.json")).get_json()
    assert document["paths"]["/api/v1/sites/{site_ref}/releases"]["get"]["deprecated"] is True
    assert "deprecated" not in document["paths"]["/api/v1/sites/{site_ref}/hosting/releases"]["get"]
