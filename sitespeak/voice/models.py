"""peewee models mirroring migration 0003 (voice sessions and turns)."""

from __future__ import annotations

from peewee import BigAutoField, BooleanField, ForeignKeyField, IntegerField, TextField
from playhouse.postgres_ext import BinaryJSONField

from sitespeak.db.models import BaseModel, Site, Tenant, TimestampTZField, utcnow


class VoiceSession(BaseModel):
    id = TextField(primary_key=True)
    tenant_id: int  # the key's accessor
    tenant = ForeignKeyField(Tenant, column_name="tenant_id", on_delete="CASCADE")
    site_id: int  # the key's accessor
    site = ForeignKeyField(Site, column_name="site_id", on_delete="CASCADE")
    page_url = TextField(default="")
    locale = TextField(default="en-US")
    client_ip = TextField(default="")
    provider = BinaryJSONField(default=dict)
    turn_count = IntegerField(default=0)
    connections = IntegerField(default=1)
    started_at = TimestampTZField(default=utcnow)
    last_turn_at = TimestampTZField(null=True)
    ended_at = TimestampTZField(null=True)

    class Meta:
        table_name = "voice_sessions"


class VoiceTurn(BaseModel):
    id = BigAutoField()
    session_id: str  # the key's accessor (sessions have text ids)
    session = ForeignKeyField(VoiceSession, column_name="session_id", on_delete="CASCADE")
    tenant_id: int  # the key's accessor
    tenant = ForeignKeyField(Tenant, column_name="tenant_id", on_delete="CASCADE")
    site_id: int  # the key's accessor
    site = ForeignKeyField(Site, column_name="site_id", on_delete="CASCADE")
    seq = IntegerField()
    input_mode = TextField()
    transcript = TextField(default="")
    answer = TextField(default="")
    covered = BooleanField(default=False)
    interrupted = BooleanField(default=False)
    citations = BinaryJSONField(default=list)
    actions = BinaryJSONField(default=list)
    timings = BinaryJSONField(default=dict)
    provider = BinaryJSONField(default=dict)
    feedback = TextField(null=True)  # m0045: the visitor's vote, "up" or "down"
    created_at = TimestampTZField(default=utcnow)

    class Meta:
        table_name = "voice_turns"
