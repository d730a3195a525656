"""Pages safe against hostile data: escaping, sanitizing and the external-reference check."""

from __future__ import annotations

import pytest

from pace_analysis import safehtml

EXTERNAL = [
    '<script src="https://cdn.jsdelivr.net/x.js"></script>',
    "<script>alert(1)</script>",
    "<link rel=stylesheet href='//fonts.googleapis.com/css'>",
    "<style>@import url(https://fonts.googleapis.com/css2);</style>",
    '<style>@import "//fonts.example/css";</style>',
    "<style>body{background:url( 'http://x/y.png')}</style>",
    "<style>body{background:u\\72l(//x/y.png)}</style>",
    '<div style="background-image: url(//evil.example/a.png)">x</div>',
    '<img src="http://example.org/a.png">',
    '<img src="https:\\\\evil.example\\a.png">',
    '<img src="/\\evil.example/a.png">',
    '<img src=" \t//evil.example/a.png">',
    '<img src="&#104;ttps://evil.example/a.png">',
    '<img srcset="a.png 1x, https://example.org/a.png 2x">',
    '<picture><source srcset="//example.org/a.webp"></picture>',
    '<video poster="https://example.org/p.png"></video>',
    '<svg><image href="//host/x.png"/></svg>',
    '<svg><image xlink:href="https://host/x.png"></image></svg>',
    '<svg><use href="https://host/s.svg#a"/></svg>',
    '<iframe src="https://example.org/"></iframe>',
    '<iframe srcdoc="&lt;img src=//evil.example/a&gt;"></iframe>',
    '<object data="//evil.example/x.swf"></object>',
    '<form action="https://evil.example/"><button>go</button></form>',
    '<meta http-equiv="refresh" content="0; url=https://evil.example/">',
    '<a href="javascript:alert(1)">x</a>',
    '<base href="https://evil.example/">',
]


@pytest.mark.parametrize("text", EXTERNAL)
def test_every_form_of_external_reference_is_caught(text):
    assert safehtml.external_references(text), text


@pytest.mark.parametrize("text", [
    '<a href="https://www.celcis.org/">CELCIS</a>',  # a link is not a load
    '<a href="../index.html">index</a>', '<a href="#Methods">methods</a>',
    '<img src="data:image/png;base64,iVBORw0KGgo=">', '<img src="funnel.png">',
    "<style>.a { color: #333 } /* offline */</style>",
])
def test_local_references_and_links_are_not_external(text):
    assert not safehtml.external_references(text)


XSS = [
    "<script>alert('x')</script>", '"><img src=x onerror=alert(1)>',
    "<svg onload=alert(1)><image href=//evil.example/a.png /></svg>",
    "<iframe src=javascript:alert(1)>", "<a href='javascript:alert(1)'>click</a>",
]


@pytest.mark.parametrize("bad", XSS)
def test_sanitize_writes_disallowed_markup_as_text(bad):
    table = f'<table id="T_x"><thead><tr><th class="col_heading">Area</th></tr></thead>' \
            f'<tbody><tr><td class="data" onclick="x()">{bad}</td></tr></tbody></table>'
    out = safehtml.sanitize(table)
    assert "<table" in out and "<td" in out and 'class="data"' in out
    assert "onclick" not in out
    # Nothing of the hostile value is markup any more: no tag, no handler, no load.
    for tag in ("<script", "<img", "<svg", "<iframe", "<image"):
        assert tag not in out.lower()
    assert 'href="javascript' not in out
    assert "&lt;" in out or "<a>click</a>" in out  # shown as text, or a link to nowhere
    assert not safehtml.external_references(out)


def test_sanitize_keeps_a_plain_table_and_its_style_block():
    styler = ('<style type="text/css">\n#T_a th { text-align: left; }\n</style>\n'
              '<table id="T_a"><thead><tr><th class="col_heading level0 col0" >Area</th></tr>'
              '</thead><tbody><tr><td id="T_a_row0_col0" class="data row0 col0" >Fife &amp; co'
              '</td></tr></tbody></table>')
    out = safehtml.sanitize(styler)
    assert "#T_a th { text-align: left; }" in out and "<style>" in out
    assert "Fife &amp; co" in out and out.count("<tr>") == 2


def test_sanitize_drops_a_style_block_that_loads_something():
    out = safehtml.sanitize("<style>td { background: url(https://evil.example/a.png) }</style>")
    assert "evil.example" not in out


def test_markdown_from_data_is_never_html():
    text = "## <script>alert(1)</script> Council\n\nData from <img src=//evil.example/a.png>. " \
           "![x](https://evil.example/b.png) [y](javascript:alert(2)) **bold**"
    out = safehtml.markdown_html(text)
    assert "<h2>" in out and "<strong>bold</strong>" in out
    assert "<script" not in out and "<img" not in out
    assert "&lt;script&gt;" in out
    assert 'href="javascript' not in out
    assert not safehtml.external_references(out)
