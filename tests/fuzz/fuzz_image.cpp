// Fuzz target: the image header check and decoder wrapper behind
// mri::loadGrayscaleImage (decodeGrayscaleImage on the file's bytes). Every
// input decodes to one 8- or 16-bit channel within the header's size bound, or
// is refused with an EngineError.

#include "FuzzSupport.h"

#include "base/EngineError.h"
#include "io/ImageIO.h"

#include <opencv2/core.hpp>

#include <vector>

namespace {

// Smaller than kMaxImageSide so that every accepted input decodes in
// milliseconds; a decoder that allocates beyond it (a header check it slips
// past) trips libFuzzer's malloc limit or the size check below.
constexpr int kLargestSide = 1024;

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::vector<unsigned char> bytes(data, data + size);
    cv::Mat image;
    try {
        image = mri::decodeGrayscaleImage(bytes, "fuzz-image", kLargestSide);
    } catch (const mri::EngineError &) {
        return 0;
    }
    FUZZ_CHECK(!image.empty());
    FUZZ_CHECK(image.type() == CV_8UC1 || image.type() == CV_16UC1);
    FUZZ_CHECK(image.cols <= kLargestSide && image.rows <= kLargestSide);
    return 0;
}
