"""HTML that hostile data cannot turn into a script or a network load.

Report pages show values that come from data and configuration: authority names, route
labels, ``dataset.yaml``'s ``source:``. None of them may become markup. This module gives
the three defences the pages use:

* :func:`markdown_html` renders Markdown *built from data* with raw HTML escaped (the
  Markdown of notebook outputs is never interpreted as HTML);
* :func:`sanitize` re-serialises an HTML fragment (a notebook's ``text/html`` output, e.g.
  a pandas table) keeping only a whitelist of table and text elements and attributes;
  anything else is written out as visible, escaped text, so ``<script>`` in a cell shows as
  ``&lt;script&gt;`` instead of running;
* :func:`external_references` parses a whole page and lists every reference that would
  load something from elsewhere: every URL-bearing attribute (``src``, ``href`` of anything
  but a plain link, ``xlink:href`` of SVG, ``srcset``, ``poster``, ``data``, ``action``...),
  CSS ``url()``, ``@import`` and strings in ``<style>`` and ``style=""``, ``<meta
  http-equiv=refresh>``, with the backslash (``https:\\\\host``) and protocol-relative
  (``//host``) forms browsers accept.

Pages also carry :data:`CSP`, a Content-Security-Policy that forbids scripts and every
network load (images only from ``data:`` URIs, styles only inline).
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

#: Content-Security-Policy of every page: no scripts, no network loads of any kind.
CSP = ("default-src 'none'; script-src 'none'; object-src 'none'; img-src data:; "
       "style-src 'unsafe-inline'; font-src 'none'; connect-src 'none'; media-src 'none'; "
       "frame-src 'none'; child-src 'none'; worker-src 'none'; manifest-src 'none'; "
       "form-action 'none'; base-uri 'none'")

#: Elements a sanitized fragment may keep (tables, text and their structure).
ALLOWED_TAGS = frozenset({
    "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "colgroup", "col",
    "div", "span", "p", "br", "strong", "em", "b", "i", "code", "pre", "sup", "sub",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "hr", "a",
    "style", "figure", "figcaption", "small", "abbr",
})
#: Attributes a kept element may keep; ``href`` only on ``<a>`` and only to a page anchor
#: or a relative file.
ALLOWED_ATTRS = frozenset({"id", "class", "colspan", "rowspan", "scope", "title", "headers",
                           "href", "lang", "dir", "role", "aria-label"})
_VOID = frozenset({"br", "hr", "col", "img", "meta", "link", "input", "source", "wbr"})

#: Attributes whose value is a URL (or list of URLs) a browser may fetch.
URL_ATTRS = frozenset({
    "src", "href", "xlink:href", "srcset", "imagesrcset", "poster", "data", "action",
    "formaction", "background", "cite", "longdesc", "manifest", "codebase", "archive",
    "lowsrc", "dynsrc", "icon", "profile", "usemap", "ping", "srcdoc", "itemtype",
})
#: Elements whose ``href`` is a link the reader may follow, not a load.
_LINK_TAGS = frozenset({"a", "area"})
_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})\s?|\\(.)", re.DOTALL)
_CSS_URL = re.compile(r"url\(\s*(?:\"([^\"]*)\"|'([^']*)'|([^)]*))\s*\)", re.IGNORECASE)
_CSS_STRING = re.compile(r"\"([^\"]*)\"|'([^']*)'")
_CSS_IMPORT = re.compile(r"@import\b", re.IGNORECASE)


def _normalise_url(value: str) -> str:
    """A URL as a browser reads it: control characters and spaces dropped, ``\\`` as ``/``."""
    return _CONTROL.sub("", html.unescape(value)).replace("\\", "/").lower()


def is_external_url(value: str, link: bool = False) -> bool:
    """Whether *value* reaches another host (or runs script) when a browser uses it.

    Parameters
    ----------
    value : str
        Attribute or CSS value, as written.
    link : bool
        True for the ``href`` of ``<a>``/``<area>``: following a link is the reader's
        choice, so ``http(s):`` and ``mailto:`` are allowed there (``javascript:`` and
        other schemes are not).
    """
    url = _normalise_url(value)
    if url.startswith("//"):
        return not link
    m = _SCHEME.match(url)
    if not m:
        return False  # relative: a file beside the page, or an anchor
    scheme = m.group(1)
    if scheme == "data":
        return link  # data: images are embedded; a data: link is a way to smuggle a page
    return not (link and scheme in _LINK_SCHEMES)


def _css_unescape(text: str) -> str:
    def one(m: re.Match) -> str:
        if m.group(1):
            try:
                return chr(int(m.group(1), 16))
            except (ValueError, OverflowError):
                return ""
        return "" if m.group(2) == "\n" else m.group(2)

    return _CSS_ESCAPE.sub(one, text)


def css_references(css: str) -> list[str]:
    """External URLs in CSS text: ``url()``, ``@import`` and any string naming another host."""
    text = _css_unescape(_CSS_COMMENT.sub(" ", css))
    found = []
    for m in _CSS_URL.finditer(text):
        value = next(g for g in m.groups() if g is not None).strip()
        if is_external_url(value):
            found.append(f"url({value})")
    for m in _CSS_STRING.finditer(text):
        value = m.group(1) if m.group(1) is not None else m.group(2)
        if is_external_url(value) and f"url({value})" not in found:
            found.append(f"css string {value!r}")
    if _CSS_IMPORT.search(text):
        found.append("@import")
    return found


def _srcset_urls(value: str) -> list[str]:
    return [part.strip().split()[0] for part in value.split(",") if part.strip()]


class _ReferenceFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)
        if tag == "style":
            self._in_style += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "style" and self._in_style:
            self._in_style -= 1

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.found.extend(f"<style> {r}" for r in css_references(data))

    def _check(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if value is None:
                continue
            if name == "style":
                self.found.extend(f"<{tag} style> {r}" for r in css_references(value))
            elif name == "srcdoc":
                self.found.extend(f"<{tag} srcdoc> {r}" for r in external_references(value))
            elif name in ("srcset", "imagesrcset"):
                self.found.extend(f"<{tag} {name}={u}>" for u in _srcset_urls(value)
                                  if is_external_url(u))
            elif name in URL_ATTRS or name.endswith(":href"):
                link = tag in _LINK_TAGS and name == "href"
                if is_external_url(value, link=link):
                    self.found.append(f"<{tag} {name}={value}>")
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "refresh":
            content = values.get("content") or ""
            url = content.split("url=", 1)[-1] if "url=" in content.lower() else ""
            if url and is_external_url(url):
                self.found.append(f"<meta refresh {url}>")
        if tag == "script":
            self.found.append("<script>")


def external_references(text: str) -> list[str]:
    """Every reference in an HTML page that would load a script or anything from another host.

    Plain links (``<a href="https://...">``) are not loads and are not listed; a
    ``javascript:`` link is. Any ``<script>`` element is listed, inline or not.
    """
    finder = _ReferenceFinder()
    finder.feed(text)
    finder.close()
    return finder.found


# --------------------------------------------------------------------------- sanitizing

class _Sanitizer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self._raw = 0  # inside <style>: content kept only if it loads nothing

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, closed=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, closed=True)

    def _start(self, tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> None:
        if tag not in ALLOWED_TAGS:
            self.out.append(html.escape(self.get_starttag_text() or f"<{tag}>"))
            return
        kept = []
        for name, value in attrs:
            if name not in ALLOWED_ATTRS or value is None:
                continue
            if name == "href" and (tag != "a" or is_external_url(value, link=True)
                                   or _normalise_url(value).startswith(("/", "data:"))):
                continue
            kept.append(f' {name}="{html.escape(value, quote=True)}"')
        self.out.append(f"<{tag}{''.join(kept)}>")
        if tag == "style":
            self._raw += 1
            self._css: list[str] = []
        elif not closed and tag not in _VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "style" and self._raw:
            self._raw -= 1
            css = "".join(self._css)
            if not css_references(css) and "</" not in css and "expression(" not in css.lower():
                self.out.append(css)
            self.out.append("</style>")
            return
        if tag not in ALLOWED_TAGS or tag in _VOID or tag not in self.open:
            self.out.append(html.escape(f"</{tag}>"))
            return
        while self.open:
            last = self.open.pop()
            self.out.append(f"</{last}>")
            if last == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._raw:
            self._css.append(data)
        else:
            self.out.append(html.escape(data, quote=False))

    def handle_comment(self, data: str) -> None:
        pass

    def handle_decl(self, decl: str) -> None:
        pass

    def unknown_decl(self, data: str) -> None:
        pass

    def handle_pi(self, data: str) -> None:
        pass

    def result(self) -> str:
        self.close()
        return "".join(self.out) + "".join(f"</{t}>" for t in reversed(self.open))


def sanitize(fragment: str) -> str:
    """Keep only whitelisted table/text markup of *fragment*; show the rest as escaped text.

    Elements outside :data:`ALLOWED_TAGS` (``script``, ``img``, ``svg``, ``iframe``,
    ``object``...) are not dropped silently but written as visible text, so a reader sees
    the odd value instead of a page that does something. Attributes outside
    :data:`ALLOWED_ATTRS` (every ``on*`` handler, ``style``, ``src``) are removed, and a
    ``<style>`` block is kept only when it loads nothing.
    """
    s = _Sanitizer()
    s.feed(fragment)
    return s.result()


def markdown_html(text: str) -> str:
    """Markdown to HTML with raw HTML *escaped*, never interpreted, then :func:`sanitize`.

    For Markdown built from data (a notebook's ``display(Markdown(...))`` outputs): a
    ``<script>`` or an ``<img src=//host>`` in an authority name or a ``source:`` shows as
    text. Markdown images (``![](url)``) are shown as text too (no ``<img>`` is allowed).
    """
    import mistune

    md = mistune.create_markdown(escape=True, plugins=["table", "strikethrough"])
    return sanitize(md(text))


__all__ = ["CSP", "ALLOWED_TAGS", "ALLOWED_ATTRS", "URL_ATTRS", "is_external_url",
           "css_references", "external_references", "sanitize", "markdown_html"]
