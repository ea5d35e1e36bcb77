"""Errors a user should see: one class, turned into a friendly message at the edge (CLI, chat)."""


class UserFacingError(Exception):
    """Something the person running the tool can fix; the message says what and how."""


class EmbeddingModelError(UserFacingError):
    pass


class IndexMismatchError(UserFacingError):
    pass


class IndexFormatError(IndexMismatchError):
    """Written by another version of this code: rebuilt from corpus/ by itself, its vectors reused."""


class CorpusError(UserFacingError):
    pass
