"""A word model of job mail: how strongly the words of a mail (single words and pairs, any
of the four languages; the subject's words also read apart, "^interview", since a subject
says what a mail is about more than any line of its text) point to each kind, learnt from
the development families of the corpus (tests/fixtures/mail/families/) and shipped as data
(words.json beside this file). It is one signal among the recogniser's others
(`findings.weigh_evidence`): it generalises past the exact phrases of the rules to wording
they do not list ("your materials went to the team", "nous ne retiendrons pas…").

Multinomial naive Bayes with uniform class priors; only words seen in at least
`MIN_FAMILIES` development families are kept (a company's or a person's name, or one
system's template, teaches nothing about other senders). Pure.

Retrain after changing the development families:
`python -m nudger.mail.capture.evaluate tests/fixtures/mail/families` (the evaluation
reads the corpus; this module only learns from what it is given).
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

WORDS_FILE = Path(__file__).with_name("words.json")
CLASSES = ("application", "rejection", "interview", "not-job")
MIN_FAMILIES = 2         # a word must occur in this many development families
TEXT_CAP = 3000          # characters of subject + own text read
CUES = 400               # words a pre-filter looks for first (`WordModel.cues`)
_TOKEN = re.compile(r"[^\W\d_]{2,}")
_SCOPED = re.compile(r"[^\W\d_]{2,}|[.!?;\n]")


# Words that turn what follows around, per language: the four words after one, up to the
# end of its clause, are also read as negated ("not moving forward" → "¬moving",
# "¬forward"; "we were not sure. Next week…": "next" is not), which tells a rejection from
# the confirmation whose thanks it shares.
_NEGATIONS = frozenset({
    "not", "no", "never", "won", "unfortunately", "unable", "cannot", "regret", "sadly",
    "nicht", "kein", "keine", "keinen", "leider", "bedauern", "nie",
    "pas", "ne", "malheureusement", "jamais",
    "lamentablemente", "lamentamos", "nunca", "sentimos"})


def features(text: str) -> list[str]:
    text = text[:TEXT_CAP].lower()
    words = _TOKEN.findall(text)
    subject = ["^" + w for w in _TOKEN.findall(text.partition("\n")[0])]
    negated = []
    left = 0
    for found in _SCOPED.finditer(text):
        word = found.group(0)
        if word in _NEGATIONS:
            left = 4
        elif word[0] in ".!?;\n":
            left = 0  # a negation's scope ends with its clause
        elif left:
            negated.append("¬" + word)
            left -= 1
    return list(dict.fromkeys(words + negated + [f"{a} {b}" for a, b in pairwise(words)]
                              + subject))


@dataclass(frozen=True)
class WordModel:
    weights: dict[str, tuple[float, ...]]   # feature → log P(feature | class) per class
    unseen: tuple[float, ...]               # log P(an unknown feature | class)

    def posteriors(self, text: str) -> dict[str, float]:
        """P(class | the text's known features), uniform priors."""
        totals = [0.0] * len(CLASSES)
        known = 0
        for feature in features(text):
            row = self.weights.get(feature)
            if row is None:
                continue
            known += 1
            for i, value in enumerate(row):
                totals[i] += value
        if not known:
            return dict.fromkeys(CLASSES, 1 / len(CLASSES))
        top = max(totals)
        exps = [math.exp(t - top) for t in totals]
        norm = sum(exps)
        return {c: e / norm for c, e in zip(CLASSES, exps, strict=True)}

    def lead(self, text: str) -> tuple[str, float]:
        """The job kind the text reads most like, and by how much more than not-job mail:
        the log-likelihood ratio of the two over the text's known features (what a
        posterior near 1.0, which naive Bayes gives easily, does not tell apart)."""
        totals = [0.0] * len(CLASSES)
        for feature in features(text):
            row = self.weights.get(feature)
            if row is not None:
                for i, value in enumerate(row):
                    totals[i] += value
        best = max(range(len(CLASSES) - 1), key=lambda i: totals[i])
        return CLASSES[best], totals[best] - totals[-1]

    def cues(self, kinds: tuple[str, ...], count: int = CUES) -> frozenset[bytes]:
        """The `count` single words (four letters at least) that most read as one of `kinds`
        rather than as not-job mail, UTF-8 encoded: mail with none of them cannot read far
        more as those kinds (a pre-filter's cheap first look)."""
        rows = [CLASSES.index(k) for k in kinds]
        words = sorted((w for w in self.weights if " " not in w and w[0] not in "¬^"
                        and len(w) >= 4 and any(self.weights[w][i] > self.unseen[i]
                                                for i in rows)),  # seen in such mail
                       key=lambda w: -max(self.weights[w][i] - self.weights[w][-1]
                                          for i in rows))[:count]
        return frozenset(w.encode() for w in words)

    def as_json(self) -> dict[str, object]:
        return {"classes": list(CLASSES), "unseen": [round(v, 4) for v in self.unseen],
                "weights": {f: [round(v, 4) for v in row]
                            for f, row in sorted(self.weights.items())}}


def train(examples: Iterable[tuple[str, str, str]]) -> WordModel:
    """examples: (family, kind, text)."""
    counts: dict[str, Counter[str]] = {c: Counter() for c in CLASSES}
    families: dict[str, set[str]] = defaultdict(set)
    for family, kind, text in examples:
        for feature in features(text):
            counts[kind][feature] += 1
            families[feature].add(family)
    vocabulary = sorted(f for f, seen in families.items() if len(seen) >= MIN_FAMILIES)
    weights: dict[str, list[float]] = {f: [] for f in vocabulary}
    unseen = []
    for kind in CLASSES:
        total = sum(counts[kind][f] for f in vocabulary) + len(vocabulary) + 1
        for feature in vocabulary:
            weights[feature].append(math.log((counts[kind][feature] + 1) / total))
        unseen.append(math.log(1 / total))
    return WordModel({f: tuple(row) for f, row in weights.items()}, tuple(unseen))


def load(path: Path | None = None) -> WordModel | None:
    path = path or WORDS_FILE
    try:
        data = json.loads(path.read_text("utf-8"))
        if tuple(data["classes"]) != CLASSES:
            return None
        return WordModel({str(f): tuple(float(v) for v in row)
                          for f, row in data["weights"].items()},
                         tuple(float(v) for v in data["unseen"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


@lru_cache(maxsize=2)
def default_model() -> WordModel | None:
    return load(WORDS_FILE)
