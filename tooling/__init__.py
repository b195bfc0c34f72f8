"""The walnats CLI, diagram and AsyncAPI generators, and the linter."""

__all__: list[str] = []
