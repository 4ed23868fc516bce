"""Students' text rendered as HTML without letting it run anything in the reader's browser.

Formgrader and the feedback pages turn notebooks into HTML with nbconvert. A student writes the
markdown of a written answer and whatever the kernel printed, so raw HTML in either could run script
in the instructor's formgrader page, where it would act with the instructor's Jupyter session.
nbconvert's ``sanitize_html`` cleans outputs and drops JavaScript ones, but formgrader's template
renders markdown cells with a plain ``markdown2html``: this module's replacement renders as usual,
then keeps only the tags and attributes markdown produces (``bleach``, as nbconvert does; unknown tags
are shown as text, so the grader sees what was attempted). ``nbgrader_settings`` installs both.
"""

from __future__ import annotations

import bleach
from jinja2 import pass_context
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

TAGS = {"a", "abbr", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
        "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup", "table", "tbody", "td",
        "th", "thead", "tr", "ul"}
# No ``id``: a student's element must not take the id of one of formgrader's own score fields.
ATTRIBUTES = {"a": ["href", "title"], "img": ["src", "alt", "title"], "td": ["align"], "th": ["align"],
              "*": ["class"]}
PROTOCOLS = {"http", "https", "mailto", "data"}


def clean(html: str) -> str:
    return bleach.clean(html, tags=TAGS, attributes=ATTRIBUTES, protocols=PROTOCOLS, strip=False, strip_comments=True)


@pass_context
def markdown2html(context, source: str) -> str:
    """nbconvert's HTMLExporter.markdown2html (math, attachments), cleaned."""
    cell = context.get("cell", {})
    renderer = IPythonRenderer(escape=False, attachments=cell.get("attachments", {}),
                               path=context.get("resources", {}).get("metadata", {}).get("path", ""))
    return clean(MarkdownWithMath(renderer=renderer).render(source))
