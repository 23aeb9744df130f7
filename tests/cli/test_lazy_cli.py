"""The root command group lists commands from a table and imports a command's module only to run it."""

import importlib
import subprocess
import sys

import typer

from genvision.cli.main import COMMANDS, load_command
from tests.conftest import GENVISION

NO_TORCH = (
    "import sys\n"
    "from genvision.cli.main import main\n"
    "try:\n"
    "    main(sys.argv[1:])\n"
    "except SystemExit:\n"
    "    pass\n"
    "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH')\n"
)


def test_table_matches_what_the_modules_register():
    """Every command a module registers is in COMMANDS with its summary (None where it is hidden), and no more."""
    registered = {}
    for module in dict.fromkeys(m for m, _ in COMMANDS.values()):
        holder = typer.Typer()
        importlib.import_module(f"genvision.cli.{module}").register(holder)
        for name, cmd in typer.main.get_group(holder).commands.items():
            registered[name] = (module, None if cmd.hidden else cmd.get_short_help_str(10_000))
    assert registered == COMMANDS


def test_root_help_and_a_typo_start_without_torch():
    for argv in (["--help"], ["sampel"]):
        proc = subprocess.run([sys.executable, "-c", NO_TORCH, *argv], capture_output=True, text=True)
        assert proc.stdout.strip().splitlines()[-1] == "NO-TORCH", (argv, proc.stdout, proc.stderr)
    help_text = subprocess.run([*GENVISION, "--help"], capture_output=True, text=True).stdout
    assert all(name in help_text for name, (_, summary) in COMMANDS.items() if summary)
    assert "diffuse" not in help_text  # a hidden alias stays hidden


def test_a_typo_is_one_usage_error_with_a_suggestion():
    proc = subprocess.run([*GENVISION, "sampel"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == "error: No such command 'sampel'. Did you mean 'sample'?"


def test_a_command_loads_its_own_help():
    assert load_command("sample").name == "sample"
    proc = subprocess.run([*GENVISION, "sample", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "--seed" in proc.stdout


FIRST_IMPORTS = (
    "import importlib, sys\n"
    "import torch  # loaded once; every genvision module is imported anew for each command module\n"
    "failed = []\n"
    "for name in sys.argv[1:]:\n"
    "    for key in [k for k in sys.modules if k == 'genvision' or k.startswith('genvision.')]:\n"
    "        del sys.modules[key]\n"
    "    try:\n"
    "        importlib.import_module(f'genvision.cli.{name}')\n"
    "    except ImportError as exc:\n"
    "        failed.append(f'{name}: {exc}')\n"
    "print(failed)\n"
)


def test_every_command_module_imports_first():
    """With `import genvision` lazy, a command's module is the first genvision module a process imports; an import
    cycle that an eager package import used to hide (export -> generators -> export) fails here."""
    modules = list(dict.fromkeys(m for m, _ in COMMANDS.values()))
    proc = subprocess.run([sys.executable, "-c", FIRST_IMPORTS, *modules], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_sampling_imports_no_slow_library():
    """`genvision sample` and the public API load none of scikit-learn (1.1 s), scikit-image (0.6 s) and
    scipy.ndimage (0.3 s): they are imported where they are used (tests/test_layers.py SLOW_TO_IMPORT)."""
    code = (
        "import sys\n"
        "import genvision.cli.sample, genvision.generators, genvision.workflows.sample\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'skimage') or m.startswith('scipy.ndimage')))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == "[]"
