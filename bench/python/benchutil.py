"""Small helpers shared by the bench scripts (memory, machine load, torch build facts)."""

import os
import re
import sys


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


def warn_if_busy(tag, threads):
    """Benchmarks on a machine that is busy with something else (a compile, another benchmark)
    measure that too. Say so on stderr; the JSON carries the load averages either way."""
    load = load_avg_1m()
    cpus = os.cpu_count() or 1
    if load is not None and load > max(0.5, cpus - threads) + 0.5:
        log(tag, f"warning: 1-minute load average is {load:.2f} on {cpus} CPUs: other work is running, numbers will be low")
    return load


def torch_facts(torch):
    cfg = torch.__config__.show()
    m = re.search(r"BLAS_INFO=([^,\s]+)", cfg)
    cap = re.search(r"CPU capability usage: (\S+)", cfg)
    return {
        "blas": m.group(1) if m else "unknown",
        "cpuCapability": cap.group(1) if cap else None,
        "mkl": bool(torch.backends.mkl.is_available()),
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
    }
