"""mxgan.training.checkpoint: exact round trips, pruning, whole-or-nothing saves, and every kind
of damage found before it is used."""
import json
import pickle

import mxgan
from mxgan.common import mxnet_internals
from mxgan.runs import loop
from mxgan.training import checkpoint
from mxgan.training.checkpoint import CheckpointError
from mxgan.training.recipe import Recipe
from mxgan.training.trainer import AVERAGE

import mxnet as mx
import numpy as np
import pytest

import tiny


def _trained(model, real_u8, steps=2):
    trainer = tiny.TRAINERS[model](recipe=Recipe(ema_decay=0.9))
    for _ in range(steps):
        trainer.step(**tiny.batch(model, real_u8))
    return trainer


@pytest.fixture(scope="module", params=["dcgan", "cgan"])
def trained(request, real_u8):
    """(model, a trainer two steps in), shared by the tests of a module: none changes it."""
    return request.param, _trained(request.param, real_u8)


@pytest.fixture
def saved(trained, tmp_path):
    """(model, trainer, run directory) with checkpoints at iterations 1 and 2."""
    model, trainer = trained
    for iteration in (1, 2):
        checkpoint.save(tmp_path, iteration, trainer.checkpoint_states(), {"config": {"seed": 0}})
    return model, trainer, tmp_path


def test_every_saved_array_comes_back_bit_for_bit(saved):
    model, trainer, run_dir = saved
    restored = tiny.TRAINERS[model](seed=1, recipe=Recipe(ema_decay=0.9))
    restored.restore(checkpoint.find(run_dir))
    before, after = tiny.all_arrays(trainer), tiny.all_arrays(restored)
    assert sorted(before) == sorted(after) and any("state" in key for key in before)
    assert any(key.startswith(AVERAGE) for key in before)
    for key in before:
        np.testing.assert_array_equal(after[key], before[key], err_msg=key)


def test_only_the_two_newest_checkpoints_are_kept(saved):
    _, trainer, run_dir = saved
    checkpoint.save(run_dir, 3, trainer.checkpoint_states(), {"config": {}})
    assert [p.name for p in checkpoint.list_checkpoints(run_dir)] == ["iter-000002",
                                                                      "iter-000003"]


def test_a_failed_save_leaves_no_half_written_checkpoint(saved, monkeypatch):
    _, trainer, run_dir = saved
    real_save = mx.nd.save
    calls = []

    def second_net_fails(*args, **kwargs):
        calls.append(args[0])
        if len(calls) == 2:
            raise OSError("disk full")
        return real_save(*args, **kwargs)
    monkeypatch.setattr(mx.nd, "save", second_net_fails)
    with pytest.raises(OSError, match="disk full"):
        checkpoint.save(run_dir, 3, trainer.checkpoint_states(), {"config": {}})
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == ["iter-000001",
                                                                           "iter-000002"]
    assert checkpoint.find(run_dir).name == "iter-000002"


def test_a_killed_saves_staging_directory_is_removed_by_the_next_save(saved):
    _, trainer, run_dir = saved
    stale = run_dir / "checkpoints" / ".tmp-999999-iter-000003"  # a pid that cannot be alive
    stale.mkdir()
    checkpoint.save(run_dir, 3, trainer.checkpoint_states(), {"config": {}})
    assert not stale.exists()


def test_a_checkpoint_loads_with_standard_module_load_and_its_optimizer_states(saved):
    model, trainer, run_dir = saved
    prefix = str(checkpoint.find(run_dir) / "generator")
    data_names = ("rand",) if model == "dcgan" else ("rand", "cond")
    module = mx.mod.Module.load(prefix, 2, load_optimizer_states=True, data_names=data_names,
                                label_names=None)
    shapes = [("rand", (tiny.BATCH, tiny.NZ, 1, 1))]
    if model == "cgan":
        shapes.append(("cond", (tiny.BATCH, 10, 1, 1)))
    module.bind(data_shapes=shapes)
    module.init_optimizer(optimizer="adam")  # loads the .states file
    saved_weights = trainer.get_params("generator")[0]
    for name, value in module.get_params()[0].items():
        np.testing.assert_array_equal(value.asnumpy(), saved_weights[name].asnumpy())
    loaded, saved_states = (mxnet_internals.module_updater(module).states,
                            trainer.updater("generator").states)
    assert sorted(loaded) == sorted(saved_states) == list(range(len(saved_weights)))
    for index, moments in saved_states.items():  # Adam's mean and variance per parameter
        assert len(loaded[index]) == len(moments) == 2
        for got, expected in zip(loaded[index], moments):
            np.testing.assert_array_equal(got.asnumpy(), expected.asnumpy())


def test_a_checkpoint_of_another_mxgan_version_is_named_in_one_warning(saved, monkeypatch,
                                                                        capsys):
    ckpt = checkpoint.find(saved[2])
    checkpoint.warn_if_other_version(ckpt, checkpoint.load_meta(ckpt))
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(checkpoint, "__version__", "99.0")  # the version running now
    checkpoint.warn_if_other_version(ckpt, checkpoint.load_meta(ckpt))
    assert capsys.readouterr().err == ("warning: %s was written by mxgan %s; this is mxgan 99.0\n"
                                       % (ckpt, mxgan.__version__))


# ---- damage ---------------------------------------------------------------------------------

def _newest(run_dir):
    return checkpoint.list_checkpoints(run_dir)[-1]


def _truncate(path):
    path.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 2])


DAMAGE = {
    "truncated params": lambda d: _truncate(next(d.glob("generator-*.params"))),
    "empty params": lambda d: next(d.glob("discriminator-*.params")).write_bytes(b""),
    "missing params": lambda d: next(d.glob("generator-*.params")).unlink(),
    "missing states": lambda d: next(d.glob("generator-*.states")).unlink(),
    "truncated symbol": lambda d: _truncate(d / "generator-symbol.json"),
    "meta without config": lambda d: (d / "meta.json").write_text('{"iteration": 2}'),
    "truncated meta": lambda d: _truncate(d / "meta.json"),
    "missing meta": lambda d: (d / "meta.json").unlink(),
    "malformed manifest": lambda d: (d / checkpoint.MANIFEST).write_text('{"meta.json": 5}'),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_newest_checkpoint_is_skipped_with_a_warning(saved, damage, capsys):
    _, _, run_dir = saved
    DAMAGE[damage](_newest(run_dir))
    assert checkpoint.find(run_dir).name == "iter-000001"
    warning = capsys.readouterr().err
    assert warning.startswith("warning: skipping a damaged checkpoint: ")
    assert "iter-000002" in warning and warning.rstrip().endswith("iter-000001 instead")


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_checkpoint_asked_for_by_name_is_an_error_naming_it(saved, damage):
    _, _, run_dir = saved
    newest = _newest(run_dir)
    DAMAGE[damage](newest)
    with pytest.raises(CheckpointError, match=str(newest)):
        checkpoint.find(run_dir, newest)


def test_no_checkpoint_that_verifies_is_an_error(saved):
    _, _, run_dir = saved
    for ckpt in checkpoint.list_checkpoints(run_dir):
        DAMAGE["truncated params"](ckpt)
    with pytest.raises(CheckpointError, match="its checkpoints are all damaged"):
        checkpoint.find(run_dir)
    (run_dir / "checkpoints" / "iter-000009").mkdir()  # an empty directory counts as damaged
    with pytest.raises(CheckpointError, match="all damaged"):
        checkpoint.find(run_dir)


def test_a_checkpoint_from_before_manifests_still_loads(saved):
    model, trainer, run_dir = saved
    for ckpt in checkpoint.list_checkpoints(run_dir):
        (ckpt / checkpoint.MANIFEST).unlink()
    restored = tiny.TRAINERS[model](seed=1, recipe=Recipe(ema_decay=0.9))
    restored.restore(checkpoint.find(run_dir))
    np.testing.assert_array_equal(tiny.all_arrays(restored)["generator num_update"],
                                  tiny.all_arrays(trainer)["generator num_update"])
    (checkpoint.list_checkpoints(run_dir)[-1] / "generator-0002.states").write_bytes(b"")
    assert checkpoint.find(run_dir).name == "iter-000001"  # an empty file is still found out


def _edit_meta(ckpt, change):
    """Edit a checkpoint's meta.json with ``change(dict)`` and drop its manifest, as a hand edit
    of a checkpoint from before manifests would leave it."""
    meta = json.loads((ckpt / "meta.json").read_text())
    change(meta)
    (ckpt / "meta.json").write_text(json.dumps(meta))
    (ckpt / checkpoint.MANIFEST).unlink()


@pytest.mark.parametrize("change, reason", [
    (lambda meta: meta["config"].pop("seed"), "meta.json lacks seed in the config of its run"),
    (lambda meta: meta.update(optimizer_counts=[1]), "meta.json lacks its run's iteration or "
                                                     "config, or is malformed"),
], ids=["config-without-a-needed-key", "optimizer-counts-not-a-dict"])
def test_a_hand_edited_meta_json_counts_as_damage(saved, change, reason, capsys):
    _, _, run_dir = saved
    _edit_meta(_newest(run_dir), change)
    assert checkpoint.find(run_dir, needs=("seed",)).name == "iter-000001"
    assert reason in capsys.readouterr().err
    with pytest.raises(CheckpointError, match=reason):
        checkpoint.find(run_dir, _newest(run_dir), needs=("seed",))


def test_checkpoints_past_999999_steps_are_ordered_by_step(tmp_path, real_u8):
    """Their names as text put iter-1000000 before iter-999999: a resume would go back a
    million steps and pruning would delete the newest."""
    trainer = _trained("dcgan", real_u8, steps=1)
    for iteration in (999998, 999999, 1000000):
        checkpoint.save(tmp_path, iteration, trainer.checkpoint_states(), {"config": {"seed": 0}})
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == [
        "iter-1000000", "iter-999999"]  # pruned to the two newest by step, not by name
    assert checkpoint.find(tmp_path).name == "iter-1000000"
    resumed = tiny.dcgan(seed=1)
    assert loop.restore(resumed, checkpoint.find(tmp_path)) == 1000000
    checkpoint.save(tmp_path, 1000001, resumed.checkpoint_states(), {"config": {"seed": 0}})
    assert [p.name for p in checkpoint.list_checkpoints(tmp_path)] == ["iter-1000000",
                                                                       "iter-1000001"]


def test_other_names_in_checkpoints_are_neither_read_nor_pruned(saved):
    _, trainer, run_dir = saved
    (run_dir / "checkpoints" / "iter-best").mkdir()
    (run_dir / "checkpoints" / "iter-000007").write_text("a file, not a checkpoint")
    checkpoint.save(run_dir, 3, trainer.checkpoint_states(), {"config": {}})
    assert [p.name for p in checkpoint.list_checkpoints(run_dir)] == ["iter-000002",
                                                                      "iter-000003"]
    assert (run_dir / "checkpoints" / "iter-best").is_dir()
    assert (run_dir / "checkpoints" / "iter-000007").is_file()


def _rewrite(ckpt, net, change):
    """Edit network ``net``'s parameters with ``change(dict)`` and re-describe the files, as a
    well-formed but wrong checkpoint (another architecture, a hand edit) would be."""
    path = next(ckpt.glob("%s-*.params" % net))
    params = mx.nd.load(str(path))
    change(params)
    mx.nd.save(str(path), params)
    (ckpt / checkpoint.MANIFEST).write_text(json.dumps(checkpoint._describe_files(ckpt)))


@pytest.mark.slow
@pytest.mark.parametrize("change, message", [
    (lambda p: p.pop(next(k for k in p if k.endswith("_weight"))), "lacks the parameter"),
    (lambda p: p.update({"arg:g_extra_weight": mx.nd.zeros(2)}), "does not have: g_extra_weight"),
    (lambda p: p.update({k: mx.nd.zeros(3) for k in list(p)[:1]}), "has shape (3,)"),
])
def test_a_checkpoint_that_does_not_fit_the_network_is_refused_naming_the_parameter(
        saved, change, message):
    model, _, run_dir = saved
    _rewrite(_newest(run_dir), "generator", change)
    with pytest.raises(CheckpointError, match=message.replace("(", r"\(").replace(")", r"\)")):
        tiny.TRAINERS[model](seed=1, recipe=Recipe(ema_decay=0.9)).restore(checkpoint.find(run_dir))


class _Planted:
    """An object whose unpickling would create a directory: what a crafted file could do."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (__import__("os").mkdir, (self.path,))


def test_optimizer_state_that_would_run_code_is_refused(saved, tmp_path):
    model, _, run_dir = saved
    ckpt = _newest(run_dir)
    planted = tmp_path / "planted"
    next(ckpt.glob("generator-*.states")).write_bytes(pickle.dumps({0: _Planted(str(planted))}))
    (ckpt / checkpoint.MANIFEST).write_text(json.dumps(checkpoint._describe_files(ckpt)))
    with pytest.raises(CheckpointError, match="not loadable optimiser state.*os.mkdir|posix"):
        tiny.TRAINERS[model](seed=1, recipe=Recipe(ema_decay=0.9)).restore(ckpt)
    assert checkpoint.find(run_dir).name == "iter-000001"  # verifying refuses it too
    assert not planted.exists()
