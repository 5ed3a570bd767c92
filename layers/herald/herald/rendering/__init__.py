"""Content rendering: per-channel Liquid templates (python-liquid 2), compiled once and cached.

HTML fields are autoescaped (customer data can't inject markup); text fields are not. Templates
are untrusted input: resource limits bound what a hostile or careless template can do.

python-liquid is imported on first use (~55 ms with its Babel filters): the decide function
never renders, and the admin function renders only on save and preview. Only ``environment``
(and what it imports) touches python-liquid at import time; the modules here import it lazily.

- ``errors``: the two ways a template fails (refused at save, failing at render);
- ``environment``: the python-liquid environments Herald renders with;
- ``templates``: compiling (cached), save-time checks, the template fields of a content;
- ``limits``: what one render may consume, and the per-render budget; held by
  ``filter_guards`` (every filter) and ``tag_guards`` (loops, outputs);
- ``render``: a message's rendering from a content and a context;
- ``variables``: the context variables templates use (for warnings about unknown ones).
"""

from herald.rendering.errors import RenderError, TemplateSyntaxError
from herald.rendering.render import render, render_all, template_context
from herald.rendering.templates import check_content, compile_template
from herald.rendering.templates import fields as template_fields
from herald.rendering.variables import VariableUse, unknown_roots, variables

__all__ = [
    "RenderError",
    "TemplateSyntaxError",
    "VariableUse",
    "check_content",
    "compile_template",
    "render",
    "render_all",
    "template_context",
    "template_fields",
    "unknown_roots",
    "variables",
]
