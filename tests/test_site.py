"""The built book, opened page by page in a real headless browser (Chromium + Playwright).

Every page of _toc.yml plus search.html and genindex.html is served from _build/html on
127.0.0.1 and opened once; requests to any other host are aborted. The checks: no console
errors, math typeset by the site's own MathJax, every image loads, notebook pages carry
Binder and Colab links for their own notebook, search finds words, and two full-page
screenshots are saved to _build/screenshots/ for people to look at.

Needs Debian's `chromium` (apt) and Playwright for Python; never `playwright install`.
Without Chromium the tests fail, unless ORANGE_SKIP_BROWSER=1 is set (then they skip).
"""

from __future__ import annotations

import os
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import site_checks as sc

PAGES = sc.site_pages()
PAGE_IDS = [p.path for p in PAGES]
NOTEBOOK_PAGES = [p for p in PAGES if p.is_notebook]
SCREENSHOT_PAGES = {"chapters/02_math/activations.html": "activations.png", "intro.html": "intro.png"}
SEARCHES = [
    ("saturation", "chapters/02_math/activations.html"),
    ("Parseval", "chapters/02_math/fourier.html"),
]


@pytest.fixture(scope="session")
def built_site(built_book):
    """The site built once per session by tests/conftest.py (from scratch, -W -n)."""
    if built_book.returncode != 0:
        pytest.fail("the book did not build:\n" + built_book.log[-3000:], pytrace=False)
    return built_book.html


@pytest.fixture(scope="session")
def chromium_path():
    path = sc.find_chromium()
    if path is None:
        message = (
            "Chromium not found (looked for `chromium` on PATH and /usr/bin/chromium)"
            "; install it with `apt-get install -y chromium`, or set "
            "ORANGE_SKIP_BROWSER=1 to skip the browser tests"
        )
        if os.environ.get("ORANGE_SKIP_BROWSER") == "1":
            pytest.skip(message)
        pytest.fail(message, pytrace=False)
    return path


@pytest.fixture(scope="session")
def base_url(built_site):
    with sc.serve(built_site) as url:
        yield url


@pytest.fixture(scope="session")
def browser_context(chromium_path, base_url):
    try:
        from playwright import sync_api
    except ImportError as exc:
        message = f"Playwright for Python is not installed ({exc}); see requirements-test.txt"
        if os.environ.get("ORANGE_SKIP_BROWSER") == "1":
            pytest.skip(message)
        pytest.fail(message, pytrace=False)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, args=sc.CHROMIUM_ARGS, headless=True
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(sc.TIMEOUT_MS)
        context.route("**/*", sc.block_outside_requests)
        try:
            yield context
        finally:
            context.close()
            browser.close()


@pytest.fixture(scope="session")
def visits(browser_context, base_url):
    """Each page is opened once, on first use; the record is shared by all checks."""
    cache: dict[str, sc.PageVisit] = {}

    def get(path: str) -> sc.PageVisit:
        if path not in cache:
            name = SCREENSHOT_PAGES.get(path)
            cache[path] = sc.visit(
                browser_context, base_url + path, screenshot=sc.SCREENSHOTS / name if name else None
            )
        return cache[path]

    return get


def _served_html(path: str) -> str:
    return (sc.HTML / path).read_text(encoding="utf-8")


def test_pages_are_built(built_site):
    missing = [p.path for p in PAGES if not (built_site / p.path).is_file()]
    assert not missing, f"pages of _toc.yml missing from _build/html: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_no_console_errors(visits, page):
    errors = sc.unexpected_errors(visits(page.path).errors)
    assert not errors, f"{page.path}: console errors:\n" + "\n".join(errors)


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_math_is_rendered(visits, built_site, page):
    if 'class="math' not in _served_html(page.path):
        pytest.skip("no math on this page")
    mj = visits(page.path).mathjax
    assert mj.get("loaded"), f"{page.path}: {mj.get('error')}"
    assert mj.get("typeset"), f"{page.path}: {mj.get('error') or 'MathJax did not typeset'}"
    assert mj["containers"] > 0, f"{page.path}: math markup but no mjx-container"
    assert not mj["merrors"], f"{page.path}: MathJax errors: {mj['merrors']}"
    assert mj["scripts"], f"{page.path}: no MathJax <script src> found"
    outside = [s for s in mj["scripts"] if urlsplit(s).hostname != sc.LOCAL_HOST]
    assert not outside, f"{page.path}: MathJax not loaded from the site: {outside}"


def test_math_pages_exist(built_site):
    """Guard against a silently empty math check (e.g. if math stopped being marked up)."""
    assert 'class="math' in _served_html("chapters/02_math/fourier.html")


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_images_load(visits, page):
    images = visits(page.path).images
    broken = [f"{img['src']} (alt={img['alt']!r})" for img in images if not img["naturalWidth"]]
    assert not broken, f"{page.path}: images that did not load:\n" + "\n".join(broken)


@pytest.mark.parametrize("page", NOTEBOOK_PAGES, ids=[p.path for p in NOTEBOOK_PAGES])
def test_launch_links(visits, page):
    cfg = sc.launch_config()
    notebook = "/".join(filter(None, [cfg["path_to_book"], page.source]))
    links = visits(page.path).links

    binder_prefix = f"{cfg['binderhub_url']}/v2/gh/{cfg['org_repo']}/{cfg['branch']}?"
    binder = [link for link in links if link.startswith(binder_prefix)]
    assert binder, f"{page.path}: no Binder link starting {binder_prefix} in {links}"
    urlpaths = parse_qs(urlsplit(binder[0]).query).get("urlpath", [""])
    assert re.fullmatch(rf"(lab/tree|tree|notebooks)/{re.escape(notebook)}", urlpaths[0]), (
        f"{page.path}: Binder urlpath {urlpaths[0]!r} does not open {notebook}"
    )

    colab = f"{cfg['colab_url']}/github/{cfg['org_repo']}/blob/{cfg['branch']}/{notebook}"
    assert colab in links, f"{page.path}: no Colab link {colab} in {links}"


@pytest.mark.parametrize("word,expected", SEARCHES, ids=[w for w, _ in SEARCHES])
def test_search_finds(browser_context, base_url, built_site, word, expected):
    page = browser_context.new_page()
    try:
        page.goto(f"{base_url}search.html?q={word}", wait_until="load")
        # searchtools.js fills the list asynchronously and then writes a summary.
        page.wait_for_function(
            "() => { const s = document.querySelector('#search-results .search-summary');"
            " return s && s.textContent.trim().length > 0; }"
        )
        hrefs = page.eval_on_selector_all("#search-results ul.search a[href]", "els => els.map(a => a.href)")
    finally:
        page.close()
    paths = {urlsplit(h).path.lstrip("/") for h in hrefs}
    assert expected in paths, f"search for {word!r} did not list {expected}: {sorted(paths)}"


def test_screenshots(visits):
    for path, name in SCREENSHOT_PAGES.items():
        visits(path)
        shot = sc.SCREENSHOTS / name
        assert shot.is_file() and shot.stat().st_size > 10_000, f"no screenshot {shot}"


CJK_PAGE = "chapters/02_math/activations.html"


def test_chinese_heading_is_drawn_with_the_shipped_font(browser_context, base_url):
    """The note's Chinese heading renders with _static/fonts/orange-cjk.woff2, whatever
    fonts the machine has: the heading's first font family is the shipped one, the
    browser loaded that face (a web font loads only when rendered text needs it; its
    unicode-range is CJK only), and the face covers every Chinese character shown."""
    page = browser_context.new_page()
    try:
        page.goto(base_url + CJK_PAGE, wait_until="load")
        state = page.evaluate(
            """async () => {
            await document.fonts.ready;
            const h1 = document.querySelector('h1');
            const faces = [...document.fonts].filter(f => f.family.replace(/"/g, '') === 'Orange CJK');
            const text = h1.textContent;
            const cjk = [...text].filter(c => c >= '\u4e00' && c <= '\u9fff').join('');
            return {text, cjk, family: getComputedStyle(h1).fontFamily,
                    statuses: faces.map(f => f.status),
                    covers: document.fonts.check('32px "Orange CJK"', cjk)};
        }"""
        )
        assert state["cjk"], f"the heading of {CJK_PAGE} has no Chinese: {state['text']!r}"
        assert state["family"].replace('"', "").startswith("Orange CJK"), state["family"]
        assert "loaded" in state["statuses"], f"the shipped CJK font was not loaded: {state}"
        assert state["covers"], f"the shipped font lacks some of {state['cjk']!r}"
    finally:
        page.close()


CODE_WIDTH_PAGES = NOTEBOOK_PAGES


@pytest.mark.parametrize("page", CODE_WIDTH_PAGES, ids=[p.path for p in CODE_WIDTH_PAGES])
def test_code_cells_fit_without_a_horizontal_scrollbar(browser_context, base_url, page):
    """At a 1280-pixel-wide window (the browser context's viewport) no input cell's code
    box is wider than its content: no reader has to scroll sideways to read the code."""
    tab = browser_context.new_page()
    try:
        tab.goto(base_url + page.path, wait_until="load")
        tab.evaluate("document.fonts.ready.then(() => true)")
        too_wide = tab.evaluate("""() => [...document.querySelectorAll('div.cell_input pre')]
            .filter(pre => pre.offsetParent !== null && pre.scrollWidth > pre.clientWidth + 1)
            .map(pre => pre.textContent.split('\\n').reduce((a, b) => a.length >= b.length ? a : b))""")
        assert not too_wide, f"{len(too_wide)} code cells scroll sideways; longest lines: {too_wide[:3]}"
    finally:
        tab.close()
