"""Ready-made middlewares: logging, Prometheus metrics, OpenTelemetry tracing.

::

    from walnats.middlewares import LogMiddleware, OpenTelemetryMiddleware

    await conn.listen(middlewares=[LogMiddleware(), OpenTelemetryMiddleware()])

Each is a :class:`walnats.Middleware` defining only the hooks it needs, so an unused
hook costs nothing. The third-party libraries are optional extras, imported when a
middleware is built: ``pip install 'walnats[prometheus]'`` or
``pip install 'walnats[opentelemetry]'``.
"""

from ._log import LogMiddleware
from ._otel import OpenTelemetryMiddleware
from ._prometheus import PrometheusMiddleware

__all__ = [
    "LogMiddleware",
    "OpenTelemetryMiddleware",
    "PrometheusMiddleware",
]
