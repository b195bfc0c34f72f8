"""How often and how soon a failed handler runs again."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from .._errors import CloudEventError, ConfigError, DecodeError

__all__ = ["Reject", "Retry", "RetryPolicy"]


@dataclass(frozen=True)
class RetryPolicy:
    """When to run a failed handler again, and when to give up.

    Attempts are counted from 1 (the first delivery). After attempt *n* fails and
    ``n < max_attempts``, the next attempt starts :meth:`delay` ``(n)`` seconds
    later; after the last attempt the event goes to the dead-letter stream.

    The delays are either the explicit *delays* (the last one repeats) or
    exponential: ``initial * multiplier ** (n - 1)``, capped at *maximum*, spread
    by ±*jitter* (a fraction) so that a burst of failures does not retry in lockstep.
    """

    max_attempts: int = 5
    """Deliveries before giving up, the first one included. Must be finite."""

    delays: Sequence[float] | None = None
    """Explicit delays in seconds: ``delays[0]`` after the first failure, and so on."""

    initial: float = 0.5
    """Exponential backoff: the delay after the first failure."""

    multiplier: float = 2.0
    """Exponential backoff: growth factor from one delay to the next."""

    maximum: float = 60.0
    """Exponential backoff: the longest delay."""

    jitter: float = 0.1
    """Random spread of each delay, as a fraction (0.1 = ±10 %)."""

    non_retryable: tuple[type[BaseException], ...] = ()
    """Exceptions that go to dead letters at once (decode errors always do)."""

    def __post_init__(self) -> None:
        if isinstance(self.max_attempts, bool) or not isinstance(self.max_attempts, int):
            raise ConfigError(f"max_attempts must be an int, got {self.max_attempts!r}")
        if self.max_attempts < 1:
            raise ConfigError(f"max_attempts must be >= 1, got {self.max_attempts}")
        if self.delays is not None:
            delays = tuple(self.delays)
            if not delays or any(not isinstance(d, int | float) or d < 0 for d in delays):
                raise ConfigError(f"delays must be non-negative seconds, got {self.delays!r}")
            object.__setattr__(self, "delays", delays)
        if self.initial < 0 or self.maximum < 0 or self.multiplier < 1:
            raise ConfigError("initial and maximum must be >= 0 and multiplier >= 1")
        if not 0 <= self.jitter < 1:
            raise ConfigError(f"jitter must be in [0, 1), got {self.jitter!r}")

    def base_delay(self, attempt: int) -> float:
        """The delay after failed attempt *attempt* (1-based), without jitter."""
        index = max(attempt, 1) - 1
        if self.delays is not None:
            return float(self.delays[min(index, len(self.delays) - 1)])
        return float(min(self.initial * self.multiplier**index, self.maximum))

    def delay(self, attempt: int) -> float:
        """The delay after failed attempt *attempt* (1-based), with jitter."""
        base = self.base_delay(attempt)
        if self.jitter:
            base *= 1 + random.uniform(-self.jitter, self.jitter)
        return max(base, 0.0)

    def schedule(self) -> list[float]:
        """Every delay without jitter: ``max_attempts - 1`` values."""
        return [self.base_delay(n) for n in range(1, self.max_attempts)]

    def gives_up(self, attempt: int, exc: BaseException) -> bool:
        """Whether failed attempt *attempt* with *exc* is final."""
        if attempt >= self.max_attempts:
            return True
        return isinstance(exc, (DecodeError, CloudEventError, Reject, *self.non_retryable))


class Retry(Exception):
    """Raise from a handler to retry after *delay* seconds instead of the policy's.

    The attempt still counts towards ``max_attempts``.
    """

    def __init__(self, delay: float | None = None) -> None:
        if delay is not None and delay < 0:
            raise ConfigError(f"Retry delay must be >= 0, got {delay!r}")
        self.delay = delay
        super().__init__(f"retry requested (delay={delay!r})")


class Reject(Exception):
    """Raise from a handler to send the event to dead letters at once, without retries."""
