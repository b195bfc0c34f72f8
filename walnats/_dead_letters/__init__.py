from ._api import DeadLetters
from ._record import DEAD_LETTER_STREAM, DeadLetter

__all__ = ["DEAD_LETTER_STREAM", "DeadLetter", "DeadLetters"]
