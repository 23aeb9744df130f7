"""Run many `genvision` command lines as separate processes for the price of one start-up.

    python -m tests.reliability.cli_batch CASES.json RESULTS.json

CASES.json is a list of {"id", "argv", "cwd"}. This process imports the CLI once, then forks one child per case;
the child redirects stdout/stderr to files, runs `genvision.cli.main.main(argv)` exactly as the console script
does, and exits with its code. Each child is a real process (its own exit status, signals and file descriptors),
and an alarm kills one that runs for more than `timeout` seconds.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import time

PRELOAD = (
    "genvision.train.trainer",
    "genvision.train.families",
    "genvision.config",
    "genvision.models.bundle",
    "genvision.generators",
    "genvision.workflows.sample",
)


def _child(argv: list[str], cwd: str, out_path: str, err_path: str, timeout: int) -> None:
    os.chdir(cwd)
    for fd, path in ((1, out_path), (2, err_path)):
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(handle, fd)
        os.close(handle)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.alarm(timeout)
    code = 0
    try:
        from genvision.cli.main import main

        sys.argv = ["genvision", *argv]
        main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # anything main() let through is a crash: show it as Python would
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def run_cases(cases: list[dict], timeout: int = 90) -> list[dict]:
    import importlib

    from genvision.cli.main import load_all_commands

    load_all_commands()  # the expensive imports, once

    for name in PRELOAD:  # what commands import lazily; a module that moved is simply not preloaded
        try:
            importlib.import_module(name)
        except ImportError:
            pass

    results, scratch = [], tempfile.mkdtemp(prefix="cli_batch_")
    for i, case in enumerate(cases):
        out_path, err_path = os.path.join(scratch, f"{i}.out"), os.path.join(scratch, f"{i}.err")
        started = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            _child(case["argv"], case.get("cwd", os.getcwd()), out_path, err_path, timeout)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        with open(out_path, errors="replace") as fh_out, open(err_path, errors="replace") as fh_err:
            results.append(
                {
                    "id": case["id"],
                    "returncode": code,
                    "stdout": fh_out.read(),
                    "stderr": fh_err.read(),
                    "seconds": round(time.perf_counter() - started, 3),
                }
            )
    return results


if __name__ == "__main__":
    with open(sys.argv[1]) as fh:
        todo = json.load(fh)
    done = run_cases(todo)
    with open(sys.argv[2], "w") as fh:
        json.dump(done, fh)
