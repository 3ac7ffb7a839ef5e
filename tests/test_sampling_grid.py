"""The sampling grid's order of settings and the trade-off curve drawn from its records."""
import json

from benchmarks import sampling_curve, sampling_grid

import pytest


def test_the_grid_scores_each_lever_alone_before_their_combinations():
    grid = sampling_grid.settings_grid((0.0, 1.0, 0.6), (1.0, 0.5), (None,))
    alone = [(0.0, 1.0, None), (0.0, 0.5, None), (1.0, 1.0, None), (0.6, 1.0, None)]
    assert grid[:4] == alone and set(grid[4:]) == {(1.0, 0.5, None), (0.6, 0.5, None)}


def _line(truncation, acceptance, precision, recall, **extra):
    return dict(truncation=truncation, acceptance=acceptance, precision=precision,
                recall=recall, iteration=4500, **extra)


def test_the_curve_of_a_lever_runs_from_off_to_strongest_with_the_other_off(tmp_path):
    lines = [_line(0.0, 1.0, 0.7, 0.9), _line(0.6, 1.0, 0.8, 0.7), _line(1.5, 1.0, 0.75, 0.85),
             _line(0.0, 0.5, 0.85, 0.8), _line(1.5, 0.5, 0.9, 0.6),
             _line(0.0, 0.5, 0.86, 0.8, digit_check=True)]
    truncation = sampling_curve.lever_curve(lines, "truncation", "acceptance", 1.0)
    rejection = sampling_curve.lever_curve(lines, "acceptance", "truncation", 0.0)
    assert [line["truncation"] for line in truncation] == [0.0, 1.5, 0.6]
    assert [line["acceptance"] for line in rejection] == [1.0, 0.5]
    path = tmp_path / "dcgan.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    out = sampling_curve.plot([path], tmp_path / "curve.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_curve_refuses_records_that_do_not_exist_in_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as ended:
        sampling_curve.main([str(tmp_path / "sampling-dcgan.jsonl")])
    assert ended.value.code == 2
    assert capsys.readouterr().err.startswith("error: no sampling records at ")
