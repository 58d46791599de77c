"""Errors the user can act on: one line saying what went wrong and how to fix it."""


class UserFacingError(Exception):
    """Raised for bad input (data, checkpoints, CLI values); the message is shown as is."""


class TrainingDiverged(UserFacingError):
    """Losses became NaN or infinite; the last good checkpoint is left in place."""


def _npz_read_errors() -> tuple[type[BaseException], ...]:
    import tokenize
    import zipfile
    import zlib

    # numpy parses each member's header as Python literals: a damaged one fails in the parser
    return (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error, SyntaxError, tokenize.TokenError)


NPZ_READ_ERRORS = _npz_read_errors()  # every way reading a damaged .npz (or a member of it) fails
