"""Many rows of one table at once, through the database cursor: one prepared
INSERT executed for every row on SQLite (executemany), COPY on PostgreSQL
(where psycopg's executemany sends a statement a row). For bulk writes where
no signal may fire anyway (seeding members for benchmarks): bulk_create, with
a model instance and the compiler's work for every value, takes two to three
times as long."""

from collections.abc import Sequence
from typing import Any

from django.db import connection, models


class Insert:
    """One table's INSERT: every concrete column but an automatic primary key,
    valued as `template` would be saved, except the `varying` fields (by
    attribute name, e.g. "user_id"), which each row gives in that order."""

    def __init__(self, template: models.Model, varying: Sequence[str]) -> None:
        meta = template._meta
        # The database numbers the rows (isinstance covers BigAutoField too).
        fields = [
            field
            for field in meta.concrete_fields
            if not isinstance(field, models.AutoField)
        ]
        by_name = {field.attname: index for index, field in enumerate(fields)}
        self.slots = [by_name[name] for name in varying]
        self.varying = [fields[slot] for slot in self.slots]
        self.constant = [
            field.get_db_prep_save(field.pre_save(template, add=True), connection)
            for field in fields
        ]
        quote = connection.ops.quote_name
        columns = []
        for field in fields:
            assert field.column is not None  # every concrete field has one
            columns.append(quote(field.column))
        placeholders = ", ".join(["%s"] * len(fields))
        table = f"{quote(meta.db_table)} ({', '.join(columns)})"
        self.sql = f"INSERT INTO {table} VALUES ({placeholders})"
        self.copy_sql = f"COPY {table} FROM STDIN"
        self.rows: list[list[Any]] = []

    def add(self, *values: Any) -> None:
        row = self.constant.copy()
        for slot, field, value in zip(self.slots, self.varying, values, strict=True):
            row[slot] = field.get_db_prep_save(value, connection)
        self.rows.append(row)

    def execute(self) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # psycopg's executemany sends a statement a row: COPY streams.
                with cursor.copy(self.copy_sql) as copy:
                    for row in self.rows:
                        copy.write_row(row)
            else:
                cursor.executemany(self.sql, self.rows)
        self.rows = []
