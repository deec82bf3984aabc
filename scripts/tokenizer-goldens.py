"""Writes the goldens of irlens's differential tokenizer test: generated strings and the ids the Rust
`tokenizers` library (what transformers' fast tokenizers run) gives them.

The strings are drawn from a seeded generator, so a rerun with the same library version writes the
same file. They aim at the places where a JavaScript port can drift from Rust: runs of whitespace at
the start, middle and end of a text, Unicode spaces that one regex engine counts as \\s and the other
does not (BOM, NEL, NBSP, ...), zero-width joiners and emoji sequences, combining marks, letters and
digits of several scripts, control characters, contractions and the added token <|endoftext|>.

Usage (from the project root, with a Python that has the `tokenizers` package):
  python scripts/tokenizer-goldens.py [--count 3000] [--out test/text/rust-goldens/goldens.json.gz]
"""
import argparse
import gzip
import json
import random
from pathlib import Path

import tokenizers

ROOT = Path(__file__).resolve().parent.parent
# name -> tokenizer.json; the GPT-2 one is a shared fixture, the demo one (a byte-level BPE
# the demo preset's world stage trained, 1024 tokens) is committed next to the goldens.
TOKENIZERS = {
    "gpt2": ROOT / "../shared/fixtures/tokenizer-gpt2/tokenizer.json",
    "demo": ROOT / "test/text/rust-goldens/demo-tokenizer/tokenizer.json",
}
SEED = 20240610

WORDS = ["the", "The", "whale", "Ahab", "ship", "sea", "a", "I", "is", "of", "call", "me", "Ishmael",
         "white", "harpoon", "don", "isn", "we", "they", "you", "it", "hello", "world", "GPT", "ok", "x"]
CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'", "''", "’s", "'x"]
PUNCTUATION = list("!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~") + ["...", "--", "?!", "—", "–", "«", "»", "¿", "“", "”", "…", "·"]
DIGITS = ["0", "7", "42", "2024", "3.14", "1,000", "٣٤", "१२", "２０", "½", "²", "Ⅻ", "𝟙"]
SCRIPT_WORDS = ["καλημέρα", "Ωμέγα", "привет", "Москва", "مرحبا", "שלום", "नमस्ते", "中文字", "日本語",
                "ひらがな", "カタカナ", "한국어", "ภาษาไทย", "Ελλάδα", "naïve", "façade", "Straße", "ǅemal",
                "ﬁne", "İstanbul", "ǈ", "ᾈ", "𝔘𝔫𝔦", "𐐷", "ñ"]
# Letters followed by combining marks (decomposed forms, stacked marks, a mark with no base).
COMBINING = ["e\u0301", "a\u0308", "n\u0303", "o\u0302\u0323", "\u0301", "x\u0336\u0336", "क\u094d\u0937",
             "\u05e9\u05c1", "Z\u0351\u0352\u0353", "\u20dd"]
EMOJI = ["😀", "👍", "👍🏽", "❤️", "☃", "🏳️‍🌈", "👨‍👩‍👧‍👦", "👩‍💻", "🧑🏿‍🚀", "🇫🇷", "#️⃣", "✊🏾", "🐳"]
ZERO_WIDTH = ["\u200d", "\u200c", "\u200b", "\u2060", "\ufeff", "\u00ad", "\u180e", "\ufe0f"]
# Every code point Unicode counts as White_Space, plus the "spaces" it does not (ZWSP, BOM).
SPACES = [" ", "\t", "\n", "\r", "\r\n", "\x0b", "\x0c", "\x85", "\xa0", "\u1680", "\u2000", "\u2002",
          "\u2003", "\u2007", "\u2009", "\u200a", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000",
          "\ufeff", "\u200b", "\x1c", "\x1d", "\x1e", "\x1f"]
CONTROLS = ["\x00", "\x01", "\x07", "\x08", "\x1b", "\x7f", "\x80", "\x9f", "\ufffd", "\ue000", "\U0010fffd"]
ADDED = ["<|endoftext|>", "<|padding|>", "<|endoftext", "<|", "|>"]


def whitespace_run(rng: random.Random) -> str:
    """Mostly ASCII runs (what real text has), sometimes any Unicode space."""
    pool = SPACES if rng.random() < 0.5 else [" ", " ", " ", "\t", "\n", "\r\n"]
    return "".join(rng.choice(pool) for _ in range(rng.randint(1, 5)))


def piece(rng: random.Random) -> str:
    kind = rng.choices(
        ["word", "contraction", "punct", "digits", "script", "combining", "emoji", "zero", "controls", "added"],
        weights=[30, 6, 10, 7, 10, 5, 6, 6, 3, 2],
    )[0]
    if kind == "word":
        return rng.choice(WORDS)
    if kind == "contraction":
        return rng.choice(WORDS) + rng.choice(CONTRACTIONS)
    if kind == "punct":
        return "".join(rng.choice(PUNCTUATION) for _ in range(rng.randint(1, 3)))
    if kind == "digits":
        return rng.choice(DIGITS) if rng.random() < 0.5 else str(rng.randint(0, 10 ** rng.randint(1, 7)))
    if kind == "script":
        return rng.choice(SCRIPT_WORDS)
    if kind == "combining":
        return rng.choice(COMBINING)
    if kind == "emoji":
        return "".join(rng.choice(EMOJI) for _ in range(rng.randint(1, 2)))
    if kind == "zero":
        return rng.choice(WORDS) + rng.choice(ZERO_WIDTH) + (rng.choice(WORDS) if rng.random() < 0.5 else "")
    if kind == "controls":
        return rng.choice(CONTROLS)
    return rng.choice(ADDED)


def generated_string(rng: random.Random) -> str:
    """Pieces joined by single spaces, whitespace runs or nothing, with runs at either end at times."""
    parts = []
    if rng.random() < 0.25:
        parts.append(whitespace_run(rng))
    for i in range(rng.randint(1, 8)):
        if i > 0:
            parts.append(rng.choices([" ", "", whitespace_run(rng)], weights=[6, 2, 2])[0])
        parts.append(piece(rng))
    if rng.random() < 0.3:
        parts.append(whitespace_run(rng))
    if rng.random() < 0.05:
        parts.append(rng.choice(ZERO_WIDTH))
    return "".join(parts)


# Cases written out by hand, ahead of the generated ones: the shapes the issue names.
HAND_WRITTEN = ["", " ", "   ", "\n", "a ", "a  ", "a   \n", " a", "  a", "a  b", "a\t\t", "\ufeff",
                "\ufeffhello", "hello\ufeff", "a\ufeff b", "a \ufeff", "\u200d", "a\u200db", "a \u200d",
                "👨‍👩‍👧", " \ufeffa", "a \x85b", "x\x85", "x \x85 y", "x\x85\n", "x \x85", "\x85 x", "x\ufeff ", "x \ufeff\n", "\n\ufeff", "x\xa0\xa0", "don't", "DON'T", "it's", "<|endoftext|>",
                " <|endoftext|> ", "a<|endoftext|>b", "\u3000a\u3000", "a\u2028b", "e\u0301 \u0301"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=3000, help="generated strings (besides the hand-written ones)")
    parser.add_argument("--out", type=Path, default=ROOT / "test/text/rust-goldens/goldens.json.gz")
    args = parser.parse_args()

    rng = random.Random(SEED)
    strings = HAND_WRITTEN + [generated_string(rng) for _ in range(args.count)]
    goldens = {
        "about": "ids from the Rust tokenizers library for irlens's differential test; written by scripts/tokenizer-goldens.py",
        "tokenizers_version": tokenizers.__version__,
        "seed": SEED,
        "strings": strings,
        "tokenizers": {},
    }
    for name, path in TOKENIZERS.items():
        tokenizer = tokenizers.Tokenizer.from_file(str(path))
        ids = [tokenizer.encode(text, add_special_tokens=False).ids for text in strings]
        # Byte-level decoding gives the text back; keep only the strings where it does not.
        decoded = {str(i): tokenizer.decode(row, skip_special_tokens=False) for i, row in enumerate(ids)}
        goldens["tokenizers"][name] = {
            "ids": ids,
            "decode_differs": {i: text for i, text in decoded.items() if text != strings[int(i)]},
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(goldens, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    # mtime=0 so that the same goldens give the same bytes.
    args.out.write_bytes(gzip.compress(payload, compresslevel=9, mtime=0))
    print(f"{len(strings)} strings, tokenizers {tokenizers.__version__} -> {args.out} ({args.out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
