"""The book builds from the stored outputs with zero warnings, and says what it should."""

from __future__ import annotations

import re

import yaml
from pages import ROOT, toc_entries


def test_book_builds_with_zero_warnings(built_book):
    assert built_book.returncode == 0, built_book.log[-5000:]
    warnings = [line for line in built_book.log.splitlines() if "WARNING" in line or "ERROR" in line]
    assert warnings == [], "\n".join(warnings)


def test_every_toc_page_is_built(built_book):
    for entry in toc_entries():
        assert (built_book.html / f"{entry}.html").is_file(), entry


def test_site_carries_its_own_mathjax(built_book):
    page = (built_book.html / "chapters/02_math/activations.html").read_text()
    scripts = re.findall(r'<script[^>]+src="([^"]*mathjax[^"]*)"', page, flags=re.I)
    assert scripts and all(not s.startswith(("http:", "https:", "//")) for s in scripts), scripts
    assert (built_book.html / "mathjax/tex-chtml-full.js").is_file()
    assert (built_book.html / "mathjax/output/chtml/fonts/woff-v2").is_dir()
    assert not list(built_book.html.glob("_static/**/tex-chtml*.js")), "MathJax must not be a static file"


def test_config_keeps_execution_off_and_one_repository():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["execute"]["execute_notebooks"] == "off"
    assert config["repository"]["url"].startswith("https://github.com/")
    assert config["launch_buttons"]["binderhub_url"] and config["launch_buttons"]["colab_url"]


NOTE_HEADINGS = {
    "chapters/01_programming/index.md": [
        "H5文件",
        "print函数",
        "tf.session函数",
        "Python数据结构",
        "初始化所有参数",
        "os库的使用",
    ],
    "chapters/02_math/index.md": [
        "图像处理中的注意力集中机制",
        "图像的DCT",
        "反向传播算法",
        "激活函数",
        "batch_size",
        "Batch Normalization",
        "计算Leaky ReLU激活函数",
        "mAP",
        "傅里叶变换",
        "finetune",
    ],
    "chapters/03_datasets/index.md": ["人脸数据集", "超分辨率数据集"],
    "chapters/04_troubleshooting/index.md": [
        "路径问题",
        "GPU问题",
        "代码参数",
        "not all arguments converted",
        "CUDA out of memory",
        ".git",
        "灰度图像",
        "格式转化",
        "scipy.misc",
        "数字后面加.",
        "YCbCr",
        ".pth",
    ],
}


def test_landing_pages_map_every_heading_of_the_note():
    for page, headings in NOTE_HEADINGS.items():
        text = (ROOT / page).read_text()
        missing = [h for h in headings if h not in text]
        assert not missing, f"{page} does not map {missing}"


def test_landing_pages_link_only_to_pages_that_exist():
    for page in NOTE_HEADINGS:
        folder = (ROOT / page).parent
        for target in re.findall(r"\{doc\}`([^`]+)`", (ROOT / page).read_text()):
            assert (folder / f"{target}.ipynb").is_file() or (folder / f"{target}.md").is_file(), target
