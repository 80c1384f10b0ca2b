#!/usr/bin/python3
"""The engine's default U-Net written plainly in PyTorch, as a notebook user
would, to time it against the engine on the same CPU (bench_speed --compare).

Never used at run time: a benchmark only. Run with the system Python
(/usr/bin/python3, Debian python3-torch 1.13). Prints one JSON object per line:
  {"kind": "info", ...}        torch version, threads, parameter count
  {"kind": "inference", ...}   one per size: ms per slice and per megapixel,
                               or "skipped" with the reason
  {"kind": "training", ...}    seconds per Adam step (min and median)
  {"kind": "check", ...}       with --check-model: the largest difference between
                               the engine's output and this network's with the
                               engine's weights on the same input

The network is python/mri_enhance_network.py's (imported from there), which
follows engine/nn/UNet.cpp; here with the defaults of
engine/model/TrainingOptions.h (NetworkConfig): depth 2, 16 base channels doubled per
level, two 3x3 convolutions per level each followed by batch normalisation and
ReLU, max-blur-pool down (max-pool 2 stride 1, replicate pad 1, depthwise
binomial [1 2 1] x [1 2 1] / 16 stride 2), 2x2 stride-2 transposed convolution
up, skip connections by concatenation except at full resolution, 1x1
convolution out, linear output: input standardised by the data's mean and
deviation, output mean + deviation x the last convolution. Module names match
the engine's so that the state dicts line up.
"""

import argparse
import json
import statistics
import sys
import time

import os

import torch
import torch.nn as nn

# The network itself lives in python/mri_enhance_network.py (models that travel).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from mri_enhance_network import build_network  # noqa: E402


def make_network(depth, base_channels, data_mean=0.0, data_deviation=1.0):
    """The engine's network from the committed module (python/mri_enhance_network.py)."""
    model = build_network({"depth": depth, "base_channels": base_channels, "neighbour_slices": 0})
    model.set_data_statistics(data_mean, data_deviation)
    return model


def load_engine_weights(model, model_file):
    """Loads the weights and batch-norm statistics of an engine model file
    (engine/model/ModelFile.h: a text line, the JSON header's byte count, the header,
    then the LibTorch archive, whose "model" entry has our module names)."""
    import io
    data = open(model_file, "rb").read()
    first = data.index(b"\n")
    second = data.index(b"\n", first + 1)
    archive = data[second + 1 + int(data[first + 1:second]):]
    loaded = torch.jit.load(io.BytesIO(archive), map_location="cpu")
    state = {name[len("model."):]: value for name, value in
             list(loaded.named_parameters()) + list(loaded.named_buffers()) if name.startswith("model.")}
    model.load_state_dict(state, strict=True)


def check_against_engine(args):
    model = make_network(args.depth, args.base_channels)
    load_engine_weights(model, args.check_model)
    model.eval()
    size = args.check_size
    image = torch.from_file(args.check_input, size=size * size, dtype=torch.float32).view(1, 1, size, size)
    ours = torch.from_file(args.check_output, size=size * size, dtype=torch.float32).view(1, 1, size, size)
    with torch.inference_mode():
        twin = model(image)
    emit({"kind": "check", "size": size, "max_abs_difference": (twin - ours).abs().max().item(),
          "max_abs_output": ours.abs().max().item()})


def repeats_for(size):
    # The same rule as bench_speed's for the engine: more repeats of small sizes.
    return 5 if size <= 512 else 3 if size <= 1024 else 2


def emit(record):
    print(json.dumps(record), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=0, help="intra-op threads; 0: all cores")
    parser.add_argument("--sizes", default="256,512,1024,2048,4096", help="square slice sides, comma-separated")
    parser.add_argument("--max-size", type=int, default=4096,
                        help="larger slices are not run: one forward pass of the whole slice needs about "
                             "300 bytes per pixel (4096^2: ~5 GB)")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--patch", type=int, default=64)
    parser.add_argument("--train-steps", type=int, default=12, help="timed training steps after 3 of warm-up")
    parser.add_argument("--depth", type=int, default=2)
    parser.add_argument("--base-channels", type=int, default=16)
    parser.add_argument("--check-model", help="an engine model file: run its weights in this network")
    parser.add_argument("--check-input", help="raw float32 size x size input of the check")
    parser.add_argument("--check-output", help="raw float32 size x size output of the engine on it")
    parser.add_argument("--check-size", type=int, default=256)
    args = parser.parse_args()

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    else:
        torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(1)

    model = make_network(args.depth, args.base_channels, data_mean=0.4, data_deviation=0.2)
    parameters = sum(p.numel() for p in model.parameters())
    emit({"kind": "info", "torch": torch.__version__, "python": sys.version.split()[0],
          "threads": torch.get_num_threads(), "parameters": parameters,
          "depth": args.depth, "base_channels": args.base_channels})

    if args.check_model:
        check_against_engine(args)

    # Training first, as a user would before inference; it also gives batch
    # normalisation realistic running statistics.
    model.train()
    optimiser = torch.optim.Adam(model.parameters(), lr=4e-4)
    loss_function = nn.MSELoss()
    inputs = torch.rand(args.batch, 1, args.patch, args.patch)
    targets = torch.rand(args.batch, 1, args.patch, args.patch)
    times = []
    for step in range(3 + args.train_steps):
        start = time.perf_counter()
        optimiser.zero_grad()
        loss = loss_function(model(inputs), targets)
        loss.backward()
        optimiser.step()
        if step >= 3:
            times.append(time.perf_counter() - start)
    emit({"kind": "training", "batch": args.batch, "patch": args.patch, "steps": len(times),
          "seconds_per_step_min": min(times), "seconds_per_step_median": statistics.median(times)})

    model.eval()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    with torch.inference_mode():
        model(torch.rand(1, 1, 64, 64))  # warm-up
        for size in sizes:
            if size > args.max_size:
                emit({"kind": "inference", "size": size, "skipped":
                      f"not run: one forward pass of a whole {size}x{size} slice needs about "
                      f"{300 * size * size / 2**30:.0f} GiB"})
                continue
            image = torch.rand(1, 1, size, size)
            best = float("inf")
            for _ in range(repeats_for(size)):
                start = time.perf_counter()
                model(image)
                best = min(best, time.perf_counter() - start)
            emit({"kind": "inference", "size": size, "ms": best * 1000,
                  "ms_per_megapixel": best * 1000 / (size * size / 1e6)})


if __name__ == "__main__":
    main()
