"""peewee model of ``knowledge_releases`` (migration m0030); the chunk sets live in
``release_chunks`` and are written with SQL (set operations, not rows one by one)."""

from __future__ import annotations

from peewee import BigAutoField, CharField, ForeignKeyField, IntegerField, TextField
from playhouse.postgres_ext import BinaryJSONField

from sitespeak.db.models import BaseModel, Site, Tenant, TimestampTZField, utcnow
from sitespeak.knowledge.models import CrawlRun

STATES = ("candidate", "held", "live", "archived", "discarded")
PENDING = ("candidate", "held")  # built, waiting to be published or discarded
SETTINGS_SOURCE = "settings"  # the source of a release made by an owner's settings edit


class Release(BaseModel):
    id = BigAutoField()
    tenant_id: int  # the key's accessor
    tenant = ForeignKeyField(Tenant, column_name="tenant_id", on_delete="CASCADE")
    site_id: int  # the key's accessor
    site = ForeignKeyField(Site, column_name="site_id", on_delete="CASCADE")
    number = IntegerField()
    state = CharField()
    source = CharField(default="crawl")
    crawl_run_id: int | None  # the key's accessor
    crawl_run = ForeignKeyField(
        CrawlRun, column_name="crawl_run_id", null=True, on_delete="SET NULL"
    )
    stats = BinaryJSONField(default=dict)
    diff = BinaryJSONField(default=dict)
    held_because = BinaryJSONField(default=list)
    actions = BinaryJSONField(default=list)
    voice = BinaryJSONField(default=dict)
    created_at = TimestampTZField(default=utcnow)
    published_at = TimestampTZField(null=True)
    published_by = TextField(null=True)
    pruned_at = TimestampTZField(null=True)

    class Meta:
        table_name = "knowledge_releases"

    @property
    def kept(self) -> bool:
        """Its chunks are still there: it can be published or rolled back to."""
        return self.pruned_at is None and self.state != "discarded"
