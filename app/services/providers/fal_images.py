"""The fal.ai artist: text-to-image for sheets and cast-less panels, the edit model with the cast's
reference images for the rest. Nano Banana by default, SeedDream v4 by FAL_IMAGE_MODEL."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from app.models.schemas import Character, Panel, Scene
from app.services.providers.protocols import RenderedImage
from external_services import FalClient
from master_prompts import character_sheet_prompt, panel_art_prompt
from utils import stable_seed

MAX_REFERENCES = 6  # both models accept more; more than the cast of one panel is never needed


@dataclass(frozen=True)
class FalModel(ABC):
    """A pair of fal endpoints and the argument shape their documentation gives."""

    text_to_image: str
    edit: str

    @abstractmethod
    def arguments(self, prompt: str, *, shape: str, seed: int, image_urls: list[str]) -> dict[str, Any]: ...


class NanoBanana(FalModel):
    ASPECT: ClassVar[dict[str, str]] = {"panel": "4:3", "sheet": "3:2"}

    def arguments(self, prompt: str, *, shape: str, seed: int, image_urls: list[str]) -> dict[str, Any]:
        args: dict[str, Any] = {
            "prompt": prompt,
            "num_images": 1,
            "output_format": "png",
            "aspect_ratio": self.ASPECT[shape],
        }
        if image_urls:
            args["image_urls"] = image_urls
        return args


class SeedDream4(FalModel):
    SIZE: ClassVar[dict[str, dict[str, int]]] = {
        "panel": {"width": 1440, "height": 1080},
        "sheet": {"width": 1536, "height": 1024},
    }

    def arguments(self, prompt: str, *, shape: str, seed: int, image_urls: list[str]) -> dict[str, Any]:
        args: dict[str, Any] = {
            "prompt": prompt,
            "image_size": self.SIZE[shape],
            "num_images": 1,
            "max_images": 1,
            "seed": seed,
            "enable_safety_checker": True,
        }
        if image_urls:
            args["image_urls"] = image_urls
        return args


FAL_MODELS: dict[str, FalModel] = {
    "nano-banana": NanoBanana("fal-ai/nano-banana", "fal-ai/nano-banana/edit"),
    "seedream-v4": SeedDream4("fal-ai/bytedance/seedream/v4/text-to-image", "fal-ai/bytedance/seedream/v4/edit"),
}


def reference_urls(cast: list[Character]) -> list[str]:
    """The cast's reference images a remote model can fetch (our own /api/v1 paths it cannot)."""
    urls = [c.reference_url for c in cast if c.reference_url and c.reference_url.startswith("https://")]
    return list(dict.fromkeys(urls))[:MAX_REFERENCES]


class FalImageModel:
    name = "fal.ai"

    def __init__(self, client: FalClient, model: str = "nano-banana") -> None:
        self.client = client
        self.model = FAL_MODELS[model]

    async def _render(self, endpoint: str, arguments: dict[str, Any]) -> RenderedImage:
        _, image = await self.client.generate(endpoint, arguments)
        return RenderedImage(
            data=image.data,
            url=image.url,
            content_type=image.content_type,
            width=image.width,
            height=image.height,
            model=endpoint,
        )

    async def render_character(self, *, character: Character, style: str) -> RenderedImage:
        prompt = character_sheet_prompt(character, style=style)
        return await self._render(
            self.model.text_to_image,
            self.model.arguments(prompt, shape="sheet", seed=stable_seed(character.id) % 2**31, image_urls=[]),
        )

    async def render_panel(
        self, *, panel: Panel, scene: Scene | None, cast: list[Character], style: str
    ) -> RenderedImage:
        prompt = panel_art_prompt(panel, cast=cast, style=style)
        refs = reference_urls(cast)
        endpoint = self.model.edit if refs else self.model.text_to_image
        return await self._render(
            endpoint,
            self.model.arguments(prompt, shape="panel", seed=stable_seed(panel.panel_id) % 2**31, image_urls=refs),
        )

    async def close(self) -> None:
        await self.client.close()
