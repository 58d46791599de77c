"""`gan-explorer`: with a subcommand, the headless CLI; otherwise the desktop app."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--verbose"]:  # TensorFlow's own log lines, for the app and the commands alike
        import os

        os.environ["GAN_EXPLORER_VERBOSE"] = "1"
        argv = argv[1:]
    from trainers.cli import COMMANDS

    if argv and (argv[0] in COMMANDS or argv[0] in ("-h", "--help")):
        from trainers.cli import main as cli_main

        return cli_main(argv)
    from explorer.app import run_app

    return run_app(argv)


if __name__ == "__main__":
    sys.exit(main())
