"""Staff-written email templates: Jinja2's SandboxedEnvironment, autoescape on, StrictUndefined.

`check(text, schema)` runs at save time: the template must parse, and every placeholder must be
one the trigger offers (`{{ contact.first_name }}`); anything else (`{{ contact.nick }}`,
`{{ ''.__class__ }}`, a call, an unknown filter) is refused with a message listing what is
available. `render` renders against a run's context in the sandbox (a probe that got past the
check would still raise SecurityError there, reported as TemplateProblem).

Output is HTML-escaped (autoescape): `render_html` gives Markup for the branded email,
`render_text` its plain-text form.
"""

from __future__ import annotations

import html
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

ALLOWED_FILTERS = frozenset({"upper", "lower", "title", "capitalize", "trim", "default", "e", "escape"})
MAX_OUTPUT = 50_000


class TemplateProblem(ValueError):
    """A template that cannot be used; the message is for people."""


_ENV = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)


def _available(schema: dict[str, tuple[str, ...]]) -> str:
    names = [f"{root}.{f}" if f else root for root, fs in schema.items() for f in (fs or ("",))]
    return ", ".join(names)


def _path(node: nodes.Node) -> list[str] | None:
    """contact.first_name / contact['first_name'] → ["contact", "first_name"]; None: not a plain path."""
    if isinstance(node, nodes.Name):
        return [node.name]
    if isinstance(node, nodes.Getattr):
        base = _path(node.node)
        return None if base is None else [*base, node.attr]
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        base = _path(node.node)
        return None if base is None else [*base, node.arg.value]
    return None


def _show(node: nodes.Node, source: str) -> str:
    line = source.splitlines()[node.lineno - 1] if node.lineno and source else ""
    return line.strip()[:80]


def check(text: str, schema: dict[str, tuple[str, ...]]) -> None:
    """Raise TemplateProblem unless every placeholder in `text` is one `schema` offers."""
    try:
        tree = _ENV.parse(text)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"The template cannot be read (line {exc.lineno}): {exc.message}.") from None
    available = _available(schema)

    def bad(what: str) -> TemplateProblem:
        return TemplateProblem(f"{what} does not exist. You can use: {available}.")

    def visit(node: nodes.Node) -> None:
        if isinstance(node, nodes.Call):
            raise TemplateProblem(f"Calls are not allowed in a template. You can use: {available}.")
        if isinstance(node, nodes.Filter | nodes.Test):
            if isinstance(node, nodes.Filter) and node.name not in ALLOWED_FILTERS:
                raise TemplateProblem(f"The filter |{node.name} is not available. Filters you can use: "
                                      f"{', '.join(sorted(ALLOWED_FILTERS))}.")
        if isinstance(node, nodes.Getattr | nodes.Getitem | nodes.Name) and not (
                isinstance(node, nodes.Name) and node.ctx != "load"):
            path = _path(node)
            if path is None:
                raise bad("{{ " + _show(node, text).strip("{} ") + " }}")
            root = path[0]
            if root not in schema:
                raise bad("{{ " + ".".join(path) + " }}")
            fields = schema[root]
            if len(path) == 1 and fields:
                raise TemplateProblem(f"{{{{ {root} }}}} needs a field, e.g. {{{{ {root}.{fields[0]} }}}}. "
                                      f"You can use: {available}.")
            if len(path) > 2 or (len(path) == 2 and path[1] not in fields):
                raise bad("{{ " + ".".join(path) + " }}")
            return  # a known path: its parts are checked
        if isinstance(node, nodes.For | nodes.Macro | nodes.CallBlock | nodes.Import | nodes.FromImport
                      | nodes.Include | nodes.Extends | nodes.Assign | nodes.AssignBlock | nodes.With):
            raise TemplateProblem("Only placeholders and {% if %} are allowed in a template.")
        for child in node.iter_child_nodes():
            visit(child)

    visit(tree)


def _render(text: str, context: dict[str, Any]) -> Markup:
    try:
        out = _ENV.from_string(text).render(context)
    except SecurityError:
        raise TemplateProblem("The template tries to reach something it may not.") from None
    except UndefinedError as exc:
        raise TemplateProblem(f"The template uses something this run does not have: {exc.message}.") from None
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"The template cannot be read (line {exc.lineno}): {exc.message}.") from None
    except Exception as exc:  # a filter on a bad value, …
        raise TemplateProblem(f"The template could not be filled in: {type(exc).__name__}.") from None
    if len(out) > MAX_OUTPUT:
        raise TemplateProblem("The email would be too long.")
    return Markup(out)


def render_html(text: str, context: dict[str, Any]) -> Markup:
    """The filled-in template, every value HTML-escaped (safe to put in the email's HTML)."""
    return _render(text, context)


def render_text(text: str, context: dict[str, Any]) -> str:
    """The filled-in template as plain text (a subject line, the email's text part)."""
    return html.unescape(str(_render(text, context)))
