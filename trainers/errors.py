"""Errors the user can act on: one line saying what went wrong and how to fix it."""


class UserFacingError(Exception):
    """Raised for bad input (data, checkpoints, CLI values); the message is shown as is."""


class TrainingDiverged(UserFacingError):
    """Losses became NaN or infinite; the last good checkpoint is left in place."""
