"""The company ranker (ranker.py) learnt from, and measured on, the development families of
the capture corpus (tests/fixtures/mail/families/). Reads the corpus; the model it writes
(ranker.json) is data the recogniser reads.

`collect`: for each development mail the recogniser captures as job mail, the old chain's
company (extract.company_and_role) and every candidate (candidates.py) with whether it is
the labelled employer (evaluate.normal_company). `grouped_cv`: the development families
split into `FOLDS` folds by family (sorted, every tenth), the ranker retrained on nine and
the company scored on the tenth, against the old chain on the same mail; the rules are not
retrained, so it still flatters, less than scoring the shipped model on its own training
mail. `python -m nudger.mail.capture.rankfit [corpus]` retrains ranker.json and prints
both figures.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from nudger.mail.capture.candidates import Candidate
from nudger.mail.capture.evaluate import JOB_KINDS, USER_ZONE, Case, load_cases, normal_company
from nudger.mail.capture.extract import company_and_role
from nudger.mail.capture.prefilter import ats_sender
from nudger.mail.capture.ranker import RANKER_FILE, Ranker, candidates_of, train
from nudger.mail.capture.recognise import recognise_bytes
from nudger.mail.capture.rules import Rules, default_rules
from nudger.mail.capture.view import unforwarded, view_headers, view_text, with_body

FOLDS = 10
CORPUS = Path("tests/fixtures/mail/families")


@dataclass(frozen=True)
class Sample:
    case: Case
    chain: str                      # the old chain's company
    candidates: list[Candidate]
    right: int                      # index of the labelled employer, -1 when none

    def chain_right(self) -> bool:
        return normal_company(self.chain) == normal_company(self.case.company)


def collect(corpus: Path, cases: Iterable[Case], rules: Rules | None = None) -> list[Sample]:
    rules = rules or default_rules()
    samples = []
    for case in cases:
        raw = (corpus / case.name).read_bytes()
        found = recognise_bytes(raw, zone=USER_ZONE, rules=rules)
        if case.kind not in JOB_KINDS or not found or found[0].kind not in JOB_KINDS:
            continue  # company exact is scored on job mail captured as job mail
        view = unforwarded(with_body(view_headers(raw), raw, zone=USER_ZONE))
        haystack = view_text(view)
        ats = rules.ats_of(view.domain) or ats_sender(view, rules)
        company, role, how = company_and_role(view, haystack, ats, rules,
                                           last_resort=found[0].kind != "application")
        cands = candidates_of(view, haystack, (company, how, role), ats, rules)
        want = normal_company(case.company)
        right = next((i for i, c in enumerate(cands) if normal_company(c.name) == want), -1)
        samples.append(Sample(case, company, cands, right))
    return samples


def fit(samples: Sequence[Sample]) -> Ranker:
    return train([(s.candidates, s.right) for s in samples])


def picked(ranker: Ranker, sample: Sample) -> str:
    best = ranker.best(sample.candidates)
    return best.name if best else sample.chain


def right_share(ranker: Ranker | None, samples: Sequence[Sample]) -> float:
    if not samples:
        return 1.0
    good = sum(normal_company(picked(ranker, s) if ranker else s.chain) ==
               normal_company(s.case.company) for s in samples)
    return good / len(samples)


def folds_of(samples: Sequence[Sample]) -> list[set[str]]:
    families = sorted({s.case.family for s in samples})
    return [set(families[i::FOLDS]) for i in range(FOLDS)]


def grouped_cv(samples: Sequence[Sample], folds: Sequence[set[str]]
               ) -> tuple[float, float, list[str]]:
    """(old chain's company exact, ranker's, the ranker's changes) over the folds: each
    fold scored by a ranker learnt from the samples of every other family."""
    chain = ranked = total = 0
    changes = []
    for fold in folds:
        ranker = fit([s for s in samples if s.case.family not in fold])
        for s in (s for s in samples if s.case.family in fold):
            name = picked(ranker, s)
            want = normal_company(s.case.company)
            total += 1
            chain += normal_company(s.chain) == want
            ranked += normal_company(name) == want
            if name != s.chain:
                mark = "+" if normal_company(name) == want else \
                    "-" if s.chain_right() else "="
                changes.append(f"{mark} {s.case.name}: {s.chain!r} -> {name!r}, "
                               f"want {s.case.company!r}")
    return chain / max(total, 1), ranked / max(total, 1), changes


def main(argv: list[str]) -> int:
    corpus = Path(argv[0]) if argv else CORPUS
    samples = collect(corpus, (c for c in load_cases(corpus) if c.split == "dev"))
    old, new, changes = grouped_cv(samples, folds_of(samples))
    print("\n".join(changes), file=sys.stderr)
    reachable = sum(s.right >= 0 for s in samples) / max(len(samples), 1)
    print(f"grouped {FOLDS}-fold CV over {len(samples)} dev job findings: company exact, "
          f"old chain {old:.4f}, ranker {new:.4f} (the employer among the candidates: "
          f"{reachable:.3f})")
    ranker = fit(samples)
    RANKER_FILE.write_text(json.dumps(ranker.as_json(), ensure_ascii=False, indent=0) + "\n",
                           encoding="utf-8")
    print(f"{len(ranker.weights)} weights written to {RANKER_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
