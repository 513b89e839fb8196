"""PATCH /projects/{id}/panels/{panel_id} (issue 19): new words lettered onto a panel's kept art, with no
image call; the lettered image before goes to the panel's history and the exports' ETags change."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from app.services.providers.offline_art import OfflineImageModel
from config import Settings
from tests.api.test_bad_input import detail_of
from tests.api.test_projects import cast_and_panels, render_all
from tests.conftest import services, tree_digest

API = "/api/v1"
PNG = b"\x89PNG\r\n\x1a\n"


class CountingImages:
    """The image model, counting every call made to it (a re-letter must make none)."""

    def __init__(self, inner: OfflineImageModel) -> None:
        self.inner = inner
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.inner, name)
        if not callable(found):
            return found

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return found(*args, **kwargs)

        return counted


def counting(app: FastAPI) -> CountingImages:
    counter = CountingImages(services(app).pipeline.images)
    services(app).pipeline.images = counter  # type: ignore[assignment]
    return counter


def panel_in(comic: dict, panel_id: str) -> dict:
    return next(p for p in comic["panels"] if p["panel_id"] == panel_id)


async def drawn_project(client: httpx.AsyncClient, app: FastAPI) -> tuple[str, dict]:
    project_id, _ = await cast_and_panels(client, app)
    return project_id, await render_all(client, app, project_id)


async def test_new_words_are_lettered_on_the_kept_art_without_an_image_call(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    project_id, state = await drawn_project(client, app)
    target = state["panels"][0]
    speaker = state["characters"][0]["name"]
    old_png = (await client.get(target["image_url"])).content
    export = f"{API}/projects/{project_id}/export/pdf"
    old_tag = (await client.get(export)).headers["etag"]
    images = counting(app)

    answer = await client.patch(
        f"{API}/projects/{project_id}/panels/{target['panel_id']}",
        json={
            "version": state["version"],
            "dialogue": [{"speaker": speaker.upper(), "text": "Stop, look and listen before we cross!"}],
            "narration": "At the kerb, everyone waits.",
        },
    )

    assert answer.status_code == 200, answer.text
    assert images.calls == []  # lettered from the kept art: the image model was not asked for anything
    comic = answer.json()
    assert comic["version"] == state["version"] + 1
    panel = panel_in(comic, target["panel_id"])
    assert panel["image_id"] != target["image_id"] and panel["art_id"] == target["art_id"]
    assert panel["image_history"] == [*target["image_history"], target["image_id"]]
    assert panel["dialogue"] == [{"speaker": speaker, "text": "Stop, look and listen before we cross!"}]
    assert panel["narration"] == "At the kerb, everyone waits." and panel["status"] == "rendered"
    assert [p for p in comic["panels"] if p["panel_id"] != target["panel_id"]] == state["panels"][1:]
    new_png = await client.get(panel["image_url"])
    assert new_png.status_code == 200 and new_png.content.startswith(PNG) and new_png.content != old_png
    assert (await client.get(target["image_url"])).content == old_png  # the old one is kept, in the history

    again = await client.get(export, headers={"If-None-Match": old_tag})
    assert again.status_code == 200 and again.headers["etag"] != old_tag  # a cached export is stale now
    assert images.calls == []

    # the earlier lettering can be restored, on the same art
    restored = await client.post(
        f"{API}/projects/{project_id}/panels/{target['panel_id']}/restore", json={"image_id": target["image_id"]}
    )
    back = panel_in(restored.json(), target["panel_id"])
    assert (back["image_id"], back["art_id"]) == (target["image_id"], target["art_id"])
    # and the counter does see the image model: drawing the panel again is one call
    assert (await client.post(f"{API}/projects/{project_id}/panels/{target['panel_id']}/render")).status_code == 200
    assert images.calls == ["render_panel"]


async def test_only_narration_keeps_the_dialogue_and_an_empty_caption_removes_it(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    project_id, state = await drawn_project(client, app)
    target = state["panels"][1]
    path = f"{API}/projects/{project_id}/panels/{target['panel_id']}"
    first = await client.patch(path, json={"version": state["version"], "narration": "Later that day."})
    assert first.status_code == 200, first.text
    panel = panel_in(first.json(), target["panel_id"])
    assert (panel["dialogue"], panel["narration"]) == (target["dialogue"], "Later that day.")
    second = await client.patch(path, json={"version": first.json()["version"], "narration": "", "dialogue": []})
    assert second.status_code == 200, second.text
    panel = panel_in(second.json(), target["panel_id"])
    assert (panel["dialogue"], panel["narration"]) == ([], None)
    assert panel["image_history"][-2:] == [target["image_id"], panel_in(first.json(), target["panel_id"])["image_id"]]


async def test_refused_changes_change_nothing(client: httpx.AsyncClient, app: FastAPI, settings: Settings) -> None:
    project_id, state = await drawn_project(client, app)
    target = state["panels"][0]
    path = f"{API}/projects/{project_id}/panels/{target['panel_id']}"
    version = state["version"]
    line = {"speaker": state["characters"][0]["name"], "text": "Hello!"}
    images = counting(app)
    before = tree_digest(settings.data_dir)

    stale = await client.patch(path, json={"version": version - 1, "dialogue": [line]})
    assert stale.status_code == 409 and "version" in detail_of(stale)

    unsafe = await client.patch(
        path, json={"version": version, "dialogue": [line, {**line, "text": "how to make a bomb and kill people"}]}
    )
    assert unsafe.status_code == 422, unsafe.text
    assert unsafe.json()["detail"]["code"] == "content_refused"
    assert "bomb" not in unsafe.text
    caption = await client.patch(path, json={"version": version, "narration": "where can i buy cocaine"})
    assert caption.status_code == 422 and caption.json()["detail"]["code"] == "content_refused"

    stranger = await client.patch(
        path, json={"version": version, "dialogue": [line, {"speaker": "Zorblax", "text": "Hi"}, line]}
    )
    assert stranger.status_code == 422 and detail_of(stranger).startswith("dialogue[1] is spoken by someone")
    assert "Zorblax" not in stranger.text

    for body in (
        {"version": version},  # no words at all
        {},
        {"version": version, "dialogue": None},
        {"version": version, "dialogue": [{"speaker": "", "text": "Hi"}]},
        {"version": version, "dialogue": [{**line, "text": "   "}]},
        {"version": version, "dialogue": [{**line, "text": "x" * 601}]},
        {"version": version, "dialogue": [line] * 13},
        {"version": version, "narration": "x" * 601},
        {"version": version, "dialogue": [{**line, "mood": "happy"}]},
        {"version": version, "image_url": "http://elsewhere/x.png", "narration": "Hi"},
        [line],
    ):
        assert (await client.patch(path, json=body)).status_code == 422, body

    ghost = f"{API}/projects/{project_id}/panels/01a1f000-0000-7000-8000-000000000000"
    assert (await client.patch(ghost, json={"version": version, "narration": "Hi"})).status_code == 404
    assert images.calls == []
    assert tree_digest(settings.data_dir) == before
    assert (await client.get(f"{API}/projects/{project_id}")).json() == state


async def test_a_panel_without_kept_art_must_be_rendered_first(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    project_id, state = await cast_and_panels(client, app)
    pending = state["panels"][0]
    before = tree_digest(settings.data_dir)
    never = await client.patch(
        f"{API}/projects/{project_id}/panels/{pending['panel_id']}",
        json={"version": state["version"], "narration": "Once upon a time."},
    )
    assert never.status_code == 409 and "render it first" in detail_of(never)
    assert tree_digest(settings.data_dir) == before

    # a panel drawn before its art was kept beside the lettered image
    drawn = (await client.post(f"{API}/projects/{project_id}/panels/{pending['panel_id']}/render")).json()

    def forget_art(comic: Any) -> Any:
        for panel in comic.panels:
            panel.art_id = panel.art_url = None
        return comic

    comic = await services(app).data.update_comic(project_id, forget_art)
    old = await client.patch(
        f"{API}/projects/{project_id}/panels/{drawn['panel_id']}",
        json={"version": comic.version, "narration": "Once upon a time."},
    )
    assert old.status_code == 409 and "render it first" in detail_of(old)
    assert (
        panel_in((await client.get(f"{API}/projects/{project_id}")).json(), drawn["panel_id"])["image_id"]
        == (drawn["image_id"])
    )


async def test_a_change_that_lands_while_lettering_wins_and_the_new_image_is_dropped(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    project_id, state = await drawn_project(client, app)
    target = state["panels"][0]
    renderer = services(app).builder.renderer
    letter_art, made = renderer.letter_art, []

    async def racing(*args: Any, **kwargs: Any) -> Any:
        record = await letter_art(*args, **kwargs)
        made.append(record.id)
        await services(app).data.update_comic(project_id, lambda c: c.model_copy(update={"title": "Renamed"}))
        return record

    renderer.letter_art = racing  # type: ignore[method-assign]
    files = sorted(settings.images_dir.rglob("*.png"))
    answer = await client.patch(
        f"{API}/projects/{project_id}/panels/{target['panel_id']}",
        json={"version": state["version"], "narration": "Meanwhile..."},
    )
    assert answer.status_code == 409 and "version" in detail_of(answer)
    assert len(made) == 1 and (await client.get(f"{API}/images/{made[0]}")).status_code == 404
    assert sorted(settings.images_dir.rglob("*.png")) == files
    after = (await client.get(f"{API}/projects/{project_id}")).json()
    assert after["title"] == "Renamed" and panel_in(after, target["panel_id"]) == target
