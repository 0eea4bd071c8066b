"""Anchor for `npm run bench -- lora-step`: time one LoRA training step of a LLaMA-architecture
model with PyTorch + Hugging Face transformers + PEFT, on CPU, fp32.

    python hf_lora_step.py --model DIR --workload fixed|dolly [--batch B] [--seq S]
                           [--threads 2] [--steps 20] [--warmup 3]

A step is forward + loss + backward + optimizer.step() + optimizer.zero_grad(). Batches are built
before the timed loop, so data preparation is not timed. Prints ONE JSON line on stdout
(progress and library warnings go to stderr); see bench/README.md for what each field means.

Workloads
  fixed  batch 4 x seq 256 by default; token ids uniform in [0, vocab) from torch.Generator seeded
         with --seed, a new batch per step; labels = input ids; no padding.
  dolly  databricks-dolly-15k, Stanford Alpaca prompt (with an "### Input:" section when the
         record has a context), target = response + EOS, prompt tokens labelled -100, truncated to
         --seq (256), batch 8, padded to the longest sequence in the batch by transformers'
         DataCollatorForSeq2Seq (right padding, labels padded with -100). Records are shuffled with
         random.Random(--seed); records with no response token left after truncation are skipped.
         Needs the model folder's tokenizer (tokenizer.json).

Training setup (fixed here so both sides of the comparison match): LoRA r=8, alpha=16, dropout
0.05 on q_proj and v_proj (PEFT defaults otherwise: A kaiming-uniform, B zero, no bias), AdamW
lr 3e-4, betas (0.9, 0.999), eps 1e-8, weight_decay 0 (the HF Trainer default), fp32 throughout,
model.train(), use_cache off, no gradient checkpointing.
"""

import argparse
import json
import os
import random
import resource
import sys
import time
import warnings

import benchutil

DEFAULT_MODEL = os.environ.get(
    "FSLLM_BENCH_MODEL_DIR", os.path.join(os.path.expanduser("~"), ".cache", "fsllm-native", "models", "smollm2-135m")
)
# The shared/ folder beside the repository, found from this file (bench/python/) so no machine's path is
# baked in; bench/sharedData.ts names the same folder for the TS benches.
DEFAULT_DOLLY = os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "datasets", "dolly-15k", "databricks-dolly-15k.jsonl")
)

# Stanford Alpaca's two prompt templates (with and without an input section).
PROMPT_WITH_INPUT = (
    "Below is an instruction that describes a task, paired with an input that provides further context. "
    "Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n"
)
PROMPT_NO_INPUT = (
    "Below is an instruction that describes a task. "
    "Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Response:\n"
)


def log(msg):
    benchutil.log("hf_lora_step", msg)


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=DEFAULT_MODEL, help="HF model folder (config.json + model.safetensors)")
    ap.add_argument("--workload", choices=("fixed", "dolly"), default="fixed")
    ap.add_argument("--batch", type=int, help="sequences per step (fixed: 4, dolly: 8)")
    ap.add_argument("--seq", type=int, default=256, help="fixed: tokens per sequence; dolly: truncation length")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    ap.add_argument("--steps", type=int, default=20, help="timed steps")
    ap.add_argument("--warmup", type=int, default=3, help="untimed steps before the timed ones")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--dolly",
        default=DEFAULT_DOLLY,
        help="path to databricks-dolly-15k.jsonl (default: <repo>/../shared/datasets/dolly-15k/, "
        "i.e. the shared/ folder beside the repository: %(default)s)",
    )
    ap.add_argument("--attn", default=None, help="attn_implementation (eager, sdpa); default: transformers' choice")
    args = ap.parse_args(argv)
    if args.batch is None:
        args.batch = 4 if args.workload == "fixed" else 8
    for name in ("batch", "seq", "threads", "steps"):
        if getattr(args, name) < 1:
            ap.error(f"--{name} must be >= 1")
    if args.warmup < 0:
        ap.error("--warmup must be >= 0")
    return args


def fixed_batches(torch, vocab, n, batch, seq, seed):
    gen = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        ids = torch.randint(0, vocab, (batch, seq), generator=gen, dtype=torch.long)
        out.append({"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": ids.clone()})
    return out


def dolly_batches(tokenizer, path, n, batch, seq, seed):
    from transformers import DataCollatorForSeq2Seq

    if not os.path.exists(path):
        raise SystemExit(f"hf_lora_step: dolly data not found at {path} (pass --dolly)")
    with open(path) as f:
        records = [json.loads(line) for line in f if line.strip()]
    random.Random(seed).shuffle(records)
    eos = tokenizer.eos_token_id
    if eos is None:
        raise SystemExit("hf_lora_step: the tokenizer has no EOS token")
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "right"

    def encode(rec):
        context = (rec.get("context") or "").strip()
        template = PROMPT_WITH_INPUT if context else PROMPT_NO_INPUT
        prompt = template.format(instruction=rec["instruction"].strip(), input=context)
        p = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        r = tokenizer(rec["response"].strip(), add_special_tokens=False)["input_ids"] + [eos]
        ids = (p + r)[:seq]
        labels = ([-100] * len(p) + r)[:seq]
        return {"input_ids": ids, "attention_mask": [1] * len(ids), "labels": labels}

    collator = DataCollatorForSeq2Seq(tokenizer, padding="longest", label_pad_token_id=-100, return_tensors="pt")
    out, pending, skipped, i = [], [], 0, 0
    while len(out) < n:
        rec = records[i % len(records)]
        i += 1
        ex = encode(rec)
        if all(l == -100 for l in ex["labels"]):
            skipped += 1
            continue
        pending.append(ex)
        if len(pending) == batch:
            out.append(collator(pending))
            pending = []
    return out, skipped


def main(argv=None):
    args = parse_args(argv)

    benchutil.pin_blas_threads(args.threads)
    import numpy as np
    import psutil  # noqa: F401  (fail early if missing)
    import torch
    import transformers
    import peft
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    # Deprecation notices from transformers/peft internals say nothing about the measurement.
    warnings.filterwarnings("ignore", category=FutureWarning)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    if not os.path.exists(os.path.join(args.model, "config.json")):
        raise SystemExit(f"hf_lora_step: {args.model} is not an HF model folder (no config.json); run bench/fetch-model.mjs")

    if args.workload == "dolly" and not os.path.exists(os.path.join(args.model, "tokenizer.json")):
        raise SystemExit(
            f"hf_lora_step: the dolly workload needs a tokenizer, and {args.model} has no tokenizer.json "
            "(a random-init model has none; use --workload fixed)"
        )

    major = int(transformers.__version__.split(".")[0])
    load_kw = {"dtype" if major >= 5 else "torch_dtype": torch.float32}
    if args.attn:
        load_kw["attn_implementation"] = args.attn
    t0 = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(args.model, **load_kw)
    model.config.use_cache = False
    lora = LoraConfig(
        r=8, lora_alpha=16, lora_dropout=0.05, target_modules=["q_proj", "v_proj"], bias="none", task_type="CAUSAL_LM"
    )
    model = get_peft_model(model, lora)
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=3e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    load_s = time.perf_counter() - t0

    n = args.warmup + args.steps
    skipped = 0
    if args.workload == "fixed":
        batches = fixed_batches(torch, model.config.vocab_size, n, args.batch, args.seq, args.seed)
    else:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(args.model)
        batches, skipped = dolly_batches(tokenizer, args.dolly, n, args.batch, args.seq, args.seed)

    baseline_rss = benchutil.rss_now()
    load_start = benchutil.load_avg_1m()
    busy_start = benchutil.warn_if_busy("hf_lora_step")
    hwm_reset = benchutil.reset_peak_rss()
    log(
        f"{type(model.base_model.model).__name__} from {args.model}: load {load_s:.1f}s, "
        f"baseline RSS {baseline_rss / 2**20:.0f} MiB, {args.warmup}+{args.steps} steps of {args.workload}"
    )

    step_ms, tokens, useful, losses = [], 0, 0, []
    cpu0 = wall0 = None
    for i, b in enumerate(batches):
        if i == args.warmup:
            cpu0, wall0 = benchutil.process_cpu_seconds(), time.perf_counter()
        t = time.perf_counter()
        out = model(input_ids=b["input_ids"], attention_mask=b["attention_mask"], labels=b["labels"])
        out.loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        dt = time.perf_counter() - t
        loss = float(out.loss.detach())
        losses.append(loss)
        if i >= args.warmup:
            step_ms.append(dt * 1e3)
            tokens += b["input_ids"].numel()
            useful += int(b["attention_mask"].sum())
        log(f"step {i + 1}/{n}{' (warmup)' if i < args.warmup else ''}: {dt * 1e3:.0f} ms, loss {loss:.4f}, shape {tuple(b['input_ids'].shape)}")

    cpu_util = (benchutil.process_cpu_seconds() - cpu0) / (time.perf_counter() - wall0)
    total_s = sum(step_ms) / 1e3
    result = {
        "tokensPerSec": tokens / total_s,
        "usefulTokensPerSec": useful / total_s,
        "stepMsP50": float(np.percentile(step_ms, 50)),
        "stepMsP90": float(np.percentile(step_ms, 90)),
        "peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "baselineRssBytes": baseline_rss,
        "torchVersion": torch.__version__,
        "transformersVersion": transformers.__version__,
        "peftVersion": peft.__version__,
        "threads": torch.get_num_threads(),
        "batch": args.batch,
        "seq": args.seq,
        "workload": args.workload,
        "model": os.path.abspath(args.model),
        "steps": args.steps,
        # extras
        "warmup": args.warmup,
        "stepMsMean": float(np.mean(step_ms)),
        "stepMsMin": float(np.min(step_ms)),
        "tokensPerStep": tokens / args.steps,
        "usefulTokensPerStep": useful / args.steps,
        "trainPeakRssBytes": benchutil.peak_rss_since_reset() if hwm_reset else None,
        "lossFirst": losses[0],
        "lossLast": losses[-1],
        "trainableParams": sum(p.numel() for p in trainable),
        "totalParams": sum(p.numel() for p in model.parameters()),
        "attnImplementation": getattr(model.config, "_attn_implementation", None),
        **benchutil.torch_facts(torch),
        "otherBusyCpusStart": busy_start,
        "cpuUtilTimed": cpu_util,
        "loadAvg1mStart": load_start,
        "loadAvg1mEnd": benchutil.load_avg_1m(),
        "skippedRecords": skipped,
        "seed": args.seed,
        "python": sys.version.split()[0],
    }
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
