#include "training/ModelExchange.h"

#include "base/EngineError.h"
#include "io/AtomicFile.h"
#include "model/ModelFile.h"
#include "model/TrainingSettings.h"
#include "nn/Checkpoint.h"
#include "nn/UNet.h"

#include <caffe2/serialize/inline_container.h>
#include <nlohmann/json.hpp>
#include <torch/serialize.h>
#include <torch/torch.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <cctype>
#include <climits>
#include <cstdio>
#include <memory>
#include <numeric>
#include <cstring>
#include <map>
#include <sstream>
#include <vector>

namespace mri {

namespace {

using Json = nlohmann::json;

std::string quoted(const std::filesystem::path &file)
{
    return "'" + file.string() + "'";
}

std::string firstLine(const std::string &text)
{
    auto line = text.substr(0, text.find('\n'));
    while (!line.empty() && (line.back() == '.' || line.back() == ' '))
        line.pop_back();
    return line;
}

std::string shapeText(const torch::Tensor &tensor)
{
    std::string text = "[";
    for (int64_t d = 0; d < tensor.dim(); ++d)
        text += (d ? ", " : "") + std::to_string(tensor.size(d));
    return text + "]";
}

// "depth 2, base_channels 16, ...": every setting of the network's shape, from the table.
std::string describeNetwork(const NetworkConfig &network)
{
    TrainingOptions options;
    options.network = network;
    std::string text;
    for (const auto &setting : trainingSettings()) {
        if (setting.networkShape)
            text += (text.empty() ? "" : ", ") + setting.key + " "
                + formatSettingValue(setting, setting.get(options));
    }
    return text;
}

// Parameters and buffers by their module path ("encoders.0.first.weight"), as
// Python's state_dict() names them.
std::vector<std::pair<std::string, torch::Tensor>> namedTensors(nn::UNet &net)
{
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    for (const auto &item : net->named_parameters(true))
        tensors.emplace_back(item.key(), item.value());
    for (const auto &item : net->named_buffers(true))
        tensors.emplace_back(item.key(), item.value());
    return tensors;
}

std::vector<char> readBytes(const std::filesystem::path &file, const std::string &what)
{
    std::error_code error;
    if (std::filesystem::is_directory(file, error))
        throw EngineError(what + " " + quoted(file) + " is a folder, not a file.");
    if (!std::filesystem::exists(file, error))
        throw EngineError(what + " " + quoted(file) + " does not exist.");
    std::ifstream in(file, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof())
        throw EngineError(what + " " + quoted(file) + " cannot be read.");
    return bytes;
}

// --- Reading torch.save's files ------------------------------------------------
//
// LibTorch 1.13's unpickler cannot build the OrderedDict that state_dict()
// returns (pytorch/pytorch#100741) nor any object, so it cannot say what a
// file holds. This reads the pickle of torch.save's zip archive itself: the
// instructions Python's pickler writes at protocols 2 to 4, with dicts,
// OrderedDicts, tensors (torch._utils._rebuild_tensor_v2 / _rebuild_parameter)
// and their storages; anything else is kept as an opaque object named by its
// class, so that a file holding one is named precisely.

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

PickledPtr made(Pickled::Kind kind)
{
    auto value = std::make_shared<Pickled>();
    value->kind = kind;
    return value;
}

std::string kindName(const Pickled &value)
{
    switch (value.kind) {
    case Pickled::Kind::None: return "None";
    case Pickled::Kind::Boolean: return "boolean";
    case Pickled::Kind::Integer: return "number";
    case Pickled::Kind::Real: return "number";
    case Pickled::Kind::Text: return "text";
    case Pickled::Kind::Tensor: return "single tensor";
    case Pickled::Kind::List: return "list";
    case Pickled::Kind::Tuple: return "tuple";
    case Pickled::Kind::Dict: return "dict";
    case Pickled::Kind::Global: return "class (" + value.text + ")";
    case Pickled::Kind::Object: return "pickled object of class " + value.text;
    case Pickled::Kind::Storage: return "tensor storage";
    }
    return "value";
}

std::optional<torch::ScalarType> storageType(const std::string &name)
{
    static const std::map<std::string, torch::ScalarType> types{
        {"torch.FloatStorage", torch::kFloat},   {"torch.DoubleStorage", torch::kDouble},
        {"torch.HalfStorage", torch::kHalf},     {"torch.BFloat16Storage", torch::kBFloat16},
        {"torch.LongStorage", torch::kLong},     {"torch.IntStorage", torch::kInt},
        {"torch.ShortStorage", torch::kShort},   {"torch.CharStorage", torch::kChar},
        {"torch.ByteStorage", torch::kByte},     {"torch.BoolStorage", torch::kBool}};
    const auto found = types.find(name);
    if (found == types.end())
        return std::nullopt;
    return found->second;
}

class Unpickler
{
public:
    Unpickler(const std::string &pickle, caffe2::serialize::PyTorchStreamReader &archive,
              const std::filesystem::path &file)
        : m_pickle(pickle), m_archive(archive), m_file(file)
    {
    }

    PickledPtr run()
    {
        for (;;) {
            const auto op = static_cast<unsigned char>(bytes(1)[0]);
            if (op == '.')
                break;
            step(op);
        }
        if (m_stack.size() != 1)
            throw damaged("its pickle does not end with one value");
        return m_stack.back();
    }

private:
    EngineError damaged(const std::string &why) const
    {
        return EngineError(quoted(m_file) + " is damaged: " + why + ".");
    }

    const char *bytes(std::size_t count)
    {
        if (count > m_pickle.size() - m_at)
            throw damaged("its pickle (data.pkl) ends early");
        const char *begin = m_pickle.data() + m_at;
        m_at += count;
        return begin;
    }

    template<typename T>
    T little()
    {
        T value{};
        std::memcpy(&value, bytes(sizeof(T)), sizeof(T)); // pickles are little-endian, as this machine
        return value;
    }

    std::string line()
    {
        const auto end = m_pickle.find('\n', m_at);
        if (end == std::string::npos)
            throw damaged("its pickle (data.pkl) ends early");
        std::string text = m_pickle.substr(m_at, end - m_at);
        m_at = end + 1;
        return text;
    }

    PickledPtr pop()
    {
        if (m_stack.empty() || (!m_marks.empty() && m_stack.size() <= m_marks.back()))
            throw damaged("its pickle (data.pkl) is malformed");
        auto value = m_stack.back();
        m_stack.pop_back();
        return value;
    }

    PickledPtr &top()
    {
        if (m_stack.empty())
            throw damaged("its pickle (data.pkl) is malformed");
        return m_stack.back();
    }

    // The values above the last mark, which is removed.
    std::vector<PickledPtr> popMark()
    {
        if (m_marks.empty() || m_marks.back() > m_stack.size())
            throw damaged("its pickle (data.pkl) is malformed");
        std::vector<PickledPtr> values(m_stack.begin() + static_cast<std::ptrdiff_t>(m_marks.back()), m_stack.end());
        m_stack.resize(m_marks.back());
        m_marks.pop_back();
        return values;
    }

    void push(PickledPtr value) { m_stack.push_back(std::move(value)); }

    void pushText(std::size_t length)
    {
        auto value = made(Pickled::Kind::Text);
        value->text.assign(bytes(length), length);
        push(value);
    }

    void pushInteger(long long integer)
    {
        auto value = made(Pickled::Kind::Integer);
        value->integer = integer;
        push(value);
    }

    void memoize(std::uint32_t index) { m_memo[index] = top(); }

    void recall(std::uint32_t index)
    {
        const auto found = m_memo.find(index);
        if (found == m_memo.end())
            throw damaged("its pickle (data.pkl) is malformed");
        push(found->second);
    }

    void setItems(const std::vector<PickledPtr> &values)
    {
        auto &dict = top();
        if (dict->kind == Pickled::Kind::Object)
            return; // an object's items: it stays opaque
        if (dict->kind != Pickled::Kind::Dict || values.size() % 2 != 0)
            throw damaged("its pickle (data.pkl) is malformed");
        for (std::size_t i = 0; i < values.size(); i += 2) {
            const auto same = std::find_if(dict->entries.begin(), dict->entries.end(), [&](const auto &entry) {
                return entry.first->kind == Pickled::Kind::Text && values[i]->kind == Pickled::Kind::Text
                    && entry.first->text == values[i]->text;
            });
            if (same != dict->entries.end())
                same->second = values[i + 1];
            else
                dict->entries.emplace_back(values[i], values[i + 1]);
        }
    }

    std::vector<int64_t> integers(const PickledPtr &tuple)
    {
        std::vector<int64_t> values;
        if (tuple->kind != Pickled::Kind::Tuple && tuple->kind != Pickled::Kind::List)
            throw damaged("a tensor's size is not a list of numbers");
        for (const auto &item : tuple->items) {
            if (item->kind != Pickled::Kind::Integer || item->integer < 0)
                throw damaged("a tensor's size is not a list of numbers");
            values.push_back(item->integer);
        }
        return values;
    }

    // torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...).
    PickledPtr tensorOf(const PickledPtr &arguments)
    {
        const auto &items = arguments->items;
        if (arguments->kind != Pickled::Kind::Tuple || items.size() < 4 || items[0]->kind != Pickled::Kind::Storage
            || items[1]->kind != Pickled::Kind::Integer)
            throw damaged("a tensor in it is not laid out as torch.save writes one");
        const auto &storage = *items[0];
        const auto size = integers(items[2]);
        const auto stride = integers(items[3]);
        const long long offset = items[1]->integer;
        if (size.size() != stride.size() || offset < 0)
            throw damaged("a tensor in it is not laid out as torch.save writes one");
        long long last = offset; // the last element the view reaches
        bool empty = false;
        for (std::size_t d = 0; d < size.size(); ++d) {
            empty = empty || size[d] == 0;
            if (size[d] > 0 && stride[d] > (LLONG_MAX / 4 - last) / size[d])
                throw damaged("a tensor in it is larger than its storage");
            last += (size[d] > 0 ? size[d] - 1 : 0) * stride[d];
        }
        // A state dict's tensors are views of their own storage, never broadcast over it.
        const long long count = std::accumulate(size.begin(), size.end(), 1LL, [](long long a, int64_t b) {
            return b > 0 && a > LLONG_MAX / b ? LLONG_MAX : a * b;
        });
        if (!empty && (last >= storage.integer || count > storage.integer))
            throw damaged("a tensor in it is larger than its storage");
        auto value = made(Pickled::Kind::Tensor);
        const torch::Tensor flat = readStorage(storage);
        value->tensor = flat.as_strided(size, stride, offset).clone();
        return value;
    }

    torch::Tensor readStorage(const Pickled &storage)
    {
        const std::string record = "data/" + storage.text;
        const auto itemSize = static_cast<long long>(c10::elementSize(storage.dtype));
        if (storage.integer == 0)
            return torch::empty({0}, torch::TensorOptions().dtype(storage.dtype));
        if (!m_archive.hasRecord(record))
            throw EngineError(quoted(m_file) + " is cut short or damaged: the data of a tensor ('" + record
                              + "') is missing.");
        auto [data, length] = m_archive.getRecord(record);
        if (static_cast<long long>(length) / itemSize < storage.integer)
            throw EngineError(quoted(m_file) + " is cut short or damaged: the data of a tensor ('" + record
                              + "') holds " + std::to_string(length) + " bytes, too few for its "
                              + std::to_string(storage.integer) + " values.");
        // Allocated once its data is known to be there: a damaged count cannot ask for terabytes.
        torch::Tensor flat = torch::empty({storage.integer}, torch::TensorOptions().dtype(storage.dtype));
        std::memcpy(flat.data_ptr(), data.get(), static_cast<std::size_t>(storage.integer * itemSize));
        return flat;
    }

    void reduce()
    {
        const auto arguments = pop();
        const auto callable = pop();
        const bool global = callable->kind == Pickled::Kind::Global;
        const std::string &name = callable->text;
        if (global && name == "collections.OrderedDict") {
            push(made(Pickled::Kind::Dict));
        } else if (global && (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor")) {
            push(tensorOf(arguments));
        } else if (global
                   && (name == "torch._utils._rebuild_parameter" || name == "torch._utils._rebuild_parameter_with_state")
                   && arguments->kind == Pickled::Kind::Tuple && !arguments->items.empty()
                   && arguments->items[0]->kind == Pickled::Kind::Tensor) {
            push(arguments->items[0]);
        } else if (global && name.rfind("torch.jit._pickle.", 0) == 0 && name != "torch.jit._pickle.build_tensor_from_id"
                   && arguments->kind == Pickled::Kind::Tuple && !arguments->items.empty()) {
            // LibTorch's pickle_save (export-model) tags typed containers: restore_type_tag(dict, "Dict[str, Tensor]").
            push(arguments->items[0]);
        } else {
            auto object = made(Pickled::Kind::Object);
            object->text = global ? name : std::string("unknown");
            push(object);
        }
    }

    void persistentId()
    {
        const auto id = pop();
        const auto &items = id->items;
        if (id->kind != Pickled::Kind::Tuple || items.size() < 5 || items[0]->kind != Pickled::Kind::Text
            || items[0]->text != "storage" || items[1]->kind != Pickled::Kind::Global
            || items[2]->kind != Pickled::Kind::Text || items[4]->kind != Pickled::Kind::Integer
            || items[4]->integer < 0)
            throw damaged("a tensor's storage in it is not named as torch.save names one");
        const auto type = storageType(items[1]->text);
        if (!type)
            throw EngineError(quoted(m_file) + " holds tensors of a type this program does not read ("
                              + items[1]->text + ").");
        auto storage = made(Pickled::Kind::Storage);
        storage->dtype = *type;
        storage->text = items[2]->text;
        storage->integer = items[4]->integer;
        push(storage);
    }

    void step(unsigned char op)
    {
        switch (op) {
        case 0x80: bytes(1); break; // PROTO
        case 0x95: bytes(8); break; // FRAME
        case '(': m_marks.push_back(m_stack.size()); break;
        case ')': push(made(Pickled::Kind::Tuple)); break;
        case ']': push(made(Pickled::Kind::List)); break;
        case '}': push(made(Pickled::Kind::Dict)); break;
        case 'N': push(made(Pickled::Kind::None)); break;
        case 0x88:
        case 0x89: {
            auto value = made(Pickled::Kind::Boolean);
            value->integer = op == 0x88;
            push(value);
            break;
        }
        case 'K': pushInteger(little<std::uint8_t>()); break;
        case 'M': pushInteger(little<std::uint16_t>()); break;
        case 'J': pushInteger(little<std::int32_t>()); break;
        case 0x8a: { // LONG1: little-endian two's complement
            const auto length = little<std::uint8_t>();
            const char *data = bytes(length);
            if (length > 8) {
                auto huge = made(Pickled::Kind::Object); // a number too large for any size
                huge->text = "int";
                push(huge);
                break;
            }
            unsigned long long value = 0;
            for (int i = length - 1; i >= 0; --i)
                value = (value << 8) | static_cast<unsigned char>(data[i]);
            if (length > 0 && length < 8 && (static_cast<unsigned char>(data[length - 1]) & 0x80))
                value |= ~0ULL << (8 * length);
            pushInteger(static_cast<long long>(value));
            break;
        }
        case 'G': { // BINFLOAT: big-endian
            const char *data = bytes(8);
            unsigned long long bits = 0;
            for (int i = 0; i < 8; ++i)
                bits = (bits << 8) | static_cast<unsigned char>(data[i]);
            auto value = made(Pickled::Kind::Real);
            std::memcpy(&value->real, &bits, 8);
            push(value);
            break;
        }
        case 'X': pushText(little<std::uint32_t>()); break; // BINUNICODE
        case 0x8c: pushText(little<std::uint8_t>()); break; // SHORT_BINUNICODE
        case 'T': pushText(little<std::uint32_t>()); break; // BINSTRING
        case 'U': pushText(little<std::uint8_t>()); break;  // SHORT_BINSTRING
        case 'B': pushText(little<std::uint32_t>()); break; // BINBYTES
        case 'C': pushText(little<std::uint8_t>()); break;  // SHORT_BINBYTES
        case 'c': {
            auto value = made(Pickled::Kind::Global);
            value->text = line();
            value->text += "." + line();
            push(value);
            break;
        }
        case 0x93: { // STACK_GLOBAL
            const auto name = pop();
            const auto module = pop();
            auto value = made(Pickled::Kind::Global);
            value->text = module->text + "." + name->text;
            push(value);
            break;
        }
        case 'q': memoize(little<std::uint8_t>()); break;
        case 'r': memoize(little<std::uint32_t>()); break;
        case 0x94: memoize(static_cast<std::uint32_t>(m_memo.size())); break; // MEMOIZE
        case 'h': recall(little<std::uint8_t>()); break;
        case 'j': recall(little<std::uint32_t>()); break;
        case 't': {
            auto value = made(Pickled::Kind::Tuple);
            value->items = popMark();
            push(value);
            break;
        }
        case 0x85:
        case 0x86:
        case 0x87: {
            auto value = made(Pickled::Kind::Tuple);
            value->items.resize(op - 0x84);
            for (auto item = value->items.rbegin(); item != value->items.rend(); ++item)
                *item = pop();
            push(value);
            break;
        }
        case 'l': {
            auto value = made(Pickled::Kind::List);
            value->items = popMark();
            push(value);
            break;
        }
        case 'a': {
            auto item = pop();
            top()->items.push_back(item);
            break;
        }
        case 'e': {
            auto items = popMark();
            auto &list = top()->items;
            list.insert(list.end(), items.begin(), items.end());
            break;
        }
        case 'd': {
            const auto values = popMark();
            push(made(Pickled::Kind::Dict));
            setItems(values);
            break;
        }
        case 's': {
            auto value = pop();
            auto key = pop();
            setItems({key, value});
            break;
        }
        case 'u': setItems(popMark()); break;
        case 'R': reduce(); break;
        case 0x81: { // NEWOBJ: an instance of a class
            pop();
            const auto type = pop();
            auto object = made(Pickled::Kind::Object);
            object->text = type->text;
            push(object);
            break;
        }
        case 'b': pop(); break; // BUILD: an OrderedDict's _metadata, an object's state
        case 'Q': persistentId(); break;
        case '0': pop(); break;
        case '1': popMark(); break;
        case '2': push(top()); break;
        default: {
            char code[8];
            std::snprintf(code, sizeof code, "0x%02x", op);
            throw damaged(std::string("its pickle uses an instruction this program does not read (") + code + ")");
        }
        }
    }

    const std::string &m_pickle;
    caffe2::serialize::PyTorchStreamReader &m_archive;
    std::filesystem::path m_file;
    std::size_t m_at = 0;
    std::vector<PickledPtr> m_stack;
    std::vector<std::size_t> m_marks;
    std::map<std::uint32_t, PickledPtr> m_memo;
};

bool startsWith(const std::vector<char> &bytes, const std::string &prefix)
{
    return bytes.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), bytes.begin());
}

// torch.save's magic number as the legacy format's first pickle writes it (LONG1 of 10 bytes).
const std::string kLegacyMagic("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 14);

// The value torch.save wrote into `file`. Throws EngineError with one sentence
// naming the file for what it is when it is not a readable torch.save archive.
PickledPtr unpickleFile(const std::filesystem::path &file)
{
    const auto bytes = readBytes(file, "State dict file");
    if (bytes.empty())
        throw EngineError(quoted(file) + " is empty, not a PyTorch state dict file.");
    if (startsWith(bytes, kLegacyMagic))
        throw EngineError(quoted(file) + " is in PyTorch's legacy file format (torch.save before PyTorch 1.6, or "
                                         "with _use_new_zipfile_serialization=False), which this program does not "
                                         "read; save it again in Python: torch.save(torch.load(OLD), NEW).");
    if (!startsWith(bytes, std::string("PK\x03\x04", 4))) {
        if (static_cast<unsigned char>(bytes[0]) == 0x80)
            throw EngineError(quoted(file) + " is a bare Python pickle, not a PyTorch state dict file; save the "
                                             "weights with torch.save(net.state_dict(), ...).");
        throw EngineError(quoted(file) + " is not a PyTorch state dict file (not a zip archive as torch.save "
                                         "writes).");
    }
    // A zip archive ends with its directory; a copy cut short has none.
    const std::string endOfDirectory("PK\x05\x06", 4);
    const std::size_t searched = std::min<std::size_t>(bytes.size(), 65536 + 22);
    if (std::search(bytes.end() - static_cast<std::ptrdiff_t>(searched), bytes.end(), endOfDirectory.begin(),
                    endOfDirectory.end())
        == bytes.end())
        throw EngineError(quoted(file) + " is cut short: the PyTorch archive stops after "
                          + std::to_string(bytes.size())
                          + " bytes, without its end (a copy or download that did not finish); copy it again.");
    try {
        const std::string input(bytes.begin(), bytes.end());
        std::istringstream stream(input);
        caffe2::serialize::PyTorchStreamReader archive(&stream);
        if (!archive.hasRecord("data.pkl"))
            throw EngineError(quoted(file) + " is a zip archive without data.pkl, not a PyTorch state dict file"
                                             " (a TorchScript model holds code, not a state dict).");
        auto [data, size] = archive.getRecord("data.pkl");
        const std::string pickle(static_cast<const char *>(data.get()), size);
        return Unpickler(pickle, archive, file).run();
    } catch (const EngineError &) {
        throw;
    } catch (const std::exception &error) {
        throw EngineError(quoted(file) + " is not a readable PyTorch state dict file (" + firstLine(error.what())
                          + ").");
    }
}

// "'a', 'b', 'c' and 4 more"
std::string someNames(const std::vector<std::string> &names, std::size_t most = 3)
{
    std::string text;
    for (std::size_t i = 0; i < names.size() && i < most; ++i)
        text += (i == 0 ? "'" : (i + 1 == names.size() ? " and '" : ", '")) + names[i] + "'";
    if (names.size() > most)
        text += " and " + std::to_string(names.size() - most) + " more";
    return text;
}

bool allTensors(const Pickled &dict)
{
    return std::all_of(dict.entries.begin(), dict.entries.end(), [](const auto &entry) {
        return entry.first->kind == Pickled::Kind::Text && entry.second->kind == Pickled::Kind::Tensor;
    });
}

struct StateDict
{
    std::map<std::string, torch::Tensor> tensors;
    std::vector<std::string> order; // the file's order, for naming keys
    std::vector<std::string> notes; // what was read besides a plain state dict
};

// The tensors of a state dict file, by name, unwrapped from {'state_dict': ...}
// or {'model': ...} and from DataParallel's "module." prefix. Throws
// EngineError naming the file and what it holds instead.
StateDict readStateDict(const std::filesystem::path &file)
{
    const auto root = unpickleFile(file);
    if (root->kind == Pickled::Kind::Object)
        throw EngineError(quoted(file) + " holds a " + kindName(*root)
                          + " (a whole pickled network?), not a state dict; save net.state_dict() instead.");
    if (root->kind != Pickled::Kind::Dict)
        throw EngineError(quoted(file) + " holds a " + kindName(*root)
                          + ", not a state dict (a dict of tensor names to tensors).");
    if (root->entries.empty())
        throw EngineError(quoted(file) + " is an empty dict, not the state dict of a network.");
    StateDict result;
    const Pickled *dict = root.get();
    if (!allTensors(*dict)) {
        // A checkpoint's dict: the state dict under one of the usual keys.
        std::vector<std::string> keys;
        const Pickled *inner = nullptr;
        std::string innerKey;
        for (const auto &[key, value] : dict->entries) {
            if (key->kind != Pickled::Kind::Text)
                throw EngineError(quoted(file) + " has a key that is not a tensor name (a " + kindName(*key)
                                  + "), so it is not a state dict.");
            keys.push_back(key->text);
            if (!inner && (key->text == "state_dict" || key->text == "model_state_dict" || key->text == "model")) {
                if (value->kind == Pickled::Kind::Object)
                    throw EngineError("The entry '" + key->text + "' of " + quoted(file) + " is a "
                                      + kindName(*value)
                                      + " (a whole pickled network?), not a state dict; save net.state_dict() "
                                        "instead.");
                if (value->kind == Pickled::Kind::Dict && !value->entries.empty() && allTensors(*value)) {
                    inner = value.get();
                    innerKey = key->text;
                }
            }
        }
        if (!inner) {
            for (const auto &[key, value] : dict->entries) {
                if (value->kind != Pickled::Kind::Tensor)
                    throw EngineError(quoted(file) + " holds a dict of " + someNames(keys, 5)
                                      + ", not a state dict: its entry '" + key->text + "' is a " + kindName(*value)
                                      + ", not a tensor, and it has no 'state_dict' or 'model' entry that holds "
                                        "one.");
            }
        }
        dict = inner;
        result.notes.push_back("read the state dict under '" + innerKey + "' of its dict of " + someNames(keys, 5));
    }
    std::vector<std::string> names;
    for (const auto &entry : dict->entries)
        names.push_back(entry.first->text);
    // nn.DataParallel and DistributedDataParallel save "module." before every key.
    const std::string prefix = "module.";
    const bool prefixed = std::all_of(names.begin(), names.end(), [&](const std::string &name) {
        return name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0;
    });
    for (const auto &[key, value] : dict->entries) {
        const auto name = prefixed ? key->text.substr(prefix.size()) : key->text;
        result.tensors[name] = value->tensor;
        result.order.push_back(name);
    }
    if (prefixed)
        result.notes.push_back("removed the prefix 'module.' (nn.DataParallel) from its keys");
    return result;
}

} // namespace

std::string exchangeFormatName(ExchangeFormat format)
{
    switch (format) {
    case ExchangeFormat::PyTorch: return "pytorch";
    }
    return "pytorch";
}

std::optional<ExchangeFormat> parseExchangeFormat(const std::string &name)
{
    if (name == "pytorch")
        return ExchangeFormat::PyTorch;
    return std::nullopt;
}

std::filesystem::path settingsFileOf(const std::filesystem::path &stateDict)
{
    auto file = stateDict;
    file += ".json";
    return file;
}

ExportedModel exportModel(const std::filesystem::path &modelFile, const std::filesystem::path &out, ExchangeFormat)
{
    auto loaded = nn::loadCheckpoint(modelFile, torch::Device(torch::kCPU));
    c10::Dict<std::string, torch::Tensor> dict;
    for (const auto &[name, tensor] : namedTensors(loaded.net))
        dict.insert(name, tensor.detach().contiguous());
    std::vector<char> bytes;
    try {
        bytes = torch::pickle_save(c10::IValue(dict));
    } catch (const std::exception &error) {
        throw EngineError("The weights of " + quoted(modelFile) + " could not be written as a state dict: "
                          + firstLine(error.what()) + ".");
    }
    ModelFileHeader header;
    header.settings = loaded.meta.options;
    header.settings.network = loaded.meta.network;
    header.settings.modelFile.clear();
    header.settings.resume = false;
    header.epochsCompleted = loaded.meta.epochsCompleted;
    header.globalStep = loaded.meta.globalStep;
    header.history = loaded.meta.history;

    ExportedModel result;
    result.stateDict = out;
    result.settingsFile = settingsFileOf(out);
    result.tensors = static_cast<int>(dict.size());
    result.network = loaded.meta.network;
    // The settings first: a state dict is never found without its settings.
    writeFileAtomically(result.settingsFile, encodeModelHeader(header) + "\n");
    writeFileAtomically(out, std::string_view(bytes.data(), bytes.size()));
    return result;
}

TrainingOptions readExchangeSettings(const std::filesystem::path &settingsFile, const TrainingOptions &defaults)
{
    const auto bytes = readBytes(settingsFile, "Settings file");
    const Json json = Json::parse(bytes.begin(), bytes.end(), nullptr, false);
    if (json.is_discarded() || !json.is_object())
        throw EngineError("Settings file " + quoted(settingsFile) + " is not a JSON object.");
    const auto settings = json.find("settings");
    if (settings == json.end() || !settings->is_object())
        throw EngineError("Settings file " + quoted(settingsFile) + " has no \"settings\" object.");
    // Every key is read and checked as a model file's header is
    // (decodeModelHeader); keys it lacks keep the defaults.
    ModelFileHeader withDefaults;
    withDefaults.settings = defaults;
    Json full = Json::parse(encodeModelHeader(withDefaults)).at("settings");
    for (const auto &item : settings->items()) {
        if (!findTrainingSetting(item.key()))
            throw EngineError("Settings file " + quoted(settingsFile) + " names the setting '" + item.key()
                              + "', which this program does not know.");
        full[item.key()] = item.value();
    }
    const Json header{{"format", "mri-enhance-model"},
                      {"schema_version", kModelFileVersion},
                      {"settings", full},
                      {"epochs_completed", 0},
                      {"global_step", 0},
                      {"history", Json::array()}};
    try {
        return decodeModelHeader(header.dump(), settingsFile).settings;
    } catch (const EngineError &error) {
        // The model file's sentences ("Model file 'x' is damaged: ..."), said of a settings file.
        std::string sentence = error.what();
        const std::string modelFile = "Model file ";
        if (sentence.rfind(modelFile, 0) == 0)
            sentence = "Settings file " + sentence.substr(modelFile.size());
        const std::string damaged = " is damaged: ";
        if (const auto at = sentence.find(damaged); at != std::string::npos) {
            sentence.replace(at, damaged.size(), ": ");
            sentence[at + 2] = static_cast<char>(std::tolower(static_cast<unsigned char>(sentence[at + 2])));
        }
        throw EngineError(sentence);
    }
}

ImportedModel importModel(const std::filesystem::path &stateDict, const TrainingOptions &settings,
                          const std::filesystem::path &modelFile)
{
    auto read = readStateDict(stateDict);
    auto &tensors = read.tensors;
    NetworkConfig network = settings.network;
    if (network.neighbourSlices < 0) {
        // Automatic: the first convolution's input channels tell 1 + 2n.
        const auto first = tensors.find("encoders.0.first.weight");
        const bool readable = first != tensors.end() && first->second.dim() == 4 && first->second.size(1) % 2 == 1;
        network.neighbourSlices = readable ? static_cast<int>(first->second.size(1) / 2) : 0;
    }
    try {
        validateNetworkConfig(network);
    } catch (const EngineError &error) {
        throw EngineError("The settings for " + quoted(stateDict) + " describe no network: " + error.what());
    }
    torch::NoGradGuard noGrad;
    nn::UNet net(network);
    const auto described = describeNetwork(network);
    const auto expected = namedTensors(net);
    const std::string advice = "; give the settings it was trained with (settings file, --depth, --base-channels, "
                               "--set).";
    // Every key that is missing or extra, a few of each named.
    std::vector<std::string> missing;
    std::vector<std::string> unexpected;
    for (const auto &[name, target] : expected) {
        if (!tensors.count(name))
            missing.push_back(name);
    }
    for (const auto &name : read.order) {
        if (std::none_of(expected.begin(), expected.end(), [&](const auto &item) { return item.first == name; }))
            unexpected.push_back(name);
    }
    if (!missing.empty() && !unexpected.empty())
        throw EngineError(quoted(stateDict) + " does not hold the tensors of a network of " + described + ": it lacks "
                          + someNames(missing) + " and has " + someNames(unexpected)
                          + ", which that network does not have" + advice);
    if (!missing.empty())
        throw EngineError(quoted(stateDict) + " lacks the tensor" + (missing.size() > 1 ? "s " : " ")
                          + someNames(missing) + " that a network of " + described + " needs" + advice);
    if (!unexpected.empty())
        throw EngineError(quoted(stateDict) + " holds the tensor" + (unexpected.size() > 1 ? "s " : " ")
                          + someNames(unexpected) + ", which a network of " + described + " does not have" + advice);
    for (const auto &[name, target] : expected) {
        const auto &tensor = tensors.at(name);
        if (tensor.sizes() != target.sizes())
            throw EngineError("The tensor '" + name + "' of " + quoted(stateDict) + " is " + shapeText(tensor)
                              + " but a network of " + described + " needs " + shapeText(target) + advice);
        if (!tensor.is_floating_point() && target.is_floating_point())
            throw EngineError("The tensor '" + name + "' of " + quoted(stateDict) + " holds integers, not weights.");
        // NaN or Inf would enhance every picture to NaN.
        if (tensor.is_floating_point() && !torch::isfinite(tensor).all().item<bool>())
            throw EngineError(nn::nonFiniteWeightSentence(stateDict, name));
        target.copy_(tensor.to(torch::kCPU, target.scalar_type()));
    }
    nn::CheckpointMeta meta;
    meta.network = network;
    meta.options = settings;
    meta.options.network = network;
    meta.options.modelFile.clear();
    meta.options.resume = false;
    // A fresh optimiser state, so that `train --resume` can continue from it.
    torch::optim::Adam optimizer(net->parameters(), torch::optim::AdamOptions(settings.learningRate));
    nn::saveCheckpoint(modelFile, net, optimizer, meta);
    ImportedModel result;
    result.tensors = static_cast<int>(expected.size());
    result.network = network;
    for (const auto &note : read.notes)
        result.found += (result.found.empty() ? "" : "; ") + note;
    return result;
}

} // namespace mri
