"""Normalisation and hashing: the two must be identical between training and run time."""

from __future__ import annotations

import numpy as np

from sentiment.features import FeatureConfig, HashingFeaturizer
from sentiment.text import clean_for_model, normalise_for_features


def test_cardiff_masking_and_escape_decoding() -> None:
    raw = "@Acme_Help it\\u2019s broken, see https://t.co/abc &amp; www.x.com"
    assert clean_for_model(raw) == "@user it\u2019s broken, see http & http"


def test_feature_normalisation_folds_case_accents_and_elongation() -> None:
    assert normalise_for_features("PÉSIMOOOOO servicio") == normalise_for_features(
        "pésimooo Servicio"
    )
    assert "emoneg" in normalise_for_features("no llegó :(")
    assert "emopos" in normalise_for_features("gracias :)")
    assert "😡" in normalise_for_features("😡")


def test_hashing_is_deterministic_and_language_aware() -> None:
    config = FeatureConfig(n_bits=18, languages=("es", "pt"))
    a, b = HashingFeaturizer(config), HashingFeaturizer(config)
    ia, va = a.transform_one("mi pedido no llegó", "es")
    ib, vb = b.transform_one("mi pedido no llegó", "es")
    np.testing.assert_array_equal(ia, ib)
    np.testing.assert_allclose(va, vb)
    shared, _ = a.transform_one("mi pedido no llegó", None)
    unknown, _ = a.transform_one("mi pedido no llegó", "ja")
    assert len(ia) > len(shared)  # language copies added
    np.testing.assert_array_equal(shared, unknown)  # untrained language: shared features only
    assert ia.max() < 2**18


def test_negation_changes_word_features() -> None:
    f = HashingFeaturizer(FeatureConfig(n_bits=20, char_max=1, word_bigrams=False))
    plain = set(f._word_hashes("good") & f.mask)
    negated = set(f._word_hashes("not good") & f.mask)
    assert not plain & negated


def test_blocks_are_unit_length_and_batch_matches_rows() -> None:
    f = HashingFeaturizer(FeatureConfig(n_bits=18))
    texts = ["uno", "", "tres palabras aquí"]
    indptr, indices, values = f.transform(texts)
    assert indptr[0] == 0 and indptr[-1] == len(indices) == len(values)
    for i, text in enumerate(texts):
        idx, val = f.transform_one(text, None)
        np.testing.assert_array_equal(indices[indptr[i]:indptr[i + 1]], idx)
    _, val = f.transform_one("uno", None)
    assert abs(float(np.dot(val, val)) - 2.0) < 1e-3  # char block + word block, each unit L2
