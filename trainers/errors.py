"""Errors the user can act on: one line saying what went wrong and how to fix it."""


class UserFacingError(Exception):
    """Raised for bad input (data, checkpoints, CLI values); the message is shown as is."""


class IncompatibleCheckpoint(UserFacingError):
    """A checkpoint whose arrays do not fit the model built from the settings (another model, other shapes)."""


class TrainingDiverged(UserFacingError):
    """Losses became NaN or infinite; the last good checkpoint is left in place."""


def _npz_read_errors() -> tuple[type[BaseException], ...]:
    import tokenize
    import zipfile
    import zlib

    # numpy parses each member's header as Python literals: a damaged one fails in the parser
    # a header claiming a huge array fails as MemoryError before anything is read
    return (
        OSError,
        ValueError,
        EOFError,
        MemoryError,
        zipfile.BadZipFile,
        zlib.error,
        SyntaxError,
        tokenize.TokenError,
    )


NPZ_READ_ERRORS = _npz_read_errors()  # every way reading a damaged .npz (or a member of it) fails


def read_error_reason(exc: BaseException) -> str:
    """Why a user's file could not be read, in words that never advise loading executable content."""
    if isinstance(exc, MemoryError):
        return "its header claims an array larger than this machine's memory"
    if "allow_pickle" in str(exc) or "Object arrays" in str(exc):
        return (
            "it holds Python objects (pickled), which are never loaded because loading them can run code; "
            "save it again as plain numbers, e.g. np.savez(path, x=np.asarray(x, np.uint8), y=np.asarray(y))"
        )
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
