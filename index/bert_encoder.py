"""Query embeddings for BERT-family sentence-transformers models (all-MiniLM-L6-v2 and kin) in plain torch.

Why: importing sentence-transformers pulls in transformers and scikit-learn and costs ~6 s on these
cores, most of a cold `ask`. This reads the same model directory (tokenizer.json, model.safetensors,
mean pooling, normalisation) and runs the same forward pass after a 1.5 s start; a test holds it to
sentence-transformers' own output. Models of any other shape go through sentence-transformers.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np


def supports(path: str | Path) -> bool:
    """A BERT encoder with mean pooling and normalisation, in the files this module reads."""
    path = Path(path)
    try:
        modules = json.loads((path / "modules.json").read_text())
        config = json.loads((path / "config.json").read_text())
        pooling = json.loads((path / "1_Pooling" / "config.json").read_text())
    except (OSError, ValueError):
        return False
    types = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    return (types == ["Transformer", "Pooling", "Normalize"] and config.get("model_type") == "bert"
            and config.get("position_embedding_type", "absolute") == "absolute"
            and pooling.get("pooling_mode_mean_tokens") and not any(
                pooling.get(k) for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens",
                                         "pooling_mode_mean_sqrt_len_tokens"))
            and (path / "tokenizer.json").exists() and (path / "model.safetensors").exists())


class BertMeanPoolEncoder:
    def __init__(self, path: str | Path, threads: int | None = None):
        import torch
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        path = Path(path)
        self.torch = torch
        config = json.loads((path / "config.json").read_text())
        max_len = json.loads((path / "sentence_bert_config.json").read_text()).get("max_seq_length", 256)
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_len)
        self.tokenizer.enable_padding(pad_id=config.get("pad_token_id", 0))
        self.w = load_file(str(path / "model.safetensors"))
        self.layers = config["num_hidden_layers"]
        self.heads = config["num_attention_heads"]
        self.eps = config.get("layer_norm_eps", 1e-12)
        self.dim = config["hidden_size"]

    def _norm(self, x, name):
        return self.torch.nn.functional.layer_norm(x, (self.dim,), self.w[f"{name}.weight"], self.w[f"{name}.bias"], self.eps)

    def _linear(self, x, name):
        return self.torch.nn.functional.linear(x, self.w[f"{name}.weight"], self.w[f"{name}.bias"])

    def encode(self, texts: list[str]) -> np.ndarray:
        torch, F, w = self.torch, self.torch.nn.functional, self.w
        encodings = self.tokenizer.encode_batch(texts)
        ids = torch.tensor([e.ids for e in encodings])
        mask = torch.tensor([e.attention_mask for e in encodings], dtype=torch.float32)
        types = torch.tensor([e.type_ids for e in encodings])
        batch, length = ids.shape
        head_dim = self.dim // self.heads
        with torch.inference_mode():
            x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:length]
                 + w["embeddings.token_type_embeddings.weight"][types])
            x = self._norm(x, "embeddings.LayerNorm")
            bias = (1.0 - mask)[:, None, None, :] * torch.finfo(torch.float32).min
            for i in range(self.layers):
                p = f"encoder.layer.{i}"

                def heads(t):
                    return t.view(batch, length, self.heads, head_dim).transpose(1, 2)

                q, k, v = (heads(self._linear(x, f"{p}.attention.self.{n}")) for n in ("query", "key", "value"))
                scores = q @ k.transpose(-1, -2) / math.sqrt(head_dim) + bias
                context = (scores.softmax(-1) @ v).transpose(1, 2).reshape(batch, length, self.dim)
                x = self._norm(x + self._linear(context, f"{p}.attention.output.dense"), f"{p}.attention.output.LayerNorm")
                hidden = F.gelu(self._linear(x, f"{p}.intermediate.dense"))
                x = self._norm(x + self._linear(hidden, f"{p}.output.dense"), f"{p}.output.LayerNorm")
            pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1e-9)
            return F.normalize(pooled, dim=-1).numpy()
