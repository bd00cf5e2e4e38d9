"""The dashboard shows the instance admin the hourly disk-usage report, with its warning; a
tenant owner does not see the box's disk."""

from __future__ import annotations

import uuid

from sitespeak.db.connection import database
from sitespeak.db.models import Job, utcnow
from tests.admin.conftest import log_in


def report_disk(free_percent: float, warning: bool) -> None:
    result = {
        "database_bytes": 12 * 1048576,
        "state_dir_bytes": 3 * 1048576,
        "disk_free_bytes": 1,
        "disk_free_percent": free_percent,
        "warning": warning,
    }
    with database.connection_context():
        Job.create(
            id=uuid.uuid4(),
            queue="maintenance",
            name="maintenance.disk_usage",
            status="succeeded",
            result=result,
            finished_at=utcnow(),
        )


async def test_the_instance_admin_sees_the_latest_disk_report_and_its_warning(
    app, instance_admin, alice
):
    report_disk(4.5, warning=True)
    browser = await log_in(app, instance_admin)
    response, body = await browser.get("/admin/")
    assert response.status_code == 200
    assert "4.5 %: the box is running out of disk" in body and "12.0 MB" in body
    owner = await log_in(app, alice.user.email)
    _, body = await owner.get("/admin/")
    assert "running out of disk" not in body
