"""peewee models mirroring the migrations. Tenant-owned rows carry ``tenant``; query them through
the tenant-scoped helpers of their capability, never by id alone."""

from __future__ import annotations

import datetime as dt

from peewee import (
    BigAutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    DateTimeField,
    DoubleField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
    UUIDField,
)
from playhouse.postgres_ext import BinaryJSONField

from sitespeak.db.connection import database


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class TimestampTZField(DateTimeField):
    field_type = "TIMESTAMPTZ"


class BaseModel(Model):
    class Meta:
        database = database


class Tenant(BaseModel):
    id = BigAutoField()
    name = TextField(unique=True)
    created_at = TimestampTZField(default=utcnow)

    class Meta:
        table_name = "tenants"


class User(BaseModel):
    id = BigAutoField()
    email = TextField(unique=True)
    password_hash = TextField(default="")
    is_superuser = BooleanField(default=False)
    created_at = TimestampTZField(default=utcnow)

    class Meta:
        table_name = "users"


class Membership(BaseModel):
    id = BigAutoField()
    tenant_id: int  # the key's accessor
    tenant = ForeignKeyField(Tenant, column_name="tenant_id", on_delete="CASCADE")
    user_id: int  # the key's accessor
    user = ForeignKeyField(User, column_name="user_id", on_delete="CASCADE")
    role = CharField()

    class Meta:
        table_name = "memberships"


class ApiToken(BaseModel):
    id = BigAutoField()
    tenant_id: int  # the key's accessor
    tenant = ForeignKeyField(Tenant, column_name="tenant_id", on_delete="CASCADE")
    name = TextField(default="")
    token_hash = TextField(unique=True)
    prefix = TextField()
    scopes = BinaryJSONField(default=lambda: ["read", "write"])
    created_at = TimestampTZField(default=utcnow)
    last_used_at = TimestampTZField(null=True)
    revoked_at = TimestampTZField(null=True)

    class Meta:
        table_name = "api_tokens"


class Site(BaseModel):
    id = BigAutoField()
    tenant_id: int  # the key's accessor
    tenant = ForeignKeyField(Tenant, column_name="tenant_id", on_delete="CASCADE")
    name = TextField()
    start_urls = BinaryJSONField()
    scope = BinaryJSONField(default=dict)
    allowed_origins = BinaryJSONField(default=list)
    key = TextField(unique=True)
    schedule = CharField(default="never")
    allow_private = BooleanField(default=False)
    options = BinaryJSONField(default=dict)
    created_at = TimestampTZField(default=utcnow)
    updated_at = TimestampTZField(default=utcnow)
    knowledge_version = BigIntegerField(default=0)  # m0002: bumped when its knowledge changes
    last_crawl_at = TimestampTZField(null=True)  # m0002
    # m0030: the release visitors are answered from (None: every current chunk, until the
    # site's first publish). A plain id here: the releases package owns that table.
    live_release_id = BigIntegerField(null=True)

    class Meta:
        table_name = "sites"


class Job(BaseModel):
    id = UUIDField(primary_key=True)
    tenant_id: int | None  # the key's accessor
    tenant = ForeignKeyField(Tenant, column_name="tenant_id", null=True, on_delete="CASCADE")
    queue = TextField()
    name = TextField()
    args = BinaryJSONField(default=dict)
    status = CharField(default="queued")
    attempts = IntegerField(default=0)
    max_attempts = IntegerField(default=3)
    backoff_base = DoubleField(default=2.0)
    backoff_max = DoubleField(default=300.0)
    result = BinaryJSONField(null=True)
    checkpoint = BinaryJSONField(null=True)  # where a job interrupted by a stop resumes
    last_error = TextField(null=True)
    idempotency_key = TextField(null=True)
    claim_token = TextField(null=True)
    run_after = TimestampTZField(default=utcnow)
    enqueued_at = TimestampTZField(default=utcnow)
    heartbeat_at = TimestampTZField(null=True)
    started_at = TimestampTZField(null=True)
    finished_at = TimestampTZField(null=True)
    created_at = TimestampTZField(default=utcnow)
    updated_at = TimestampTZField(default=utcnow)

    class Meta:
        table_name = "jobs"
