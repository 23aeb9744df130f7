"""Where the garment lexicon alone places each paraphrase prompt, against the prompt's own class: no sampling, no
sentence encoder, a second on a CPU.

    python benchmarks/lexicon_placement.py                       # every split's counts
    python benchmarks/lexicon_placement.py --split rare3 --show   # and each prompt not placed in its own class alone
    python benchmarks/lexicon_placement.py --json out/lexicon_placement.json

A prompt is "right" when the lexicon places it in its own class alone (the nearest-caption search then looks only
at that class), "ambiguous" when its classes include its own and others, "wrong" when they leave its own out, and
"unplaced" when it has no garment word (the sentence encoder alone then grounds it). Wrong placements are the
ones grounding cannot recover from; unplaced and ambiguous ones are left to MiniLM's cosine.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from genvision.conditioning.garment_lexicon import GarmentLexicon
from genvision.data.captions import PARAPHRASE_SPLITS, paraphrases
from genvision.data.mnist import FASHION_CLASSES

KINDS = ("right", "ambiguous", "wrong", "unplaced")


def placements(lexicon: GarmentLexicon, split: str) -> list[dict]:
    """Per prompt: its class, the classes and words the lexicon gives it, and which of KINDS that is."""
    rows = []
    for label, prompts in enumerate(paraphrases("fashion-mnist", split)):
        for prompt in prompts:
            placement = lexicon.place(prompt)
            classes = [] if placement is None else list(placement.classes)
            kind = (
                "unplaced"
                if placement is None
                else "right"
                if classes == [label]
                else "ambiguous"
                if label in classes
                else "wrong"
            )
            words = [] if placement is None else list(placement.words)
            rows.append({"prompt": prompt, "class": label, "classes": classes, "words": words, "kind": kind})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", action="append", choices=list(PARAPHRASE_SPLITS), help="default: all")
    parser.add_argument(
        "--show", action="store_true", help="print each prompt not placed in its own class alone"
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    lexicon = GarmentLexicon.load(FASHION_CLASSES)
    result = {split: placements(lexicon, split) for split in args.split or PARAPHRASE_SPLITS}
    print(f"lexicon: {len(lexicon.words)} words")
    print("| split | prompts | " + " | ".join(KINDS) + " |")
    print("|---|---|" + "---|" * len(KINDS))
    for split, rows in result.items():
        counts = [sum(r["kind"] == k for r in rows) for k in KINDS]
        print(f"| {split} | {len(rows)} | " + " | ".join(map(str, counts)) + " |")
    if args.show:
        for split, rows in result.items():
            for r in rows:
                if r["kind"] != "right":
                    got = ", ".join(FASHION_CLASSES[c] for c in r["classes"]) or "-"
                    print(
                        f"{split} {r['kind']:9} {FASHION_CLASSES[r['class']]:11} <- {got} {r['words']} {r['prompt']!r}"
                    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"words": len(lexicon.words), "splits": result}, indent=1))


if __name__ == "__main__":
    main()
