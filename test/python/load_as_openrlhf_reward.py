"""Loads a reward folder as OpenRLHF v0.11.0 loads a reward model, and prints its rewards of some
texts, for irlens's export test. It imports torch and transformers only, not OpenRLHF, and repeats
what OpenRLHF's get_llm_for_sequence_regression(model_type="reward") and cli/serve_rm.py do:
  - the value head is named by config.json's value_head_prefix when it has one, else "score" (the
    flag's default); the model is the config's AutoModel body under its base_model_prefix plus a
    bias-free Linear(hidden_size, 1) under that name, loaded with from_pretrained;
  - texts are tokenized without special tokens and padded on the left (pad = eos when the
    tokenizer has no pad token);
  - position ids count real tokens only: cumsum of the attention mask, minus one;
  - a text's reward is the head's value at its last real token; with normalisation on, it is
    (reward - config.mean) / config.std, and mean 0, std 1 when config.json has neither.
Reads {"folder": path, "texts": [...]} on stdin and prints
  {"head": name, "rewards": [...], "normalized": [...], "input_ids": [[...]], "missing_keys": [...], "unexpected_keys": [...]}.
Exits with status 3 when torch or transformers cannot be imported.
"""
import json
import sys

try:
    import torch
    from transformers import AutoConfig, AutoModel, AutoTokenizer
except ImportError as error:
    print(f"cannot import torch and transformers: {error}", file=sys.stderr)
    sys.exit(3)


def reward_model_class(config, head_name):
    body_class = AutoModel._model_mapping[type(config)]

    class RewardModel(body_class.__base__):
        def __init__(self, config):
            super().__init__(config)
            setattr(self, self.base_model_prefix, body_class(config))
            setattr(self, head_name, torch.nn.Linear(config.hidden_size, 1, bias=False))
            self.post_init()

    return RewardModel


def main() -> None:
    request = json.load(sys.stdin)
    folder = request["folder"]
    config = AutoConfig.from_pretrained(folder)
    head_name = getattr(config, "value_head_prefix", "score")
    model, info = reward_model_class(config, head_name).from_pretrained(folder, config=config, output_loading_info=True)
    model = model.float().eval()

    tokenizer = AutoTokenizer.from_pretrained(folder, padding_side="left")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    batch = tokenizer(request["texts"], add_special_tokens=False, padding=True, return_tensors="pt")
    mask = batch["attention_mask"]
    positions = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 1)
    with torch.no_grad():
        body = getattr(model, model.base_model_prefix)
        hidden = body(batch["input_ids"], attention_mask=mask, position_ids=positions).last_hidden_state
        values = getattr(model, head_name)(hidden).squeeze(-1)
    last = mask.size(1) - 1 - mask.long().fliplr().argmax(dim=1)
    rewards = values.gather(1, last.unsqueeze(1)).squeeze(1)
    mean, std = getattr(config, "mean", 0.0), getattr(config, "std", 1.0)
    print(json.dumps({
        "head": head_name,
        "rewards": rewards.tolist(),
        "normalized": ((rewards - mean) / std).tolist(),
        "input_ids": [row[row_mask.bool()].tolist() for row, row_mask in zip(batch["input_ids"], mask)],
        "missing_keys": sorted(str(k) for k in info.get("missing_keys", [])),
        "unexpected_keys": sorted(str(k) for k in info.get("unexpected_keys", [])),
    }))


if __name__ == "__main__":
    main()
