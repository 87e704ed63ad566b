"""The course as a website (`make site`): built offline from the stored outputs, then opened in
Chromium page by page: every chapter loads without a console error, every image is displayed,
and no internal link (page or anchor) is broken."""
from __future__ import annotations

import functools
import threading
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

from helpers.course.editions import solved_notebooks
from helpers.course.runner import NOTEBOOKS
from helpers.course.site import WIDGET_NOTE, build_site
from test_browser import CHROMIUM_FLAGS, chromium  # noqa: F401  (the fixture)

CHAPTERS = [p.name.lstrip(".").removesuffix(".ipynb") for p in solved_notebooks(NOTEBOOKS)]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The built site, served on loopback (as a reader's browser would load it)."""
    root = build_site(tmp_path_factory.mktemp("site") / "html").parent

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.ids.update(value for name, value in attrs if name in ("id", "name") and value)


def page_ids(root: Path, path: str) -> set[str] | None:
    file = root / path.lstrip("/")
    if file.is_dir() or not file.suffix:
        file = file / "index.html"
    if not file.exists():
        return None
    parser = _Ids()
    parser.feed(file.read_text(errors="replace"))
    return parser.ids


def test_every_chapter_and_appendix_is_a_page_with_its_solutions_folded(site):
    root, _ = site
    for name in CHAPTERS:
        html = (root / "chapters" / f"{name}.html").read_text()
        assert "<details" in html or "BEGIN SOLUTION" not in html, name   # solutions behind a toggle
    for page in ("index", "glossary", "troubleshooting", "kaffe"):
        assert (root / f"{page}.html").exists(), page
    index = (root / "index.html").read_text()
    assert all(f"chapters/{name}.html" in index for name in CHAPTERS)
    assert WIDGET_NOTE.split(":")[0] in (root / "chapters" / "06_playground.html").read_text()


def test_every_page_loads_without_errors_shows_its_images_and_links_resolve(site, chromium):  # noqa: F811
    from playwright.sync_api import sync_playwright

    root, base = site
    pages = ["index.html", "glossary.html", "troubleshooting.html", "kaffe.html",
             *(f"chapters/{name}.html" for name in CHAPTERS)]
    problems, links = [], set()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda err: errors.append(str(err)))
            page.on("response", lambda r: errors.append(f"HTTP {r.status} for {r.url}") if r.status >= 400 else None)
            for path in pages:
                errors.clear()
                page.goto(base + path, wait_until="load", timeout=60_000)
                broken = page.eval_on_selector_all(
                    "img", "imgs => imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
                problems += [f"{path}: console error {e}" for e in errors] + [f"{path}: image not shown {b}" for b in broken]
                for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
                    if urlparse(href).netloc == urlparse(base).netloc:
                        links.add((path, href))
        finally:
            browser.close()
    for path, href in sorted(links):
        target, fragment = urldefrag(urljoin(base + path, href))
        ids = page_ids(root, urlparse(target).path)
        if ids is None:
            problems.append(f"{path}: link to a missing page {href}")
        elif fragment and fragment not in ids:
            problems.append(f"{path}: link to a missing anchor {href}")
    assert not problems, "\n".join(problems[:40])
    assert len(links) > len(pages)  # the navigation was seen


def test_the_front_page_counts_the_chapters_there_are():
    words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
             "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"]
    text = (Path(__file__).resolve().parents[1] / "site" / "index.md").read_text()
    assert f"{words[len(CHAPTERS)]} chapters" in text, f"site/index.md should say {words[len(CHAPTERS)]} chapters"
