"""The network of MRI Enhance Studio in PyTorch, for models that travel.

`mri-enhance export-model MODEL --format pytorch OUT` writes a model's weights
as a state dict (OUT, a dict of tensors for torch.load) and its settings
beside it (OUT.json); this module builds the same network from those settings
and enhances a slice as `mri-enhance enhance` does:

    import json, torch, mri_enhance_network as mri
    settings = mri.load_settings("model.pt.json")
    net = mri.build_network(settings)
    net.load_state_dict(torch.load("model.pt"))
    enhanced = mri.enhance_slice(net, image)   # a 2-D numpy array

The other way: train `build_network(settings)` in Python, then
`save_model(net, "mine.pt", settings)` (the weights and mine.pt.json; a plain
`torch.save(net.state_dict(), "mine.pt")` is read too, with the settings given
to import-model as options) and `mri-enhance import-model mine.pt --out
mine.model`.

Every network setting of the engine is covered (engine/nn/UNet.cpp;
engine/model/TrainingOptions.h, NetworkConfig): depth, base_channels, batch_norm,
blur_pool, top_skip, residual_output, linear_output and neighbour_slices (2.5-D
input channels). Module and buffer names are the engine's, so the state dicts
line up key for key.

enhance_slice() reproduces the engine's enhancement of a slice that fits one
tile (768 pixels a side unless `enhance --tile` says otherwise; larger slices
are tiled and blended there, which changes the result by little but not by
nothing): scaling to [0, 1], neighbour channels, padding to a multiple of
2^depth, the network (averaged over the slice's four mirror images, as the
engine averages a denoising model's), and the conversion back. The engine's
J-invariant inference of models trained with large blind spots (n2v_blind_radius
2 or more, or 1 with neighbour slices) is not reproduced. The engine's last step, the
removal of the Rician noise floor (the setting rician_correction, on by
default), is not reproduced here: compare with models whose settings say
rician_correction false, or expect the engine's background to be darker.

Needs torch (tested with Debian's python3-torch 1.13) and numpy.
"""

import json
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# The engine's defaults of the network's settings (NetworkConfig). An
# automatic neighbour_slices (-1) is 0 here: a picture's single slice.
NETWORK_DEFAULTS = {
    "depth": 2,
    "base_channels": 16,
    "batch_norm": True,
    "blur_pool": True,
    "top_skip": False,
    "residual_output": False,
    "linear_output": True,
    "neighbour_slices": 0,
}

MODEL_FORMAT = "mri-enhance-model"
SCHEMA_VERSION = 2


def network_settings(settings):
    """The network's settings from a settings file's object, its "settings"
    object or a partial dict; missing keys take the engine's defaults."""
    if settings is None:
        settings = {}
    if "settings" in settings and isinstance(settings["settings"], dict):
        settings = settings["settings"]
    network = dict(NETWORK_DEFAULTS)
    for key in NETWORK_DEFAULTS:
        if key in settings:
            network[key] = settings[key]
    if network["neighbour_slices"] < 0:
        network["neighbour_slices"] = 0
    for key in ("depth", "base_channels", "neighbour_slices"):
        network[key] = int(network[key])
    if not 1 <= network["depth"] <= 6 or not 1 <= network["base_channels"] <= 256 \
            or not 0 <= network["neighbour_slices"] <= 2:
        raise ValueError("depth must be 1..6, base_channels 1..256 and neighbour_slices 0..2, not %r" % network)
    return network


def load_settings(path):
    """The settings file written with a state dict (OUT.json): its "settings"
    object, every training setting by key."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    return data["settings"] if isinstance(data.get("settings"), dict) else data


class DoubleConv(nn.Module):
    """Two 3x3 convolutions, each followed by batch normalisation (optional) and ReLU."""

    def __init__(self, in_channels, out_channels, batch_norm=True):
        super().__init__()
        self.first = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.second = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        if batch_norm:
            self.first_norm = nn.BatchNorm2d(out_channels)
            self.second_norm = nn.BatchNorm2d(out_channels)
        else:
            self.first_norm = None
            self.second_norm = None

    def forward(self, x):
        x = self.first(x)
        if self.first_norm is not None:
            x = self.first_norm(x)
        x = self.second(F.relu(x))
        if self.second_norm is not None:
            x = self.second_norm(x)
        return F.relu(x)


class UNet(nn.Module):
    """engine/nn/UNet.cpp: max-(blur-)pool down, 2x2 stride-2 transposed
    convolution up, skip connections by concatenation (at full resolution only
    with top_skip), 1x1 convolution out. Output: with linear_output the data's
    mean + deviation x (the last convolution, or the standardised centre slice
    plus it when residual_output); else Sigmoid of it (or the centre slice plus
    it when residual_output). Input [N, 1 + 2n, H, W] (n neighbour slices:
    below, the slice, above), H and W multiples of 2^depth; output [N, 1, H, W]."""

    def __init__(self, settings=None):
        super().__init__()
        self.settings = network_settings(settings)
        s = self.settings
        depth, base = s["depth"], s["base_channels"]
        channels = [base << level for level in range(depth + 1)]
        inputs = 1 + 2 * s["neighbour_slices"]
        self.encoders = nn.ModuleList(
            [DoubleConv(inputs if level == 0 else channels[level - 1], channels[level], s["batch_norm"])
             for level in range(depth)])
        self.upsamplers = nn.ModuleList()
        self.decoders = nn.ModuleList()
        for level in reversed(range(depth)):
            self.upsamplers.append(nn.ConvTranspose2d(channels[level + 1], channels[level], 2, stride=2))
            skip = level > 0 or s["top_skip"]
            self.decoders.append(DoubleConv(2 * channels[level] if skip else channels[level], channels[level],
                                            s["batch_norm"]))
        self.bottleneck = DoubleConv(channels[depth - 1], channels[depth], s["batch_norm"])
        self.output = nn.Conv2d(channels[0], 1, 1)
        taps = torch.tensor([1.0, 2.0, 1.0])
        self.register_buffer("blur_kernel", (taps[:, None] * taps[None, :] / 16.0).view(1, 1, 3, 3))
        if s["linear_output"]:
            self.register_buffer("data_mean", torch.zeros(1))
            self.register_buffer("data_deviation", torch.ones(1))

    @property
    def downsampling_factor(self):
        return 1 << self.settings["depth"]

    def set_data_statistics(self, mean, deviation):
        """The intensity scale of a linear output: the training data's mean and
        deviation (of its [0, 1] values), set once before training."""
        if self.settings["linear_output"]:
            with torch.no_grad():
                self.data_mean.fill_(float(mean))
                self.data_deviation.fill_(float(deviation) if deviation > 1e-6 else 1.0)

    def downsample(self, x):
        if not self.settings["blur_pool"]:
            return F.max_pool2d(x, 2, stride=2)
        # Max-blur-pool (Zhang 2019, N2V2): dense max, then an anti-aliased stride.
        x = F.max_pool2d(x, 2, stride=1)
        x = F.pad(x, (1, 1, 1, 1), mode="replicate")
        channels = x.shape[1]
        return F.conv2d(x, self.blur_kernel.expand(channels, 1, 3, 3), stride=2, groups=channels)

    def forward(self, image):
        s = self.settings
        linear = s["linear_output"]
        standardised = (image - self.data_mean) / self.data_deviation if linear else image
        x = standardised
        skips = []
        for encoder in self.encoders:
            x = encoder(x)
            skips.append(x)
            x = self.downsample(x)
        x = self.bottleneck(x)
        for step, (up, decoder) in enumerate(zip(self.upsamplers, self.decoders)):
            level = s["depth"] - 1 - step
            x = up(x)
            if level > 0 or s["top_skip"]:
                x = torch.cat([x, skips[level]], 1)
            x = decoder(x)
        correction = self.output(x)
        n = s["neighbour_slices"]

        def centre(channels):
            return channels if n == 0 else channels[:, n:n + 1]

        if linear:
            return self.data_mean + self.data_deviation * (
                centre(standardised) + correction if s["residual_output"] else correction)
        return centre(image) + correction if s["residual_output"] else torch.sigmoid(correction)


def build_network(settings=None):
    """The engine's network for these settings (a settings file's object, its
    "settings" object, or a dict of the network's keys; others are ignored).
    The full settings are kept as net.all_settings for save_model()."""
    net = UNet(settings)
    if settings and isinstance(settings.get("settings"), dict):
        settings = settings["settings"]
    net.all_settings = dict(settings or {})
    net.all_settings.update(net.settings)
    return net


def load_model(state_dict_path, settings_path=None):
    """The network of an exported model in eval mode: settings from
    settings_path (default: state_dict_path + ".json")."""
    settings = load_settings(settings_path or str(state_dict_path) + ".json")
    net = build_network(settings)
    net.load_state_dict(torch.load(state_dict_path, map_location="cpu"))
    return net.eval()


def save_model(net, path, settings=None):
    """Writes what `mri-enhance import-model` reads: the weights as a plain dict
    of tensors (as export-model writes them) and the settings beside it in
    path + ".json". `settings` may add engine settings that are not the
    network's, e.g. {"rician_correction": False}."""
    all_settings = dict(getattr(net, "all_settings", {}))
    all_settings.update(settings or {})
    all_settings.update(net.settings)
    torch.save({key: value.detach().cpu() for key, value in net.state_dict().items()}, path)
    with open(str(path) + ".json", "w", encoding="utf-8") as f:
        json.dump({"format": MODEL_FORMAT, "schema_version": SCHEMA_VERSION,
                   "written_by": "mri_enhance_network.py", "settings": all_settings}, f, indent=1)
        f.write("\n")


def input_channels(image, neighbours, neighbour_slices):
    """engine/image/NeighbourSlices.cpp: n below (farthest first), the slice, n above
    (nearest first), from neighbours ordered k below then k above; fewer given
    repeat the farthest given, none repeat the slice."""
    if len(neighbours) % 2:
        raise ValueError("neighbour slices come in pairs, below and above")
    given = len(neighbours) // 2
    below = [image if given == 0 else neighbours[given - min(d, given)] for d in range(neighbour_slices, 0, -1)]
    above = [image if given == 0 else neighbours[given - 1 + min(d, given)] for d in range(1, neighbour_slices + 1)]
    return below + [image] + above


def _pad_bottom_right(x, factor):
    height, width = x.shape[-2:]
    pad_height = -height % factor
    pad_width = -width % factor
    if pad_height == 0 and pad_width == 0:
        return x
    # Reflect where the slice is large enough (as the engine), replicate otherwise.
    mode = "reflect" if pad_height < height and pad_width < width else "replicate"
    return F.pad(x, (0, pad_width, 0, pad_height), mode=mode)


def _to_unit(image, value_range):
    image = np.asarray(image)
    if image.dtype == np.uint8 or image.dtype == np.uint16:
        scale = 255.0 if image.dtype == np.uint8 else 65535.0
        return image.astype(np.float32) * np.float32(1.0 / scale)
    low, high = value_range if value_range is not None else (0.0, 1.0)
    unit = (image.astype(np.float64) - low) / (high - low)
    return np.nan_to_num(unit.astype(np.float32), nan=0.0)


def _mirror_average(net, x):
    """engine/nn/TiledInference.cpp, forwardTile(): the mean over the padded
    slice and its three mirror images, each through the network and mirrored back."""
    total = net(x)
    for axes in ((3,), (2,), (2, 3)):
        total = total + net(x.flip(axes)).flip(axes)
    return total / 4.0


def enhance_slice(net, image, neighbours=(), value_range=None, mirror_average=None):
    """A slice enhanced as `mri-enhance enhance` does it, for a slice within
    one tile. image: 2-D numpy array; uint8 or uint16 (scaled by 255 or 65535,
    returned in the same type, rounded and clamped as the engine does) or
    float, mapped from value_range (low, high) to [0, 1] (default: already
    [0, 1]; the engine uses a volume's minimum and maximum) and returned as
    float32 in the same units, unclamped. neighbours: for 2.5-D networks the
    slices around it, k below (farthest first) then k above (nearest first),
    the same type and size. mirror_average: average over the four mirror
    images as the engine does (default: as the engine, on unless the model is a
    super-resolution one; the engine's J-invariant inference of models with
    large blind spots is not reproduced). The Rician noise-floor step is not
    applied."""
    settings = getattr(net, "all_settings", {})
    if settings.get("rician_correction", True) and not getattr(net, "_warned_floor", False):
        warnings.warn("the engine also removes the noise floor of this model (rician_correction); "
                      "enhance_slice does not, so dark regions differ", stacklevel=2)
        net._warned_floor = True
    dtype = np.asarray(image).dtype
    unit = [_to_unit(channel, value_range)
            for channel in input_channels(image, list(neighbours), net.settings["neighbour_slices"])]
    x = torch.from_numpy(np.stack(unit)[None])
    height, width = x.shape[-2:]
    net.eval()
    if mirror_average is None:
        mirror_average = settings.get("objective", "n2v") != "superres"
    padded = _pad_bottom_right(x, net.downsampling_factor)
    with torch.no_grad():
        out = (_mirror_average(net, padded) if mirror_average else net(padded))[0, 0, :height, :width].numpy()
    if dtype == np.uint8 or dtype == np.uint16:
        top = 255.0 if dtype == np.uint8 else 65535.0
        return np.clip(np.rint(out * np.float32(top)), 0, top).astype(dtype)
    low, high = value_range if value_range is not None else (0.0, 1.0)
    return (out.astype(np.float64) * (high - low) + low).astype(np.float32)
