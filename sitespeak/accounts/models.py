"""peewee models of the accounts tables beyond the core ones (mirrors m0004_accounts)."""

from __future__ import annotations

from peewee import BigAutoField, CharField, ForeignKeyField, TextField

from sitespeak.db.models import BaseModel, TimestampTZField, User, utcnow


class SetupLink(BaseModel):
    id = BigAutoField()
    user_id: int  # the key's accessor
    user = ForeignKeyField(User, column_name="user_id", on_delete="CASCADE")
    token_hash = TextField(unique=True)
    purpose = CharField(default="setup")
    created_at = TimestampTZField(default=utcnow)
    expires_at = TimestampTZField()
    used_at = TimestampTZField(null=True)

    class Meta:
        table_name = "setup_links"
