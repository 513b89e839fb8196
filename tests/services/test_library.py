"""The reading side: an owner sees their own comics, jobs and images; another owner's record reads exactly
as a missing one; with the API open (no owner) everything is everyone's."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.errors import NotFound
from app.models.schemas import Comic, Job
from app.services.comics.library import Library
from app.storage.data_manager import DataManager
from app.storage.json_backend import JsonBackend


@pytest.fixture
async def data(tmp_path: Path):
    manager = DataManager(JsonBackend(tmp_path))
    await manager.open()
    try:
        yield manager
    finally:
        await manager.close()


async def test_an_owner_reads_only_their_own_records(data: DataManager) -> None:
    mine = await data.create_comic(Comic(title="Mine", topic="sharing", owner_id="ana"))
    theirs = await data.create_comic(Comic(title="Theirs", topic="sharing", owner_id="ben"))
    job = await data.create_job(Job(kind="wizard", topic="sharing", comic_id=theirs.id, owner_id="ben"))
    library = Library(data)

    assert (await library.comic(mine.id, owner_id="ana")).title == "Mine"
    assert [c.id for c in await library.comics(owner_id="ana")] == [mine.id]

    with pytest.raises(NotFound) as hidden:
        await library.comic(theirs.id, owner_id="ana")
    with pytest.raises(NotFound) as missing:
        await library.comic("no-such-comic", owner_id="ana")
    # the same words for both, with only the id changed: an id reveals nothing about who has it
    assert str(hidden.value.message).replace(theirs.id, "X") == str(missing.value.message).replace("no-such-comic", "X")
    with pytest.raises(NotFound):
        await library.job(job.id, owner_id="ana")
    assert (await library.job(job.id, owner_id="ben")).comic_id == theirs.id


async def test_the_open_api_reads_everything(data: DataManager) -> None:
    a = await data.create_comic(Comic(title="A", topic="sharing", owner_id="ana"))
    b = await data.create_comic(Comic(title="B", topic="sharing", owner_id=None))
    library = Library(data)
    assert {c.id for c in await library.comics(owner_id=None)} == {a.id, b.id}
    assert (await library.comic(a.id, owner_id=None)).title == "A"
    assert await library.image_owner("no-such-image") is None
