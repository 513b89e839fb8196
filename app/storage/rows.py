"""Records as table rows (the Supabase tables, the export bundle) and back.

A comic is one `comics` row plus its `scenes`, `characters` and `panels` rows. Child rows get stable
uuids derived from the comic and the child's own id, so exporting twice gives the same rows, and an
image's panel points at its panel's row. Fields without a column of their own travel in `data`.
"""

from __future__ import annotations

import uuid
from typing import Any

from app.models.schemas import Character, Comic, ImageRecord, Job, Panel, Scene

ROW_NAMESPACE = uuid.UUID("6f1d7c0e-5b7a-4c8e-9a51-2f3b8d9e0a11")


def child_id(comic_id: str, kind: str, own_id: str) -> str:
    return str(uuid.uuid5(ROW_NAMESPACE, f"{comic_id}/{kind}/{own_id}"))


def _iso(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z")


def comic_rows(comic: Comic) -> dict[str, list[dict[str, Any]]]:
    created = _iso(comic.created_at)
    body = comic.model_dump(mode="json")
    head = {
        "id": comic.id,
        "owner_id": comic.owner_id,
        "topic": comic.topic,
        "title": comic.title,
        "age_group": comic.age_group,
        "style": comic.style,
        "status": comic.status,
        "data": {
            k: v
            for k, v in body.items()
            if k
            not in {
                "id",
                "owner_id",
                "topic",
                "title",
                "age_group",
                "style",
                "status",
                "created_at",
                "updated_at",
                "scenes",
                "characters",
                "panels",
            }
        },
        "created_at": created,
        "updated_at": _iso(comic.updated_at),
    }
    scenes = [
        {
            "id": child_id(comic.id, "scene", s.scene_id),
            "comic_id": comic.id,
            "position": n,
            "scene_id": s.scene_id,
            "title": s.title,
            "description": s.description,
            "dialogue": [line.model_dump() for line in s.dialogue],
            "learning_point": s.learning_point,
            "visual_elements": list(s.visual_elements),
            "data": s.model_dump(
                mode="json",
                exclude={"scene_id", "title", "description", "dialogue", "learning_point", "visual_elements"},
            ),
            "created_at": created,
        }
        for n, s in enumerate(comic.scenes)
    ]
    characters = [
        {
            "id": child_id(comic.id, "character", c.id),
            "comic_id": comic.id,
            "position": n,
            "character_id": c.id,
            "name": c.name,
            "description": c.description,
            "character_type": c.character_type,
            "visual_tags": list(c.visual_tags),
            "age_group": c.age_group,
            "data": c.model_dump(
                mode="json", exclude={"id", "name", "description", "character_type", "visual_tags", "age_group"}
            ),
            "created_at": created,
        }
        for n, c in enumerate(comic.characters)
    ]
    panels = [
        {
            "id": child_id(comic.id, "panel", p.panel_id),
            "comic_id": comic.id,
            "position": n,
            "panel_id": p.panel_id,
            "scene_id": p.scene_id,
            "title": p.title,
            "description": p.description,
            "characters": list(p.characters),
            "dialogue": [line.model_dump() for line in p.dialogue],
            "image_url": p.image_url,
            "image_path": p.image_path,
            "status": p.status,
            "data": p.model_dump(
                mode="json",
                exclude={
                    "panel_id",
                    "scene_id",
                    "title",
                    "description",
                    "characters",
                    "dialogue",
                    "image_url",
                    "image_path",
                    "status",
                },
            ),
            "created_at": created,
        }
        for n, p in enumerate(comic.panels)
    ]
    return {"comics": [head], "scenes": scenes, "characters": characters, "panels": panels}


def comic_from_rows(
    head: dict[str, Any], scenes: list[dict[str, Any]], characters: list[dict[str, Any]], panels: list[dict[str, Any]]
) -> Comic:
    def ordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(rows, key=lambda r: r["position"])

    return Comic.model_validate(
        {
            **head["data"],
            "id": head["id"],
            "owner_id": head.get("owner_id"),
            "topic": head["topic"],
            "title": head["title"],
            "age_group": head["age_group"],
            "style": head["style"],
            "status": head["status"],
            "created_at": head["created_at"],
            "updated_at": head["updated_at"],
            "scenes": [
                Scene.model_validate(
                    {
                        **r["data"],
                        "scene_id": r["scene_id"],
                        "title": r["title"],
                        "description": r["description"],
                        "dialogue": r["dialogue"],
                        "learning_point": r["learning_point"],
                        "visual_elements": r["visual_elements"],
                    }
                )
                for r in ordered(scenes)
            ],
            "characters": [
                Character.model_validate(
                    {
                        **r["data"],
                        "id": r["character_id"],
                        "name": r["name"],
                        "description": r["description"],
                        "character_type": r["character_type"],
                        "visual_tags": r["visual_tags"],
                        "age_group": r["age_group"],
                    }
                )
                for r in ordered(characters)
            ],
            "panels": [
                Panel.model_validate(
                    {
                        **r["data"],
                        "panel_id": r["panel_id"],
                        "scene_id": r["scene_id"],
                        "title": r["title"],
                        "description": r["description"],
                        "characters": r["characters"],
                        "dialogue": r["dialogue"],
                        "image_url": r["image_url"],
                        "image_path": r["image_path"],
                        "status": r["status"],
                    }
                )
                for r in ordered(panels)
            ],
        }
    )


def job_row(job: Job) -> dict[str, Any]:
    body = job.model_dump(mode="json")
    return {
        "id": job.id,
        "owner_id": job.owner_id,
        "comic_id": job.comic_id,
        "kind": job.kind,
        "topic": job.topic,
        "status": job.status,
        "step": job.step,
        "progress": job.progress,
        # the lease only once a queue worker has taken one, so rows of jobs never queued stay as they were
        "data": {**body["data"], "_version": job.version, **({"_lease": job.lease} if job.lease else {})},
        "error": body["error"],
        "created_at": _iso(job.created_at),
        "updated_at": _iso(job.updated_at),
    }


def job_from_row(row: dict[str, Any]) -> Job:
    data = dict(row["data"] or {})
    version = data.pop("_version", 1)
    lease = data.pop("_lease", 0)
    return Job.model_validate({**row, "data": data, "version": version, "lease": lease})


def image_row(image: ImageRecord, *, comic_link: str | None, panel_link: str | None) -> dict[str, Any]:
    """`comic_link`/`panel_link` are the rows the image points at (None when that row is not there: a
    panel planned over, say). The record's own comic and panel ids always travel in `data`."""
    return {
        "id": image.id,
        "owner_id": image.owner_id,
        "comic_id": comic_link,
        "panel_id": panel_link,
        "character_id": image.character_id,
        "kind": image.kind,
        "url": image.url,
        "local_path": image.local_path,
        "content_type": image.content_type,
        "size_bytes": image.size_bytes,
        "width": image.width,
        "height": image.height,
        "source_url": image.source_url,
        "model": image.model,
        "data": {"comic_id": image.comic_id, "panel_id": image.panel_id},
        "created_at": _iso(image.created_at),
    }


def image_links(image: ImageRecord, *, comic_ids: set[str], panel_ids: set[str]) -> tuple[str | None, str | None]:
    """The comic and panel rows an image points at, when those rows are among the ones given."""
    comic = image.comic_id if image.comic_id in comic_ids else None
    panel = child_id(comic, "panel", image.panel_id) if comic and image.panel_id else None
    return comic, panel if panel in panel_ids else None


def image_from_row(row: dict[str, Any]) -> ImageRecord:
    data = row.get("data") or {}
    return ImageRecord.model_validate(
        {
            **{k: v for k, v in row.items() if k != "data"},
            "comic_id": data.get("comic_id", row.get("comic_id")),
            "panel_id": data.get("panel_id"),
        }
    )
