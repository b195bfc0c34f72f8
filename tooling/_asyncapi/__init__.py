"""AsyncAPI 3.0 documents of walnats services: :func:`to_asyncapi` and
:func:`validate_asyncapi`."""

from ._builder import ASYNCAPI_VERSION, to_asyncapi
from ._validator import KEY_PATTERN, validate_asyncapi

__all__ = ["ASYNCAPI_VERSION", "KEY_PATTERN", "to_asyncapi", "validate_asyncapi"]
