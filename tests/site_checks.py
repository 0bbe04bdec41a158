"""Helpers for tests/test_site.py: serve and visit the built book in Chromium.

Every page is opened once (``visit``) and everything the checks need is recorded then:
console errors, MathJax state, image sizes and launch links. The tests read the records.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from pages import ROOT, toc_entries

HTML = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
LOCAL_HOST = "127.0.0.1"
TIMEOUT_MS = 15_000

# Console errors that are upstream noise, not defects of the site. Each entry is a regex
# matched against the whole message text (re.fullmatch); keep the list short and precise.
# Nothing here comes from the aborted outside requests: the pages make none on load.
ALLOWED_CONSOLE_ERRORS: list[str] = [
    # Sphinx 7.4 (pinned by jupyter-book 1.x) emits sphinx-thebe's inline config script
    # twice (an add_js_file(None) vs '' dedup bug, fixed upstream in sphinx-doc/sphinx#13402,
    # Sphinx 8.2); the second `const` declaration throws, the first copy already works.
    r"pageerror: Identifier 'THEBE_JS_URL' has already been declared",
    # pydata-sphinx-theme (under sphinx-book-theme) logs this on a visitor's first page,
    # while localStorage has no "mode" yet, then stores "auto" (pydata-sphinx-theme#1635).
    r"console: Got invalid theme mode: \. Resetting to auto\. @ "
    r"http://127\.0\.0\.1:\d+/_static/scripts/pydata-sphinx-theme\.js\?digest=\w+",
]


# --- the book -------------------------------------------------------------------------


@dataclass(frozen=True)
class SitePage:
    path: str  # served path, e.g. "chapters/02_math/fourier.html"
    source: str | None  # source file relative to ROOT, None for generated pages

    @property
    def is_notebook(self) -> bool:
        return bool(self.source) and self.source.endswith(".ipynb")

    def __str__(self) -> str:
        return self.path


def site_pages() -> list[SitePage]:
    """The pages of _toc.yml (in order) plus the generated search and index pages."""
    pages = []
    for name in dict.fromkeys(toc_entries()):  # keeps order, drops duplicates
        name = re.sub(r"\.(md|ipynb|rst)$", "", name)
        sources = [f"{name}{ext}" for ext in (".ipynb", ".md", ".rst") if (ROOT / f"{name}{ext}").is_file()]
        pages.append(SitePage(f"{name}.html", sources[0] if sources else None))
    pages += [SitePage("search.html", None), SitePage("genindex.html", None)]
    return pages


def launch_config() -> dict:
    """Repository URL, branch and launch services, as _config.yml states them."""
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    repo = cfg["repository"]
    url = repo["url"].rstrip("/")
    org_repo = urlsplit(url).path.strip("/")
    if org_repo.endswith(".git"):
        org_repo = org_repo[:-4]
    launch = cfg.get("launch_buttons", {})
    return {
        "org_repo": org_repo,
        "branch": repo.get("branch", "main"),
        "path_to_book": (repo.get("path_to_book") or "").strip("/"),
        "binderhub_url": launch["binderhub_url"].rstrip("/"),
        "colab_url": launch["colab_url"].rstrip("/"),
    }


# --- serving ---------------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature from the stdlib
        pass


@contextmanager
def serve(directory: Path):
    """Serve `directory` on 127.0.0.1 (free port) from a background thread."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer((LOCAL_HOST, 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{LOCAL_HOST}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- the browser -----------------------------------------------------------------------


def find_chromium() -> str | None:
    for candidate in (shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def block_outside_requests(route) -> None:
    """Route handler: only 127.0.0.1 (and data:/blob: URLs) may be fetched."""
    url = urlsplit(route.request.url)
    if url.scheme in ("data", "blob") or url.hostname == LOCAL_HOST:
        route.continue_()
    else:
        route.abort()


@dataclass
class PageVisit:
    url: str
    errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    mathjax: dict = field(default_factory=dict)
    images: list[dict] = field(default_factory=list)
    links: list[str] = field(default_factory=list)


_WAIT_MATHJAX = """async (timeout) => {
  const mj = window.MathJax;
  // window.MathJax starts as a plain config object; the library adds .version/.startup.
  const state = {loaded: !!(mj && mj.version), typeset: false, error: null};
  const promise = state.loaded && mj.startup && mj.startup.promise;
  if (!state.loaded) {
    state.error = 'MathJax did not load (window.MathJax has no version)';
  } else if (!promise) {
    state.error = 'MathJax has no startup promise';
  } else {
    const timer = new Promise(resolve => setTimeout(() => resolve('timeout'), timeout));
    try {
      const result = await Promise.race([promise.then(() => 'done'), timer]);
      state.typeset = result === 'done';
      if (!state.typeset) state.error = 'MathJax did not finish typesetting in time';
    } catch (e) { state.error = String(e); }
  }
  state.containers = document.querySelectorAll('mjx-container').length;
  state.merrors = [...document.querySelectorAll('mjx-merror')].map(
      e => e.getAttribute('data-mjx-error') || e.textContent);
  state.scripts = [...document.querySelectorAll('script[src]')].map(s => s.src)
      .filter(src => /mathjax/i.test(src));
  return state;
}"""

_WAIT_IMAGES = """async (timeout) => {
  const images = [...document.images];
  for (const img of images) img.loading = 'eager';
  const settle = img => img.complete ? Promise.resolve() :
      new Promise(resolve => { img.addEventListener('load', resolve, {once: true});
                               img.addEventListener('error', resolve, {once: true}); });
  const timer = new Promise(resolve => setTimeout(resolve, timeout));
  await Promise.race([Promise.all(images.map(settle)), timer]);
  return images.map(img => ({src: img.currentSrc || img.src, alt: img.alt,
                             complete: img.complete, naturalWidth: img.naturalWidth}));
}"""


def visit(context, url: str, screenshot: Path | None = None) -> PageVisit:
    """Open `url` in a new page of `context`, wait for math and images, record all."""
    record = PageVisit(url)
    page = context.new_page()
    page.on(
        "console",
        lambda msg: (
            record.errors.append(f"console: {msg.text} @ {msg.location.get('url', '')}")
            if msg.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda exc: record.errors.append(f"pageerror: {exc}"))
    page.on(
        "requestfailed",
        lambda req: record.blocked.append(req.url) if urlsplit(req.url).hostname != LOCAL_HOST else None,
    )
    try:
        response = page.goto(url, wait_until="load", timeout=TIMEOUT_MS)
        if response is None or not response.ok:
            record.errors.append(f"HTTP status {response and response.status} for {url}")
        record.mathjax = page.evaluate(_WAIT_MATHJAX, TIMEOUT_MS - 5_000)
        # Scroll through the page so that anything loaded lazily is requested.
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        record.images = page.evaluate(_WAIT_IMAGES, TIMEOUT_MS - 5_000)
        page.evaluate("window.scrollTo(0, 0)")
        record.links = page.eval_on_selector_all(
            ".dropdown-launch-buttons a[href]", "els => els.map(a => a.href)"
        )
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
    finally:
        page.close()
    return record


def unexpected_errors(errors: list[str]) -> list[str]:
    return [e for e in errors if not any(re.fullmatch(p, e, flags=re.S) for p in ALLOWED_CONSOLE_ERRORS)]
