"""peewee models of the knowledge base (migration m0002). Every row carries tenant and site;
query through the site-scoped helpers, never by id alone."""

from __future__ import annotations

from peewee import (
    BigAutoField,
    BlobField,
    BooleanField,
    CharField,
    ForeignKeyField,
    IntegerField,
    TextField,
    UUIDField,
)
from playhouse.postgres_ext import BinaryJSONField

from sitespeak.db.models import BaseModel, Site, Tenant, TimestampTZField, utcnow


class Page(BaseModel):
    id = BigAutoField()
    tenant_id: int  # the key's accessor
    tenant = ForeignKeyField(Tenant, column_name="tenant_id", on_delete="CASCADE")
    site_id: int  # the key's accessor
    site = ForeignKeyField(Site, column_name="site_id", on_delete="CASCADE")
    url = TextField()
    final_url = TextField(null=True)
    canonical_url = TextField(null=True)
    redirects = BinaryJSONField(default=list)
    status = CharField(default="ok")
    http_status = IntegerField(null=True)
    error = TextField(null=True)
    title = TextField(default="")
    lang = TextField(null=True)
    etag = TextField(null=True)
    last_modified = TextField(null=True)
    sitemap_lastmod = TextField(null=True)
    content_hash = TextField(null=True)
    depth = IntegerField(default=0)
    headings = BinaryJSONField(default=list)
    links = BinaryJSONField(default=list)
    forms = BinaryJSONField(default=list)
    actions = BinaryJSONField(default=list)
    frame_policy = TextField(null=True)  # m0046: "any" or "none" (sitespeak.crawl.framing)
    blocks = BinaryJSONField(null=True)  # m0047: keys of its text blocks (crawl.boilerplate)
    fetched_at = TimestampTZField(null=True)
    changed_at = TimestampTZField(null=True)
    created_at = TimestampTZField(default=utcnow)

    class Meta:
        table_name = "pages"


class CrawlRun(BaseModel):
    id = BigAutoField()
    tenant_id: int  # the key's accessor
    tenant = ForeignKeyField(Tenant, column_name="tenant_id", on_delete="CASCADE")
    site_id: int  # the key's accessor
    site = ForeignKeyField(Site, column_name="site_id", on_delete="CASCADE")
    job_id = UUIDField(null=True, unique=True)
    status = CharField(default="running")
    totals = BinaryJSONField(default=dict)
    error = TextField(null=True)
    started_at = TimestampTZField(default=utcnow)
    finished_at = TimestampTZField(null=True)

    class Meta:
        table_name = "crawl_runs"


class CrawlOutcome(BaseModel):
    run_id: int  # the key's accessor
    run = ForeignKeyField(CrawlRun, column_name="run_id", on_delete="CASCADE")
    url = TextField()
    outcome = CharField()
    reason = TextField(null=True)
    http_status = IntegerField(null=True)
    not_modified = BooleanField(default=False)
    at = TimestampTZField(default=utcnow)

    class Meta:
        table_name = "crawl_outcomes"
        primary_key = False


class Chunk(BaseModel):
    id = BigAutoField()
    tenant_id: int  # the key's accessor
    tenant = ForeignKeyField(Tenant, column_name="tenant_id", on_delete="CASCADE")
    site_id: int  # the key's accessor
    site = ForeignKeyField(Site, column_name="site_id", on_delete="CASCADE")
    page_id: int  # the key's accessor
    page = ForeignKeyField(Page, column_name="page_id", on_delete="CASCADE")
    ord = IntegerField()
    kind = CharField(default="text")
    url = TextField()
    anchor = TextField(null=True)
    title = TextField(default="")
    heading = TextField(default="")
    text = TextField()
    text_hash = TextField()
    embedding = BlobField(null=True)
    embed_model = TextField(null=True)
    # m0030: replaced by a newer crawl but still held by a release (kept until none holds it).
    retired = BooleanField(default=False)
    created_at = TimestampTZField(default=utcnow)

    class Meta:
        table_name = "chunks"
