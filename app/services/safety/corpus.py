"""The moderator's examples: unsafe and safe topics in English, Spanish and French: a training set, and a
held-out set that training never sees.

Training is every template x thing of corpus_unsafe / corpus_safe and the hand-written topics of
corpus_more and corpus_broad, less those too close to a held-out topic (train.decontaminate). The held-out set (corpus_heldout) is not cut from them: it was written separately, topic by
topic, the way teachers, children and trolls type, before any result on it was seen, so it measures
sentences and phrasings training never met rather than the same templates with other fillers (an earlier
split held out a quarter of the templates, whose figures mostly measured the templates). A seeded
fraction of the training examples is respelled the way children type (leetspeak, stretched letters,
dropped letters, chat words), so spelling tells nothing.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from app.services.safety.corpus_broad import BROAD_SAFE, BROAD_UNSAFE, EXTRA_SAFE, EXTRA_UNSAFE
from app.services.safety.corpus_heldout import HELD_SAFE, HELD_UNSAFE
from app.services.safety.corpus_more import MORE_SAFE, MORE_UNSAFE
from app.services.safety.corpus_safe import FRAMED, ORDINARY, TEACHER, WRAPPERS
from app.services.safety.corpus_unsafe import UNSAFE

DATA = Path(__file__).resolve().parents[2] / "data" / "moderation"
SEED = 16
COLUMNS = ("text", "label", "lang", "family")


def respell(text: str, rng: random.Random) -> str:
    """One way children (or someone dodging a filter) type it."""
    words = text.split()
    long_ones = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    kind = rng.choice(["leet", "stretch", "drop", "upper", "chat", "swap"])
    if kind == "leet" and long_ones:
        i = rng.choice(long_ones)
        words[i] = words[i].translate(str.maketrans("oeai", "0341"))
    elif kind == "stretch" and long_ones:
        i = rng.choice(long_ones)
        words[i] = words[i] + words[i][-1] * rng.randint(1, 3)
    elif kind == "drop" and long_ones:
        i = rng.choice(long_ones)
        j = rng.randrange(1, len(words[i]) - 1)
        words[i] = words[i][:j] + words[i][j + 1 :]
    elif kind == "swap" and long_ones:
        i = rng.choice(long_ones)
        j = rng.randrange(1, len(words[i]) - 2)
        w = words[i]
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    elif kind == "upper":
        return text.upper()
    elif kind == "chat":
        table = {"you": "u", "your": "ur", "to": "2", "are": "r", "please": "pls", "for": "4"}
        words = [table.get(w, w) for w in words]
    return " ".join(words)


def _example(core: str, label: str, lang: str, family: str, rng: random.Random) -> dict:
    """`core` is the topic as written, before the wrapping and respelling: what decontamination compares too
    (train.py); write() leaves it out of train.jsonl."""
    text = rng.choice(WRAPPERS[lang]).format(t=core)
    if rng.random() < 0.3:
        text = respell(text, rng)
    return {"text": text, "label": label, "lang": lang, "family": family, "core": core}


def build() -> tuple[list[dict], list[dict]]:
    """(train, heldout), the same every run."""
    rng = random.Random(SEED)
    train: list[dict] = []
    for category, languages in UNSAFE.items():
        for lang, spec in languages.items():
            things = spec["things"]
            for ti, template in enumerate(spec["templates"]):
                for thing in things:
                    train.append(_example(template.format(x=thing), category, lang, f"{category}/{lang}/t{ti}", rng))
            for text in spec["free"]:
                train.append(_example(text, category, lang, f"{category}/{lang}/free", rng))
            for ti, template in enumerate(FRAMED.get(category, {}).get(lang, [])):
                for thing in things:
                    train.append(_example(template.format(x=thing), "safe", lang, f"safe/{category}/{lang}/t{ti}", rng))
    for pool, name in ((TEACHER, "teacher"), (ORDINARY, "ordinary")):
        for lang, texts in pool.items():
            for text in texts:
                for _ in range(6 if name == "teacher" else 4):  # several wrappings: the lessons that matter most
                    train.append(_example(text, "safe", lang, f"safe/{name}/{lang}", rng))
    for label_of, written_pool in (
        (lambda c: c, MORE_UNSAFE),
        (lambda c: "safe", MORE_SAFE),
        (lambda c: c, BROAD_UNSAFE),
        (lambda c: "safe", BROAD_SAFE),
        (lambda c: c, EXTRA_UNSAFE),
        (lambda c: "safe", EXTRA_SAFE),
    ):
        for category, by_language in written_pool.items():
            for lang, written in by_language.items():
                for i, text in enumerate(written):
                    for _ in range(3):  # hand-written, each its own phrasing: worth more than one template filler
                        train.append(
                            _example(
                                text,
                                label_of(category),
                                lang,
                                f"more/{label_of(category)}/{category}/{lang}/{i % 8}",
                                rng,
                            )
                        )
    held = [
        {"text": text, "label": label, "lang": lang, "family": f"held/{category}"}
        for pool, labelled in ((HELD_UNSAFE, True), (HELD_SAFE, False))
        for category, languages in pool.items()
        for lang, texts in languages.items()
        for text in texts
        for label in [category if labelled else "safe"]
    ]
    return train, held


def write(train: list[dict], held: list[dict]) -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    for name, rows in (("train.jsonl", train), ("heldout.jsonl", held)):
        with open(DATA / name, "w", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps({k: row[k] for k in COLUMNS}, ensure_ascii=False) + "\n")


def load(name: str) -> list[dict]:
    with open(DATA / name, encoding="utf-8") as rows:
        return [json.loads(line) for line in rows if line.strip()]
