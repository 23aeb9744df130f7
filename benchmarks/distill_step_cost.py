"""CPU seconds of one training step of progressive distillation and of reflow (and of one reflow pair), measured
in the same process on the same teacher, to set reflow's budget equal to a progressive run's (issue 32).

    OMP_NUM_THREADS=1 python benchmarks/distill_step_cost.py [--teacher fashion-ddpm] [--steps 4] [--json out.json]

Progressive: k = 4 of the teacher's DDIM-16 per student step (the shipped fashion-ddpm-4step's recipe: 4 teacher
calls + the student's forward and backward); reflow: the student's forward and backward only; a pair: the
teacher's default sampling of one image (DPM-Solver++ 10 for fashion-ddpm), in chunks of --pair-batch.
Process CPU time (time.process_time), so a shared machine's other load does not count.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch
import yaml

from genvision.data import load_dataset
from genvision.train.families import load_run_config
from genvision.train.recipes.reflow import distill_training


def config(tmp: Path, teacher: str, method: str, extra: dict) -> Path:
    raw = {
        "family": "distill",
        "data": {"name": "fashion-mnist"},
        "train": {"batch_size": 64, "device": "cpu", "tensorboard": False},
        "model": {"teacher": teacher},
        "recipe": {"method": method, "student_steps": 4, **extra},
    }
    path = tmp / f"{method}.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def step_seconds(recipe, batch: dict, steps: int) -> float:
    """Mean process CPU seconds of loss + backward + Adam step (after one warm-up step)."""
    nets = recipe.build()
    recipe.nets = nets
    opt = torch.optim.Adam(nets["unet"].parameters(), lr=1e-5)
    gen = torch.Generator().manual_seed(0)
    for i in range(steps + 1):
        if i == 1:
            start = time.process_time()
        loss, _ = recipe.loss("main", batch, nets, gen, i)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return (time.process_time() - start) / steps


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--teacher", default="fashion-ddpm")
    p.add_argument("--steps", type=int, default=4)
    p.add_argument("--pair-batch", type=int, default=125)
    p.add_argument("--json")
    a = p.parse_args()
    torch.set_num_threads(1)
    data = load_dataset("fashion-mnist", "train")
    images = torch.stack([data[i]["image"] for i in range(64)])
    batch = {"image": images, "label": torch.zeros(64, dtype=torch.int64)}
    out: dict[str, float] = {"threads": torch.get_num_threads()}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        prog_cfg = load_run_config(
            config(tmp, a.teacher, "progressive", {"teacher_steps": 16, "prediction": "v"})
        )
        prog = distill_training(prog_cfg, data.info, torch.device("cpu"))
        out["progressive_step_cpu_s"] = step_seconds(prog, batch, a.steps)
        extra = {"prediction": "v", "pairs": a.pair_batch, "pair_batch": a.pair_batch}
        reflow = distill_training(load_run_config(config(tmp, a.teacher, "reflow", extra)), data.info, "cpu")
        reflow.run_dir = tmp / "run"
        out["reflow_step_cpu_s"] = step_seconds(reflow, batch, a.steps)
        out["pair_cpu_s"] = reflow.pairs.cpu_seconds / len(reflow.pairs)
    for k, v in out.items():
        print(f"{k}: {v:.4g}")
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
