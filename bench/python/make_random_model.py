"""Fallback model: a seeded random-init LlamaForCausalLM with SmolLM2-135M's shape, saved as an HF
folder (config.json + model.safetensors, F32). Used by bench/fetch-model.mjs when no registry
package with real weights can be had (or with --random). It has no tokenizer, so only the `fixed`
workload of hf_lora_step.py can run on it.

    python make_random_model.py --out DIR [--seed 0]
"""

import argparse
import json
import os
import sys

import torch

import benchutil

# SmolLM2-135M (HuggingFaceTB/SmolLM2-135M config.json).
SMOLLM2_135M = dict(
    vocab_size=49152,
    hidden_size=576,
    intermediate_size=1536,
    num_hidden_layers=30,
    num_attention_heads=9,
    num_key_value_heads=3,
    hidden_act="silu",
    max_position_embeddings=8192,
    rms_norm_eps=1e-5,
    rope_theta=100000.0,
    tie_word_embeddings=True,
    initializer_range=0.041666666666666664,
    bos_token_id=1,
    eos_token_id=2,
    pad_token_id=2,
    attention_bias=False,
    mlp_bias=False,
)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    import transformers
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg_kw = dict(SMOLLM2_135M)
    if int(transformers.__version__.split(".")[0]) >= 5:
        # transformers 5 keeps rope settings under rope_parameters.
        theta = cfg_kw.pop("rope_theta")
        cfg_kw["rope_parameters"] = {"rope_type": "default", "rope_theta": theta}
    config = LlamaConfig(**cfg_kw)
    torch.manual_seed(args.seed)
    model = LlamaForCausalLM(config).to(torch.float32)
    os.makedirs(args.out, exist_ok=True)
    model.save_pretrained(args.out, safe_serialization=True)
    benchutil.make_hf_folder_portable(args.out)
    print(json.dumps({
        "out": os.path.abspath(args.out),
        "seed": args.seed,
        "params": sum(p.numel() for p in model.parameters()),
        "transformersVersion": transformers.__version__,
        "torchVersion": torch.__version__,
    }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
