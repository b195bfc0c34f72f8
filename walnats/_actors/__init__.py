from ._actor import Actor, ExecuteIn, Priority
from ._connected import ConnectedActors
from ._registry import Actors
from ._retry import Reject, Retry, RetryPolicy

__all__ = [
    "Actor",
    "Actors",
    "ConnectedActors",
    "ExecuteIn",
    "Priority",
    "Reject",
    "Retry",
    "RetryPolicy",
]
