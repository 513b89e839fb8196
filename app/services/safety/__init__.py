"""Kid safety that works offline: normalise -> rules -> classifier, then OpenAI when keyed.

build_moderator() is called once where the providers are built; the classifier behind it is loaded once
per process and shared (about 1 s and 140 MB), so tests and the CLI never pay for it twice.
"""

from __future__ import annotations

import json
from functools import lru_cache

from app.services.safety.classifier import WEIGHTS, Classifier, ModelUnavailable, load
from app.services.safety.moderator import Moderator
from app.errors import ConfigurationError

PROTECTED = WEIGHTS.with_name("protected_words.json")
DEFAULT_SUPPORT = (
    "If you are feeling very sad or want to hurt yourself, please talk to a grown-up you trust "
    "right now, like a parent, a teacher or the school counsellor. You are not alone."
)


@lru_cache(maxsize=1)
def shared_classifier() -> Classifier:
    """The process's one classifier (a failure is not cached: the next start tries again)."""
    return load()


@lru_cache(maxsize=1)
def protected_words() -> frozenset[str]:
    try:
        return frozenset(json.loads(PROTECTED.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return frozenset()


def build_moderator(mode: str = "local", support_message: str = DEFAULT_SUPPORT) -> Moderator:
    """The moderator MODERATION asks for; `local` without its model refuses to start (fail closed)."""
    if mode == "rules-only":
        return Moderator(classifier=None, support_message=support_message, protected=protected_words())
    try:
        classifier = shared_classifier()
    except ModelUnavailable as exc:
        raise ConfigurationError(
            f"MODERATION=local could not load its classifier ({exc}); the service does not run without its "
            "safety check. Reinstall requirements.txt, or set MODERATION=rules-only to run on the rules alone"
        ) from None
    return Moderator(classifier=classifier, support_message=support_message, protected=protected_words())


@lru_cache(maxsize=1)
def default_moderator() -> Moderator:
    """For a writer built without one (tests, benches): the full local moderator, shared."""
    return build_moderator()
