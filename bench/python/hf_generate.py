"""Anchor for `npm run bench -- generate`: time greedy batched generation of a LLaMA-architecture model with
PyTorch + Hugging Face transformers (`model.generate`), on CPU, fp32.

    python hf_generate.py --prompts FILE --ids-out FILE [--model DIR] [--batch 16]
                          [--max-new-tokens 128] [--threads N] [--runs 1]

--prompts is a JSON file {"prompts": [[id, ...], ...], "eosIds": [id, ...]} written by our side of the
bench (bench/generate/ourGenerate.ts), so both systems decode exactly the same token ids; no tokenizer is
used here. Prompts are taken `--batch` at a time in file order; each batch is left-padded (pad id = the first
EOS id, attention mask 0 on padding), which is what HF needs for decoder-only batched generation and what
our generate does (its rows are left-aligned against a mask). Greedy (do_sample False), no repetition
penalty or other processors, stopping at any of `eosIds` or after --max-new-tokens.

Timing, per batch: the whole `generate` call (wall time), and the moment the first logits processor call
happens, which is right after the prompt forward (the prefill) returned its logits: prefill = start to that
moment, decode = the rest. Generated tokens are counted per row up to and including its first EOS, else
--max-new-tokens (HF keeps finished rows in the batch and pads them; those pad tokens are not counted).

Prints ONE JSON line on stdout (progress to stderr); --ids-out receives each row's generated ids (up to and
including its EOS) as a JSON list of lists, in prompt order, from the first timed run.
"""

import argparse
import copy
import json
import os
import statistics
import sys
import time
import warnings

import benchutil

DEFAULT_MODEL = os.environ.get(
    "FSLLM_BENCH_MODEL_DIR", os.path.join(os.path.expanduser("~"), ".cache", "fsllm-native", "models", "smollm2-135m")
)


def log(msg):
    benchutil.log("hf_generate", msg)


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=DEFAULT_MODEL, help="HF model folder (config.json + model.safetensors)")
    ap.add_argument("--prompts", required=True, help='JSON {"prompts": [[ids]], "eosIds": [ids]}')
    ap.add_argument("--ids-out", required=True, help="where to write the generated ids (JSON list of lists)")
    ap.add_argument("--batch", type=int, default=16, help="prompts per generate call")
    ap.add_argument("--max-new-tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch.set_num_threads")
    ap.add_argument("--runs", type=int, default=1, help="timed passes over all prompts (medians are reported)")
    ap.add_argument("--attn", default=None, help="attn_implementation (eager, sdpa); default: transformers' choice")
    args = ap.parse_args(argv)
    for name in ("batch", "max_new_tokens", "threads", "runs"):
        if getattr(args, name) < 1:
            ap.error(f"--{name.replace('_', '-')} must be >= 1")
    return args


def left_padded(torch, rows, pad_id):
    """(B, S) input ids and attention mask, each row right-aligned (padding on the left)."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for b, r in enumerate(rows):
        ids[b, width - len(r):] = torch.tensor(r, dtype=torch.long)
        mask[b, width - len(r):] = 1
    return ids, mask


def cut_at_eos(ids, eos_ids):
    for i, t in enumerate(ids):
        if t in eos_ids:
            return ids[: i + 1]
    return ids


def run_batch(torch, model, config, rows, eos_ids):
    """One generate call; returns (seconds, prefill seconds, generated ids per row)."""
    from transformers import LogitsProcessor, LogitsProcessorList

    class FirstLogits(LogitsProcessor):
        """Notes when the first logits arrive: the prefill forward has just finished."""

        at = None

        def __call__(self, input_ids, scores):
            if self.at is None:
                self.at = time.perf_counter()
            return scores

    clock = FirstLogits()
    ids, mask = left_padded(torch, rows, eos_ids[0])
    start = time.perf_counter()
    with torch.no_grad():
        out = model.generate(
            input_ids=ids,
            attention_mask=mask,
            generation_config=config,
            logits_processor=LogitsProcessorList([clock]),
        )
    seconds = time.perf_counter() - start
    new = out[:, ids.shape[1]:].tolist()
    return seconds, clock.at - start, [cut_at_eos(r, eos_ids) for r in new]


def main(argv=None):
    args = parse_args(argv)

    benchutil.pin_blas_threads(args.threads)
    import psutil  # noqa: F401  (fail early if missing)
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, GenerationConfig

    warnings.filterwarnings("ignore", category=FutureWarning)
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    torch.set_num_threads(args.threads)

    with open(args.prompts) as f:
        spec = json.load(f)
    prompts, eos_ids = spec["prompts"], spec["eosIds"]
    if not prompts or not eos_ids:
        raise SystemExit(f"hf_generate: {args.prompts} needs non-empty prompts and eosIds")
    if not os.path.exists(os.path.join(args.model, "config.json")):
        raise SystemExit(f"hf_generate: {args.model} is not an HF model folder (no config.json); run bench/fetch-model.mjs")

    major = int(transformers.__version__.split(".")[0])
    load_kw = {"dtype" if major >= 5 else "torch_dtype": torch.float32}
    if args.attn:
        load_kw["attn_implementation"] = args.attn
    t0 = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(args.model, **load_kw).eval()
    load_s = time.perf_counter() - t0
    # A fresh config, so nothing from the folder's generation_config.json (sampling, penalties) applies.
    config = GenerationConfig(
        do_sample=False, max_new_tokens=args.max_new_tokens, min_new_tokens=0, eos_token_id=eos_ids,
        pad_token_id=eos_ids[0], use_cache=True, num_beams=1,
    )
    batches = [prompts[i:i + args.batch] for i in range(0, len(prompts), args.batch)]
    log(f"{type(model).__name__} from {args.model}: load {load_s:.1f}s; {len(prompts)} prompts in {len(batches)} batches")

    # Warm-up (untimed): the first batch, a few tokens, so first-call costs (allocations, kernels) are paid.
    warm = copy.deepcopy(config)
    warm.max_new_tokens = 4
    run_batch(torch, model, warm, batches[0], eos_ids)

    load_start = benchutil.load_avg_1m()
    busy_start = benchutil.warn_if_busy("hf_generate")
    runs, first_ids = [], None
    cpu0, wall0 = benchutil.process_cpu_seconds(), time.perf_counter()
    for run in range(args.runs):
        total = prefill = 0.0
        ids = []
        for b, rows in enumerate(batches):
            seconds, pre, got = run_batch(torch, model, config, rows, eos_ids)
            total += seconds
            prefill += pre
            ids.extend(got)
            log(f"run {run + 1}/{args.runs} batch {b + 1}/{len(batches)}: {seconds:.2f}s (prefill {pre:.2f}s), {sum(map(len, got))} tokens")
        first_ids = first_ids or ids
        runs.append({"seconds": total, "prefillSeconds": prefill, "identical": ids == first_ids})
    cpu_util = (benchutil.process_cpu_seconds() - cpu0) / (time.perf_counter() - wall0)

    with open(args.ids_out, "w") as f:
        json.dump(first_ids, f)
    gen_tokens = sum(len(r) for r in first_ids)
    prompt_tokens = sum(len(p) for p in prompts)
    seconds = statistics.median(r["seconds"] for r in runs)
    prefill_s = statistics.median(r["prefillSeconds"] for r in runs)
    decode_s = statistics.median(r["seconds"] - r["prefillSeconds"] for r in runs)
    result = {
        "system": "hf-transformers",
        "genTokensPerSec": gen_tokens / seconds,
        # The prefill yields each row's first token; the decode steps yield the rest.
        "prefillTokensPerSec": prompt_tokens / prefill_s,
        "decodeTokensPerSec": (gen_tokens - len(prompts)) / decode_s,
        "seconds": seconds,
        "prefillSeconds": prefill_s,
        "decodeSeconds": decode_s,
        "genTokens": gen_tokens,
        "promptTokens": prompt_tokens,
        "paddedPromptTokens": sum(len(rows) * max(map(len, rows)) for rows in batches),
        "prompts": len(prompts),
        "batch": args.batch,
        "maxNewTokens": args.max_new_tokens,
        "runs": args.runs,
        "runSeconds": [r["seconds"] for r in runs],
        "idsStableAcrossRuns": all(r["identical"] for r in runs),
        "threads": torch.get_num_threads(),
        "torchVersion": torch.__version__,
        "transformersVersion": transformers.__version__,
        "attnImplementation": getattr(model.config, "_attn_implementation", None),
        **benchutil.torch_facts(torch),
        "otherBusyCpusStart": busy_start,
        "cpuUtilTimed": cpu_util,
        "loadAvg1mStart": load_start,
        "loadAvg1mEnd": benchutil.load_avg_1m(),
        "model": os.path.abspath(args.model),
        "python": sys.version.split()[0],
    }
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
