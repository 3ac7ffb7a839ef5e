"""What every implementation shares: thread settings, warm-up, timing, medians and memory.

An implementation is an object with ``step()`` (one full D + G step on its fixed real batch) and
``sync()`` (wait until queued device work is done); `measure` needs nothing else.
"""
import importlib
import importlib.util
import resource
import statistics
import time

IMPLEMENTATIONS = {
    "mxgan": "benchmarks.mxgan_impl",  # mxgan's ModuleGAN / ExecutorGAN as shipped
    "mxgan-tutorial-graph": "benchmarks.mxgan_impl",  # the same on the tutorial's graph
    "naive": "benchmarks.naive_impl",  # the tutorials' loops on the same mxgan graphs
    "torch": "benchmarks.torch_impl",  # PyTorch twins of the same nets and step
}
_REQUIREMENTS = {"torch": ("torch", "pip install torch==2.13.0")}


def thread_env(threads):
    """Environment that gives every framework the same ``threads`` compute threads.

    Set before MXNet or torch is imported. MXNet runs one operator at a time
    (MXNET_CPU_WORKER_NTHREADS=1, its default) on ``threads`` OpenMP threads, as eager PyTorch
    does with ``torch.set_num_threads(threads)``.
    """
    count = str(threads)
    return {"OMP_NUM_THREADS": count, "MKL_NUM_THREADS": count, "OPENBLAS_NUM_THREADS": count,
            "MXNET_CPU_WORKER_NTHREADS": "1", "MXNET_SUBGRAPH_VERBOSE": "0"}


def missing_requirement(impl):
    """Why implementation ``impl`` cannot run here (a sentence), or None when it can."""
    module, install = _REQUIREMENTS.get(impl, (None, None))
    if module and importlib.util.find_spec(module) is None:
        return "%s is not installed (%s); skipping the %s implementation" % (module, install, impl)
    return None


def builder(impl):
    """The function that builds implementation ``impl``: ``build(workload, device)``."""
    module = importlib.import_module(IMPLEMENTATIONS[impl])
    return module.build_tutorial_graph if impl.endswith("tutorial-graph") else module.build


def measure(gan, *, batch_size, warmup, steps):
    """Time ``steps`` steps of ``gan`` after ``warmup`` untimed ones, syncing before each read
    of the clock.

    Returns the step times in seconds, images/s of the median step (one image = one real image
    through the whole D + G step) and the peak resident memory of this process.
    """
    for _ in range(warmup):
        gan.step()
    gan.sync()
    times = [_timed_step(gan) for _ in range(steps)]
    return {"step_s": times, "images_per_s": images_per_second(batch_size, times),
            "peak_rss_mib": peak_rss_mib()}


def _timed_step(gan):
    start = time.perf_counter()
    gan.step()
    gan.sync()
    return time.perf_counter() - start


def images_per_second(batch_size, step_times):
    """Throughput of the median step."""
    return batch_size / statistics.median(step_times)


def peak_rss_mib():
    """Peak resident memory of this process in MiB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
