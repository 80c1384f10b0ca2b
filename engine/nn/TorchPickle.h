#pragma once

// Private to the engine: includes LibTorch. What torch.save wrote into a file,
// read by this program.
//
// LibTorch 1.13's unpickler cannot build the OrderedDict that state_dict()
// returns (pytorch/pytorch#100741) nor any object, so it cannot say what a
// file holds. This reads the pickle of torch.save's zip archive itself: the
// instructions Python's pickler writes at protocols 2 to 4, with dicts,
// OrderedDicts, tensors (torch._utils._rebuild_tensor_v2 / _rebuild_parameter)
// and their storages; anything else is kept as an opaque object named by its
// class, so that a file holding one is named precisely.

#include <torch/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace mri::nn {

struct Pickled;
using PickledPtr = std::shared_ptr<Pickled>;

struct Pickled
{
    enum class Kind { None, Boolean, Integer, Real, Text, Tensor, List, Tuple, Dict, Global, Object, Storage };
    Kind kind = Kind::None;
    long long integer = 0;         // Boolean, Integer; Storage: its element count
    double real = 0.0;
    std::string text;              // Text; Global, Object: "module.name"; Storage: its record
    torch::ScalarType dtype = torch::kFloat; // Storage
    torch::Tensor tensor;
    std::vector<PickledPtr> items; // List, Tuple
    std::vector<std::pair<PickledPtr, PickledPtr>> entries; // Dict, in order
};

// "dict", "single tensor", "pickled object of class torch.nn.Module", ...: what a value is, for sentences.
std::string kindName(const Pickled &value);

// The value torch.save wrote into `file`, whose bytes are `bytes`. Throws
// EngineError with one sentence naming the file for what it is when it is not
// a torch.save archive (empty, legacy format, a bare pickle, cut short, no
// data.pkl) or its pickle or tensors are damaged; what LibTorch's archive
// reader throws for a damaged zip passes through.
PickledPtr unpickleTorchSave(const std::vector<char> &bytes, const std::filesystem::path &file);

} // namespace mri::nn
