"""How well capture recognises job mail it has never seen (issue 22): the recogniser over
the family corpus (tests/fixtures/mail/families/), scored on the held-out families, the
senders the rules were never written from. The development families' figure is the
baseline column (tests/test_capture_families.py holds those to the targets).

`make bench` topic `capture-accuracy` (or `capture_accuracy`). The confusion table and
every held-out miss are printed to stderr; the figures are the table's rows.

Beside them, "lofo" figures: leave-one-family-out over the development families
(`evaluate.cross_validate`: each dev family scored with a word model learnt from the
others). Only the word model is retrained per fold (the rules were written from every dev
family), so LOFO mostly measures the word model and the generic signals and sits between
the dev and the held-out figures; its misses may be read while tuning, the held-out ones
may not. No target: it is a guide, not the score.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bench.core import Figure

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "mail" / "families"


def figures(work: Path) -> list[Figure]:
    from nudger.mail.capture.evaluate import (
        JOB_KINDS,
        TARGET_COMPANY,
        TARGET_FALSE_CAPTURE,
        TARGET_TIME,
        TARGETS,
        cross_validate,
        evaluate,
    )

    held = evaluate(CORPUS, "held-out")
    dev = evaluate(CORPUS, "dev")
    lofo = cross_validate(CORPUS)
    print(f"\n{dev.summary()}\n{lofo.summary()}\n{held.summary()}\n"
          f"held-out confusion:\n{held.table()}\n"
          "held-out misses:\n  " + "\n  ".join(held.misses) + "\n", file=sys.stderr)
    out: list[Figure] = []
    for kind in JOB_KINDS:
        p_min, r_min = TARGETS[kind]
        out.append(Figure(f"held-out {kind} precision", held.precision[kind], "",
                          f">= {p_min:.2f}", held.precision[kind] >= p_min,
                          baseline=f"dev {dev.precision[kind]:.2f}"))
        out.append(Figure(f"held-out {kind} recall", held.recall[kind], "",
                          f">= {r_min:.2f}", held.recall[kind] >= r_min,
                          baseline=f"dev {dev.recall[kind]:.2f}"))
    out += [
        Figure("held-out company exact", held.company_exact, "", f">= {TARGET_COMPANY:.2f}",
               held.company_exact >= TARGET_COMPANY,
               baseline=f"dev {dev.company_exact:.2f}; of {held.company_total} captured"),
        Figure("held-out interview time right", held.time_right, "", f">= {TARGET_TIME:.2f}",
               held.time_right >= TARGET_TIME,
               baseline=f"dev {dev.time_right:.2f}; of {held.time_total} stated"),
        Figure("held-out not-job captured", held.false_capture, "",
               f"<= {TARGET_FALSE_CAPTURE:.2f}", held.false_capture <= TARGET_FALSE_CAPTURE,
               baseline=f"dev {dev.false_capture:.2f}; of {held.not_job_total} not-job"),
    ]
    for kind in JOB_KINDS:
        out.append(Figure(f"lofo {kind} precision", lofo.precision[kind], "", "(guide)", True,
                          baseline=f"dev {dev.precision[kind]:.2f}"))
        out.append(Figure(f"lofo {kind} recall", lofo.recall[kind], "", "(guide)", True,
                          baseline=f"dev {dev.recall[kind]:.2f}"))
    out += [
        Figure("lofo company exact", lofo.company_exact, "", "(guide)", True,
               baseline=f"dev {dev.company_exact:.2f}; of {lofo.company_total} captured"),
        Figure("lofo interview time right", lofo.time_right, "", "(guide)", True,
               baseline=f"dev {dev.time_right:.2f}; of {lofo.time_total} stated"),
        Figure("lofo not-job captured", lofo.false_capture, "", "(guide)", True,
               baseline=f"dev {dev.false_capture:.2f}; of {lofo.not_job_total} not-job"),
    ]
    return out
