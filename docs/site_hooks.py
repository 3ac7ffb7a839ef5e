"""MkDocs hooks that make the repository's Markdown a site (mkdocs.yml names this file).

- README.md becomes the home page, index.md;
- the executed notebooks docs/*.ipynb are shown under notebooks/ (the pages of the same names
  keep dcgan/ and cgan/; links to dcgan.ipynb find them there);
- each subpackage of mxgan gets an API reference page, api/NAME.md, whose modules mkdocstrings
  draws from their docstrings (read statically: MXNet is not imported), and api/mxgan.md holds
  the package's top-level modules; the nav's "API reference" section lists them;
- a link to a repository file outside docs/ (source, LICENSE, CHANGELOG.md, ...) points at a
  copy of that file under _repo/, so it resolves in the site as it does on the repository.

Every link is rewritten from where its file lives in the repository to where it lives in the
site, so that the build's strict link and anchor checks judge the pages as written.
"""
import os
import posixpath
import re
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, InclusionLevel

ROOT = Path(__file__).resolve().parent.parent
DOCS = "docs/"
PACKAGE = "mxgan"
REPO_COPIES = "_repo/"
NOTEBOOKS = "notebooks/"
FOLDER_PAGES = ("README.md", "__init__.py")  # what a link to a folder shows
API_SECTION = "API reference"  # the nav section (mkdocs.yml) the API pages fill
ALWAYS_COPIED = ("CHANGELOG.md", "LICENSE")  # the nav shows the changelog

_FENCE = re.compile(r"^```.*?^```", re.S | re.M)
_LINK = re.compile(r"(?P<head>!?\[[^\]]*\]\()(?P<target>[^)\s]+)(?P<tail>\))")


def site_path(repo_path):
    """Where a repository file (a path relative to the root) lives in the site's sources."""
    if repo_path == "README.md":
        return "index.md"
    if repo_path.startswith(DOCS):
        return repo_path[len(DOCS):]
    return REPO_COPIES + repo_path


def repo_path_of(src_uri):
    """The repository file a site source came from (the inverse of `site_path`)."""
    if src_uri == "index.md":
        return "README.md"
    if src_uri.startswith(REPO_COPIES):
        return src_uri[len(REPO_COPIES):]
    return DOCS + src_uri


def _is_relative(target):
    return not re.match(r"^([a-z][a-z0-9+.-]*:|#|/)", target)


def resolve(repo_path, target):
    """The repository file a relative link of ``repo_path`` points at; a link to a folder
    points at the folder's README.md or, for a package, its __init__.py."""
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(repo_path), target))
    if (ROOT / resolved).is_dir():
        for name in FOLDER_PAGES:
            if (ROOT / resolved / name).is_file():
                return posixpath.join(resolved, name)
    return resolved


def linked_files(repo_path, text):
    """The repository files (relative to the root) that relative links of a Markdown file
    point at, outside its fenced code."""
    found = []
    for match in _LINK.finditer(_FENCE.sub("", text)):
        target = match.group("target").partition("#")[0]
        if target and _is_relative(target):
            found.append(resolve(repo_path, target))
    return found


def rewrite_links(repo_path, text):
    """A Markdown file's text with each relative link pointing where its target lives in the
    site (fenced code left as it is)."""
    here = posixpath.dirname(site_path(repo_path))

    def relink(match):
        target, hash_, anchor = match.group("target").partition("#")
        if not target or not _is_relative(target) or not (ROOT / resolve(repo_path,
                                                                           target)).exists():
            return match.group(0)  # a broken link stays as written, for the build to report
        moved = posixpath.relpath(site_path(resolve(repo_path, target)), here or ".")
        return match.group("head") + moved + hash_ + anchor + match.group("tail")

    pieces, end = [], 0
    for fence in _FENCE.finditer(text):
        pieces += [_LINK.sub(relink, text[end:fence.start()]), fence.group(0)]
        end = fence.end()
    return "".join(pieces + [_LINK.sub(relink, text[end:])])


def repository_copies(start):
    """Every repository file outside docs/ reachable by links from the Markdown files
    ``start`` (repository paths), following links of Markdown files outside docs/ too."""
    seen, queue = set(), list(start)
    while queue:
        path = queue.pop()
        if not path.endswith(".md") or not (ROOT / path).is_file():
            continue
        for target in linked_files(path, (ROOT / path).read_text()):
            if not target.startswith(DOCS) and target not in seen and (ROOT / target).is_file():
                seen.add(target)
                queue.append(target)
    return sorted(seen)


def api_pages():
    """{api/NAME.md: Markdown} of mxgan's reference: a page per subpackage listing its modules
    for mkdocstrings, and api/mxgan.md for the top-level modules."""
    package = ROOT / PACKAGE
    pages = {}
    folders = [package] + sorted(p.parent for p in package.glob("*/__init__.py"))
    for folder in folders:
        dotted = ".".join(folder.relative_to(ROOT).parts)
        modules = sorted(folder.rglob("*.py") if folder != package else folder.glob("*.py"))
        names = [".".join(m.relative_to(ROOT).with_suffix("").parts) for m in modules]
        names = [n[:-len(".__init__")] if n.endswith(".__init__") else n for n in names]
        blocks = ["::: %s" % name for name in names]
        pages["api/%s.md" % folder.name] = "# `%s`\n\n%s\n" % (dotted, "\n\n".join(blocks))
    return pages


def on_config(config):
    """Fill the nav's "API reference" section with the API pages (see `api_pages`)."""
    for entry in config["nav"] or []:
        if isinstance(entry, dict) and API_SECTION in entry:
            entry[API_SECTION] = sorted(api_pages())
    return config


def move_to_notebooks(file, config):
    """Give a notebook page the address notebooks/NAME/ (its page NAME.md keeps NAME/)."""
    name = posixpath.splitext(file.src_uri)[0]
    file.url = NOTEBOOKS + name + "/" if config["use_directory_urls"] else \
        NOTEBOOKS + name + ".html"
    file.dest_uri = NOTEBOOKS + (name + "/index.html" if config["use_directory_urls"]
                                 else name + ".html")
    file.abs_dest_path = os.path.normpath(os.path.join(config["site_dir"], file.dest_uri))


@event_priority(-100)  # after the notebook plugin has made the notebooks pages
def on_files(files, config):
    """Move the notebooks; add the home page, the API pages and the repository copies."""
    for file in files:
        if file.src_uri.endswith(".ipynb"):
            move_to_notebooks(file, config)
    pages = [DOCS + f.src_uri for f in files if f.src_uri.endswith(".md")] + ["README.md"]
    generated = {"index.md": (ROOT / "README.md").read_text(), **api_pages()}
    for src_uri, content in generated.items():
        files.append(File.generated(config, src_uri, content=content))
    for path in sorted(set(repository_copies(pages)) | set(ALWAYS_COPIED)):  # reached by links
        files.append(File.generated(config, site_path(path), content=(ROOT / path).read_bytes(),
                                    inclusion=InclusionLevel.NOT_IN_NAV))
    return files


def on_page_markdown(markdown, page, config, files):
    """Point the page's relative links at their targets' places in the site."""
    if page.file.src_uri.startswith("api/"):
        return markdown
    return rewrite_links(repo_path_of(page.file.src_uri), markdown)
