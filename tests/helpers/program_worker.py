"""A process that runs one `tandem` command, for the lifecycle concurrency tests.

    python tests/helpers/program_worker.py [--wait-go] -- ARGS...

With --wait-go it loads the commands and the database driver first, prints "ready" and
waits for a line on stdin, so that a test can start several writers at the same instant.
It prints the command's exit code as its last line.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> None:
    args = sys.argv[1:]
    wait = args[:1] == ["--wait-go"]
    args = args[2:] if wait else args[1:]
    import audit.log.db
    import audit.program
    import engine.pairing.pipeline  # noqa: F401
    from cli.main import cli

    if wait:
        audit.log.db.Database(args[args.index("--db") + 1], 1).dispose()
        print("ready", flush=True)
        sys.stdin.readline()
    try:
        cli.main(args=args, prog_name="tandem", standalone_mode=False)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    print(code, flush=True)


if __name__ == "__main__":
    main()
