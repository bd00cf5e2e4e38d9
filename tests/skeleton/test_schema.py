"""The peewee models say what the migrations made: every model column exists in its table with
the model's nullability, and no required column of a table is missing from its model."""

from __future__ import annotations

import importlib
import pkgutil

import sitespeak
from sitespeak.db.connection import database
from sitespeak.db.models import BaseModel


def all_models() -> list[type[BaseModel]]:
    for module in pkgutil.walk_packages(sitespeak.__path__, "sitespeak."):
        if module.name.endswith(".models"):
            importlib.import_module(module.name)
    found, todo = [], list(BaseModel.__subclasses__())
    while todo:
        model = todo.pop()
        found.append(model)
        todo += model.__subclasses__()
    return found


def table_columns(table: str) -> dict[str, tuple[bool, bool]]:
    """column -> (nullable, has a default) as PostgreSQL has it."""
    rows = database.execute_sql(
        "SELECT column_name, is_nullable = 'YES', column_default IS NOT NULL "
        "FROM information_schema.columns WHERE table_schema = 'public' AND table_name = %s",
        (table,),
    ).fetchall()
    return {name: (nullable, default) for name, nullable, default in rows}


def test_every_model_matches_its_migrated_table(db):
    problems = []
    models = all_models()
    assert len(models) >= 10
    for model in models:
        table = model._meta.table_name
        columns = table_columns(table)
        if not columns:
            problems.append(f"{model.__name__}: no table {table!r}")
            continue
        fields = {f.column_name: f for f in model._meta.sorted_fields}
        for name, field in fields.items():
            if name not in columns:
                problems.append(f"{table}.{name}: in {model.__name__} but not in the table")
            elif field.null != columns[name][0] and not field.primary_key:
                problems.append(
                    f"{table}.{name}: model null={field.null}, table nullable={columns[name][0]}"
                )
        for name, (nullable, default) in columns.items():
            if name not in fields and not nullable and not default:
                problems.append(f"{table}.{name}: required by the table, unknown to the model")
    assert not problems, "\n".join(problems)
