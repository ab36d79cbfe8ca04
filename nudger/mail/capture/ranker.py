"""The employer of a job mail chosen by a ranker learnt from the development families,
not by one more rule: every candidate name (candidates.py) scored by a linear model over
its general features, the best one taken when it beats the chain's own answer
(extract.company_and_role) by `MARGIN`. Pure.

The model is a listwise (softmax) ranker: for each development job mail the candidates'
scores are turned into probabilities and the weights moved towards the candidate that is
the labelled employer (L2-regularised, plain gradient steps in a fixed order, so training
is deterministic). Its weights are data: ranker.json beside this file, learnt with
`python -m nudger.mail.capture.rankfit` (rankfit.py reads the corpus, and measures the
ranker by grouped cross-validation); a test holds the file to the corpus.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from nudger.mail.capture.candidates import Candidate, gather
from nudger.mail.capture.extract import clean_company, company_from_sender
from nudger.mail.capture.rules import Rules
from nudger.mail.capture.view import MAX_VALUE, MailView, one_line

RANKER_FILE = Path(__file__).with_name("ranker.json")
MARGIN = 0.5          # how much better than the chain's answer a candidate must score
EPOCHS = 40
RATE = 0.1
L2 = 1e-3


@dataclass(frozen=True)
class Ranker:
    weights: dict[str, float]
    margin: float = MARGIN

    def score(self, cand: Candidate) -> float:
        return sum(self.weights.get(f, 0.0) * v for f, v in cand.features.items())

    def best(self, cands: Sequence[Candidate]) -> Candidate | None:
        """The candidate to take instead of the chain's answer, or None to keep it."""
        chain = [c for c in cands if "chain" in c.features]
        if not chain or not cands:
            return None
        scores = [self.score(c) for c in cands]
        top = max(range(len(cands)), key=lambda i: (scores[i], -i))
        if "chain" in cands[top].features or \
                scores[top] < self.score(chain[0]) + self.margin:
            return None
        return cands[top]

    def as_json(self) -> dict[str, object]:
        return {"margin": self.margin,
                "weights": {f: round(w, 4) for f, w in sorted(self.weights.items())
                            if round(w, 4) != 0.0}}


def train(groups: Sequence[tuple[Sequence[Candidate], int]], *, margin: float = MARGIN,
          epochs: int = EPOCHS) -> Ranker:
    """Learn the weights from (candidates, index of the right one) of each job mail; a
    mail whose employer no candidate names teaches nothing and is left out."""
    weights: dict[str, float] = {}
    data = [(cands, right) for cands, right in groups if 0 <= right < len(cands) and
            len(cands) > 1]
    for epoch in range(epochs):
        rate = RATE / (1 + epoch / 10)
        for cands, right in data:
            scores = [sum(weights.get(f, 0.0) * v for f, v in c.features.items())
                      for c in cands]
            top = max(scores)
            exps = [math.exp(s - top) for s in scores]
            total = sum(exps)
            for c, e in zip(cands, exps, strict=True):
                p = e / total
                for f, v in c.features.items():
                    weights[f] = weights.get(f, 0.0) - rate * p * v
            for f, v in cands[right].features.items():
                weights[f] = weights.get(f, 0.0) + rate * v
        shrink = 1 - rate * L2 * len(data) / 100
        weights = {f: w * shrink for f, w in weights.items()}
    return Ranker(weights, margin)


def load(path: Path | None = None) -> Ranker | None:
    try:
        data = json.loads((path or RANKER_FILE).read_text("utf-8"))
        return Ranker({str(f): float(w) for f, w in data["weights"].items()},
                      float(data["margin"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


@lru_cache(maxsize=2)
def default_ranker() -> Ranker | None:
    return load(RANKER_FILE)


def candidates_of(view: MailView, haystack: str, found: tuple[str, str, str], ats: str,
                  rules: Rules) -> list[Candidate]:
    """The candidates of one job mail whose chain `found` (company, how, role)."""
    company, how, role = found
    return gather(view, haystack, company, how, role, ats, rules, clean_company,
                  company_from_sender)


def pick_company(view: MailView, haystack: str, found: tuple[str, str, str], ats: str,
                 rules: Rules, ranker: Ranker | None = None) -> str:
    """The employer of a job mail whose chain `found` (company, how, role): the chain's
    company, unless the ranker scores another candidate clearly higher. No company stays
    none (the finding keeps its fallback)."""
    company = found[0]
    ranker = ranker or default_ranker()
    if not company or ranker is None:
        return company
    chosen = ranker.best(candidates_of(view, haystack, found, ats, rules))
    return one_line(chosen.name, MAX_VALUE, "company") if chosen else company
