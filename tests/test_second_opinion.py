"""benchmarks/second_opinion.py: a run's second opinion comes as one line and a JSON file, from a
classifier trained once and cached; a bad run directory is one line before any work."""
import importlib.util
import json
from pathlib import Path

from benchmarks import records, second_opinion

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 500  # a classifier of 500 images, measured on 500: the plumbing is under test


@pytest.fixture(scope="module")
def dcgan_run(tmp_path_factory):
    """A run of a few steps (``--dry-run``)."""
    spec = importlib.util.spec_from_file_location("dcgan_mnist",
                                                  ROOT / "examples" / "dcgan_mnist.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    run_dir = tmp_path_factory.mktemp("dcgan")
    assert example.main(["--dry-run", "--out", str(run_dir)]) == 0
    return run_dir


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """The classifier's cache in a temporary directory; returns that directory."""
    monkeypatch.setattr(second_opinion, "cache_dir", lambda dataset, key, data_dir=None:
                        tmp_path / "cache" / key)
    second_opinion.scorer_of.cache_clear()
    yield tmp_path / "cache"
    second_opinion.scorer_of.cache_clear()


@pytest.mark.slow
def test_a_run_gets_one_line_and_a_json_file_from_a_cached_classifier(dcgan_run, cache, capsys,
                                                                      monkeypatch):
    records_file = cache.parent / "second-opinion.jsonl"
    second_opinion.main([str(dcgan_run), "--limit", str(LIMIT), "--records", str(records_file)])
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith("%s: FD " % dcgan_run) and "x floor (" in line and " | P " in line
    scores = json.loads((dcgan_run / second_opinion.OUT_FILE).read_text())
    assert scores["num_samples"] == 5000 and len(scores["samples"]["frechet_distance_sets"]) == 5
    assert scores["floor_image_size"] == 28 and scores["run_dir"] == str(dcgan_run)
    assert scores["classifier"]["num_train_images"] == LIMIT
    [record] = records.read(records_file)
    assert record["fd_ratio"] == scores["samples"]["fd_ratio"]
    assert record["provenance"]["command"].startswith("python benchmarks/second_opinion.py ")
    monkeypatch.setattr(second_opinion, "train", None)  # from now on it can only load
    assert second_opinion.load_second_opinion("mnist", limit=LIMIT).info == scores["classifier"]
    assert len(list(cache.iterdir())) == 1


@pytest.mark.slow
def test_a_bad_run_directory_is_one_line_before_any_run_is_scored(dcgan_run, cache, capsys,
                                                                  tmp_path):
    (dcgan_run / second_opinion.OUT_FILE).unlink(missing_ok=True)
    with pytest.raises(SystemExit) as exit_:
        second_opinion.main([str(dcgan_run), str(tmp_path / "nothing")])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1
    assert err.startswith("error: no trained model at %s" % (tmp_path / "nothing"))
    assert not (dcgan_run / second_opinion.OUT_FILE).exists() and not cache.exists()
