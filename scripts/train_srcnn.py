"""Train the SRCNN weights the super-resolution page ships (data/srcnn_x3.pth).

    python scripts/train_srcnn.py                  # about 20 minutes on a 2-core CPU
    python scripts/train_srcnn.py --minutes 2      # a quick run, same recipe

The note's recipe where it names one: 33x33 bicubic inputs and 21x21 labels every 14
pixels of the Y channel at x3 (its flags), the 9-1-5 network with 64/32 filters and no
padding (Dong et al. 2014). Where the note's TF1 script would take days on a CPU (plain
SGD at lr 1e-4), this uses Adam at lr 1e-3 halved every quarter of the budget: see the
page for why. Training data: the scikit-image images in utils.srcnn.TRAIN_IMAGES; the
held-out photos (HELD_OUT_IMAGES) are only evaluated. Fixed seed; a GPU is used when
PyTorch sees one. Writes the weights and, beside them, a JSON record of the settings,
the device, the training log, the held-out scores and the weights' SHA-256.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from utils import env, seed, srcnn, training
from utils.paths import atomic_write, project_root

ROOT = project_root(Path(__file__).parent)
OUT = ROOT / "data" / "srcnn_x3.pth"


def describe(device: torch.device) -> str:
    """The device's name (utils.env.device_name), with the thread count on a CPU."""
    name = env.device_name(device)
    return name if device.type == "cuda" else f"{name} CPU, {torch.get_num_threads()} threads"


def train(minutes: float, epochs: int, lr: float, batch_size: int, seed_value: int, out: Path) -> dict:
    seed.seed_everything(seed_value)
    device = env.torch_device()
    config = srcnn.SRCNNConfig()
    data, label = srcnn.training_pairs(srcnn.TRAIN_IMAGES, config)
    x, y = torch.from_numpy(data).to(device), torch.from_numpy(label).to(device)
    net = srcnn.model().to(device)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    budget = minutes * 60
    generator = torch.Generator().manual_seed(seed_value)
    log, started = [], time.perf_counter()
    print(f"{len(x)} training pairs from {len(srcnn.TRAIN_IMAGES)} images on {describe(device)}")
    for epoch in range(1, epochs + 1):
        elapsed = time.perf_counter() - started
        if elapsed >= budget:
            break
        for group in optimizer.param_groups:  # halve the step every quarter of the budget
            group["lr"] = lr * 0.5 ** math.floor(4 * elapsed / budget)
        order = torch.randperm(len(x), generator=generator).to(device)
        total = 0.0
        for first in range(0, len(x), batch_size):
            idx = order[first : first + batch_size]
            loss, _ = training.train_step(net, optimizer, F.mse_loss, x[idx], y[idx])
            total += loss * len(idx)
        scores = srcnn.evaluate(net)
        gain = sum(s.gain for s in scores) / len(scores)
        log.append(
            {
                "epoch": epoch,
                "seconds": round(time.perf_counter() - started, 1),
                "lr": optimizer.param_groups[0]["lr"],
                "train_mse": total / len(x),
                "held_out_mean_gain_db": gain,
            }
        )
        print(
            f"epoch {epoch:3d}  {log[-1]['seconds']:7.1f} s  lr {log[-1]['lr']:.2e}  "
            f"mse {total / len(x):.3e}  held-out gain {gain:+.3f} dB",
            flush=True,
        )
    net = net.cpu()
    sha256 = srcnn.save_weights(net, out)
    scores = srcnn.evaluate(net)
    return {
        "weights": out.name,
        "sha256": sha256,
        "network": "SRCNN 9-1-5, 64/32 filters, no padding; input: bicubic-enlarged Y in [0, 1]; "
        "output: HR Y estimate in [0, 1]",
        "settings": {
            "scale": config.scale,
            "image_size": config.image_size,
            "label_size": config.label_size,
            "stride": config.stride,
            "optimizer": "Adam",
            "learning_rate": lr,
            "lr_schedule": "halved every quarter of the budget",
            "batch_size": batch_size,
            "seed": seed_value,
            "budget_minutes": minutes,
            "train_images": list(srcnn.TRAIN_IMAGES),
            "training_pairs": len(x),
        },
        "device": describe(device),
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "epochs": len(log),
        "seconds": round(time.perf_counter() - started, 1),
        "log": log,
        "held_out": [s._asdict() for s in scores],
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=20.0, help="time budget (default 20)")
    parser.add_argument("--epochs", type=int, default=1000, help="at most this many epochs")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam's starting learning rate")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=OUT, help="weights file (.pth)")
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.epochs < 1:
        parser.error("--minutes must be > 0 and --epochs >= 1")
    record = train(args.minutes, args.epochs, args.lr, args.batch_size, args.seed, args.out)
    with atomic_write(args.out.with_suffix(".json")) as tmp:
        tmp.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    for s in record["held_out"]:
        print(f"{s['name']:<10} bicubic {s['psnr_bicubic']:.2f} dB  SRCNN {s['psnr_srcnn']:.2f} dB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
