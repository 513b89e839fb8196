"""The export bundle: every record as rows of the Supabase tables, with the schema that holds them.

    {"format": "fable-export", "version": 1,
     "schema": {table: {"columns": {name: sql_type}, "primary_key": [...]}},
     "tables": {table: [row, ...]}}

Tables are listed in foreign-key order, and every foreign key points at a row of the same bundle (a
link to a record that is gone is left empty, or the row is left out when the link is required).
"""

from __future__ import annotations

import json
from typing import Any

from app.models.schemas import TABLE_MODELS, Comic, ImageRecord, Job
from app.storage.rows import comic_rows, image_links, image_row, job_row

FORMAT, VERSION = "fable-export", 1


def schema() -> dict[str, Any]:
    return {
        m.__table__.name: {"columns": dict(m.__table__.columns), "primary_key": list(m.__table__.primary_key)}
        for m in TABLE_MODELS
    }


def bundle(comics: list[Comic], jobs: list[Job], images: list[ImageRecord]) -> dict[str, Any]:
    tables: dict[str, list[dict[str, Any]]] = {m.__table__.name: [] for m in TABLE_MODELS}
    for comic in comics:
        for table, rows in comic_rows(comic).items():
            tables[table].extend(rows)
    comic_ids = {c.id for c in comics}
    panel_ids = {row["id"] for row in tables["panels"]}
    tables["jobs"] = [job_row(job) for job in jobs if job.comic_id in comic_ids]
    tables["images"] = []
    for image in images:
        comic_link, panel_link = image_links(image, comic_ids=comic_ids, panel_ids=panel_ids)
        tables["images"].append(image_row(image, comic_link=comic_link, panel_link=panel_link))
    return {"format": FORMAT, "version": VERSION, "schema": schema(), "tables": tables}


def insert_statements(data: dict[str, Any]) -> list[tuple[str, str]]:
    """(SQL, JSON rows) per table, in foreign-key order: one set-based insert each, the types converted by
    PostgreSQL itself (jsonb_populate_recordset), so what loads is exactly what the schema accepts."""
    return [
        (
            f"insert into public.{table} select * from jsonb_populate_recordset(null::public.{table}, %s::jsonb)",
            json.dumps(data["tables"][table]),
        )
        for table in data["schema"]
        if data["tables"].get(table)
    ]
