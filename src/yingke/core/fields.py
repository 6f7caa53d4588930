"""Small field types shared by the apps."""

from django.db import models


class KeyField(models.CharField):
    """An ASCII/byte-ordered key column: binary collation on every backend.

    Prefix search is done as a range (key >= q AND key < q⁺), which is only correct
    when the column sorts by code point. SQLite's default collation (BINARY) already
    does; on PostgreSQL the column gets COLLATE "C".
    """

    def db_parameters(self, connection):
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params
