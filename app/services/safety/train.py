"""Retrain the moderator and re-export its weights: `python -m app.services.safety.train`.

Writes app/data/moderation/{train,heldout}.jsonl from corpus.py, the ordinary words typo correction must
leave alone (protected_words.json, from the encoder's own vocabulary), and weights.npz: a multinomial
logistic regression (12 categories + safe) over the encoder's embeddings of the normalised text, fitted
with numpy alone (full-batch Adam from zeros: the same bytes every run), and the refusal threshold chosen
by cross-validation across phrasing families (never on the held-out set)."""

from __future__ import annotations

import hashlib
import json
import sys
import time

import numpy as np

from app.services.safety import PROTECTED, corpus, rules
from app.services.safety.categories import CATEGORIES
from app.services.safety.classifier import SAFE, WEIGHTS, Classifier, load_encoder
from app.services.safety.moderator import FRAMED_MARGIN, Moderator
from app.services.safety.normalise import _correct, fold

CLASSES = [SAFE, *CATEGORIES]
MAX_FALSE_REFUSALS = 0.03  # on out-of-fold safe examples, the threshold's budget
L2 = 1e-4
STEPS = 800


def protected_from(encoder: object, known: frozenset[str]) -> list[str]:
    """Whole words in the encoder's vocabulary that a one-letter typo correction would turn into a
    hazard word ("heroic" -> "heroin"): they are real words, so they stay as they are."""
    pieces = encoder._tokenizer._pieces  # noqa: SLF001 - the vocabulary, pinned with the package version
    words = {fold(p[1:]) for p in pieces if p.startswith("\u2581") and len(p) >= 6}
    return sorted(w for w in words if w.isalpha() and w not in known and _correct(w, known, frozenset()) != w)


def fit(x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n, d = x.shape
    k = len(CLASSES)
    w, b = np.zeros((d, k), np.float64), np.zeros(k, np.float64)
    mw, vw, mb, vb = np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b)
    onehot = np.eye(k)[y]
    sw = sample_weight / sample_weight.sum()
    for step in range(1, STEPS + 1):
        logits = x @ w + b
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        g = (p - onehot) * sw[:, None]
        gw, gb = x.T @ g + L2 * w, g.sum(axis=0)
        for param, grad, m, v in ((w, gw, mw, vw), (b, gb, mb, vb)):
            m *= 0.9
            m += 0.1 * grad
            v *= 0.999
            v += 0.001 * grad * grad
            param -= 0.05 * (m / (1 - 0.9 ** step)) / (np.sqrt(v / (1 - 0.999 ** step)) + 1e-8)
    return w.astype(np.float32), b.astype(np.float32)


def weights_for(labels: np.ndarray) -> np.ndarray:
    """Safe and unsafe weigh the same in total, whatever their counts."""
    safe = labels == 0
    return np.where(safe, 0.5 / max(safe.sum(), 1), 0.5 / max((~safe).sum(), 1))


def choose_threshold(p_unsafe: np.ndarray, unsafe: np.ndarray, ruled: np.ndarray, framed: np.ndarray) -> float:
    """The lowest threshold whose out-of-fold false refusals (rules and framing included) fit the budget."""
    for threshold in np.arange(0.30, 0.96, 0.01):
        bar = np.minimum(threshold + (1 - threshold) * framed * FRAMED_MARGIN, 0.995)
        refused = ruled | (p_unsafe >= bar)
        if refused[~unsafe].mean() <= MAX_FALSE_REFUSALS:
            return round(float(threshold), 2)
    return 0.95


def main() -> int:
    started = time.perf_counter()
    train, held = corpus.build()
    corpus.write(train, held)
    encoder = load_encoder()
    known = rules.hazard_words()
    protected = protected_from(encoder, known)
    PROTECTED.write_text(json.dumps(protected, indent=0) + "\n", encoding="utf-8")
    moderator = Moderator(classifier=None, support_message="", protected=frozenset(protected))
    texts = [moderator.prepare(row["text"]) for row in train]
    labels = np.array([CLASSES.index(row["label"]) for row in train])
    checks = [rules.check(t) for t in texts]
    ruled = np.array([c.category is not None for c in checks])
    framed = np.array([c.framed for c in checks], dtype=np.float64)
    x = np.asarray(encoder.encode(texts), dtype=np.float64)
    folds = np.array([int(hashlib.sha256(r["family"].encode()).hexdigest(), 16) % 4 for r in train])
    oof = np.zeros(len(train))
    for fold_id in range(4):
        inside, outside = folds != fold_id, folds == fold_id
        w, b = fit(x[inside], labels[inside], weights_for(labels[inside]))
        probe = Classifier(None, w, b, CLASSES, 0.5)
        oof[outside] = 1 - probe.probabilities(x[outside].astype(np.float32))[:, 0]
    threshold = choose_threshold(oof, labels != 0, ruled, framed)
    w, b = fit(x, labels, weights_for(labels))
    np.savez(WEIGHTS, weights=w, bias=b, classes=np.array(CLASSES), threshold=np.array(threshold))
    unsafe = labels != 0
    print(f"{len(train)} training examples ({unsafe.sum()} unsafe, {(~unsafe).sum()} safe), {len(held)} held out; "
          f"{len(protected)} protected words; threshold {threshold:.2f} (out-of-fold recall "
          f"{(ruled | (oof >= threshold))[unsafe].mean():.3f}); {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
