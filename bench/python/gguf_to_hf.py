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

import benchutil


def tidy_float(x: float) -> float:
    # GGUF stores hyper-parameters as float32 (rms_norm_eps 1e-5 comes back as 9.9999997e-06);
    # write the shortest decimal that rounds to the same float32.
    return float(str(np.float32(x)))


def gguf_field(reader, name):
    """A GGUF metadata value as a Python value (str, int, bool, float or a list of those), or None.
    Written against GGUFReader's parts/data layout, which gguf 0.10 (Debian venv) also has."""
    f = reader.fields.get(name)
    if f is None:
        return None
    from gguf import GGUFValueType

    def one(part, vtype):
        if vtype == GGUFValueType.STRING:
            return bytes(part).decode("utf-8")
        v = part[0].item()
        return bool(v) if vtype == GGUFValueType.BOOL else v

    if f.types[0] == GGUFValueType.ARRAY:
        return [one(f.parts[i], f.types[-1]) for i in f.data]
    return one(f.parts[f.data[0]], f.types[0])


def fix_tokenizer_from_gguf(out, reader):
    """Make the saved tokenizer say what the GGUF says. transformers 4.x turns this byte-level BPE
    GGUF into a LlamaTokenizerFast that prepends BOS, decodes like SentencePiece and names BOS as
    EOS; 5.x gets it right. The token ids of the text itself are the same either way; this pins
    the special tokens, the (absent) BOS template and the byte-level decoder for both."""
    if gguf_field(reader, "tokenizer.ggml.model") != "gpt2":
        return
    tokens = gguf_field(reader, "tokenizer.ggml.tokens")
    specials = {}
    for key, gguf_key in (("bos_token", "bos"), ("eos_token", "eos"), ("unk_token", "unknown"), ("pad_token", "padding")):
        idx = gguf_field(reader, f"tokenizer.ggml.{gguf_key}_token_id")
        if idx is not None:
            specials[key] = tokens[idx]
    add_bos = bool(gguf_field(reader, "tokenizer.ggml.add_bos_token"))
    add_eos = bool(gguf_field(reader, "tokenizer.ggml.add_eos_token"))

    def tok_json(t):
        if not add_bos and not add_eos:
            t["post_processor"] = {
                "type": "TemplateProcessing",
                "single": [{"Sequence": {"id": "A", "type_id": 0}}],
                "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
                "special_tokens": {},
            }
        t["decoder"] = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}

    def tok_cfg(c):
        c.update(specials)
        for k in ("add_bos_token", "add_eos_token", "legacy", "add_prefix_space"):
            c.pop(k, None)
        c["tokenizer_class"] = "PreTrainedTokenizerFast"
        c["clean_up_tokenization_spaces"] = False  # 4.x defaults to True, which alters decode()

    benchutil.rewrite_json(os.path.join(out, "tokenizer.json"), tok_json)
    benchutil.rewrite_json(os.path.join(out, "tokenizer_config.json"), tok_cfg)
    stm = os.path.join(out, "special_tokens_map.json")
    if os.path.exists(stm):
        benchutil.rewrite_json(stm, lambda m: m.update(specials))


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
    # from the same config minus quantization_config, and save that. A GGUF without output.weight
    # has tied embeddings; transformers 4.x does not carry that over (it leaves a random lm_head),
    # so we set it from the file itself.
    from gguf import GGUFReader

    reader = GGUFReader(args.gguf)
    tied = "output.weight" not in {t.name for t in reader.tensors}
    cfg = copy.deepcopy(model.config)
    if hasattr(cfg, "quantization_config"):
        del cfg.quantization_config
    if getattr(cfg, "rms_norm_eps", None) is not None:
        cfg.rms_norm_eps = tidy_float(cfg.rms_norm_eps)
    cfg.tie_word_embeddings = tied
    state = model.state_dict()
    if tied:
        state.pop("lm_head.weight", None)
    plain = AutoModelForCausalLM.from_config(cfg).to(torch.float32).eval()
    missing, unexpected = plain.load_state_dict(state, strict=False)
    missing = [k for k in missing if not (tied and k == "lm_head.weight")]
    if missing or unexpected:
        raise SystemExit(f"gguf_to_hf: state dict mismatch: missing {missing}, unexpected {unexpected}")
    plain.tie_weights()
    del model, state

    os.makedirs(args.out, exist_ok=True)
    plain.save_pretrained(args.out, safe_serialization=True)
    tokenizer.save_pretrained(args.out)
    fix_tokenizer_from_gguf(args.out, reader)
    benchutil.make_hf_folder_portable(args.out)
    # Use the tokenizer exactly as written for the checks below.
    tokenizer = AutoTokenizer.from_pretrained(args.out)

    result = {
        "out": os.path.abspath(args.out),
        "gguf": os.path.abspath(args.gguf),
        "arch": type(plain).__name__,
        "params": sum(p.numel() for p in plain.parameters()),
        "tiedEmbeddings": plain.get_input_embeddings().weight.data_ptr() == plain.get_output_embeddings().weight.data_ptr(),
        "tokenizerFiles": sorted(f for f in os.listdir(args.out) if f.startswith(("tokenizer", "special_tokens"))),
        "transformersVersion": transformers.__version__,
        "torchVersion": torch.__version__,
        "convertSeconds": round(time.time() - t0, 1),
    }

    if not args.no_verify:
        # Round trip: the saved folder must reproduce the in-memory model; and a greedy
        # continuation shows the weights are sane ("Paris"). generate() is avoided on purpose:
        # with Debian's torch 1.13 under Python 3.11 it trips over torch.distributed imports.
        prompt = "The capital of France is"
        ids = tokenizer(prompt, return_tensors="pt").input_ids
        reloaded = AutoModelForCausalLM.from_pretrained(args.out, **{dtype_kw: torch.float32}).eval()
        with torch.no_grad():
            diff = float((plain(ids).logits - reloaded(ids).logits).abs().max())
            seq = ids
            for _ in range(8):
                nxt = reloaded(seq).logits[:, -1].argmax(-1, keepdim=True)
                seq = torch.cat([seq, nxt], dim=1)
        result["verify"] = {
            "maxAbsLogitDiff": diff,
            "prompt": prompt,
            "promptIds": ids[0].tolist(),
            "greedy": tokenizer.decode(seq[0, ids.shape[1]:]),
            "eosTokenId": tokenizer.eos_token_id,
        }
        if diff > 1e-4:
            print(json.dumps(result), flush=True)
            print("gguf_to_hf: the saved folder does not reproduce the converted model's logits", file=sys.stderr)
            return 1

    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
