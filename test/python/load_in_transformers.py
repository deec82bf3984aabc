"""Loads Hugging Face folders with transformers and prints their logits, for irlens's round-trip test.

Reads from stdin a JSON list of requests:
  {"folder": path, "task": "causal-lm" | "sequence-classifier",
   "input_ids": [[...]], "attention_mask": [[...]] (optional)}
and prints to stdout a JSON list with one answer per request:
  {"class": the loaded model's class, "logits": nested list,
   "missing_keys": [...], "unexpected_keys": [...], "mismatched_keys": [...]}
Exits with status 3 when torch or transformers cannot be imported, so that the caller can tell
"no transformers here" (skip) from a failure.
"""
import json
import sys

try:
    import torch
    import transformers
except ImportError as error:
    print(f"cannot import torch and transformers: {error}", file=sys.stderr)
    sys.exit(3)

AUTO_CLASSES = {
    "causal-lm": transformers.AutoModelForCausalLM,
    "sequence-classifier": transformers.AutoModelForSequenceClassification,
}


def answer(request: dict) -> dict:
    model, info = AUTO_CLASSES[request["task"]].from_pretrained(request["folder"], output_loading_info=True)
    model = model.float().eval()
    input_ids = torch.tensor(request["input_ids"], dtype=torch.long)
    mask = request.get("attention_mask")
    attention_mask = torch.tensor(mask, dtype=torch.long) if mask is not None else None
    with torch.no_grad():
        logits = model(input_ids=input_ids, attention_mask=attention_mask).logits
    return {
        "class": type(model).__name__,
        "logits": logits.float().tolist(),
        "missing_keys": sorted(str(k) for k in info.get("missing_keys", [])),
        "unexpected_keys": sorted(str(k) for k in info.get("unexpected_keys", [])),
        "mismatched_keys": sorted(str(k) for k in info.get("mismatched_keys", [])),
    }


def main() -> None:
    requests = json.load(sys.stdin)
    json.dump([answer(request) for request in requests], sys.stdout)


if __name__ == "__main__":
    main()
