"""A fresh box: `sitespeak dev` prints a one-time link for the first admin, and only then."""

from __future__ import annotations

import pytest

from sitespeak.accounts import setup_links, users
from sitespeak.accounts.first_run import FIRST_ADMIN, unclaimed_setup_link
from sitespeak.db.connection import database, open_database
from sitespeak.db.migrate import migrate
from tests.support.services import create_database, drop_database


@pytest.fixture()
def fresh_box(services):
    url = create_database(services, "firstrun")
    migrate(open_database(url, 2))
    try:
        with database.connection_context():
            yield
    finally:
        open_database(services.database_url, 4)  # point the models back at the run's database
        drop_database(url)


def test_a_fresh_box_offers_one_setup_link_until_the_first_admin_has_a_password(fresh_box):
    link = unclaimed_setup_link(600, "http://box:5000")
    assert link and link.startswith("http://box:5000/admin/setup/")
    token = link.rsplit("/", 1)[1]
    assert setup_links.peek(token).user.email == FIRST_ADMIN
    user = setup_links.consume(token, "the very first passphrase")
    assert user.is_superuser
    assert [t.role for t in users.tenant_roles(user)] == ["owner"]
    assert unclaimed_setup_link(600, "http://box:5000") is None
