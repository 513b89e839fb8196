"""The local moderator: rules first, then the classifier, on normalised text; a refusal is a
ContentRefused with a kind message and a reframing, counted per category in the log (never the text)."""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass

from app.errors import ContentRefused
from app.services.safety import rules
from app.services.safety.categories import MESSAGE, SUGGESTIONS
from app.services.safety.classifier import Classifier
from app.services.safety.normalise import normalise

log = logging.getLogger(__name__)

REFUSALS: Counter[str] = Counter()  # refusals per category since start-up, for the log
MAX_CHUNK_WORDS = 40  # the encoder averages over its words: long text is read a few sentences at a time
FRAMED_MARGIN = 0.6  # a lesson's framing ("what to do if...") asks the classifier to be much surer
GENERATED_MARGIN = 0.8  # the writer's own sentences: not topics (what the classifier learned), many per comic, each
# already steered by a checked topic; the rules still read them in full


@dataclass(frozen=True)
class Verdict:
    category: str | None  # None: fit for the comic
    source: str  # "rules", "classifier" or "" when nothing refused
    score: float = 0.0


def chunks(text: str) -> list[str]:
    """Sentences grouped up to MAX_CHUNK_WORDS words; a short text is one chunk."""
    sentences = [s for s in re.split(r"(?<=[.!?;:])\s+|\n+", text) if s.strip()]
    out: list[str] = []
    current: list[str] = []
    for sentence in sentences:
        words = sentence.split()
        if current and len(current) + len(words) > MAX_CHUNK_WORDS:
            out.append(" ".join(current))
            current = []
        current.extend(words)
        while len(current) > MAX_CHUNK_WORDS:
            out.append(" ".join(current[:MAX_CHUNK_WORDS]))
            current = current[MAX_CHUNK_WORDS:]
    if current:
        out.append(" ".join(current))
    return out


class Moderator:
    def __init__(
        self, *, classifier: Classifier | None, support_message: str, protected: frozenset[str] = frozenset()
    ) -> None:
        self.classifier = classifier
        self.support_message = support_message.strip()
        self.protected = protected  # ordinary words a typo correction must leave alone ("heroic", "drums")
        self.known = rules.hazard_words()

    @property
    def mode(self) -> str:
        return "local" if self.classifier is not None else "rules-only"

    def prepare(self, text: str) -> str:
        return normalise(text, known=self.known, common=self.protected)

    def verdict(self, texts: list[str], *, generated: bool = False, classify: bool = True) -> Verdict:
        """`classify=False` reads the texts with the rules alone (see CheckedTextModel: our own templates)."""
        pieces = [self.prepare(piece) for text in texts for piece in chunks(text)]
        pieces = [p for p in pieces if p]
        framings = []
        for piece in pieces:
            ruled = rules.check(piece)
            if ruled.category:
                return Verdict(ruled.category, "rules", 1.0)
            framings.append(ruled.framed)
        if self.classifier is None or not classify or not pieces:
            return Verdict(None, "")
        base = self.classifier.threshold
        for scores, framed in zip(self.classifier.score(pieces), framings, strict=False):
            threshold = base + (1 - base) * (
                (FRAMED_MARGIN if framed else 0.0) + (GENERATED_MARGIN if generated else 0.0)
            )
            if scores.unsafe >= min(threshold, 0.995):
                return Verdict(scores.category, "classifier", scores.unsafe)
        return Verdict(None, "")

    def check(self, texts: list[str], *, generated: bool = False, classify: bool = True) -> None:
        """Raise ContentRefused when any text is unfit for a children's comic."""
        found = self.verdict(texts, generated=generated, classify=classify)
        if found.category is not None:
            raise self.refusal(found.category, source=found.source)

    def refusal(self, category: str, *, source: str) -> ContentRefused:
        REFUSALS[category] += 1
        log.info(
            "content refused: category=%s by=%s (%d refused in this category since start-up)",
            category,
            source,
            REFUSALS[category],
        )
        message = MESSAGE
        if category == "self_harm" and self.support_message:
            message = f"{MESSAGE} {self.support_message}"
        return ContentRefused(category=category, message=message, suggestion=SUGGESTIONS[category])
