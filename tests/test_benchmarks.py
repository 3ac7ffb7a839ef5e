"""The benchmarks: every implementation steps, the naive loop is mxgan's maths, the torch twins
are the MXNet nets, and the scripts write their tables and records, each with its provenance
(tiny workloads, seconds on 2 cores)."""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from benchmarks import harness, mx_common, mxgan_impl, naive_impl, records
from benchmarks.workloads import make_workload
from mxgan.common.mxnet_internals import module_grad_arrays

import mxnet as mx
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
TINY = dict(batch_size=8, filters=4)
HAS_TORCH = importlib.util.find_spec("torch") is not None
IMPLS = ["mxgan", "mxgan-tutorial-graph", "naive", pytest.param("torch", marks=pytest.mark.skipif(
    not HAS_TORCH, reason="torch is not installed"))]


@pytest.mark.slow
@pytest.mark.parametrize("workload", ["dcgan28", "cgan28"])
@pytest.mark.parametrize("impl", IMPLS)
def test_each_implementation_measures_positive_throughput(impl, workload):
    gan = harness.builder(impl)(make_workload(workload, **TINY), "cpu")
    result = harness.measure(gan, batch_size=8, warmup=1, steps=2)
    assert len(result["step_s"]) == 2
    assert result["images_per_s"] > 0 and result["peak_rss_mib"] > 0


def test_missing_torch_is_skipped_with_an_install_hint(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert "pip install torch" in harness.missing_requirement("torch")
    assert harness.missing_requirement("mxgan") is None


# ---- the naive loop is the same maths as mxgan's trainer ------------------------------------
def _d_gradients_at_update(gan, trainer):
    """Run one step with D's update replaced by a recorder; return the gradients it was handed."""
    recorded = {}
    if hasattr(trainer, "mod_d"):  # Module-based: read D's gradient arrays when update is called
        trainer.mod_d.update = lambda: recorded.update(
            enumerate(grad.asnumpy() for grad in module_grad_arrays(trainer.mod_d)))
    else:  # executor-based: the updater gets (indices, grads, weights), lists or one at a time
        def record(indices, grads, weights):
            one_at_a_time = not isinstance(indices, (list, tuple))
            pairs = [(indices, grads)] if one_at_a_time else zip(indices, grads)
            recorded.update((index, grad.asnumpy()) for index, grad in pairs)
        if hasattr(trainer, "updater"):  # mxgan's ExecutorGAN: its DeviceCopies' updater
            trainer._params["discriminator"].updater = record
        else:
            trainer.updater_d = record
    mx.random.seed(7)  # the same noise and digits for both loops
    gan.step()
    return recorded


def _all_params(trainer):
    nets = trainer.checkpoint_states().values()
    return ({k: v for net in nets for k, v in net.arg_params.items()},
            {k: v for net in nets for k, v in net.aux_params.items()})


@pytest.mark.parametrize("workload", ["dcgan28", "cgan28"])
def test_naive_loop_hands_d_the_same_gradients_as_mxgan(workload):
    """The naive loop runs the tutorial's graph; mxgan its fast formulation."""
    spec = make_workload(workload, **TINY)
    ours, naive = mxgan_impl.build(spec, "cpu"), naive_impl.build(spec, "cpu")
    naive.set_params(*_all_params(ours.trainer))
    expected = _d_gradients_at_update(ours, ours.trainer)
    got = _d_gradients_at_update(naive, naive)
    assert sorted(got) == sorted(expected)
    assert sum(np.abs(grad).max() > 0 for grad in expected.values()) > 3  # fixed gammas get 0
    for index, grad in expected.items():  # mxgan's fast graph against the tutorial's graph
        np.testing.assert_allclose(got[index], grad, rtol=1e-4, atol=1e-5 * np.abs(grad).max())


# ---- the torch twins are the MXNet nets ------------------------------------------------------
def _mxnet_outputs(symbol, params, inputs):
    """Training-mode outputs of ``symbol`` (bound with gradients: no oneDNN inference rewrite)."""
    executor = symbol.simple_bind(mx.cpu(), grad_req="write",
                                  **{name: array.shape for name, array in inputs.items()})
    executor.copy_params_from({k: mx.nd.array(v) for k, v in params.items()},
                              allow_extra_params=True)
    for name, array in inputs.items():
        executor.arg_dict[name][:] = array
    return executor.forward(is_train=True)[0].asnumpy()


def _shared_params(symbol, net, inputs, rng):
    """Random MXNet parameters, copied into ``net`` in layer order (gamma fixed at 1).

    MXNet's one-filter output deconvolution holds a spare second filter; the twin takes the first.
    """
    import torch
    names = [n for n in symbol.list_arguments() if n not in tuple(inputs) + ("label",)]
    shapes = dict(zip(symbol.list_arguments(), symbol.infer_shape(
        **{name: array.shape for name, array in inputs.items()})[0]))
    params = {name: np.ones(shapes[name], np.float32) if name.endswith("gamma")
              else rng.normal(0, 0.1, shapes[name]).astype(np.float32) for name in names}
    twin_params = list(net.parameters())
    assert len(twin_params) == len(names)
    with torch.no_grad():
        for name, param in zip(names, twin_params):
            param.copy_(torch.from_numpy(params[name][tuple(slice(0, n) for n in param.shape)]))
    return params


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed")
@pytest.mark.parametrize("workload", ["dcgan64", "dcgan28", "cgan28"])
def test_torch_twin_computes_the_mxnet_networks(workload):
    from benchmarks import torch_impl

    import torch
    spec = make_workload(workload, batch_size=4, filters=4)
    generator, discriminator = mx_common.networks(spec, "tutorial")
    logits = discriminator.get_children()[0]  # D without its logistic head
    twin = torch_impl.build(spec, "cpu")
    rng = np.random.RandomState(0)
    cond = {"cond": np.eye(10, dtype=np.float32)[[1, 3, 5, 7]][:, :, None, None]} \
        if spec.conditional else {}
    g_inputs = dict(rand=rng.normal(size=(4, spec.nz, 1, 1)).astype(np.float32), **cond)
    d_inputs = dict(data=rng.uniform(-1, 1, (4,) + spec.image_shape).astype(np.float32), **cond)
    for symbol, net, inputs in ((generator, twin.net_g, g_inputs), (logits, twin.net_d, d_inputs)):
        params = _shared_params(symbol, net, inputs, rng)
        expected = _mxnet_outputs(symbol, params, inputs)
        got = net(*(torch.from_numpy(array) for array in inputs.values())).detach().numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


# ---- the command --------------------------------------------------------------------------
@pytest.mark.slow
def test_run_prints_a_table_and_appends_a_record(tmp_path):
    out = tmp_path / "throughput.jsonl"
    command = [sys.executable, "benchmarks/run.py", "--workloads", "dcgan28", "--impls", "mxgan",
               "naive", "--steps", "2", "--warmup", "1", "--repeats", "1", "--batch-size", "8",
               "--filters", "4", "--peak-size", "256", "--out", str(out)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "mxgan/naive" in done.stdout
    (results,) = records.read(out)
    assert results["provenance"]["command"].startswith("python benchmarks/run.py --workloads")
    assert {row["impl"] for row in results["results"]} == {"mxgan", "naive"}
    assert all(row["images_per_s"] > 0 for row in results["results"])
    assert results["ratios"]["dcgan28"]["mxgan/naive"] > 0
    assert len(results["sgemm_gflops"]) == 1 and results["sgemm_gflops"][0] > 0
    assert all(0 < row["percent_of_peak"] for row in results["results"])


@pytest.mark.slow
def test_time_to_quality_scores_every_checkpoint_or_reads_the_in_training_scores(tmp_path,
                                                                                 scorer):
    from benchmarks import time_to_quality
    time_to_quality.main(["dcgan", "--max-iters", "6", "--every", "3", "--out", str(tmp_path),
                          "--results", str(tmp_path / "ttq.jsonl"), "--dry-run",
                          "--score-every", "3"])
    (record,) = records.read(tmp_path / "ttq.jsonl")
    points = record["points"]
    assert [p["iteration"] for p in points] == [3, 6]
    assert 0 < points[0]["training_s"] < points[1]["training_s"] < record["command_wall_s"]
    assert all(p["fd_ratio"] > 1 for p in points)
    time_to_quality.main(["dcgan", "--from-run", str(tmp_path / "dcgan"), "--results",
                          str(tmp_path / "read.jsonl")])
    read = records.read(tmp_path / "read.jsonl")[-1]["points"]
    assert [p["iteration"] for p in read] == [3, 6] and all(p["fd_ratio"] > 1 for p in read)
    assert 0 < read[0]["training_s"] < read[1]["training_s"]


@pytest.mark.slow
def test_quality_records_each_variant_and_rescores_it_with_the_current_scorer(tmp_path, scorer):
    from benchmarks import quality
    results, runs = tmp_path / "q.jsonl", tmp_path / "runs"
    common = ["--results", str(results), "--runs", str(runs)]
    quality.main(["dcgan", "--variant", "tiny", "--max-iters 2 --batch-size 8 --ngf 4 --ndf 4",
                  *common])
    (record,) = records.read(results)
    assert (record["variant"], record["iterations"], record["samples"]) == ("tiny", 2, 5000)
    assert record["wall_s"] > 0 and record["fd_ratio"] > 1
    assert record["provenance"]["command"] == (
        "python benchmarks/quality.py dcgan --variant tiny '--max-iters 2 --batch-size 8 "
        "--ngf 4 --ndf 4' --results %s --runs %s" % (results, runs))
    assert set(record["provenance"]) == {"command", "commit", "date", "machine", "python",
                                         "numpy", "mxnet"}
    record["fd_ratio"] = -1.0
    results.write_text(json.dumps(record) + "\n")
    quality.main(["dcgan", "--rescore", *common])
    original, rescored = records.read(results)
    assert rescored["fd_ratio"] > 1 and rescored["wall_s"] == record["wall_s"]
    assert rescored["timed"] == original["provenance"]
    assert "--rescore" in rescored["provenance"]["command"]


@pytest.mark.slow
def test_quality_refuses_a_variant_that_does_not_score_its_run(tmp_path, capsys):
    from benchmarks import quality
    with pytest.raises(SystemExit) as exit_info:
        quality.main(["dcgan", "--variant", "unscored", " --dry-run", "--runs", str(tmp_path),
                      "--results", str(tmp_path / "q.jsonl")])
    assert exit_info.value.code == 2 and not (tmp_path / "q.jsonl").exists()
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.endswith("a variant must score its run (no "
                                                      "--no-eval or --dry-run among its flags)\n")


@pytest.mark.slow
@pytest.mark.parametrize("script", ["quality", "time_to_quality"])
def test_the_quality_scripts_without_a_model_say_which_to_choose(script):
    done = subprocess.run([sys.executable, "benchmarks/%s.py" % script], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("error: no model given: choose dcgan or cgan")


@pytest.mark.slow
def test_the_layer_benchmark_times_every_rewrite_against_the_tutorial_layer(tmp_path):
    from benchmarks import layers
    layers.main(["--steps", "1", "--threads", "1", "--out", str(tmp_path / "layers.jsonl")])
    rows = records.read(tmp_path / "layers.jsonl")[0]["rows"]
    assert len(rows) == len(layers.CASES)
    assert all(row["tutorial_ms"] > 0 and row["fast_ms"] > 0 for row in rows)
