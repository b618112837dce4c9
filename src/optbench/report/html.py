"""The HTML report (report.html): one self-contained file for people.

Figures are embedded as data: URIs, the stylesheet and the table-sorting script are inline, and
a Content-Security-Policy forbids every network request, so the file reads the same when mailed,
opened offline or archived. Responsive: tables scroll sideways on a phone, figures shrink to the
screen. Nothing in it depends on when or where it was rendered, so re-rendering from the same
store gives the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
from html import escape
from pathlib import Path

from optbench.plots import PALETTE
from optbench.report.document import (
    Block,
    Bullets,
    Callout,
    Cell,
    Code,
    Document,
    Figure,
    Heading,
    Paragraph,
    Raw,
    Table,
)

CSS = """
:root { --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg: #fff; --soft: #f6f8fa;
  --warn: #9a6700; --warn-bg: #fff8c5; --accent: #0969da; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--fg); background: var(--bg); line-height: 1.5;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; }
header, nav, main { max-width: 1180px; margin: 0 auto; padding: 0 1.25rem; }
header { padding-top: 1.5rem; }
h1 { font-size: 1.7rem; margin: 0 0 .25rem; overflow-wrap: anywhere; }
h2 { font-size: 1.35rem; margin: 2.2rem 0 .6rem; padding-bottom: .3rem;
  border-bottom: 1px solid var(--line); }
h3 { font-size: 1.1rem; margin: 1.4rem 0 .5rem; }
h4 { font-size: 1rem; margin: 1.1rem 0 .4rem; }
.sub { color: var(--muted); margin: 0; }
nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: .35rem .9rem; padding: .8rem 0;
  margin: 1rem 0 0; border-top: 1px solid var(--line); border-bottom: 1px solid var(--line); }
nav a { color: var(--accent); text-decoration: none; font-size: .95rem; }
nav a:hover, nav a:focus { text-decoration: underline; }
code { font: .88em/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  background: var(--soft); padding: .1em .3em; border-radius: 4px; overflow-wrap: anywhere; }
pre { background: var(--soft); padding: .9rem; border-radius: 6px; overflow-x: auto; }
pre code { background: none; padding: 0; }
.table-wrap { overflow-x: auto; margin: .6rem 0 1rem; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; font-size: .9rem; }
th, td { border: 1px solid var(--line); padding: .35rem .5rem; vertical-align: top;
  text-align: left; }
thead th { background: var(--soft); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.kv th { background: var(--soft); white-space: nowrap; }
th button { all: inherit; cursor: pointer; border: 0; padding: 0; background: none; }
th button:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
th[aria-sort] button::after { content: " \\2195"; color: var(--muted); }
th[aria-sort="ascending"] button::after { content: " \\25B2"; color: var(--fg); }
th[aria-sort="descending"] button::after { content: " \\25BC"; color: var(--fg); }
figure { margin: 1rem 0 1.6rem; }
main img { max-width: 100%; height: auto; }
figure img { display: block; border: 1px solid var(--line); border-radius: 4px; }
figcaption { color: var(--muted); font-size: .9rem; margin-top: .35rem; }
.callout { border-left: 4px solid var(--accent); background: var(--soft); padding: .6rem .9rem;
  margin: .8rem 0; border-radius: 0 6px 6px 0; }
.callout.warning { border-color: var(--warn); background: var(--warn-bg); }
.callout p { margin: 0; }
ul.bullets { padding-left: 1.3rem; }
ul.bullets li { margin: .25rem 0; }
details summary { cursor: pointer; color: var(--accent); }
.sw { display: inline-block; width: .8em; height: .8em; border-radius: 2px;
  margin-right: .4em; vertical-align: -.05em; }
footer { max-width: 1180px; margin: 2.5rem auto 2rem; padding: 0 1.25rem; color: var(--muted);
  font-size: .85rem; }
@media (max-width: 640px) {
  body { font-size: 15px; }
  header, nav, main, footer { padding: 0 .8rem; }
  h1 { font-size: 1.35rem; }
  h2 { font-size: 1.2rem; }
  table { font-size: .82rem; }
}
"""

SCRIPT = """
(function () {
  "use strict";
  function key(cell) {
    var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort")
                                              : cell.textContent.trim();
    if (raw === "" || raw === "\\u2014") { return null; }
    var n = Number(raw);
    return isNaN(n) ? raw.toLowerCase() : n;
  }
  function compare(a, b) {
    if (typeof a === typeof b) { return a < b ? -1 : (a > b ? 1 : 0); }
    return typeof a === "number" ? -1 : 1;
  }
  function sortBy(table, col, th) {
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var heads = table.tHead.rows[0].cells;
    for (var i = 0; i < heads.length; i++) { heads[i].setAttribute("aria-sort", "none"); }
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.map.call(body.rows, function (row, index) {
      return { row: row, key: key(row.cells[col]), index: index };
    });
    rows.sort(function (a, b) {
      if (a.key === null || b.key === null) {
        return ((a.key === null) - (b.key === null)) || (a.index - b.index);
      }
      return (ascending ? 1 : -1) * compare(a.key, b.key) || (a.index - b.index);
    });
    rows.forEach(function (r) { body.appendChild(r.row); });
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      var button = th.querySelector("button");
      if (button) { button.addEventListener("click", function () { sortBy(table, col, th); }); }
    });
  });
})();
"""

_INLINE = re.compile(r"`([^`]+)`|\*\*(.+?)\*\*|\*([^*\s][^*]*?)\*")


def inline(text: str) -> str:
    """The document's inline markup as HTML: `code`, **bold**, *em*; everything escaped."""
    out, pos = [], 0
    for m in _INLINE.finditer(text):
        out.append(escape(text[pos : m.start()]))
        code, bold, em = m.groups()
        if code is not None:
            out.append(f"<code>{escape(code)}</code>")
        elif bold is not None:
            out.append(f"<strong>{inline(bold)}</strong>")
        else:
            out.append(f"<em>{inline(em)}</em>")
        pos = m.end()
    out.append(escape(text[pos:]))
    return "".join(out)


def render_html(doc: Document, figures_dir: Path, subtitle: str = "") -> str:
    """The whole page; figures are read from `figures_dir` and embedded."""
    css = CSS + "".join(f".c{i} {{ background: {c}; }}\n" for i, c in enumerate(PALETTE))
    policy = (
        "default-src 'none'; img-src data:; "
        f"style-src '{_sha256(css)}'; style-src-attr 'unsafe-inline'; "
        f"script-src '{_sha256(SCRIPT)}'; "
        "base-uri 'none'; form-action 'none'"
    )
    title = re.sub(r"[`*]", "", doc.title)
    nav = "".join(
        f'<li><a href="#{escape(anchor)}">{inline(title)}</a></li>'
        for title, anchor in (_section(b) for b in doc.blocks)
        if anchor
    )
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
        f"<title>{escape(title)} — optbench report</title>\n"
        f"<style>{css}</style>\n</head>\n<body>\n"
        f"<header>\n<h1>{inline(doc.title)}</h1>\n"
        + (f'<p class="sub">{inline(subtitle)}</p>\n' if subtitle else "")
        + f'</header>\n<nav aria-label="Sections"><ul>{nav}</ul></nav>\n<main>\n'
        + _body(doc.blocks, figures_dir)
        + "\n</main>\n<footer>Generated by optbench from the study's store "
        "(<code>optbench report</code> regenerates it).</footer>\n"
        f"<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def _section(block: Block) -> tuple[str, str]:
    """(title, anchor) when the block starts a section of the page, else ("", "")."""
    if isinstance(block, Heading) and block.level == 2:
        return block.text, block.anchor
    if isinstance(block, Raw) and block.anchor:
        return block.nav, block.anchor
    return "", ""


def _body(blocks: list[Block], figures_dir: Path) -> str:
    """Blocks in order; each level-2 heading opens a <section> that runs to the next one."""
    parts: list[str] = []
    open_section = False
    for block in blocks:
        anchor = _section(block)[1]
        if anchor or (isinstance(block, Heading) and block.level == 2):
            if open_section:
                parts.append("</section>")
            parts.append(f'<section id="{escape(anchor)}">' if anchor else "<section>")
            open_section = True
        parts.append(_block(block, figures_dir))
    if open_section:
        parts.append("</section>")
    return "\n".join(parts)


def _block(block: Block, figures_dir: Path) -> str:
    if isinstance(block, Heading):
        return f"<h{block.level}>{inline(block.text)}</h{block.level}>"
    if isinstance(block, Paragraph):
        return f"<p>{inline(block.text)}</p>"
    if isinstance(block, Callout):
        kind = escape(block.kind)
        return f'<div class="callout {kind}" role="note"><p>{inline(block.text)}</p></div>'
    if isinstance(block, Bullets):
        items = "".join(f"<li>{inline(item)}</li>" for item in block.items)
        return f'<ul class="bullets">{items}</ul>'
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Figure):
        return _figure(block, figures_dir)
    if isinstance(block, Code):
        code = escape(block.text, quote=False)
        pre = f'<pre><code class="language-{escape(block.lang)}">{code}</code></pre>'
        if block.summary:
            return f"<details><summary>{escape(block.summary)}</summary>{pre}</details>"
        return pre
    if isinstance(block, Raw):
        return _wrap_tables(_embed_images(block.html, figures_dir))
    raise TypeError(f"unknown block {block!r}")


def _table(t: Table) -> str:
    numeric = t.numeric or (False,) * len(t.columns)
    if not any(t.columns):  # a key–value table: the first column heads each row
        rows = "".join(
            f'<tr><th scope="row">{inline(row[0].text)}</th>'
            + "".join(_td(c, False) for c in row[1:])
            + "</tr>"
            for row in t.rows
        )
        return f'<div class="table-wrap"><table class="kv"><tbody>{rows}</tbody></table></div>'
    heads = "".join(
        _th(name, num, t.sortable) for name, num in zip(t.columns, numeric, strict=True)
    )
    rows = "".join(
        "<tr>" + "".join(_td(c, n) for c, n in zip(row, numeric, strict=True)) + "</tr>"
        for row in t.rows
    )
    cls = ' class="sortable"' if t.sortable else ""
    caption = f"<caption>{inline(t.caption)}</caption>" if t.caption else ""
    return (
        f'<div class="table-wrap"><table{cls}>{caption}<thead><tr>{heads}</tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
    )


def _th(name: str, numeric: bool, sortable: bool) -> str:
    cls = ' class="num"' if numeric else ""
    if sortable:
        return (
            f'<th scope="col"{cls} aria-sort="none">'
            f'<button type="button" title="Sort">{inline(name)}</button></th>'
        )
    return f'<th scope="col"{cls}>{inline(name)}</th>'


def _td(c: Cell, numeric: bool) -> str:
    attrs = ' class="num"' if numeric else ""
    if c.sort is not None:
        attrs += f' data-sort="{escape(_sort_text(c.sort))}"'
    swatch = "" if c.swatch is None else f'<span class="sw c{c.swatch}" aria-hidden="true"></span>'
    text = _number_breaks(c.text) if numeric else c.text
    return f"<td{attrs}>{swatch}{inline(text)}</td>"


def _number_breaks(text: str) -> str:
    """Where a narrow column may wrap a number: before `± sd` and before `(epoch)`, never
    inside `± 0.45` or `[87.38, 88.50]` (no-break spaces there), so a wrapped cell reads
    `87.94%` over `± 0.45` and the table fits the page instead of scrolling sideways."""
    return text.replace("± ", "±\u00a0").replace(", ", ",\u00a0")


def _sort_text(value: float | str) -> str:
    return repr(float(value)) if isinstance(value, int | float) else str(value)


def _figure(f: Figure, figures_dir: Path) -> str:
    path = figures_dir / f.file
    if not path.is_file():
        return f'<p class="callout warning">Figure <code>{escape(f.file)}</code> is missing.</p>'
    data = path.read_bytes()
    size = _png_size(data)
    dims = f' width="{size[0]}" height="{size[1]}"' if size else ""
    src = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    caption = f"<figcaption>{inline(f.caption)}</figcaption>" if f.caption else ""
    return f'<figure><img src="{src}" alt="{escape(f.alt)}"{dims}>{caption}</figure>'


_FIGURE_SRC = re.compile(r'(<img\b[^>]*?\bsrc=")figures/([^"/]+\.png)(")')


def _embed_images(html: str, figures_dir: Path) -> str:
    """`<img src="figures/NAME.png">` in pre-rendered HTML → the embedded image (when it exists;
    a missing one stays a reference, which the page's policy blocks and the browser test sees)."""

    def embed(m: re.Match[str]) -> str:
        path = figures_dir / m.group(2)
        if not path.is_file():
            return m.group(0)
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"{m.group(1)}data:image/png;base64,{data}{m.group(3)}"

    return _FIGURE_SRC.sub(embed, html)


def _wrap_tables(html: str) -> str:
    """Bare tables in pre-rendered HTML scroll sideways on a phone like ours do."""
    if "table-wrap" in html:
        return html
    return re.sub(r"<table\b", '<div class="table-wrap"><table', html).replace(
        "</table>", "</table></div>"
    )


def _png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG's IHDR chunk (lets the browser lay out before decoding)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])
