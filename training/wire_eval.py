"""Held-out Pearson of the scores as the API returns them (api-scoring.md decisions 16 and 1.7).

The scorer predicts phone, word and sentence accuracy, but the contract fixes how the wire
scores are built: a word's quality is the mean of its phones', the sentence pronunciation the
mean of its words' (unspoken words 0). This measures those derived scores against the experts,
with the same speaker folds as ``training.train`` (run it first: it reuses its cached features).

    python -m training.wire_eval --data ../shared/data/speechocean762-train
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from orato.scoring.scorer import PhoneScorer
from training.corpus import load_corpus, speaker_folds
from training.scorer import example, fit_scorer
from training.train import CANDIDATES, FOLDS, SEED, THREADS, out_of_fold_features, pearson


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--features", default=next(iter(CANDIDATES)))
    args = parser.parse_args(argv)
    torch.set_num_threads(THREADS)
    corpus = load_corpus(args.data)
    folds = speaker_folds(corpus, FOLDS, SEED)
    features = out_of_fold_features(corpus, folds)
    examples = {u.uttid: example(u, features[u.uttid]) for u in corpus if u.uttid in features}
    pairs: dict[str, tuple[list[float], list[float]]] = {
        k: ([], []) for k in ("phone", "word_mean_of_phones", "word_model", "sentence_mean_of_words_vs_accuracy",
                              "sentence_mean_of_words_vs_total", "sentence_model_accuracy",
                              "reconciled_phone", "reconciled_word", "reconciled_sentence_vs_accuracy",
                              "reconciled_sentence_vs_total", "shifted_phone", "shifted_word",
                              "shifted_sentence_vs_accuracy", "shifted_sentence_vs_total")
    }  # fmt: skip
    for fold in range(FOLDS):
        train = [examples[u.uttid] for u in corpus if u.uttid in examples and folds[u.speaker] != fold]
        scorer = PhoneScorer(fit_scorer(train, CANDIDATES[args.features], SEED + fold))
        for utt in (u for u in corpus if u.uttid in examples and folds[u.speaker] == fold):
            e = examples[utt.uttid]
            p = scorer(e.features, len(utt.words))
            quality = np.clip(p.phone_accuracy / 2 * 100, 0, 100)
            words = [quality[e.features.word_of_phone == w].mean() for w in range(len(utt.words))]
            gold_phone = e.phone_target * 2
            _extend(pairs["phone"], quality, gold_phone)
            _extend(pairs["word_mean_of_phones"], words, [w.accuracy for w in utt.words])
            _extend(pairs["word_model"], p.word_accuracy, [w.accuracy for w in utt.words])
            _extend(pairs["sentence_mean_of_words_vs_accuracy"], [np.mean(words)], [utt.accuracy])
            _extend(pairs["sentence_mean_of_words_vs_total"], [np.mean(words)], [utt.total])
            _extend(pairs["sentence_model_accuracy"], [p.sentence_accuracy], [utt.accuracy])
            phones, words = reconcile(quality, p.word_accuracy * 10, p.sentence_accuracy * 10, e.features.word_of_phone)
            _extend(pairs["reconciled_phone"], phones, gold_phone)
            _extend(pairs["reconciled_word"], words, [w.accuracy for w in utt.words])
            _extend(pairs["reconciled_sentence_vs_accuracy"], [np.mean(words)], [utt.accuracy])
            _extend(pairs["reconciled_sentence_vs_total"], [np.mean(words)], [utt.total])
            phones, words = shift_to_sentence(quality, p.sentence_accuracy * 10, e.features.word_of_phone)
            _extend(pairs["shifted_phone"], phones, gold_phone)
            _extend(pairs["shifted_word"], words, [w.accuracy for w in utt.words])
            _extend(pairs["shifted_sentence_vs_accuracy"], [np.mean(words)], [utt.accuracy])
            _extend(pairs["shifted_sentence_vs_total"], [np.mean(words)], [utt.total])
    result = {k: round(pearson(np.asarray(a, float), np.asarray(b, float)), 3) for k, (a, b) in pairs.items()}
    print(json.dumps(result, indent=2))
    return 0


def reconcile(phones: np.ndarray, words: np.ndarray, sentence: float, word_of_phone: np.ndarray):
    """Phone scores shifted per word so that the contract's means reproduce the word and
    sentence models: words shifted to average the sentence prediction, phones to average
    their word's."""
    words = np.clip(words + (sentence - words.mean()), 0, 100)
    shifted = phones.copy()
    for w in range(len(words)):
        own = word_of_phone == w
        shifted[own] = np.clip(phones[own] + (words[w] - phones[own].mean()), 0, 100)
    derived = np.array([shifted[word_of_phone == w].mean() for w in range(len(words))])
    return shifted, derived


def shift_to_sentence(phones: np.ndarray, sentence: float, word_of_phone: np.ndarray):
    """All phones shifted by one offset so that the mean of the word means is the sentence model's."""
    n_words = int(word_of_phone.max()) + 1
    means = np.array([phones[word_of_phone == w].mean() for w in range(n_words)])
    shifted = np.clip(phones + (sentence - means.mean()), 0, 100)
    return shifted, np.array([shifted[word_of_phone == w].mean() for w in range(n_words)])


def _extend(pair: tuple[list[float], list[float]], predicted, gold) -> None:
    pair[0].extend(np.asarray(predicted, float).tolist())
    pair[1].extend(np.asarray(gold, float).tolist())


if __name__ == "__main__":
    sys.exit(main())
