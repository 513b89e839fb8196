"""A panel's or a character's image and its history: the image it shows, and the earlier ones it can
go back to (restore)."""

from __future__ import annotations

from collections.abc import Callable

from app.errors import InvalidInput, NotFound
from app.models.schemas import Character, Comic, ImageRecord, Panel
from app.services.comics.assets import shows
from app.services.comics.comic_parts import character_of, panel_of
from app.storage.data_manager import DataManager

# An image id -> the URL answers name that image by. The API layer owns its routes and their prefix
# (app/api/urls.py) and hands this in; the URL is kept on the record beside the id, for the export
# bundle's image_url column and for readers of the records as stored.
ImageLink = Callable[[str], str]


def set_image(target: Panel | Character, record: ImageRecord, *, link: ImageLink) -> None:
    """Make `record` the target's image; the one it replaces goes to the end of its history."""
    history = [i for i in target.image_history if i != record.id]
    if target.image_id and target.image_id != record.id:
        history.append(target.image_id)
    target.image_history = history
    target.image_id, target.image_url = record.id, link(record.id)


class ImageHistory:
    def __init__(self, *, data: DataManager, image_link: ImageLink) -> None:
        self.data = data
        self.image_link = image_link

    async def restore(
        self, comic_id: str, *, panel_id: str | None = None, character_id: str | None = None, image_id: str
    ) -> Comic:
        """Bring back an earlier image of a panel or a character; the current one joins the history."""
        try:
            record: ImageRecord | None = await self.data.get_image(image_id)
        except NotFound:  # said as for any image that is not this one's: the id is not repeated
            record = None

        def restore(current: Comic) -> Comic:
            target: Panel | Character = panel_of(current, panel_id) if panel_id else character_of(current, character_id)
            if image_id not in target.image_history or record is None:
                raise InvalidInput(
                    f"image_id is not an earlier image of this {'panel' if panel_id else 'character'} "
                    "that is still kept; see its image_history"
                )
            set_image(target, record, link=self.image_link)
            if isinstance(target, Panel):
                target.art_id = record.art_id or record.id
                target.art_url = self.image_link(target.art_id)
                target.image_path = f"images/{record.local_path}" if record.local_path else None
                target.status, target.error, target.stale = "rendered", None, False
            else:
                target.reference_url = record.source_url
                for panel in current.panels:
                    if shows(panel, target) and panel.status == "rendered":
                        panel.stale = True
            return current

        return await self.data.update_comic(comic_id, restore)
