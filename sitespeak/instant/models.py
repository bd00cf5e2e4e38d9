"""peewee model of the prepared answers (migration m0041). Every row carries tenant and site;
query through ``sitespeak.instant.prepared_set``, never by id alone."""

from __future__ import annotations

from peewee import BigAutoField, BigIntegerField, ForeignKeyField, TextField
from playhouse.postgres_ext import BinaryJSONField

from sitespeak.db.models import BaseModel, Site, Tenant, TimestampTZField, utcnow


class InstantAnswer(BaseModel):
    id = BigAutoField()
    tenant_id: int  # the key's accessor
    tenant = ForeignKeyField(Tenant, column_name="tenant_id", on_delete="CASCADE")
    site_id: int  # the key's accessor
    site = ForeignKeyField(Site, column_name="site_id", on_delete="CASCADE")
    knowledge_version = BigIntegerField()
    question = TextField()
    normalised = TextField()
    passages = BinaryJSONField()
    answer = TextField()
    prepared_at = TimestampTZField(default=utcnow)

    class Meta:
        table_name = "instant_answers"
