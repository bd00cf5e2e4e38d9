"""peewee models of hosted sites (migration m0035)."""

from __future__ import annotations

from peewee import BigAutoField, BigIntegerField, ForeignKeyField, IntegerField, TextField
from playhouse.postgres_ext import BinaryJSONField

from sitespeak.db.models import BaseModel, Site, Tenant, TimestampTZField, utcnow


class HostedSite(BaseModel):
    site_id: int  # the key's accessor
    site = ForeignKeyField(Site, column_name="site_id", primary_key=True, on_delete="CASCADE")
    tenant_id: int  # the key's accessor
    tenant = ForeignKeyField(Tenant, column_name="tenant_id", on_delete="CASCADE")
    label = TextField(unique=True)
    purge_hooks = BinaryJSONField(default=list)
    hook_results = BinaryJSONField(default=dict)  # hook URL -> its last result
    secret = TextField()
    keep_releases = IntegerField(default=5)
    embed_position = TextField(default="body-end")
    created_at = TimestampTZField(default=utcnow)

    class Meta:
        table_name = "hosted_sites"


class HostedHostname(BaseModel):
    hostname = TextField(primary_key=True)
    site_id: int  # the key's accessor
    site = ForeignKeyField(HostedSite, column_name="site_id", on_delete="CASCADE")
    tenant_id: int  # the key's accessor
    tenant = ForeignKeyField(Tenant, column_name="tenant_id", on_delete="CASCADE")
    created_at = TimestampTZField(default=utcnow)

    class Meta:
        table_name = "hosted_hostnames"


class HostedRelease(BaseModel):
    id = BigAutoField()
    tenant_id: int  # the key's accessor
    tenant = ForeignKeyField(Tenant, column_name="tenant_id", on_delete="CASCADE")
    site_id: int  # the key's accessor
    site = ForeignKeyField(HostedSite, column_name="site_id", on_delete="CASCADE")
    number = IntegerField()
    state = TextField(default="building")
    source = TextField()
    source_kind = TextField()
    created_by = TextField(default="")
    created_at = TimestampTZField(default=utcnow)
    finished_at = TimestampTZField(null=True)
    file_count = IntegerField(default=0)
    bytes = BigIntegerField(default=0)
    digest = TextField(default="")
    error = TextField(null=True)
    pruned_at = TimestampTZField(null=True)

    class Meta:
        table_name = "hosted_releases"
