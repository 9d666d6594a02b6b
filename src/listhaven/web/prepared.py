"""Querysets compiled once and run many times: the few queries every archive page makes.

Django builds a query's SQL anew each time a queryset is evaluated. For the list row every archive
page loads (an `only()` of 13 of the list's 59 columns) the building cost about 900 Python function
calls, more than running the query. A `Prepared` has the ORM compile its queryset the first time it
runs on a database and afterwards only executes that SQL with the request's parameters, making the
instances as the ORM does (the backend's converters, then `Model.from_db`), deferred fields included.

Only plain querysets of one model's own columns (`filter`, `only`, `order_by`, a slice): no
`select_related`, annotations or `values()`, which `Prepared` refuses when it compiles.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db import connections, models
from django.db.models.query import ModelIterable

M = TypeVar("M", bound=models.Model)


class _Compiled:
    """One queryset's SQL and what turns its rows into instances, for one database."""

    def __init__(self, queryset: models.QuerySet[Any], alias: str, example: tuple[Any, ...]) -> None:
        query = queryset.query
        if queryset._iterable_class is not ModelIterable or query.select_related or query.annotation_select:
            raise ValueError("Prepared takes plain querysets of model instances")
        self.model = queryset.model
        self.alias = alias
        self.compiler = query.get_compiler(alias)
        self.sql, params = self.compiler.as_sql()
        if tuple(params) != example:
            raise ValueError(f"the query's parameters {params!r} are not the ones given {example!r}")
        selected = [column for column, _, _ in self.compiler.select]
        self.attnames = [column.target.attname for column in selected]
        self.converters = self.compiler.get_converters(selected)

    def rows(self, params: tuple[Any, ...]) -> list[Any]:
        with connections[self.alias].cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        return [self.model.from_db(self.alias, self.attnames, row) for row in rows]


class Prepared(Generic[M]):
    """`build(*params)` (a queryset) run as SQL compiled once per database, on the model's
    database for reading.

    `example` are parameters to compile with: the compiled query's parameters must be exactly
    these (so that each run can put its own in their places), which `Prepared` checks."""

    def __init__(self, build: Callable[..., models.QuerySet[M]], *example: Any) -> None:
        self.build = build
        self.example = example
        self._compiled: dict[str, _Compiled] = {}
        self._model: type[M] | None = None

    def rows(self, *params: Any) -> list[M]:
        """The instances `build(*params)` gives, in its order."""
        if len(params) != len(self.example):
            raise TypeError(f"{len(self.example)} parameters expected, {len(params)} given")
        if self._model is None:
            self._model = self.build(*self.example).model
        alias = self._model._default_manager.db  # the model's database for reading, as the ORM's
        compiled = self._compiled.get(alias)
        if compiled is None:
            compiled = self._compiled[alias] = _Compiled(self.build(*self.example).using(alias), alias, self.example)
        return compiled.rows(params)
