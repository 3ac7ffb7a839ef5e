"""mxgan.quality.report: the scores table beside the floor, and the summary line."""
from mxgan.quality import report
from mxgan.quality.scores import score_samples

import pytest


@pytest.fixture(scope="module")
def scores(scorer, digits):
    return score_samples(*digits, classifier=scorer)


@pytest.mark.slow
def test_the_table_shows_each_score_beside_the_floor(scores):
    table = report.format_table(scores).splitlines()
    assert table[0].startswith("mnist: 1000 samples. Frechet distance: 1000 against")
    assert "the same for 5 sets of 1000 real training images" in table[1]
    rows = {line.split("  ")[0]: line for line in table[3:]}
    assert rows["Frechet distance / floor"].rstrip().endswith("1.00x")
    assert "worst digit's accuracy" in rows and "per-digit FD / floor: worst" in rows
    assert len(rows) == 11


def test_the_summary_line_leads_with_the_multiple_of_the_floor(scores):
    line = report.summary_line(scores)
    assert line.startswith("FD %.2fx floor" % scores["samples"]["fd_ratio"])
    assert "10/10 classes" in line and "(worst digit " in line and line.endswith(
        "R %.2f" % scores["samples"]["recall"])


def test_a_64_px_floor_is_named_in_the_table_and_the_line(scores):
    resized = dict(scores, floor_image_size=64)
    assert "never saw, resized 28 -> 64 -> 28 px as the samples were." in report.format_table(
        resized)
    assert report.summary_line(resized).startswith("FD %.2fx 64 px floor (%.2f; 64 px floor "
                                                     % (scores["samples"]["fd_ratio"],
                                                        scores["samples"]["frechet_distance"]))
    assert "resized" not in report.format_table(scores)
