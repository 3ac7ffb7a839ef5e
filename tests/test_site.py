"""The documentation site builds strict (`make docs`): every page, the README as its home page,
the notebooks and an API page per subpackage, with no broken link, anchor or image; and the
hooks put each file where the pages' links find it."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if sys.version_info < (3, 11):  # the docs extra's Material needs Python 3.11
    pytest.skip("the site's tools install on Python 3.11 and newer", allow_module_level=True)
sys.path.append(str(ROOT / "docs"))
import site_hooks  # noqa: E402  (docs/site_hooks.py, named by mkdocs.yml)


@pytest.mark.slow
def test_the_site_builds_strict_with_every_page(tmp_path):
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                           str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    problems = [line for line in done.stderr.splitlines() if line.startswith(("WARNING", "ERROR"))]
    assert done.returncode == 0, "\n".join(problems) or done.stderr[-4000:]
    built = {path.parent.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("index.html")}
    pages = {page.relative_to(ROOT / "docs").with_suffix("").as_posix()
             for page in (ROOT / "docs").rglob("*.md")}
    assert pages <= built
    assert {"notebooks/dcgan", "notebooks/cgan", "api/mxgan", "api/nets"} <= built
    assert "the DCGAN of MXNet's" in (tmp_path / "index.html").read_text()


def test_links_point_where_their_targets_live_in_the_site():
    readme = ("![digits](docs/img/digits.png) [q](docs/quality.md#floor) [L](LICENSE) "
              "[web](https://mxnet.apache.org) [here](#top) [gone](docs/no-such-page.md)\n"
              "```sh\n[x](docs/quality.md)\n```\n")
    assert site_hooks.rewrite_links("README.md", readme) == (
        "![digits](img/digits.png) [q](quality.md#floor) [L](_repo/LICENSE) "
        "[web](https://mxnet.apache.org) [here](#top) [gone](docs/no-such-page.md)\n"
        "```sh\n[x](docs/quality.md)\n```\n")
    page = "[s](../mxgan/nets/symbols.py#L12) [f](figures/) [r](../README.md#license)"
    assert site_hooks.rewrite_links("docs/dcgan.md", page) == (
        "[s](_repo/mxgan/nets/symbols.py#L12) [f](figures/__init__.py) [r](index.md#license)")


def test_the_api_has_a_page_per_subpackage_listing_its_modules():
    pages = site_hooks.api_pages()
    subpackages = {p.parent.name for p in (ROOT / "mxgan").glob("*/__init__.py")}
    assert set(pages) == {"api/%s.md" % name for name in subpackages | {"mxgan"}}
    assert "::: mxgan.nets.symbols" in pages["api/nets.md"]
    assert "::: mxgan.evaluate" in pages["api/mxgan.md"]


def test_repository_files_the_pages_link_to_are_copied_and_followed():
    copies = site_hooks.repository_copies(["README.md", "docs/dcgan.md"])
    assert "LICENSE" in copies and not any(path.startswith("docs/") for path in copies)
    assert all((ROOT / path).is_file() for path in copies)
