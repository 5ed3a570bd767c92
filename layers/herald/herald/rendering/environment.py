"""The python-liquid environments Herald renders with: one autoescaping HTML, one for text.

This is the one module of the package that imports python-liquid at module level; the others
import it on first use (see the package docstring).
"""

from __future__ import annotations

from liquid import Environment


class HeraldEnvironment(Environment):
    """python-liquid with resource limits on loops, output, assigned variables and nesting."""

    loop_iteration_limit = 10_000
    output_stream_limit = 512 * 1024
    context_depth_limit = 30
    local_namespace_limit = 64 * 1024


HTML = HeraldEnvironment(autoescape=True)
TEXT = HeraldEnvironment()
