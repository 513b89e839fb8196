"""Retrain the moderator and re-export its weights: `python -m app.services.safety.train`.

Writes app/data/moderation/{train,heldout}.jsonl from corpus.py, the ordinary words typo correction must
leave alone (protected_words.json, from the encoder's own vocabulary), and weights.npz: a multinomial
network (512 -> 256 ReLU -> 12 categories + safe) over the encoder's embeddings of the normalised text,
fitted with numpy alone (full-batch Adam from a seeded start: the same weights every run; it beat a
logistic regression by 0.16 in out-of-fold recall at the same false-refusal budget), and the refusal
threshold chosen by cross-validation across phrasing families (never on the held-out set).

Before anything is fitted, training examples too close to a held-out topic are dropped (decontaminate):
the held-out set must measure sentences training never met, so a held-out figure says something about
topics written by someone else."""

from __future__ import annotations

import hashlib
import json
import re
import sys
import time
from collections import Counter

from typing import Any

import numpy as np

from app.services.safety import PROTECTED, corpus, rules
from app.services.safety.categories import CATEGORIES
from app.services.safety.classifier import SAFE, WEIGHTS, Classifier, load_encoder
from app.services.safety.moderator import FRAMED_MARGIN, Moderator
from app.services.safety.normalise import _correct, _squeeze, fold

CLASSES = [SAFE, *CATEGORIES]
MAX_FALSE_REFUSALS = 0.03  # on out-of-fold safe examples, the threshold's budget
L2 = 1e-4
STEPS = 600
HIDDEN = 256
LEARNING_RATE = 0.01
SEED = 16
# Cosine of the encoder's embeddings (normalised text) at or above which a training example counts as a
# held-out topic reworded. Read off the pairs on each side of the cut: at 0.85 and above they are one
# sentence with a word changed, wrapped or respelled ("i want to die tonight" / "i want to die", "blagues
# raciste" / "des blagues raciste"); from 0.80 down they are other sentences on the same subject ("where
# to buy cocaine" / a Spanish topic asking for cheap cocaine), which is what generalising means, not
# contamination. 0.9 still let same-sentence paraphrases through.
NEAR = 0.85


def protected_from(encoder: Any, known: frozenset[str]) -> list[str]:
    """Whole words in the encoder's vocabulary that a one-letter typo correction or squeezing a double letter
    would turn into a hazard word ("heroic" -> "heroin", "poisson" -> "poison"): they are real words, so they
    stay as they are."""
    pieces = encoder._tokenizer._pieces
    words = {fold(p[1:]) for p in pieces if p.startswith("\u2581") and len(p) >= 6}
    return sorted(
        w
        for w in words
        if w.isalpha() and w not in known and (_correct(w, known, frozenset()) != w or _squeeze(w, known) != w)
    )


def decontaminate(train: list[dict], held: list[dict], prepare: Any, encoder: Any) -> tuple[list[dict], Counter[str]]:
    """The training rows that are no held-out topic in disguise, and how many were dropped for which reason.

    A row is compared by its topic as written (`core`) and as wrapped and respelled (`text`), both
    normalised the way the moderator reads them: dropped when either equals a held-out topic, contains one
    of two words or more as whole words, or embeds at cosine >= NEAR to one."""
    held_texts = sorted({prepare(row["text"]) for row in held})
    held_set = set(held_texts)
    containers = [re.compile(rf"(?:^| ){re.escape(h)}(?: |$)") for h in held_texts if len(h.split()) >= 2]
    forms = [(prepare(row["core"]), prepare(row["text"])) for row in train]
    unique = sorted({f for pair in forms for f in pair})
    held_vectors = _unit(np.asarray(encoder.encode(held_texts), dtype=np.float64))
    nearest = _unit(np.asarray(encoder.encode(unique), dtype=np.float64)) @ held_vectors.T
    closest = dict(zip(unique, nearest.max(axis=1), strict=True))
    kept: list[dict] = []
    dropped: Counter[str] = Counter()
    for row, pair in zip(train, forms, strict=True):
        if any(f in held_set for f in pair):
            dropped["equal"] += 1
        elif any(c.search(f) for f in pair for c in containers):
            dropped["contains"] += 1
        elif max(closest[f] for f in pair) >= NEAR:
            dropped["near"] += 1
        else:
            kept.append(row)
    return kept, dropped


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def _adam(
    params: list[np.ndarray], grads: list[np.ndarray], moments: list[tuple[np.ndarray, np.ndarray]], step: int
) -> None:
    for param, grad, (m, v) in zip(params, grads, moments, strict=False):
        m *= 0.9
        m += 0.1 * grad
        v *= 0.999
        v += 0.001 * grad * grad
        param -= LEARNING_RATE * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)


def fit(x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """One hidden ReLU layer and a softmax, weighted cross-entropy with L2, full-batch Adam."""
    rng = np.random.default_rng(SEED)
    d, k = x.shape[1], len(CLASSES)
    w1, b1 = rng.normal(0, np.sqrt(2 / d), (d, HIDDEN)).astype(np.float32), np.zeros(HIDDEN, np.float32)
    w2, b2 = rng.normal(0, np.sqrt(1 / HIDDEN), (HIDDEN, k)).astype(np.float32), np.zeros(k, np.float32)
    params = [w1, b1, w2, b2]
    moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
    onehot = np.eye(k, dtype=np.float32)[y]
    sw = (sample_weight / sample_weight.sum()).astype(np.float32)
    for step in range(1, STEPS + 1):
        hidden = np.maximum(x @ w1 + b1, 0)
        logits = hidden @ w2 + b2
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        g = (p - onehot) * sw[:, None]
        gh = (g @ w2.T) * (hidden > 0)
        _adam(params, [x.T @ gh + L2 * w1, gh.sum(axis=0), hidden.T @ g + L2 * w2, g.sum(axis=0)], moments, step)
    return [(w1.astype(np.float32), b1.astype(np.float32)), (w2.astype(np.float32), b2.astype(np.float32))]


def weights_for(labels: np.ndarray) -> np.ndarray:
    """Safe and unsafe weigh the same in total, whatever their counts."""
    safe = labels == 0
    return np.where(safe, 0.5 / max(safe.sum(), 1), 0.5 / max((~safe).sum(), 1))


def choose_threshold(
    p_unsafe: np.ndarray, unsafe: np.ndarray, ruled: np.ndarray, framed: np.ndarray, written: np.ndarray
) -> float:
    """The lowest threshold whose out-of-fold false refusals (rules and framing included) fit the budget,
    counted on the hand-written safe topics (`written`): a template filled with another thing ("why {x} is
    dangerous") is easier than what people type, and thousands of them would hide the budget's misses."""
    for threshold in np.arange(0.30, 0.99, 0.005):
        refused = refusals(p_unsafe, threshold, ruled, framed)
        if refused[~unsafe & written].mean() <= MAX_FALSE_REFUSALS:
            return round(float(threshold), 3)
    return 0.99


def refusals(p_unsafe: np.ndarray, threshold: float, ruled: np.ndarray, framed: np.ndarray) -> np.ndarray:
    bar = np.minimum(threshold + (1 - threshold) * framed * FRAMED_MARGIN, 0.995)
    return ruled | (p_unsafe >= bar)


def main() -> int:
    started = time.perf_counter()
    train, held = corpus.build()
    encoder = load_encoder()
    known = rules.hazard_words()
    protected = protected_from(encoder, known)
    PROTECTED.write_text(json.dumps(protected, indent=0) + "\n", encoding="utf-8")
    moderator = Moderator(classifier=None, support_message="", protected=frozenset(protected))
    built = len(train)
    train, dropped = decontaminate(train, held, moderator.prepare, encoder)
    corpus.write(train, held)
    texts = [moderator.prepare(row["text"]) for row in train]
    labels = np.array([CLASSES.index(row["label"]) for row in train])
    checks = [rules.check(t) for t in texts]
    ruled = np.array([c.category is not None for c in checks])
    framed = np.array([c.framed for c in checks], dtype=np.float64)
    x = np.asarray(encoder.encode(texts), dtype=np.float32)  # float32: half the time of float64, same fit
    folds = np.array([int(hashlib.sha256(r["family"].encode()).hexdigest(), 16) % 4 for r in train])
    oof = np.zeros(len(train))
    for fold_id in range(4):
        inside, outside = folds != fold_id, folds == fold_id
        probe = Classifier(None, fit(x[inside], labels[inside], weights_for(labels[inside])), CLASSES, 0.5)
        oof[outside] = 1 - probe.probabilities(x[outside])[:, 0]
    written = np.array([row["family"].startswith("more/") for row in train])
    threshold = choose_threshold(oof, labels != 0, ruled, framed, written)
    refused = refusals(oof, threshold, ruled, framed)
    layers = fit(x, labels, weights_for(labels))
    arrays: dict[str, Any] = {
        f"{kind}{i}": array for i, layer in enumerate(layers) for kind, array in zip("wb", layer, strict=False)
    }
    np.savez(WEIGHTS, layers=np.array(len(layers)), classes=np.array(CLASSES), threshold=np.array(threshold), **arrays)
    unsafe = labels != 0
    print(
        f"{len(train)} training examples ({unsafe.sum()} unsafe, {(~unsafe).sum()} safe), {len(held)} held out; "
        f"{built - len(train)} dropped as too close to a held-out topic ({dropped['equal']} equal, "
        f"{dropped['contains']} containing one, {dropped['near']} at cosine >= {NEAR}); "
        f"{len(protected)} protected words; threshold {threshold:.2f} (out-of-fold recall "
        f"{refused[unsafe].mean():.3f}, false refusals {refused[~unsafe & written].mean():.3f} hand-written, "
        f"{refused[~unsafe].mean():.3f} all); {time.perf_counter() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
