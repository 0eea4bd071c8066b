"""Small helpers shared by the bench scripts (memory, machine load, torch build facts)."""

import json
import os
import re
import resource
import sys
import time


def log(tag, msg):
    print(f"[{tag}] {msg}", file=sys.stderr, flush=True)


def rss_now():
    import psutil

    return psutil.Process().memory_info().rss


def reset_peak_rss():
    """Reset the kernel's peak-RSS mark (VmHWM) so that a later peak_rss_since_reset() covers only
    what follows. Returns False where /proc/self/clear_refs is not writable."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_since_reset():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def load_avg_1m():
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def _cpu_jiffies():
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields[:8]) - idle, sum(fields[:8])


def busy_cpus(seconds=1.0):
    """How many CPUs were busy over `seconds` of wall time, sampled while this process sleeps,
    i.e. what everything else on the machine is using right now. None without /proc/stat."""
    try:
        b0, t0 = _cpu_jiffies()
        time.sleep(seconds)
        b1, t1 = _cpu_jiffies()
    except OSError:
        return None
    return (b1 - b0) / max(1, t1 - t0) * (os.cpu_count() or 1)


def process_cpu_seconds():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def warn_if_busy(tag):
    """Benchmarks on a machine that is busy with something else (a compile, another benchmark)
    measure that too. Sample the other load for a second, say so on stderr when it is not idle,
    and return the figure for the JSON (the 1-minute load average lags and counts our own model
    loading, so it is recorded but not judged)."""
    busy = busy_cpus()
    if busy is not None and busy > 0.25:
        log(tag, f"warning: other processes keep {busy:.2f} of {os.cpu_count()} CPUs busy: numbers will be low")
    return busy


THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def pin_blas_threads(threads):
    """Call before importing torch. torch.set_num_threads() sizes torch's OpenMP/MKL pool, but a
    torch built on Debian's generic libblas (OpenBLAS pthreads) keeps OpenBLAS's own pool, sized
    by OPENBLAS_NUM_THREADS when the library loads (default: all cores). Pin it to the same
    count unless the caller set it."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(threads))


def torch_facts(torch):
    cfg = torch.__config__.show()
    m = re.search(r"BLAS_INFO=([^,\s]+)", cfg)
    cap = re.search(r"CPU capability usage: (\S+)", cfg)
    return {
        "blas": m.group(1) if m else "unknown",
        "cpuCapability": cap.group(1) if cap else None,
        "mkl": bool(torch.backends.mkl.is_available()),
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
        "threadEnv": {k: os.environ[k] for k in THREAD_VARS if k in os.environ},
    }


def rewrite_json(path, edit):
    with open(path) as f:
        data = json.load(f)
    edit(data)
    with open(path, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")


def make_hf_folder_portable(out):
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
