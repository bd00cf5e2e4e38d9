"""peewee models of the action catalog (migration m0006)."""

from __future__ import annotations

from peewee import BigAutoField, BooleanField, ForeignKeyField, TextField
from playhouse.postgres_ext import BinaryJSONField

from sitespeak.db.models import BaseModel, Site, Tenant, TimestampTZField, utcnow


class SiteAction(BaseModel):
    id = BigAutoField()
    tenant_id: int  # the key's accessor
    tenant = ForeignKeyField(Tenant, column_name="tenant_id", on_delete="CASCADE")
    site_id: int  # the key's accessor
    site = ForeignKeyField(Site, column_name="site_id", on_delete="CASCADE")
    key = TextField()
    kind = TextField()
    url = TextField()
    target = TextField(default="")
    label = TextField(default="")
    fields = BinaryJSONField(default=list)
    risky = BooleanField(default=False)
    enabled = BooleanField(default=True)
    owner_set = BooleanField(default=False)
    created_at = TimestampTZField(default=utcnow)
    updated_at = TimestampTZField(default=utcnow)

    class Meta:
        table_name = "site_actions"

    @property
    def needs_confirmation(self) -> bool:
        # Filling changes what the visitor sees in a form: they confirm it, like anything risky.
        return self.risky or self.kind in ("fill", "submit")


class ActionCatalog(BaseModel):
    site_id: int  # the key's accessor
    site = ForeignKeyField(Site, column_name="site_id", primary_key=True, on_delete="CASCADE")
    signature = TextField()
    built_at = TimestampTZField(default=utcnow)

    class Meta:
        table_name = "action_catalogs"
