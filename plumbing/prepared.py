"""ORM queries compiled to SQL once, then run again with new values.

Building a queryset and compiling it to SQL costs Django 0.3–0.5 ms of CPU per query, more
than PostgreSQL spends running it. The queries every request runs (the session, the user,
the user's communities and roles) and those of casting a ballot are still written with the
ORM, but through `Prepared`: the first call compiles the queryset with placeholder values,
later calls execute the same SQL with the real ones and apply the same converters.

    holder_head = Prepared(
        lambda vote_id, user_id: ElectorateEntry.objects.filter(vote=vote_id, holder__user=user_id)
        .values_list("head", flat=True)[:1],
        int, int,
    )
    holder_head.rows(vote.pk, user.pk)        # [(head,), ...]
    user_by_pk = Prepared(lambda pk: User.objects.filter(pk=pk), int)
    user_by_pk.objects(pk)                    # model instances
    together(                                 # both in one round trip: [[(head,)], [User]]
        (holder_head, "rows", (vote.pk, user.pk)), (user_by_pk, "objects", (user.pk,))
    )

Parameters are ints or strs passed to lookups that use them unchanged (exact, gt, ...): each
must reach the SQL's parameter list as given, which compiling checks. Lists (`__in`), dates
and lookups that transform the value (`__icontains`) cannot be prepared.
"""

import hashlib
import itertools
import re
import weakref
from contextlib import nullcontext

from django.core.exceptions import ImproperlyConfigured
from django.db import ProgrammingError, connections, transaction
from django.db.models.query import get_related_populators

_SENTINEL_BASE = 7_306_000_000_000_000_000  # fits a signed 64-bit column, never a real id


def _sentinel(index, kind):
    if kind is int:
        return _SENTINEL_BASE + index
    if kind is str:
        return f"\x1fprepared-parameter-{index}\x1f"
    raise ImproperlyConfigured(f"Prepared parameters are int or str, not {kind!r}.")


class _Compiled:
    __slots__ = ("compiler", "converters", "positions", "sql", "template")

    def __init__(self, queryset, connection, kinds, suffix):
        sentinels = [_sentinel(i, kind) for i, kind in enumerate(kinds)]
        compiler = queryset.query.get_compiler(using=connection.alias)
        sql, params = compiler.as_sql()
        if suffix:
            sql += suffix(connection)
        positions = []
        for value in params:
            found = [i for i, s in enumerate(sentinels) if type(s) is type(value) and s == value]
            positions.append(found[0] if found else None)
        missing = set(range(len(kinds))) - set(positions)
        if missing:
            raise ImproperlyConfigured(
                f"Prepared query parameters {sorted(missing)} did not reach the SQL unchanged."
            )
        self.sql = sql
        self.template = list(params)
        self.positions = positions
        self.compiler = compiler
        fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
        self.converters = compiler.get_converters(fields)

    def params(self, values):
        return [
            self.template[i] if position is None else values[position]
            for i, position in enumerate(self.positions)
        ]


class Prepared:
    """A queryset shape compiled once per database alias (see the module docstring).

    `suffix(connection)` returns SQL appended to the compiled query, e.g. a row lock the ORM
    cannot express (" FOR SHARE" where the database has row locks)."""

    def __init__(self, build, *kinds, using="default", suffix=None):
        self.build = build
        self.kinds = kinds
        self.using = using
        self.suffix = suffix
        self._compiled = {}

    def _get(self, connection):
        compiled = self._compiled.get(connection.alias)
        if compiled is None:
            sentinels = [_sentinel(i, kind) for i, kind in enumerate(self.kinds)]
            queryset = self.build(*sentinels)
            compiled = _Compiled(queryset, connection, self.kinds, self.suffix)
            self._compiled[connection.alias] = compiled
        return compiled

    def _check(self, values):
        if len(values) != len(self.kinds):
            raise TypeError(f"expected {len(self.kinds)} values, got {len(values)}")
        for value, kind in zip(values, self.kinds, strict=True):
            if type(value) is not kind:
                raise TypeError(f"prepared parameter {value!r} is not {kind.__name__}")

    def _execute(self, values):
        self._check(values)
        connection = connections[self.using]
        compiled = self._get(connection)
        with connection.cursor() as cursor:
            cursor.execute(
                *on_server(connection, cursor, [(compiled.sql, compiled.params(values))])
            )
            rows = cursor.fetchall()
        return compiled, self._converted(compiled, rows)

    @staticmethod
    def _converted(compiled, rows):
        if compiled.converters and rows:
            rows = list(compiled.compiler.apply_converters(rows, compiled.converters))
        return rows

    def rows(self, *values):
        """The result rows as tuples, in the queryset's select order."""
        return self._execute(values)[1]

    def objects(self, *values):
        """Model instances, with select_related objects and annotations, as the ORM gives them
        (django.db.models.query.ModelIterable, without known_related_objects)."""
        return self._instances(*self._execute(values))

    def _instances(self, compiled, rows):
        compiler = compiled.compiler
        select, klass_info = compiler.select, compiler.klass_info
        annotation_col_map = compiler.annotation_col_map
        model_cls = klass_info["model"]
        select_fields = klass_info["select_fields"]
        start, end = select_fields[0], select_fields[-1] + 1
        init_list = [f[0].target.attname for f in select[start:end]]
        populators = get_related_populators(klass_info, select, self.using)
        result = []
        for row in rows:
            obj = model_cls.from_db(self.using, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in (annotation_col_map or {}).items():
                setattr(obj, name, row[position])
            result.append(obj)
        return result

    def first(self, *values):
        """The first model instance, or None."""
        return next(iter(self.objects(*values)), None)


def together(*calls, using="default"):
    """Run several prepared queries in one round trip and return their results in order.

    Each call is (prepared, "rows" or "objects", values). On PostgreSQL the statements go as
    one message (client-side binding sends it by the simple query protocol, which takes
    several statements) and each result set is read in turn; elsewhere they run one by one.
    For the independent reads a page starts with: each round trip costs the worker and the
    database more CPU than such a query itself."""
    for prepared, method, values in calls:
        if method not in ("rows", "objects") or prepared.using != using:
            raise ValueError(f"cannot run {method!r} of {prepared!r} together")
        prepared._check(values)
    connection = connections[using]
    if connection.vendor != "postgresql" or len(calls) < 2:
        return [getattr(prepared, method)(*values) for prepared, method, values in calls]
    compiled = []
    statements = []
    for prepared, _method, values in calls:
        query = prepared._get(connection)
        compiled.append(query)
        statements.append((query.sql, query.params(values)))
    results = []
    with connection.cursor() as cursor:
        cursor.execute(*on_server(connection, cursor, statements))
        for index, ((prepared, method, _values), query) in enumerate(
            zip(calls, compiled, strict=True)
        ):
            if index and not cursor.nextset():
                raise RuntimeError("a statement run together returned no result")
            rows = prepared._converted(query, cursor.fetchall())
            results.append(rows if method == "rows" else prepared._instances(query, rows))
    return results


def on_server(connection, cursor, statements):
    """(SQL, parameters) that run `statements`, a list of (SQL, parameters), as one message;
    on PostgreSQL through server-side prepared statements, so it parses and plans each
    only once per connection.

    Planning, not running, is most of PostgreSQL's work for the short queries a request
    makes (0.2-0.35 ms each against a few hundredths of a millisecond). A statement is
    prepared (PREPARE name AS ..., the name a digest of its SQL) the first time a pooled
    connection runs it, and run by EXECUTE name(values) from then on; one PostgreSQL cannot
    prepare (a parameter whose type it cannot infer: cast it, as `typed` does) runs as it
    is."""
    if connection.vendor != "postgresql":
        return ";\n".join(sql for sql, _ in statements), [p for _, ps in statements for p in ps]
    known = _PREPARED_ON.get(connection.connection)
    if known is None:
        known = _PREPARED_ON.setdefault(connection.connection, set())
    parts, params = [], []
    for sql, values in statements:
        name = _NAMES.get(sql)
        if name is None:
            name = _NAMES.setdefault(sql, "gongyi_" + hashlib.sha256(sql.encode()).hexdigest()[:24])
        if name not in known and name not in _REFUSED:
            # A prepared statement outlives the transaction it was made in; a savepoint keeps
            # a refusal from aborting the caller's.
            try:
                with (
                    transaction.atomic(using=connection.alias)
                    if connection.in_atomic_block
                    else nullcontext()
                ):
                    cursor.execute(f"PREPARE {name} AS {_numbered(sql)}")
            except ProgrammingError:  # not a statement it can prepare; anything else is raised
                _REFUSED.add(name)
            else:
                known.add(name)
        if name in known:
            parts.append(
                f"EXECUTE {name}({', '.join(['%s'] * len(values))})"
                if values
                else f"EXECUTE {name}"
            )
        else:
            parts.append(sql)
        params.extend(values)
    return ";\n".join(parts), params


def typed(field, connection):
    """A placeholder for `field`'s value with its column type, for a statement to prepare
    where PostgreSQL cannot infer it (a value in a SELECT list). Strings are cast to text, not
    varchar(n), which would cut a value too long for the column instead of refusing it."""
    db_type = field.db_type(connection)
    return f"%s::{'text' if db_type.startswith('varchar') else db_type}"


_NAMES = {}
# The statements each psycopg connection has prepared, kept beside it as long as it lives.
_PREPARED_ON = weakref.WeakKeyDictionary()
_REFUSED = set()  # statements PostgreSQL would not prepare
_PLACEHOLDER = re.compile(r"%s|%%")


def _numbered(sql):
    """The statement with $1, $2 ... for its %s placeholders (and % for %%)."""
    numbers = itertools.count(1)
    return _PLACEHOLDER.sub(lambda m: f"${next(numbers)}" if m.group() == "%s" else "%", sql)


class PreparedInsert:
    """INSERT one row of `model` with SQL built once per database alias.

    Like `Model.objects.create(**values)` for a model whose every concrete field is written
    (Python defaults and auto_now_add applied as the ORM does) and whose primary key the
    database assigns. No pre_save/post_save signals are sent: use it only for models nothing
    listens to (tests/integration/test_prepared.py checks that for the models here).
    """

    def __init__(self, model, using="default"):
        self.model = model
        self.using = using
        opts = model._meta
        self.fields = [f for f in opts.concrete_fields if f is not opts.auto_field]
        self._sql = {}

    def _sql_for(self, connection):
        sql = self._sql.get(connection.alias)
        if sql is None:
            opts, quote = self.model._meta, connection.ops.quote_name
            columns = ", ".join(quote(f.column) for f in self.fields)
            values = ", ".join(["%s"] * len(self.fields))
            sql = f"INSERT INTO {quote(opts.db_table)} ({columns}) VALUES ({values})"  # noqa: S608
            returning = connection.features.can_return_columns_from_insert
            if returning:
                returning_sql, _params = connection.ops.return_insert_columns([opts.pk])
                sql = f"{sql} {returning_sql}"
            sql = self._sql.setdefault(connection.alias, (sql, returning))
        return sql

    def create(self, **values):
        connection = connections[self.using]
        sql, returning = self._sql_for(connection)
        obj = self.model(**values)
        params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in self.fields]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            if returning:
                pk = cursor.fetchone()[0]
            else:
                opts = self.model._meta
                pk = connection.ops.last_insert_id(cursor, opts.db_table, opts.pk.column)
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = self.using
        return obj
