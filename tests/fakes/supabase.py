"""An HTTP-layer fake of a Supabase project: PostgREST over a real PostgreSQL database, Storage in memory.

The PostgREST half translates the documented request shapes (GET/POST/PATCH/DELETE on /rest/v1/{table}
with `select`, `order`, `limit`/`offset` and `col=op.value` filters, `Prefer: return=...` and
`resolution=merge-duplicates`, POST /rest/v1/rpc/{fn} with named arguments) into SQL on a database
the migration was applied to, so the functions the backend calls are the real ones, and errors come
back the way PostgREST sends them ({code, message, details, hint}; PTxyz codes give status xyz).

The Storage half keeps objects in memory under the buckets of `storage.buckets` (so a migration that
forgot the bucket fails) and answers upload (multipart, x-upsert), download, public download, list
and remove as storage-api does, errors as {statusCode, error, message}.

Every request must carry `apikey: KEY` and `Authorization: Bearer KEY`; `requests` records them all.
Failures can be injected: `fail_next(n, status)` answers the next n requests with `status`.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

import httpx
import psycopg
from psycopg.types.json import Jsonb

NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
OPERATORS = {"eq": "=", "neq": "<>", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
RESERVED = {"select", "order", "limit", "offset", "on_conflict", "columns"}


class BadRequest(Exception):
    def __init__(self, message: str, code: str = "PGRST100", status: int = 400) -> None:
        super().__init__(message)
        self.code, self.status = code, status


def _ident(name: str) -> str:
    if not NAME.fullmatch(name):
        raise BadRequest(f"'{name}' is not a column this fake understands")
    return f'"{name}"'


def _column(spec: str) -> str:
    column, arrow, key = spec.partition("->>")
    if not arrow:
        return _ident(column)
    if not NAME.fullmatch(key):
        raise BadRequest(f"'{key}' is not a json key this fake understands")
    return f"{_ident(column)}->>'{key}'"


def _split_in(value: str) -> list[str]:
    if not (value.startswith("(") and value.endswith(")")):
        raise BadRequest("in. needs (a,b,c)")
    return [item.strip('"') for item in re.findall(r'"[^"]*"|[^,]+', value[1:-1])]


@dataclass
class Stored:
    data: bytes
    content_type: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))


class FakeSupabase:
    def __init__(self, dsn: str, *, key: str = "service-role-key", base: str = "https://project.supabase.co") -> None:
        self.dsn, self.key, self.base = dsn, key, base.rstrip("/")
        self.conn = psycopg.connect(dsn)
        self.lock = threading.Lock()
        self.objects: dict[tuple[str, str], Stored] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path?query)
        self._failures: list[int] = []
        self._functions: dict[str, list[tuple[str, str]]] = {}

    def close(self) -> None:
        self.conn.close()

    def fail_next(self, count: int, status: int = 503) -> None:
        self._failures.extend([status] * count)

    def calls(self, prefix: str) -> list[tuple[str, str]]:
        return [(m, p) for m, p in self.requests if p.startswith(prefix)]

    # -- dispatch -------------------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            path = request.url.path
            self.requests.append(
                (request.method, path + (f"?{request.url.query.decode()}" if request.url.query else ""))
            )
            if self._failures:
                status = self._failures.pop(0)
                return httpx.Response(status, text="upstream trouble")
            public = path.startswith("/storage/v1/object/public/")
            if not public and (
                request.headers.get("apikey") != self.key
                or request.headers.get("authorization") != f"Bearer {self.key}"
            ):
                return httpx.Response(
                    401, json={"code": "PGRST301", "message": "JWT invalid", "details": None, "hint": None}
                )
            if path.startswith("/rest/v1/"):
                return self._rest(request, path.removeprefix("/rest/v1/"))
            if path.startswith("/storage/v1/"):
                return self._storage(request, path.removeprefix("/storage/v1/"))
            return httpx.Response(404, json={"message": "no such route"})

    # -- PostgREST --------------------------------------------------------------------------------
    def _rest(self, request: httpx.Request, route: str) -> httpx.Response:
        params = parse_qsl(request.url.query.decode(), keep_blank_values=True)
        prefer = {p.strip() for p in request.headers.get("prefer", "").split(",") if p.strip()}
        try:
            with self.conn.transaction():
                if route.startswith("rpc/"):  # GET (read-only functions) takes its arguments in the query
                    args = dict(params) if request.method == "GET" else json.loads(request.content or b"{}")
                    return self._rpc(route[4:], args)
                table = _ident(route)
                where, args = self._filters(params)
                representation = "return=representation" in prefer
                if request.method == "GET":
                    return self._select(table, params, where, args)
                if request.method == "POST":
                    return self._insert(table, json.loads(request.content), params, prefer, representation)
                if request.method == "PATCH":
                    body = json.loads(request.content)
                    cols = ", ".join(_ident(k) for k in body)
                    sql = (
                        f"update public.{table} set ({cols}) = (select {cols} from "
                        f"jsonb_populate_record(null::public.{table}, %s)) where {where} returning *"
                    )
                    return self._rows(sql, [Jsonb(body), *args], representation)
                if request.method == "DELETE":
                    return self._rows(f"delete from public.{table} where {where} returning *", args, representation)
                raise BadRequest("method not allowed", status=405)
        except BadRequest as exc:
            return self._error(exc.status, exc.code, str(exc))
        except psycopg.Error as exc:
            state = exc.sqlstate or "XX000"
            status = (
                int(state[2:])
                if state.startswith("PT")
                else 409
                if state in ("23505", "23503")
                else 404
                if state in ("42P01", "42883")
                else 403
                if state == "42501"
                else 400
                if state[:2] in ("22", "23", "P0", "42")
                else 500
            )
            diag = exc.diag
            return self._error(status, state, diag.message_primary or "error", diag.message_detail, diag.message_hint)

    @staticmethod
    def _error(
        status: int, code: str, message: str, details: str | None = None, hint: str | None = None
    ) -> httpx.Response:
        return httpx.Response(status, json={"code": code, "message": message, "details": details, "hint": hint})

    @staticmethod
    def _filters(params: list[tuple[str, str]]) -> tuple[str, list[Any]]:
        clauses, args = ["true"], []
        for name, value in params:
            if name in RESERVED:
                continue
            op, _, operand = value.partition(".")
            column = _column(name)
            if op in OPERATORS:
                clauses.append(
                    f"{column}::text {OPERATORS[op]} %s::text"
                    if "->>" in name or op in ("eq", "neq")
                    else f"{column} {OPERATORS[op]} %s"
                )
                args.append(operand)
            elif op == "in":
                items = _split_in(operand)
                clauses.append(f"{column}::text in ({', '.join(['%s'] * len(items))})" if items else "false")
                args.extend(items)
            elif op == "is" and operand in ("null", "true", "false"):
                clauses.append(f"{column} is {operand}")
            else:
                raise BadRequest(f"operator '{op}' is not supported by this fake")
        return " and ".join(clauses), args

    def _select(self, table: str, params: list[tuple[str, str]], where: str, args: list[Any]) -> httpx.Response:
        query = dict(params)
        select = query.get("select", "*")
        columns = "*" if select == "*" else ", ".join(_ident(c) for c in select.split(","))
        order = ""
        if "order" in query:
            parts = []
            for item in query["order"].split(","):
                column, _, direction = item.partition(".")
                if direction not in ("", "asc", "desc"):
                    raise BadRequest("bad order")
                parts.append(f"{_ident(column)} {direction}")
            order = " order by " + ", ".join(parts)
        limit = f" limit {int(query['limit'])}" if "limit" in query else ""
        offset = f" offset {int(query['offset'])}" if "offset" in query else ""
        sql = (
            f"select coalesce(jsonb_agg(to_jsonb(t)), '[]') from "
            f"(select {columns} from public.{table} where {where}{order}{limit}{offset}) t"
        )
        return httpx.Response(200, json=self.conn.execute(sql, args).fetchone()[0])

    def _insert(
        self, table: str, body: Any, params: list[tuple[str, str]], prefer: set[str], representation: bool
    ) -> httpx.Response:
        rows = body if isinstance(body, list) else [body]
        conflict = dict(params).get("on_conflict") or "id"
        target = ", ".join(_ident(c) for c in conflict.split(","))
        sql = f"insert into public.{table} select * from jsonb_populate_recordset(null::public.{table}, %s)"
        if "resolution=merge-duplicates" in prefer:
            columns = [c for c in (rows[0] if rows else {}) if c not in conflict.split(",")]
            sql += f" on conflict ({target}) do update set " + ", ".join(
                f"{_ident(c)} = excluded.{_ident(c)}" for c in columns
            )
        elif "resolution=ignore-duplicates" in prefer:
            sql += f" on conflict ({target}) do nothing"
        return self._rows(sql + " returning *", [Jsonb(rows)], representation, created=True)

    def _rows(self, sql: str, args: list[Any], representation: bool, *, created: bool = False) -> httpx.Response:
        found = self.conn.execute(
            f"with r as ({sql}) select coalesce(jsonb_agg(to_jsonb(r)), '[]') from r", args
        ).fetchone()[0]
        if representation:
            return httpx.Response(201 if created else 200, json=found)
        return httpx.Response(201 if created else 204)

    def _signature(self, name: str) -> list[tuple[str, str]]:
        if name not in self._functions:
            row = self.conn.execute(
                "select coalesce(proargnames, '{}'), array(select format_type(t, null) from unnest(proargtypes) t), "
                "format_type(prorettype, null) from pg_proc where proname = %s and pronamespace = 'public'::regnamespace",
                [name],
            ).fetchone()
            if row is None:
                raise BadRequest(f"Could not find the function public.{name}", code="PGRST202", status=404)
            self._functions[name] = [*zip(row[0], row[1], strict=False), ("", row[2])]
        return self._functions[name]

    def _rpc(self, name: str, body: dict[str, Any]) -> httpx.Response:
        *arguments, (_, returns) = self._signature(_ident(name).strip('"'))
        known = dict(arguments)
        if set(body) - set(known):
            raise BadRequest(
                f"Could not find the function public.{name}({', '.join(sorted(body))})", code="PGRST202", status=404
            )
        placeholders, args = [], []
        for arg, value in body.items():
            placeholders.append(f"{_ident(arg)} => %s::{known[arg]}")
            args.append(Jsonb(value) if known[arg] in ("jsonb", "json") else value)
        result = self.conn.execute(
            f"select to_jsonb(public.{_ident(name)}({', '.join(placeholders)}))", args
        ).fetchone()[0]
        if returns == "void":
            return httpx.Response(204)
        return httpx.Response(200, json=result)

    # -- Storage ----------------------------------------------------------------------------------
    def _buckets(self) -> set[str]:
        with self.conn.transaction():
            return {row[0] for row in self.conn.execute("select id from storage.buckets")}

    @staticmethod
    def _storage_error(status: int, error: str, message: str) -> httpx.Response:
        return httpx.Response(
            400 if status == 404 else status, json={"statusCode": str(status), "error": error, "message": message}
        )

    def _storage(self, request: httpx.Request, route: str) -> httpx.Response:
        parts = [unquote(p) for p in route.split("/")]
        if parts[:2] == ["object", "list"] and request.method == "POST":
            return self._list(parts[2], json.loads(request.content))
        if parts[:2] == ["object", "public"] and request.method == "GET":
            parts = ["object", *parts[2:]]
        if parts[0] != "object" or len(parts) < 2:
            return self._storage_error(404, "not_found", "no such route")
        bucket, path = parts[1], "/".join(parts[2:])
        if bucket not in self._buckets():
            return self._storage_error(404, "Bucket not found", "Bucket not found")
        if request.method == "DELETE" and not path:
            removed = []
            for prefix in json.loads(request.content)["prefixes"]:
                if self.objects.pop((bucket, prefix), None) is not None:
                    removed.append({"name": prefix, "bucket_id": bucket})
            return httpx.Response(200, json=removed)
        if request.method == "GET":
            found = self.objects.get((bucket, path))
            if found is None:
                return self._storage_error(404, "not_found", "Object not found")
            return httpx.Response(200, content=found.data, headers={"content-type": found.content_type})
        if request.method in ("POST", "PUT"):
            upsert = request.headers.get("x-upsert") == "true"
            if (bucket, path) in self.objects and not upsert:
                return self._storage_error(409, "Duplicate", "The resource already exists")
            content_type, data = self._multipart(request)
            stored = Stored(data=data, content_type=content_type)
            self.objects[(bucket, path)] = stored
            return httpx.Response(200, json={"Key": f"{bucket}/{path}", "Id": stored.id})
        return self._storage_error(405, "method_not_allowed", "method not allowed")

    @staticmethod
    def _multipart(request: httpx.Request) -> tuple[str, bytes]:
        header = request.headers.get("content-type", "")
        if not header.startswith("multipart/form-data"):
            raise ValueError("storage uploads are multipart/form-data")
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {header}\r\n\r\n".encode() + request.content
        )
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") == "file":
                return part.get_content_type(), part.get_payload(decode=True)
        raise ValueError("no file part in the upload")

    def _list(self, bucket: str, body: dict[str, Any]) -> httpx.Response:
        if bucket not in self._buckets():
            return self._storage_error(404, "Bucket not found", "Bucket not found")
        prefix = body.get("prefix", "").strip("/")
        search = body.get("search", "")
        entries: dict[str, dict[str, Any]] = {}
        for (b, path), stored in self.objects.items():
            if b != bucket or not path.startswith(f"{prefix}/" if prefix else ""):
                continue
            rest = path[len(prefix) + 1 :] if prefix else path
            name, slash, _ = rest.partition("/")
            if search and not name.startswith(search):
                continue
            entries[name] = (
                {"name": name, "id": None, "metadata": None}
                if slash
                else {
                    "name": name,
                    "id": stored.id,
                    "metadata": {"size": len(stored.data), "mimetype": stored.content_type},
                }
            )
        names = sorted(entries, reverse=body.get("sortBy", {}).get("order") == "desc")
        offset, limit = int(body.get("offset", 0)), int(body.get("limit", 100))
        return httpx.Response(200, json=[entries[n] for n in names[offset : offset + limit]])
