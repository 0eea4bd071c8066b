"""Turn a GGUF LLaMA checkpoint into a plain Hugging Face folder (config.json + model.safetensors
in F32, plus the tokenizer), using transformers' own GGUF loader (dequantizes Q4_1/Q8_0 etc.).

    python gguf_to_hf.py --gguf FILE.gguf --out DIR

The written folder has no quantization_config: it loads as an ordinary fp32 LlamaForCausalLM.
Before finishing it reloads DIR and checks that its logits match the GGUF-loaded model's.
Prints one JSON line describing the result.
"""

import argparse
import copy
import json
import os
import shutil
import sys
import tempfile
import time

import numpy as np
import torch


def tidy_float(x: float) -> float:
    # GGUF stores hyper-parameters as float32 (rms_norm_eps 1e-5 comes back as 9.9999997e-06);
    # write the shortest decimal that rounds to the same float32.
    return float(str(np.float32(x)))


def rewrite_json(path, edit):
    with open(path) as f:
        data = json.load(f)
    edit(data)
    with open(path, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")


def make_portable(out):
    """Make the folder readable by transformers 4.x (the --debian-torch venv) and by our native
    loader as well as by the transformers that wrote it. transformers 5 writes rope settings only
    under rope_parameters and names its tokenizer class TokenizersBackend, neither of which 4.x
    knows (4.x would silently fall back to rope_theta 10000)."""

    def config(c):
        c.pop("quantization_config", None)
        rope = c.get("rope_parameters") or {}
        if "rope_theta" not in c and "rope_theta" in rope:
            c["rope_theta"] = rope["rope_theta"]
        if "dtype" in c and "torch_dtype" not in c:
            c["torch_dtype"] = c["dtype"]

    rewrite_json(os.path.join(out, "config.json"), config)
    with open(os.path.join(out, "config.json")) as f:
        max_pos = json.load(f).get("max_position_embeddings")

    def tok(t):
        if t.get("tokenizer_class") in (None, "TokenizersBackend"):
            t["tokenizer_class"] = "PreTrainedTokenizerFast"
        if max_pos and t.get("model_max_length", 0) > max_pos:
            t["model_max_length"] = max_pos

    tok_cfg = os.path.join(out, "tokenizer_config.json")
    if os.path.exists(tok_cfg):
        rewrite_json(tok_cfg, tok)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gguf", required=True, help="path to the .gguf file")
    ap.add_argument("--out", required=True, help="output folder (created)")
    ap.add_argument("--no-verify", action="store_true", help="skip the reload-and-compare check")
    args = ap.parse_args()

    from transformers import AutoModelForCausalLM, AutoTokenizer
    import transformers

    # Load from a folder that holds nothing but the GGUF: with gguf_file=, transformers still
    # prefers a tokenizer.json / tokenizer_config.json lying beside it (e.g. from an earlier run).
    gguf_name = os.path.basename(args.gguf)
    gguf_dir = tempfile.mkdtemp(prefix="gguf_to_hf-")
    os.symlink(os.path.abspath(args.gguf), os.path.join(gguf_dir, gguf_name))
    t0 = time.time()
    # transformers 4.x takes torch_dtype=, 5.x takes dtype= (torch_dtype is deprecated there).
    dtype_kw = "dtype" if int(transformers.__version__.split(".")[0]) >= 5 else "torch_dtype"
    model = AutoModelForCausalLM.from_pretrained(gguf_dir, gguf_file=gguf_name, **{dtype_kw: torch.float32})
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(gguf_dir, gguf_file=gguf_name)
    shutil.rmtree(gguf_dir)
    if tokenizer.eos_token is None:
        raise SystemExit("gguf_to_hf: the GGUF tokenizer came back without an EOS token")

    for p in model.parameters():
        if p.dtype != torch.float32:
            raise SystemExit(f"gguf_to_hf: parameter left in {p.dtype}; expected float32")

    # The GGUF-loaded model still carries a (non-serializable in transformers 5) GGUF quantizer
    # even though its tensors are already dequantized. Move the weights into a plain model built
    # from the same config minus quantization_config, and save that.
    cfg = copy.deepcopy(model.config)
    if hasattr(cfg, "quantization_config"):
        del cfg.quantization_config
    if getattr(cfg, "rms_norm_eps", None) is not None:
        cfg.rms_norm_eps = tidy_float(cfg.rms_norm_eps)
    plain = AutoModelForCausalLM.from_config(cfg).to(torch.float32).eval()
    missing, unexpected = plain.load_state_dict(model.state_dict(), strict=False)
    missing = [k for k in missing if k != "lm_head.weight" or not cfg.tie_word_embeddings]
    if missing or unexpected:
        raise SystemExit(f"gguf_to_hf: state dict mismatch: missing {missing}, unexpected {unexpected}")
    plain.tie_weights()

    os.makedirs(args.out, exist_ok=True)
    plain.save_pretrained(args.out, safe_serialization=True)
    tokenizer.save_pretrained(args.out)
    make_portable(args.out)

    result = {
        "out": os.path.abspath(args.out),
        "gguf": os.path.abspath(args.gguf),
        "arch": type(model).__name__,
        "params": sum(p.numel() for p in model.parameters()),
        "tiedEmbeddings": model.get_input_embeddings().weight.data_ptr() == model.get_output_embeddings().weight.data_ptr(),
        "tokenizerFiles": sorted(f for f in os.listdir(args.out) if f.startswith(("tokenizer", "special_tokens"))),
        "transformersVersion": transformers.__version__,
        "torchVersion": torch.__version__,
        "convertSeconds": round(time.time() - t0, 1),
    }

    if not args.no_verify:
        prompt = "The capital of France is"
        ids = tokenizer(prompt, return_tensors="pt").input_ids
        reloaded = AutoModelForCausalLM.from_pretrained(args.out, **{dtype_kw: torch.float32}).eval()
        with torch.no_grad():
            a = model(ids).logits
            b = reloaded(ids).logits
            gen = reloaded.generate(ids, max_new_tokens=8, do_sample=False, pad_token_id=tokenizer.eos_token_id)
        result["verify"] = {
            "maxAbsLogitDiff": float((a - b).abs().max()),
            "prompt": prompt,
            "greedy": tokenizer.decode(gen[0][ids.shape[1]:]),
        }
        if result["verify"]["maxAbsLogitDiff"] > 1e-4:
            print(json.dumps(result), flush=True)
            print("gguf_to_hf: reloaded folder does not reproduce the GGUF model's logits", file=sys.stderr)
            return 1

    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
