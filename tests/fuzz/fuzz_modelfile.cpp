// Fuzz target: the model-file reader without LibTorch: the version-2 JSON
// header (decodeModelHeader), version 1's key=value text (decodeVersion1Meta)
// and the file layout (readModelFileHeader on the bytes as a stream). Each
// input goes through all three. A header that decodes holds settings within
// their ranges and encodes to a header that decodes to the same encoding.

#include "FuzzSupport.h"

#include "base/EngineError.h"
#include "model/ModelFile.h"
#include "model/TrainingSettings.h"

#include <sstream>
#include <string>

namespace {

void checkDecoded(const mri::ModelFileHeader &header)
{
    try {
        mri::validateTrainingOptions(header.settings);
    } catch (const mri::EngineError &) {
        FUZZ_CHECK(!"a decoded model header holds a setting out of its range");
    }
    const std::string encoded = mri::encodeModelHeader(header);
    mri::ModelFileHeader again;
    try {
        again = mri::decodeModelHeader(encoded, "fuzz-again.pt");
    } catch (const mri::EngineError &) {
        FUZZ_CHECK(!"an encoded model header does not decode");
    }
    FUZZ_CHECK(mri::encodeModelHeader(again) == encoded);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string text(reinterpret_cast<const char *>(data), size);
    try {
        checkDecoded(mri::decodeModelHeader(text, "fuzz.pt"));
    } catch (const mri::EngineError &) {
    }
    try {
        checkDecoded(mri::decodeVersion1Meta(text, "fuzz-v1.pt"));
    } catch (const mri::EngineError &) {
    }
    try {
        std::istringstream in(text);
        if (const auto header = mri::readModelFileHeader(in, "fuzz-file.pt"))
            checkDecoded(*header);
    } catch (const mri::EngineError &) {
    }
    return 0;
}
