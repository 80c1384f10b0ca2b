#include "nn/TorchPickle.h"

#include "base/EngineError.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/torch.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstring>
#include <map>
#include <numeric>
#include <optional>
#include <sstream>

namespace mri::nn {

namespace {

std::string quoted(const std::filesystem::path &file)
{
    return "'" + file.string() + "'";
}

PickledPtr made(Pickled::Kind kind)
{
    auto value = std::make_shared<Pickled>();
    value->kind = kind;
    return value;
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
        if (pushValue(op) || buildContainer(op) || moveValues(op))
            return;
        char code[8];
        std::snprintf(code, sizeof code, "0x%02x", op);
        throw damaged(std::string("its pickle uses an instruction this program does not read (") + code + ")");
    }

    // LONG1: little-endian two's complement.
    void pushLong()
    {
        const auto length = little<std::uint8_t>();
        const char *data = bytes(length);
        if (length > 8) {
            auto huge = made(Pickled::Kind::Object); // a number too large for any size
            huge->text = "int";
            push(huge);
            return;
        }
        unsigned long long value = 0;
        for (int i = length - 1; i >= 0; --i)
            value = (value << 8) | static_cast<unsigned char>(data[i]);
        if (length > 0 && length < 8 && (static_cast<unsigned char>(data[length - 1]) & 0x80))
            value |= ~0ULL << (8 * length);
        pushInteger(static_cast<long long>(value));
    }

    // BINFLOAT: big-endian.
    void pushFloat()
    {
        const char *data = bytes(8);
        unsigned long long bits = 0;
        for (int i = 0; i < 8; ++i)
            bits = (bits << 8) | static_cast<unsigned char>(data[i]);
        auto value = made(Pickled::Kind::Real);
        std::memcpy(&value->real, &bits, 8);
        push(value);
    }

    // The instructions that push one value read from the pickle: constants,
    // numbers, text and class names. False: not one of them.
    bool pushValue(unsigned char op)
    {
        switch (op) {
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
        case 0x8a: pushLong(); break;
        case 'G': pushFloat(); break;
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
        default: return false;
        }
        return true;
    }

    // The instructions that build tuples, lists and dicts and add to them.
    // False: not one of them.
    bool buildContainer(unsigned char op)
    {
        switch (op) {
        case ')': push(made(Pickled::Kind::Tuple)); break;
        case ']': push(made(Pickled::Kind::List)); break;
        case '}': push(made(Pickled::Kind::Dict)); break;
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
        default: return false;
        }
        return true;
    }

    // Framing, marks, the memo, objects and the stack's own instructions.
    // False: not one of them.
    bool moveValues(unsigned char op)
    {
        switch (op) {
        case 0x80: bytes(1); break; // PROTO
        case 0x95: bytes(8); break; // FRAME
        case '(': m_marks.push_back(m_stack.size()); break;
        case 'q': memoize(little<std::uint8_t>()); break;
        case 'r': memoize(little<std::uint32_t>()); break;
        case 0x94: memoize(static_cast<std::uint32_t>(m_memo.size())); break; // MEMOIZE
        case 'h': recall(little<std::uint8_t>()); break;
        case 'j': recall(little<std::uint32_t>()); break;
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
        default: return false;
        }
        return true;
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

} // namespace

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

PickledPtr unpickleTorchSave(const std::vector<char> &bytes, const std::filesystem::path &file)
{
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
    const std::string input(bytes.begin(), bytes.end());
    std::istringstream stream(input);
    caffe2::serialize::PyTorchStreamReader archive(&stream);
    if (!archive.hasRecord("data.pkl"))
        throw EngineError(quoted(file) + " is a zip archive without data.pkl, not a PyTorch state dict file"
                                         " (a TorchScript model holds code, not a state dict).");
    auto [data, size] = archive.getRecord("data.pkl");
    const std::string pickle(static_cast<const char *>(data.get()), size);
    return Unpickler(pickle, archive, file).run();
}

} // namespace mri::nn
