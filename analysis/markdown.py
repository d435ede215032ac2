"""A tiny Markdown-to-HTML converter for the report's own subset.

Handles what REPORT.md uses and nothing more: headings (#..###), paragraphs,
pipe tables, images on their own line, bullet lists, fenced code blocks and
inline `code`, **bold** and [links](url). Text is HTML-escaped first.
"""

import html
import re

STYLE = (
    "body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
    "table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #ccc;"
    "padding:3px 6px;vertical-align:top}img{max-width:100%}"
    "pre{background:#f4f4f4;padding:6px;overflow-x:auto}"
)


def inline(text):
    text = html.escape(text, quote=False)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    text = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", text)
    return re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r'<a href="\2">\1</a>', text)


def cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def to_html(markdown, title="Report"):
    """The HTML page of ``markdown``; cost O(length)."""
    out, lines, i = [], markdown.splitlines(), 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            end = next(
                (j for j in range(i + 1, len(lines)) if lines[j].startswith("```")),
                len(lines),
            )
            out.append(
                "<pre><code>"
                + html.escape("\n".join(lines[i + 1 : end]))
                + "</code></pre>"
            )
            i = end + 1
            continue
        heading = re.match(r"(#{1,3}) (.*)", line)
        image = re.match(r"!\[([^\]]*)\]\(([^)]+)\)\s*$", line)
        if heading:
            level = len(heading.group(1))
            out.append(f"<h{level}>{inline(heading.group(2))}</h{level}>")
        elif image:
            out.append(
                f'<p><img alt="{html.escape(image.group(1))}" '
                f'src="{html.escape(image.group(2))}"></p>'
            )
        elif line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(cells(lines[i]))
                i += 1
            head, body = (
                rows[0],
                [r for r in rows[1:] if not set("".join(r)) <= set("-: ")],
            )
            out.append(
                "<table><tr>"
                + "".join(f"<th>{inline(c)}</th>" for c in head)
                + "</tr>"
                + "".join(
                    "<tr>" + "".join(f"<td>{inline(c)}</td>" for c in r) + "</tr>"
                    for r in body
                )
                + "</table>"
            )
            continue
        elif line.startswith("- "):
            items = []
            while i < len(lines) and lines[i].startswith("- "):
                items.append(f"<li>{inline(lines[i][2:])}</li>")
                i += 1
            out.append("<ul>" + "".join(items) + "</ul>")
            continue
        elif line.strip():
            para = [line]
            while (
                i + 1 < len(lines)
                and lines[i + 1].strip()
                and not re.match(r"(#|\||- |!\[|```)", lines[i + 1])
            ):
                i += 1
                para.append(lines[i])
            out.append(f"<p>{inline(' '.join(para))}</p>")
        i += 1
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>'
        f"{html.escape(title)}</title><style>{STYLE}</style></head><body>\n"
        + "\n".join(out)
        + "\n</body></html>\n"
    )
