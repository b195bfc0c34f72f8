"""Event sourcing on top of walnats: aggregates, event store, snapshots, projections.

This package grows with the event-sourcing toolkit; see docs/event-sourcing.md.
"""

__all__: list[str] = []
