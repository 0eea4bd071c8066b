"""fp32 GEMM rate of this Python's torch on CPU, for shapes that dominate one LoRA step of
SmolLM2-135M at 1024 tokens (batch 4 x 256). Prints ONE JSON line on stdout.

    python gemm.py [--threads 2] [--reps 20] [--warmup 3]

Each shape is M x K times K x N (torch.mm of contiguous fp32 tensors, output preallocated via
out=), timed --reps times after --warmup; GFLOP/s = 2*M*N*K / time. We report the median and the
best repetition per shape, plus the shape-weighted total.
"""

import argparse
import json
import statistics
import sys
import time

import benchutil

# name, M, K, N
SHAPES = [
    ("mlp_up[1024x576.576x1536]", 1024, 576, 1536),
    ("mlp_down[1024x1536.1536x576]", 1024, 1536, 576),
    ("q_proj[1024x576.576x576]", 1024, 576, 576),
    ("kv_proj[1024x576.576x192]", 1024, 576, 192),
    ("lm_head[1024x576.576x49152]", 1024, 576, 49152),
    ("square[1024x1024.1024x1024]", 1024, 1024, 1024),
]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    benchutil.pin_blas_threads(args.threads)
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    load_start = benchutil.load_avg_1m()
    busy_start = benchutil.warn_if_busy("gemm")

    results = []
    flops_all, secs_all = 0.0, 0.0
    for name, m, k, n in SHAPES:
        a = torch.randn(m, k, dtype=torch.float32)
        b = torch.randn(k, n, dtype=torch.float32)
        c = torch.empty(m, n, dtype=torch.float32)
        for _ in range(args.warmup):
            torch.mm(a, b, out=c)
        times = []
        for _ in range(args.reps):
            t = time.perf_counter()
            torch.mm(a, b, out=c)
            times.append(time.perf_counter() - t)
        flops = 2.0 * m * n * k
        med = statistics.median(times)
        results.append({
            "name": name, "m": m, "k": k, "n": n,
            "gflopsMedian": flops / med / 1e9,
            "gflopsBest": flops / min(times) / 1e9,
            "msMedian": med * 1e3,
        })
        flops_all += flops * args.reps
        secs_all += sum(times)
        benchutil.log("gemm", f"{name}: {flops / med / 1e9:.1f} GFLOP/s (median of {args.reps})")

    out = {
        "gemm": results,
        "gflopsOverall": flops_all / secs_all / 1e9,
        "threads": torch.get_num_threads(),
        "torchVersion": torch.__version__,
        **benchutil.torch_facts(torch),
        "otherBusyCpusStart": busy_start,
        "loadAvg1mStart": load_start,
        "loadAvg1mEnd": benchutil.load_avg_1m(),
        "reps": args.reps,
        "python": sys.version.split()[0],
    }
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
