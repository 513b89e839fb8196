"""The StorageBackend contract: every backend must pass this suite unchanged."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta, UTC
from pathlib import Path

import pytest

from app.errors import Conflict, NotFound
from app.models.schemas import Comic, ImageRecord, Job, Panel, StoredAnswer
from app.storage.base import StorageBackend
from app.storage.data_manager import CLAIM_STALE_AFTER, DataManager
from app.storage.json_backend import JsonBackend
from tests.fakes.supabase_project import supabase_backend
from utils import utcnow

BACKENDS: dict[str, Callable[[pytest.FixtureRequest, Path], StorageBackend]] = {
    "json": lambda request, root: JsonBackend(root / "data"),
    # the real supabase-py against a PostgREST/Storage fake on a fresh database with the migration
    "supabase": lambda request, root: supabase_backend(request.getfixturevalue("database")),
}
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 100


@pytest.fixture(params=sorted(BACKENDS))
async def data(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DataManager]:
    manager = DataManager(BACKENDS[request.param](request, tmp_path))
    await manager.open()
    yield manager
    await manager.close()
    if fake := getattr(manager.backend, "fake", None):
        fake.close()


@pytest.fixture
async def comic_id(data: DataManager) -> str:
    """Jobs belong to a comic (in SQL, jobs.comic_id is a foreign key)."""
    return (await data.create_comic(Comic(title="t", topic="safety"))).id


def a_job(comic_id: str, **fields: object) -> Job:
    return Job(comic_id=comic_id, topic="safety", **fields)


async def test_job_round_trip_and_versions(data: DataManager, comic_id: str) -> None:
    job = await data.create_job(a_job(comic_id))
    assert job.version == 1
    fetched = await data.get_job(job.id)
    assert fetched == job
    updated = await data.update_job(job.id, lambda j: j.model_copy(update={"progress": 40}))
    assert (updated.progress, updated.version) == (40, 2)
    assert (await data.get_job(job.id)).progress == 40


async def test_creating_an_existing_id_is_a_conflict(data: DataManager, comic_id: str) -> None:
    job = await data.create_job(a_job(comic_id))
    with pytest.raises(Conflict):
        await data.create_job(job)


async def test_stale_version_is_refused_and_changes_nothing(data: DataManager, comic_id: str) -> None:
    job = await data.create_job(a_job(comic_id))
    await data.backend.save_job(job.model_copy(update={"progress": 10}), expected_version=1)
    with pytest.raises(Conflict):
        await data.backend.save_job(job.model_copy(update={"progress": 99}), expected_version=1)
    assert (await data.get_job(job.id)).progress == 10


async def test_concurrent_updates_lose_nothing(data: DataManager) -> None:
    comic = await data.create_comic(Comic(title="t", topic="safety"))

    def add_panel(n: int) -> Callable[[Comic], Comic]:
        def mutate(c: Comic) -> Comic:
            c.panels.append(Panel(scene_id=f"s{n}", title=f"p{n}", description="d"))
            return c

        return mutate

    await asyncio.gather(*(data.update_comic(comic.id, add_panel(n)) for n in range(40)))
    stored = await data.get_comic(comic.id)
    assert sorted(p.title for p in stored.panels) == sorted(f"p{n}" for n in range(40))
    assert stored.version == 41


@pytest.mark.parametrize("bad_id", ["../../etc/passwd", "..", "a/b", "", ".hidden", "x" * 65, "a\0b", "nul\n"])
async def test_ids_that_could_leave_the_data_dir_are_not_found(data: DataManager, comic_id: str, bad_id: str) -> None:
    with pytest.raises(NotFound):
        await data.get_job(bad_id)
    with pytest.raises(NotFound):
        await data.get_comic(bad_id)
    with pytest.raises(NotFound):
        await data.get_image(bad_id)
    with pytest.raises(NotFound):
        await data.create_job(a_job(comic_id, id=bad_id))


async def test_list_is_newest_first_and_paginated(data: DataManager) -> None:
    ids = [(await data.create_comic(Comic(title=f"c{n}", topic="t"))).id for n in range(5)]
    page = await data.list_comics(limit=2, offset=1)
    assert [c.id for c in page] == [ids[3], ids[2]]


async def test_a_list_for_an_owner_holds_only_their_comics_in_pages(data: DataManager) -> None:
    owners = ["ann", "key_b", "ann", None, "ann", "key_b", "ann"]
    ids = [(await data.create_comic(Comic(title=f"c{n}", topic="t", owner_id=o))).id for n, o in enumerate(owners)]
    anns = [i for i, o in zip(ids, owners, strict=False) if o == "ann"][::-1]  # newest first
    assert [c.id for c in await data.list_comics(limit=2, owner_id="ann")] == anns[:2]
    assert [c.id for c in await data.list_comics(limit=2, offset=2, owner_id="ann")] == anns[2:]
    assert [c.owner_id for c in await data.list_comics(limit=10, owner_id="key_b")] == ["key_b", "key_b"]
    assert await data.list_comics(limit=10, owner_id="nobody") == []
    assert len(await data.list_comics(limit=10)) == len(owners)  # no owner given: every comic
    job = await data.create_job(a_job(ids[0], owner_id="ann"))
    assert (await data.get_job(job.id)).owner_id == "ann"
    image = await data.store_image(PNG, kind="panel", comic_id=ids[0], owner_id="ann")
    assert (await data.get_image(image.id)).owner_id == "ann"


async def test_delete_comic_takes_its_images_and_job(data: DataManager) -> None:
    comic = await data.create_comic(Comic(title="t", topic="t"))
    job = await data.create_job(Job(comic_id=comic.id, topic="t"))
    await data.update_comic(comic.id, lambda c: c.model_copy(update={"job_ids": [job.id]}))
    image = await data.store_image(PNG, kind="panel", comic_id=comic.id)
    someone_else = await data.create_comic(Comic(title="other", topic="t"))
    other = await data.store_image(PNG, kind="panel", comic_id=someone_else.id)
    await data.delete_comic(comic.id)
    for gone in (data.get_comic(comic.id), data.get_job(job.id), data.get_image(image.id)):
        with pytest.raises(NotFound):
            await gone
    assert (await data.get_image(other.id)).id == other.id


async def test_an_image_naming_a_missing_comic_is_refused(data: DataManager) -> None:
    comic = await data.create_comic(Comic(title="t", topic="t"))
    await data.delete_comic(comic.id)
    for missing in (comic.id, "never-was"):
        with pytest.raises(NotFound):
            await data.store_image(PNG, kind="panel", comic_id=missing)
        with pytest.raises(NotFound):
            await data.reference_image("https://fal.media/files/x.png", kind="panel", comic_id=missing)
    assert await data.backend.list_images(comic_id=comic.id) == []
    assert (await data.stats())["image_storage"]["total_images"] == 0


async def test_images_store_reference_read_and_delete(data: DataManager) -> None:
    comic = await data.create_comic(Comic(title="t", topic="t"))
    stored = await data.store_image(PNG, kind="panel", comic_id=comic.id, width=10, height=5)
    assert stored.size_bytes == len(PNG)
    assert await data.read_image_bytes(stored.id) == PNG
    external = await data.reference_image("https://fal.media/files/x.png", kind="character")
    content = await data.image_content(external.id)
    assert (content.path, content.url) == (None, "https://fal.media/files/x.png")
    await data.delete_image(stored.id)
    with pytest.raises(NotFound):
        await data.read_image_bytes(stored.id)


async def test_stats_follow_every_change(data: DataManager) -> None:
    empty = await data.stats()
    assert empty["json_storage"]["total_jobs"] == 0
    comic = await data.create_comic(Comic(title="t", topic="t"))
    job = await data.create_job(a_job(comic.id))
    image = await data.store_image(b"x" * 2 * 1024 * 1024, kind="panel", comic_id=comic.id)
    await data.store_image(b"y" * 1024 * 1024, kind="character", comic_id=comic.id)
    stats = await data.stats()
    assert stats["json_storage"]["total_jobs"] == 1
    assert stats["json_storage"]["total_comics"] == 1
    assert stats["image_storage"] == {"total_images": 2, "panels_size_mb": 2.0, "total_size_mb": 3.0}
    await data.delete_image(image.id)
    await data.backend.delete_job(job.id)
    stats = await data.stats()
    assert stats["json_storage"]["total_jobs"] == 0
    assert stats["image_storage"] == {"total_images": 1, "panels_size_mb": 0.0, "total_size_mb": 1.0}


async def test_active_jobs_are_exactly_the_unfinished_ones(data: DataManager, comic_id: str) -> None:
    running = await data.create_job(a_job(comic_id, status="running"))
    waiting = await data.create_job(a_job(comic_id, status="awaiting_input"))
    done = await data.create_job(a_job(comic_id, status="running"))
    await data.update_job(done.id, lambda j: j.model_copy(update={"status": "completed"}))
    assert sorted(j.id for j in await data.active_jobs()) == sorted([running.id, waiting.id])


async def test_cleanup_removes_old_temp_and_orphans_only(data: DataManager) -> None:
    comic = await data.create_comic(Comic(title="t", topic="t"))
    kept = await data.store_image(PNG, kind="panel", comic_id=comic.id)
    fresh_temp = await data.store_image(PNG, kind="temp")
    old_temp = await data.store_image(PNG, kind="temp")
    # what a crash between a comic's delete and its images' leaves (a store naming a missing comic is refused)
    orphan = await data.backend.put_image(
        ImageRecord(kind="panel", comic_id="deleted-comic", content_type="image/png"), PNG
    )
    await data.backend.put_image(
        (await data.get_image(old_temp.id)).model_copy(update={"created_at": old_temp.created_at - timedelta(days=2)}),
        None,
    )

    dry = await data.cleanup(older_than=timedelta(hours=24), dry_run=True)
    assert (dry.temp_images, dry.orphan_images) == ([old_temp.id], [orphan.id])
    assert (await data.get_image(old_temp.id)).id == old_temp.id  # a dry run removes nothing

    done = await data.cleanup(older_than=timedelta(hours=24), dry_run=False)
    assert done.bytes_freed == 2 * len(PNG)
    for gone in (old_temp.id, orphan.id):
        with pytest.raises(NotFound):
            await data.get_image(gone)
    for survivor in (kept.id, fresh_temp.id):
        assert (await data.get_image(survivor)).id == survivor


async def test_stored_answers_round_trip_are_replaced_and_expire(data: DataManager) -> None:
    from datetime import datetime

    from app.models.schemas import StoredAnswer

    key, old_key = "a" * 64, "b" * 64
    assert await data.get_answer(key) is None
    answer = StoredAnswer(
        key=key,
        owner_id="ann",
        fingerprint="f1",
        status_code=202,
        headers={"content-type": "application/json", "location": "/x"},
        body='{"job_id": "é"}',
    )
    await data.put_answer(answer)
    assert await data.get_answer(key) == answer
    await data.put_answer(answer.model_copy(update={"body": "{}"}))
    assert (await data.get_answer(key)).body == "{}"
    stale = StoredAnswer(
        key=old_key, fingerprint="f2", status_code=201, body="{}", created_at=datetime(2020, 1, 1, tzinfo=UTC)
    )
    await data.put_answer(stale)
    assert await data.get_answer(old_key) is None  # older than a day: not replayed
    report = await data.cleanup(older_than=timedelta(hours=24), dry_run=True)
    assert report.expired_idempotency_keys == 1 and await data.backend.get_answer(old_key) == stale
    assert (await data.cleanup(older_than=timedelta(hours=24), dry_run=False)).expired_idempotency_keys == 1
    assert await data.backend.get_answer(old_key) is None and await data.get_answer(key) is not None


async def test_one_comics_images_are_found_without_the_others(data: DataManager) -> None:
    comic = await data.create_comic(Comic(title="t", topic="t"))
    mine = [await data.store_image(PNG, kind="panel", comic_id=comic.id) for _ in range(2)]
    another = await data.create_comic(Comic(title="another", topic="t"))
    await data.store_image(PNG, kind="panel", comic_id=another.id)
    await data.store_image(PNG, kind="temp")
    found = await data.backend.list_images(comic_id=comic.id)
    assert sorted(i.id for i in found) == sorted(i.id for i in mine)
    await data.delete_image(mine[0].id)
    assert [i.id for i in await data.backend.list_images(comic_id=comic.id)] == [mine[1].id]
    assert await data.backend.list_images(comic_id="nobody") == []


# -- idempotency claims: one request holds a key, on any instance ------------------------------------
def a_claim(key: str, token: str, **fields: object) -> StoredAnswer:
    now = utcnow()
    values: dict[str, object] = {
        "key": key,
        "owner_id": "ann",
        "fingerprint": "f1",
        "status_code": 0,
        "body": "",
        "state": "pending",
        "claim": token,
        "claimed_at": now,
        "created_at": now,
    }
    return StoredAnswer.model_validate({**values, **fields})


async def test_of_racing_claims_on_a_key_exactly_one_wins(data: DataManager) -> None:
    key = "c" * 64
    claims = [a_claim(key, f"token-{n}") for n in range(8)]
    results = await asyncio.gather(*(data.backend.claim_answer(claim) for claim in claims))
    winners = [claim for claim, found in zip(claims, results, strict=True) if found is None]
    assert len(winners) == 1
    assert {found.claim for found in results if found is not None} == {winners[0].claim}  # the others see it
    assert (await data.backend.get_answer(key)) == winners[0]
    assert await data.get_answer(key) is None  # a claim is not an answer to replay


async def test_a_claim_is_swapped_only_while_it_is_still_the_one_expected(data: DataManager) -> None:
    key = "d" * 64
    mine = a_claim(key, "mine")
    assert await data.backend.claim_answer(mine) is None
    theirs = a_claim(key, "theirs")
    assert not await data.backend.replace_answer(theirs, expected=theirs)  # not the row that holds the key
    assert await data.refresh_claim(mine)
    answered = await data.store_answer(mine, status_code=202, headers={"location": "/x"}, body='{"id": 1}')
    assert answered
    stored = await data.get_answer(key)
    assert stored is not None and (stored.state, stored.status_code, stored.body) == ("done", 202, '{"id": 1}')
    assert not await data.refresh_claim(mine)  # answered: no longer a claim to refresh
    assert not await data.store_answer(mine, status_code=201, headers={}, body="{}")  # nor to answer twice
    await data.release_claim(mine)  # an answer is not released
    assert await data.get_answer(key) == stored
    assert await data.backend.claim_answer(theirs) == stored


async def test_a_released_claim_frees_the_key_for_the_next_request(data: DataManager) -> None:
    key = "e" * 64
    first = await data.claim_answer(key, owner_id="ann", fingerprint="f1")
    assert first.state == "pending"
    await data.release_claim(a_claim(key, "not-the-holder"))  # only its holder lets go
    assert (await data.backend.get_answer(key)) == first
    await data.release_claim(first)
    assert await data.backend.get_answer(key) is None
    second = await data.claim_answer(key, owner_id="ann", fingerprint="f1")
    assert second.state == "pending" and second.claim != first.claim


async def test_a_waiter_gets_the_answer_the_holder_stores(data: DataManager) -> None:
    key = "f" * 64
    holder = await data.claim_answer(key, owner_id="ann", fingerprint="f1")
    looks: list[float] = []

    async def look_again(delay: float) -> None:  # the holder answers while the waiter waits
        looks.append(delay)
        if len(looks) == 2:
            await data.store_answer(holder, status_code=202, headers={}, body='{"job_id": "j"}')

    data.sleep = look_again
    found = await data.claim_answer(key, owner_id="ann", fingerprint="f1")
    assert (found.state, found.body, found.claim) == ("done", '{"job_id": "j"}', holder.claim)
    assert len(looks) == 2 and looks[1] > looks[0]  # it backed off between looks


async def test_a_waiter_claims_the_key_its_holder_let_go(data: DataManager) -> None:
    key = "1" * 64
    holder = await data.claim_answer(key, owner_id="ann", fingerprint="f1")

    async def holder_fails(delay: float) -> None:
        await data.release_claim(holder)

    data.sleep = holder_fails
    found = await data.claim_answer(key, owner_id="ann", fingerprint="f1")
    assert found.state == "pending" and found.claim != holder.claim


async def test_a_stale_claim_is_taken_over_and_a_live_one_is_not(data: DataManager) -> None:
    key = "2" * 64
    now = utcnow()
    data.clock = lambda: now
    holder = await data.claim_answer(key, owner_id="ann", fingerprint="f1")
    data.clock = lambda: now + CLAIM_STALE_AFTER - timedelta(seconds=1)
    assert await data.refresh_claim(holder)  # alive: refreshed just before it went stale
    looks: list[float] = []

    async def time_passes(delay: float) -> None:  # nobody refreshes it any more: the holder died
        looks.append(delay)
        data.clock = lambda: now + 3 * CLAIM_STALE_AFTER

    data.sleep = time_passes
    taker = await data.claim_answer(key, owner_id="ann", fingerprint="f1")
    assert len(looks) == 1  # it waited while the claim was fresh, and took it over once it was stale
    assert taker.state == "pending" and taker.claim != holder.claim
    assert (await data.backend.get_answer(key)) == taker
    assert not await data.refresh_claim(holder)  # the old holder, if it comes back, knows it lost the key
    assert not await data.store_answer(holder, status_code=202, headers={}, body="{}")


async def test_an_expired_answer_is_claimed_over(data: DataManager) -> None:
    key = "3" * 64
    old = StoredAnswer(
        key=key, fingerprint="f1", status_code=202, body="{}", created_at=utcnow() - timedelta(hours=25)
    )  # stored before claims existed: no claim token
    await data.put_answer(old)
    claim = await data.claim_answer(key, owner_id="ann", fingerprint="f2")
    assert claim.state == "pending" and (await data.backend.get_answer(key)) == claim
