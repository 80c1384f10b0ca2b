#include "io/DicomSeries.h"

#include "base/EngineError.h"
#include "base/Text.h"
#include "io/AtomicFile.h"
#include "io/ChildWorker.h"

#include <gdcmDataSet.h>
#include <gdcmFile.h>
#include <gdcmFileExplicitFilter.h>
#include <gdcmFragment.h>
#include <gdcmImage.h>
#include <gdcmImageChangeTransferSyntax.h>
#include <gdcmPixmapReader.h>
#include <gdcmItem.h>
#include <gdcmReader.h>
#include <gdcmScanner.h>
#include <gdcmSequenceOfFragments.h>
#include <gdcmSequenceOfItems.h>
#include <gdcmTrace.h>
#include <gdcmTransferSyntax.h>
#include <gdcmUIDGenerator.h>
#include <gdcmUIDs.h>
#include <gdcmWriter.h>

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>

namespace fs = std::filesystem;

namespace mri {

namespace {

using Vec3 = std::array<double, 3>;

const gdcm::Tag kImageType(0x0008, 0x0008);
const gdcm::Tag kSopClassUid(0x0008, 0x0016);
const gdcm::Tag kSopInstanceUid(0x0008, 0x0018);
const gdcm::Tag kStudyDate(0x0008, 0x0020);
const gdcm::Tag kModality(0x0008, 0x0060);
const gdcm::Tag kSeriesDescription(0x0008, 0x103e);
const gdcm::Tag kDerivationDescription(0x0008, 0x2111);
const gdcm::Tag kPatientName(0x0010, 0x0010);
const gdcm::Tag kPatientId(0x0010, 0x0020);
const gdcm::Tag kSliceThickness(0x0018, 0x0050);
const gdcm::Tag kSpacingBetweenSlices(0x0018, 0x0088);
const gdcm::Tag kStudyInstanceUid(0x0020, 0x000d);
const gdcm::Tag kSeriesInstanceUid(0x0020, 0x000e);
const gdcm::Tag kSeriesNumber(0x0020, 0x0011);
const gdcm::Tag kAcquisitionNumber(0x0020, 0x0012);
const gdcm::Tag kEchoNumbers(0x0018, 0x0086);
const gdcm::Tag kTemporalPositionIdentifier(0x0020, 0x0100);
const gdcm::Tag kInstanceNumber(0x0020, 0x0013);
const gdcm::Tag kImagePosition(0x0020, 0x0032);
const gdcm::Tag kImageOrientation(0x0020, 0x0037);
const gdcm::Tag kFrameOfReferenceUid(0x0020, 0x0052);
const gdcm::Tag kSamplesPerPixel(0x0028, 0x0002);
const gdcm::Tag kPhotometric(0x0028, 0x0004);
const gdcm::Tag kNumberOfFrames(0x0028, 0x0008);
const gdcm::Tag kFrameIncrementPointer(0x0028, 0x0009);
const gdcm::Tag kRows(0x0028, 0x0010);
const gdcm::Tag kColumns(0x0028, 0x0011);
const gdcm::Tag kPixelSpacing(0x0028, 0x0030);
const gdcm::Tag kBitsAllocated(0x0028, 0x0100);
const gdcm::Tag kBitsStored(0x0028, 0x0101);
const gdcm::Tag kHighBit(0x0028, 0x0102);
const gdcm::Tag kPixelRepresentation(0x0028, 0x0103);
const gdcm::Tag kWindowCenter(0x0028, 0x1050);
const gdcm::Tag kWindowWidth(0x0028, 0x1051);
const gdcm::Tag kRescaleIntercept(0x0028, 0x1052);
const gdcm::Tag kRescaleSlope(0x0028, 0x1053);
const gdcm::Tag kRescaleType(0x0028, 0x1054);
const gdcm::Tag kPixelData(0x7fe0, 0x0010);
// Enhanced (multi-frame) functional groups and their macros.
const gdcm::Tag kSharedGroups(0x5200, 0x9229);
const gdcm::Tag kPerFrameGroups(0x5200, 0x9230);
const gdcm::Tag kPlanePositionSequence(0x0020, 0x9113);
const gdcm::Tag kPlaneOrientationSequence(0x0020, 0x9116);
const gdcm::Tag kPixelMeasuresSequence(0x0028, 0x9110);
const gdcm::Tag kPixelValueTransformationSequence(0x0028, 0x9145);
const gdcm::Tag kFrameVoiLutSequence(0x0028, 0x9132);
const gdcm::Tag kFrameContentSequence(0x0020, 0x9111);
const gdcm::Tag kDimensionIndexValues(0x0020, 0x9157);
const gdcm::Tag kTemporalPositionIndex(0x0020, 0x9128);
const gdcm::Tag kInStackPositionNumber(0x0020, 0x9057);
const gdcm::Tag kFrameType(0x0008, 0x9007);
// The frame type macros of enhanced MR, CT and PET images: FrameType inside.
const gdcm::Tag kFrameTypeSequences[] = {gdcm::Tag(0x0018, 0x9226), gdcm::Tag(0x0018, 0x9329), gdcm::Tag(0x0018, 0x9751)};

const char *const kMrImageStorage = "1.2.840.10008.5.1.4.1.1.4";
const char *const kEnhancedMrImageStorage = "1.2.840.10008.5.1.4.1.1.4.1";

// GDCM reports on stderr what the messages here say in a sentence (and warns
// about rescale attributes in MR files, which are common and read here).
void quietGdcm()
{
    static const bool once = [] {
        gdcm::Trace::WarningOff();
        gdcm::Trace::ErrorOff();
        gdcm::Trace::DebugOff();
        return true;
    }();
    (void)once;
}

std::string named(const fs::path &path)
{
    return "'" + path.string() + "'";
}

std::string trimmed(std::string text)
{
    while (!text.empty() && (text.back() == ' ' || text.back() == '\0'))
        text.pop_back();
    std::size_t start = 0;
    while (start < text.size() && text[start] == ' ')
        ++start;
    return text.substr(start);
}

// A string attribute's value (DS, IS, UI, CS, LO, DA, ...), trimmed; empty when absent.
std::string stringOf(const gdcm::DataSet &dataSet, const gdcm::Tag &tag)
{
    if (!dataSet.FindDataElement(tag))
        return {};
    const gdcm::ByteValue *bytes = dataSet.GetDataElement(tag).GetByteValue();
    if (!bytes || !bytes->GetPointer())
        return {};
    return trimmed(std::string(bytes->GetPointer(), bytes->GetLength()));
}

// A binary attribute's unsigned 32-bit values (UL; little-endian, as GDCM
// holds data sets in memory); empty when absent.
std::vector<std::uint32_t> unsignedLongsOf(const gdcm::DataSet &dataSet, const gdcm::Tag &tag)
{
    std::vector<std::uint32_t> values;
    if (!dataSet.FindDataElement(tag))
        return values;
    const gdcm::ByteValue *bytes = dataSet.GetDataElement(tag).GetByteValue();
    if (!bytes || !bytes->GetPointer())
        return values;
    const auto *raw = reinterpret_cast<const unsigned char *>(bytes->GetPointer());
    for (std::size_t i = 0; i + 4 <= bytes->GetLength(); i += 4)
        values.push_back(std::uint32_t{raw[i]} | (std::uint32_t{raw[i + 1]} << 8) | (std::uint32_t{raw[i + 2]} << 16)
                         | (std::uint32_t{raw[i + 3]} << 24));
    return values;
}

std::vector<double> numbersOf(const std::string &text)
{
    std::vector<double> numbers;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t end = std::min(text.find('\\', start), text.size());
        const std::string part = trimmed(text.substr(start, end - start));
        if (!part.empty()) {
            char *rest = nullptr;
            const double value = std::strtod(part.c_str(), &rest);
            if (rest != part.c_str() && std::isfinite(value))
                numbers.push_back(value);
        }
        start = end + 1;
    }
    return numbers;
}

// The sequence `tag` of `dataSet` where GDCM read it as one; null otherwise.
// (GetValueAsSQ() would parse any other bytes as items, and GDCM asserts on
// garbage there.)
gdcm::SmartPointer<gdcm::SequenceOfItems> sequenceAt(const gdcm::DataSet &dataSet, const gdcm::Tag &tag)
{
    if (!dataSet.FindDataElement(tag) || dataSet.GetDataElement(tag).IsEmpty()
        || !dynamic_cast<const gdcm::SequenceOfItems *>(&dataSet.GetDataElement(tag).GetValue()))
        return nullptr;
    return dataSet.GetDataElement(tag).GetValueAsSQ();
}

// The nested data set of the first item of sequence `tag` in `dataSet`; null when absent.
const gdcm::DataSet *firstItemOf(const gdcm::DataSet &dataSet, const gdcm::Tag &tag,
                                 std::vector<gdcm::SmartPointer<gdcm::SequenceOfItems>> &keepAlive)
{
    auto sequence = sequenceAt(dataSet, tag);
    if (!sequence || sequence->GetNumberOfItems() == 0)
        return nullptr;
    keepAlive.push_back(sequence);
    return &sequence->GetItem(1).GetNestedDataSet();
}

// The header facts an image needs, from its data set (a single-frame file, or
// a multi-frame file's functional groups), per frame where they differ.
struct FrameHeader
{
    std::optional<Vec3> position;
    std::optional<std::array<double, 6>> orientation;
    // The frame's own Modality LUT (an enhanced file's per-frame Pixel Value
    // Transformation), else the file's.
    double rescaleSlope = 1.0;
    double rescaleIntercept = 0.0;
    // An enhanced file's per-frame Frame Content: what orders the frames
    // that share a position (echoes, dynamics, diffusion directions).
    std::vector<std::uint32_t> dimensionIndex;
    std::optional<std::uint32_t> temporalPositionIndex;
    std::optional<std::uint32_t> inStackPosition;
};

struct ImageHeader
{
    int rows = 0;
    int columns = 0;
    int frames = 1;
    int samplesPerPixel = 1;
    int bitsAllocated = 16;
    int bitsStored = 16;
    bool isSigned = false;
    std::string photometric;
    std::vector<FrameHeader> frameHeaders; // one per frame
    std::vector<double> pixelSpacing;      // row spacing, column spacing
    double sliceThickness = 0.0;
    double spacingBetweenSlices = 0.0;
    double rescaleSlope = 1.0;
    double rescaleIntercept = 0.0;
    double windowCenter = 0.0;
    double windowWidth = 0.0;
    int instanceNumber = 0;
    bool hasInstanceNumber = false;
};

int unsignedShortOf(const gdcm::DataSet &dataSet, const gdcm::Tag &tag, int fallback)
{
    if (!dataSet.FindDataElement(tag))
        return fallback;
    const gdcm::ByteValue *bytes = dataSet.GetDataElement(tag).GetByteValue();
    if (!bytes || bytes->GetLength() < 2)
        return fallback;
    // Data sets read by GDCM hold binary values in little-endian order.
    const auto *raw = reinterpret_cast<const unsigned char *>(bytes->GetPointer());
    return raw[0] | (raw[1] << 8);
}

// Reads an attribute from the data set itself, else from the frame's or the
// shared functional group macro `macro` (enhanced multi-frame objects).
class GroupLookup
{
public:
    explicit GroupLookup(const gdcm::DataSet &dataSet) : m_dataSet(dataSet)
    {
        m_shared = firstItemOf(dataSet, kSharedGroups, m_keepAlive);
        m_perFrame = sequenceAt(dataSet, kPerFrameGroups);
    }
    int perFrameCount() const { return m_perFrame ? static_cast<int>(m_perFrame->GetNumberOfItems()) : 0; }

    // The values of the binary (UL) attribute `tag` in the frame's own item of macro `macro`.
    std::vector<std::uint32_t> frameUnsignedLongs(const gdcm::Tag &macro, const gdcm::Tag &tag, int frame)
    {
        std::vector<std::uint32_t> values;
        if (!m_perFrame || frame >= perFrameCount())
            return values;
        const auto &frameSet = m_perFrame->GetItem(static_cast<gdcm::SequenceOfItems::SizeType>(frame) + 1)
                                   .GetNestedDataSet();
        if (const gdcm::DataSet *item = firstItemOf(frameSet, macro, m_keepAlive))
            values = unsignedLongsOf(*item, tag);
        m_keepAlive.clear();
        return values;
    }

    std::string value(const gdcm::Tag &macro, const gdcm::Tag &tag, int frame)
    {
        std::string text = stringOf(m_dataSet, tag);
        if (!text.empty())
            return text;
        if (m_perFrame && frame < perFrameCount()) {
            const auto &frameSet = m_perFrame->GetItem(static_cast<gdcm::SequenceOfItems::SizeType>(frame) + 1)
                                       .GetNestedDataSet();
            if (const gdcm::DataSet *item = firstItemOf(frameSet, macro, m_keepAlive)) {
                text = stringOf(*item, tag);
                m_keepAlive.clear();
                if (!text.empty())
                    return text;
            }
        }
        if (m_shared) {
            std::vector<gdcm::SmartPointer<gdcm::SequenceOfItems>> keep;
            if (const gdcm::DataSet *item = firstItemOf(*m_shared, macro, keep))
                return stringOf(*item, tag);
        }
        return {};
    }

private:
    const gdcm::DataSet &m_dataSet;
    const gdcm::DataSet *m_shared = nullptr;
    gdcm::SmartPointer<gdcm::SequenceOfItems> m_perFrame;
    std::vector<gdcm::SmartPointer<gdcm::SequenceOfItems>> m_keepAlive;
};

std::optional<Vec3> vec3Of(const std::string &text)
{
    const auto numbers = numbersOf(text);
    if (numbers.size() < 3)
        return std::nullopt;
    return Vec3{numbers[0], numbers[1], numbers[2]};
}

std::optional<std::array<double, 6>> orientationOf(const std::string &text)
{
    const auto numbers = numbersOf(text);
    if (numbers.size() < 6)
        return std::nullopt;
    std::array<double, 6> cosines{};
    std::copy_n(numbers.begin(), 6, cosines.begin());
    return cosines;
}

ImageHeader headerOf(const gdcm::DataSet &dataSet)
{
    ImageHeader header;
    header.rows = unsignedShortOf(dataSet, kRows, 0);
    header.columns = unsignedShortOf(dataSet, kColumns, 0);
    header.samplesPerPixel = unsignedShortOf(dataSet, kSamplesPerPixel, 1);
    header.bitsAllocated = unsignedShortOf(dataSet, kBitsAllocated, 16);
    header.bitsStored = unsignedShortOf(dataSet, kBitsStored, header.bitsAllocated);
    header.isSigned = unsignedShortOf(dataSet, kPixelRepresentation, 0) == 1;
    header.photometric = stringOf(dataSet, kPhotometric);
    const auto frames = numbersOf(stringOf(dataSet, kNumberOfFrames));
    header.frames = frames.empty() ? 1 : std::max(1, static_cast<int>(frames[0]));
    const auto instance = numbersOf(stringOf(dataSet, kInstanceNumber));
    header.hasInstanceNumber = !instance.empty();
    header.instanceNumber = instance.empty() ? 0 : static_cast<int>(instance[0]);

    GroupLookup groups(dataSet);
    header.frameHeaders.resize(static_cast<std::size_t>(header.frames));
    for (int frame = 0; frame < header.frames; ++frame) {
        auto &frameHeader = header.frameHeaders[static_cast<std::size_t>(frame)];
        // Per-frame positions only where the file has them for every frame.
        if (frame == 0 || groups.perFrameCount() >= header.frames) {
            frameHeader.position = vec3Of(groups.value(kPlanePositionSequence, kImagePosition, frame));
            frameHeader.orientation = orientationOf(groups.value(kPlaneOrientationSequence, kImageOrientation, frame));
            frameHeader.dimensionIndex = groups.frameUnsignedLongs(kFrameContentSequence, kDimensionIndexValues, frame);
            const auto temporal = groups.frameUnsignedLongs(kFrameContentSequence, kTemporalPositionIndex, frame);
            if (!temporal.empty())
                frameHeader.temporalPositionIndex = temporal.front();
            const auto inStack = groups.frameUnsignedLongs(kFrameContentSequence, kInStackPositionNumber, frame);
            if (!inStack.empty())
                frameHeader.inStackPosition = inStack.front();
        } else {
            frameHeader.orientation = header.frameHeaders[0].orientation;
        }
    }
    header.pixelSpacing = numbersOf(groups.value(kPixelMeasuresSequence, kPixelSpacing, 0));
    const auto thickness = numbersOf(groups.value(kPixelMeasuresSequence, kSliceThickness, 0));
    header.sliceThickness = thickness.empty() ? 0.0 : thickness[0];
    const auto between = numbersOf(groups.value(kPixelMeasuresSequence, kSpacingBetweenSlices, 0));
    header.spacingBetweenSlices = between.empty() ? 0.0 : between[0];
    const auto slope = numbersOf(groups.value(kPixelValueTransformationSequence, kRescaleSlope, 0));
    const auto intercept = numbersOf(groups.value(kPixelValueTransformationSequence, kRescaleIntercept, 0));
    header.rescaleSlope = slope.empty() || slope[0] == 0.0 || !std::isfinite(slope[0]) ? 1.0 : slope[0];
    header.rescaleIntercept = intercept.empty() ? 0.0 : intercept[0];
    for (int frame = 0; frame < header.frames; ++frame) {
        auto &frameHeader = header.frameHeaders[static_cast<std::size_t>(frame)];
        frameHeader.rescaleSlope = header.rescaleSlope;
        frameHeader.rescaleIntercept = header.rescaleIntercept;
        if (frame == 0 || groups.perFrameCount() < header.frames)
            continue;
        const auto frameSlope = numbersOf(groups.value(kPixelValueTransformationSequence, kRescaleSlope, frame));
        const auto frameIntercept = numbersOf(groups.value(kPixelValueTransformationSequence, kRescaleIntercept, frame));
        if (!frameSlope.empty() && frameSlope[0] != 0.0)
            frameHeader.rescaleSlope = frameSlope[0];
        if (!frameIntercept.empty())
            frameHeader.rescaleIntercept = frameIntercept[0];
    }
    const auto center = numbersOf(groups.value(kFrameVoiLutSequence, kWindowCenter, 0));
    const auto width = numbersOf(groups.value(kFrameVoiLutSequence, kWindowWidth, 0));
    if (!center.empty() && !width.empty() && width[0] > 0) {
        header.windowCenter = center[0];
        header.windowWidth = width[0];
    }
    return header;
}

Vec3 cross(const Vec3 &a, const Vec3 &b)
{
    return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}

double dot(const Vec3 &a, const Vec3 &b)
{
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

double norm(const Vec3 &a)
{
    return std::sqrt(dot(a, a));
}

bool sameOrientation(const std::array<double, 6> &a, const std::array<double, 6> &b)
{
    for (std::size_t i = 0; i < 6; ++i) {
        if (std::abs(a[i] - b[i]) > 1e-3)
            return false;
    }
    return true;
}

// One slice of the volume to be: a file (and a frame of it) with its header facts.
struct SliceSource
{
    fs::path file;
    int frame = 0;
    FrameHeader geometry;
    int instanceNumber = 0;
    // Orders the slices that share a position (the volumes of a 4-D scan):
    // compared in order, then `order` (the frame's or file's place) breaks ties.
    std::vector<std::int64_t> key;
    // Whether equal keys at one position mean the same slice twice (a
    // dimension index, a temporal position, a series' echo and instance
    // numbers), not just an order left open.
    bool keyIdentifies = false;
    int order = 0;
};

// The slices of a 3-D or 4-D scan: positions along the slice normal, each
// taken `volumes` times (echoes, dynamics, diffusion directions).
struct SliceLayout
{
    std::vector<SliceSource> slices; // (t, z) order: slice z of volume t is slices[t * positions + z]
    int positions = 0;
    int volumes = 1;
    double distance = 0.0;           // between positions; 0 when unknown
};

std::string decimal(double value);
std::string decimals(const std::vector<double> &values);

// The slices in position order along the slice normal (instance order without
// positions), checked for duplicates and gaps. Slices that share a position
// make a 4-D scan when every position has the same number K > 1 of them:
// volume t takes each position's t-th slice by key. A position with a
// different count (or, where most positions have one slice, a second one) is
// refused, naming it.
SliceLayout layoutSlices(std::vector<SliceSource> slices, const fs::path &source, double fallbackSpacing)
{
    SliceLayout layout;
    const bool positioned = std::all_of(slices.begin(), slices.end(), [](const SliceSource &slice) {
        return slice.geometry.position && slice.geometry.orientation;
    });
    if (!positioned) {
        std::stable_sort(slices.begin(), slices.end(), [](const SliceSource &a, const SliceSource &b) {
            return a.instanceNumber < b.instanceNumber;
        });
        layout.positions = static_cast<int>(slices.size());
        layout.slices = std::move(slices);
        layout.distance = fallbackSpacing;
        return layout;
    }
    const auto &cosines = *slices.front().geometry.orientation;
    const Vec3 normal = cross({cosines[0], cosines[1], cosines[2]}, {cosines[3], cosines[4], cosines[5]});
    std::vector<std::pair<double, std::size_t>> keys;
    for (std::size_t i = 0; i < slices.size(); ++i)
        keys.emplace_back(dot(*slices[i].geometry.position, normal), i);
    std::stable_sort(keys.begin(), keys.end());
    // Slices less than a micrometre apart share a position.
    std::vector<std::vector<SliceSource>> groups;
    std::vector<double> groupAt;
    for (const auto &key : keys) {
        if (groups.empty() || key.first - groupAt.back() >= 1e-3) {
            groups.emplace_back();
            groupAt.push_back(key.first);
        }
        groups.back().push_back(slices[key.second]);
    }
    for (auto &group : groups) {
        std::stable_sort(group.begin(), group.end(), [](const SliceSource &a, const SliceSource &b) {
            return std::tie(a.key, a.order) < std::tie(b.key, b.order);
        });
    }

    const bool multiFrame = slices.front().file == slices.back().file;
    const auto describe = [&](const SliceSource &slice) {
        return multiFrame ? "frame " + std::to_string(slice.frame + 1) + " of " + named(slice.file) : named(slice.file);
    };
    const std::string what = fs::is_directory(source) ? "The DICOM series " : "The multi-frame DICOM file ";
    const auto duplicated = [&](const SliceSource &a, const SliceSource &b) {
        return EngineError(what + named(source) + " has two slices at the same position (" + describe(a) + " and "
                           + describe(b) + ").");
    };
    // The count most positions have (the larger on a tie).
    std::map<std::size_t, int> positionsWith;
    for (const auto &group : groups)
        ++positionsWith[group.size()];
    std::size_t volumes = 1;
    int most = 0;
    for (const auto &[count, positions] : positionsWith) {
        if (positions >= most) {
            most = positions;
            volumes = count;
        }
    }
    for (std::size_t z = 0; z < groups.size(); ++z) {
        const auto &group = groups[z];
        if (volumes == 1 && group.size() > 1)
            throw duplicated(group[0], group[1]);
        if (group.size() != volumes) {
            std::string members = multiFrame ? "frames " : "";
            for (std::size_t i = 0; i < group.size(); ++i)
                members += (i == 0 ? "" : i + 1 == group.size() ? " and " : ", ")
                    + (multiFrame ? std::to_string(group[i].frame + 1) : named(group[i].file));
            const auto &position = *group.front().geometry.position;
            throw EngineError(what + named(source) + " is 4-D with " + std::to_string(volumes)
                              + (multiFrame ? " frames" : " files") + " at each position, but slice "
                              + std::to_string(z + 1) + " of " + std::to_string(groups.size())
                              + " (ImagePositionPatient " + decimals({position[0], position[1], position[2]})
                              + ") has " + std::to_string(group.size()) + ": " + members + ".");
        }
        for (std::size_t i = 1; i < group.size(); ++i) {
            if (group[i].keyIdentifies && group[i].key == group[i - 1].key)
                throw duplicated(group[i - 1], group[i]);
        }
    }
    layout.positions = static_cast<int>(groups.size());
    layout.volumes = static_cast<int>(volumes);
    for (std::size_t t = 0; t < volumes; ++t) {
        for (const auto &group : groups)
            layout.slices.push_back(group[t]);
    }
    if (groups.size() < 2) {
        layout.distance = fallbackSpacing;
        return layout;
    }

    std::vector<double> steps;
    for (std::size_t i = 1; i < groupAt.size(); ++i)
        steps.push_back(groupAt[i] - groupAt[i - 1]);
    std::vector<double> ordered = steps;
    std::nth_element(ordered.begin(), ordered.begin() + static_cast<std::ptrdiff_t>(ordered.size() / 2), ordered.end());
    const double median = ordered[ordered.size() / 2];
    for (std::size_t i = 0; i < steps.size(); ++i) {
        if (steps[i] > 1.5 * median)
            throw EngineError(what + named(source) + " misses slices between " + describe(groups[i].front())
                              + " and " + describe(groups[i + 1].front()) + " (" + decimal(steps[i]) + " mm apart, "
                              + decimal(median) + " mm elsewhere).");
    }
    layout.distance = (groupAt.back() - groupAt.front()) / static_cast<double>(groupAt.size() - 1);
    return layout;
}

// For each array axis, the RAS axis it runs along most closely (one each).
std::array<AxisOrientation, 3> orientationOf(const std::array<std::array<double, 4>, 3> &matrix)
{
    std::array<int, 3> best{0, 1, 2};
    double bestScore = -1.0;
    std::array<int, 3> permutation{0, 1, 2};
    do {
        double score = 0.0;
        for (int axis = 0; axis < 3; ++axis) {
            Vec3 column{matrix[0][axis], matrix[1][axis], matrix[2][axis]};
            const double length = norm(column);
            if (length > 0)
                score += std::abs(column[static_cast<std::size_t>(permutation[static_cast<std::size_t>(axis)])]) / length;
        }
        if (score > bestScore + 1e-9) {
            bestScore = score;
            best = permutation;
        }
    } while (std::next_permutation(permutation.begin(), permutation.end()));
    std::array<AxisOrientation, 3> orientation;
    for (std::size_t axis = 0; axis < 3; ++axis) {
        const double component = matrix[static_cast<std::size_t>(best[axis])][axis];
        orientation[axis] = AxisOrientation{best[axis], component < 0 ? -1 : 1};
    }
    return orientation;
}

// Fills size, spacing, voxelToPatient and orientation from the slices' layout.
void fillGeometry(ScanVolume &volume, const ImageHeader &header, const SliceLayout &layout)
{
    volume.size = {header.columns, header.rows, layout.positions, layout.volumes};
    // The first volume's slices: every volume has the same positions.
    const std::vector<SliceSource> slices(layout.slices.begin(), layout.slices.begin() + layout.positions);
    const double sliceDistance = layout.distance;
    // A damaged header's zero, negative or overflowing distances fall back to 1 mm.
    const auto usable = [](double value) { return std::isfinite(value) && value > 0; };
    const double rowSpacing = header.pixelSpacing.size() >= 2 && usable(header.pixelSpacing[0]) ? header.pixelSpacing[0] : 1.0;
    const double columnSpacing = header.pixelSpacing.size() >= 2 && usable(header.pixelSpacing[1]) ? header.pixelSpacing[1] : 1.0;
    double zSpacing = usable(sliceDistance) ? sliceDistance
        : usable(header.spacingBetweenSlices) ? header.spacingBetweenSlices
        : usable(header.sliceThickness) ? header.sliceThickness : 1.0;
    volume.spacing = {columnSpacing, rowSpacing, zSpacing};

    const auto &first = slices.front().geometry;
    if (!first.orientation) {
        volume.voxelToPatient = {{{columnSpacing, 0, 0, 0}, {0, rowSpacing, 0, 0}, {0, 0, zSpacing, 0}}};
        volume.orientation = {AxisOrientation{0, 1}, AxisOrientation{1, 1}, AxisOrientation{2, 1}};
        return;
    }
    const auto &cosines = *first.orientation;
    const Vec3 rowDirection{cosines[0], cosines[1], cosines[2]};    // along a row: growing column index
    const Vec3 columnDirection{cosines[3], cosines[4], cosines[5]}; // down a column: growing row index
    const Vec3 origin = first.position.value_or(Vec3{0, 0, 0});
    Vec3 sliceStep;
    if (slices.size() >= 2 && first.position && slices.back().geometry.position) {
        for (std::size_t i = 0; i < 3; ++i)
            sliceStep[i] = ((*slices.back().geometry.position)[i] - origin[i]) / static_cast<double>(slices.size() - 1);
    } else {
        const Vec3 normal = cross(rowDirection, columnDirection);
        for (std::size_t i = 0; i < 3; ++i)
            sliceStep[i] = normal[i] * zSpacing;
    }
    volume.spacing[2] = usable(norm(sliceStep)) ? norm(sliceStep) : zSpacing;
    for (std::size_t i = 0; i < 3; ++i) {
        // LPS+ -> RAS+: x and y change sign.
        const double sign = i < 2 ? -1.0 : 1.0;
        volume.voxelToPatient[i] = {sign * rowDirection[i] * columnSpacing, sign * columnDirection[i] * rowSpacing,
                                    sign * sliceStep[i], sign * origin[i]};
    }
    volume.orientation = orientationOf(volume.voxelToPatient);
}

// Stored values of a decoded frame buffer, BitsStored applied (masked, sign extended).
void appendStoredValues(const char *buffer, std::size_t count, const ImageHeader &header, float *out,
                        const fs::path &file)
{
    const int bits = header.bitsStored;
    const auto convert = [&](auto raw) -> float {
        using Raw = decltype(raw);
        std::int64_t value = static_cast<std::int64_t>(raw);
        if (bits < static_cast<int>(8 * sizeof(Raw))) {
            const std::uint64_t mask = (std::uint64_t{1} << bits) - 1;
            std::uint64_t bitsValue = static_cast<std::uint64_t>(value) & mask;
            if (header.isSigned && (bitsValue >> (bits - 1)) & 1)
                value = static_cast<std::int64_t>(bitsValue) - (std::int64_t{1} << bits);
            else
                value = static_cast<std::int64_t>(bitsValue);
        }
        return static_cast<float>(value);
    };
    switch (header.bitsAllocated) {
    case 8:
        for (std::size_t i = 0; i < count; ++i)
            out[i] = header.isSigned ? convert(reinterpret_cast<const std::int8_t *>(buffer)[i])
                                     : convert(reinterpret_cast<const std::uint8_t *>(buffer)[i]);
        return;
    case 16: {
        for (std::size_t i = 0; i < count; ++i) {
            std::uint16_t raw;
            std::memcpy(&raw, buffer + 2 * i, 2);
            out[i] = header.isSigned ? convert(static_cast<std::int16_t>(raw)) : convert(raw);
        }
        return;
    }
    case 32: {
        for (std::size_t i = 0; i < count; ++i) {
            std::uint32_t raw;
            std::memcpy(&raw, buffer + 4 * i, 4);
            out[i] = header.isSigned ? convert(static_cast<std::int32_t>(raw)) : convert(raw);
        }
        return;
    }
    default: break;
    }
    throw EngineError("The DICOM file " + named(file) + " has " + std::to_string(header.bitsAllocated)
                      + "-bit pixels; 8, 16 and 32 bits are supported.");
}

// Why GDCM's PixmapReader refused `file`, as one sentence.
[[noreturn]] void throwUnreadable(const fs::path &file)
{
    gdcm::Reader reader;
    reader.SetFileName(file.c_str());
    std::error_code error;
    if (!fs::exists(file, error))
        throw EngineError("The DICOM file " + named(file) + " does not exist.");
    if (!reader.Read() || reader.GetFile().GetDataSet().IsEmpty())
        throw EngineError(named(file) + " is not a DICOM file (or is damaged).");
    const auto &dataSet = reader.GetFile().GetDataSet();
    if (!dataSet.FindDataElement(kPixelData))
        throw EngineError("The DICOM file " + named(file) + " holds no pixel data (it is not an image).");
    const char *syntax = gdcm::TransferSyntax::GetTSString(reader.GetFile().GetHeader().GetDataSetTransferSyntax());
    throw EngineError("The pixel data of the DICOM file " + named(file) + " cannot be decoded (transfer syntax "
                      + (syntax ? syntax : "unknown") + ").");
}

// A series may rescale each slice (frame) differently: its stored values are
// put on the volume's scale (the first slice's) on reading, keeping every
// physical value, so that the network and the metrics see one scale;
// writeDerivedDicomSeries() goes back to each slice's own.
bool sameRescale(double slope, double intercept, double volumeSlope, double volumeIntercept)
{
    return slope == volumeSlope && intercept == volumeIntercept;
}

void toVolumeScale(float *values, std::size_t count, double slope, double intercept, double volumeSlope,
                   double volumeIntercept)
{
    if (sameRescale(slope, intercept, volumeSlope, volumeIntercept))
        return;
    for (std::size_t i = 0; i < count; ++i)
        values[i] = static_cast<float>((slope * values[i] + intercept - volumeIntercept) / volumeSlope);
}

void fillFacts(ScanVolume &volume, const gdcm::DataSet &dataSet, const ImageHeader &header)
{
    volume.format = ScanFormat::Dicom;
    volume.rescaleSlope = header.rescaleSlope;
    volume.rescaleIntercept = header.rescaleIntercept;
    volume.windowCenter = header.windowCenter;
    volume.windowWidth = header.windowWidth;
    volume.monochrome1 = header.photometric == "MONOCHROME1";
    volume.dataRange = std::ldexp(1.0, header.bitsStored) - 1.0;
    volume.patientId = stringOf(dataSet, kPatientId);
    volume.studyDate = stringOf(dataSet, kStudyDate);
    volume.seriesDescription = stringOf(dataSet, kSeriesDescription);
    volume.seriesInstanceUid = stringOf(dataSet, kSeriesInstanceUid);
}

// GDCM 3.0.21 aborts (a failed assertion) on a Frame Increment Pointer
// without Number of Frames: refused here before GDCM reads the pixels.
void checkFrameHeader(bool hasIncrementPointer, bool hasFrames, const fs::path &file)
{
    if (hasIncrementPointer && !hasFrames)
        throw EngineError("The DICOM file " + named(file)
                          + " has a Frame Increment Pointer but no Number of Frames (a damaged multi-frame header).");
}

std::string bytesText(std::uint64_t bytes)
{
    return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
}

// Reads `count` bytes at `offset`; false when the file ends before.
bool readAt(std::istream &stream, std::uint64_t offset, unsigned char *out, std::size_t count)
{
    stream.clear();
    stream.seekg(static_cast<std::streamoff>(offset));
    stream.read(reinterpret_cast<char *>(out), static_cast<std::streamsize>(count));
    return stream.gcount() == static_cast<std::streamsize>(count);
}

std::uint32_t uint32Of(const unsigned char *bytes, bool bigEndian)
{
    return bigEndian ? (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) | (std::uint32_t{bytes[2]} << 8) | bytes[3]
                     : (std::uint32_t{bytes[3]} << 24) | (std::uint32_t{bytes[2]} << 16) | (std::uint32_t{bytes[1]} << 8) | bytes[0];
}

// The encapsulated pixel data from `start` (its items: the offset table, then
// the fragments) checked against the file's end; the fragments counted.
// A JPEG 2000 codestream's size marker (SIZ) against the header: GDCM
// 3.0.21 decodes into a buffer of the header's size and writes the stream's
// whole image into it (a heap overflow found by fuzzing).
struct ImageShape
{
    int rows = 0;
    int columns = 0;
    int samples = 1;
    int bitsAllocated = 16;
};

void checkJpeg2000Size(std::ifstream &stream, std::uint64_t at, std::uint32_t length, const ImageShape &shape,
                       int fragment, const fs::path &file)
{
    std::vector<unsigned char> head(std::min<std::uint32_t>(length, 4096));
    if (!readAt(stream, at, head.data(), head.size()))
        return;
    const unsigned char marker[4] = {0xff, 0x4f, 0xff, 0x51}; // SOC, then SIZ
    const auto found = std::search(head.begin(), head.end(), std::begin(marker), std::end(marker));
    const bool jp2 = head.size() >= 12 && head[4] == 'j' && head[5] == 'P';
    if (found == head.end()) {
        if (head.size() >= 2 && (head[0] == 0xff && head[1] == 0x4f)) // a codestream without its SIZ
            throw EngineError("The JPEG 2000 stream of fragment " + std::to_string(fragment) + " of the DICOM file "
                              + named(file) + " is damaged (no image size).");
        if (!jp2)
            return; // not the start of a frame
        throw EngineError("The JPEG 2000 stream of fragment " + std::to_string(fragment) + " of the DICOM file "
                          + named(file) + " is damaged (no image size).");
    }
    const std::size_t siz = static_cast<std::size_t>(found - head.begin()) + 4; // at Lsiz
    const auto u16 = [&](std::size_t i) { return (std::uint32_t{head[i]} << 8) | head[i + 1]; };
    const auto u32 = [&](std::size_t i) { return (u16(i) << 16) | u16(i + 2); };
    if (siz + 38 > head.size())
        throw EngineError("The JPEG 2000 stream of fragment " + std::to_string(fragment) + " of the DICOM file "
                          + named(file) + " is damaged (its image size is cut).");
    const std::uint64_t width = std::uint64_t{u32(siz + 4)} - std::min(u32(siz + 4), u32(siz + 12));
    const std::uint64_t height = std::uint64_t{u32(siz + 8)} - std::min(u32(siz + 8), u32(siz + 16));
    const std::uint32_t components = u16(siz + 36);
    bool good = width == std::uint64_t(shape.columns) && height == std::uint64_t(shape.rows)
        && components == std::uint32_t(shape.samples) && siz + 38 + 3 * components <= head.size();
    for (std::uint32_t c = 0; good && c < components; ++c) {
        const std::size_t component = siz + 38 + 3 * c;
        const int depth = (head[component] & 0x7f) + 1;
        good = depth <= shape.bitsAllocated && head[component + 1] == 1 && head[component + 2] == 1;
    }
    if (!good)
        throw EngineError("The JPEG 2000 stream of fragment " + std::to_string(fragment) + " of the DICOM file "
                          + named(file) + " is " + std::to_string(width) + "x" + std::to_string(height) + " with "
                          + std::to_string(components) + " components, which its header (" + std::to_string(shape.columns)
                          + "x" + std::to_string(shape.rows) + ", " + std::to_string(shape.samples) + " sample, "
                          + std::to_string(shape.bitsAllocated) + " bits) does not describe.");
    // The main header's marker segments, from SIZ to the first tile (SOT),
    // inside the fragment: GDCM read past a buffer on a later decode after a
    // segment whose length ran past the stream (a fuzz finding).
    std::uint64_t position = at + static_cast<std::uint64_t>(found - head.begin()) + 2; // at SIZ
    const std::uint64_t end = at + length;
    for (;;) {
        unsigned char segment[4];
        if (position + 4 > end || !readAt(stream, position, segment, 4) || segment[0] != 0xff || segment[1] < 0x40)
            throw EngineError("The JPEG 2000 stream of fragment " + std::to_string(fragment) + " of the DICOM file "
                              + named(file) + " is damaged (no marker where its main header expects one).");
        if (segment[1] == 0x90)
            break; // SOT: the first tile
        const std::uint32_t size = (std::uint32_t{segment[2]} << 8) | segment[3];
        if (size < 2 || position + 2 + size > end)
            throw EngineError("The JPEG 2000 stream of fragment " + std::to_string(fragment) + " of the DICOM file "
                              + named(file) + " is damaged (a marker segment's length goes past the fragment).");
        position += 2 + size;
    }
}

// A JPEG-LS stream's frame header (SOF55) against the header: GDCM asserts
// when the decoded stream does not fit the header's buffer (a fuzz finding).
void checkJpegLsSize(std::ifstream &stream, std::uint64_t at, std::uint32_t length, const ImageShape &shape,
                     int fragment, const fs::path &file)
{
    std::vector<unsigned char> head(std::min<std::uint32_t>(length, 4096));
    if (head.size() < 4 || !readAt(stream, at, head.data(), head.size()) || head[0] != 0xff || head[1] != 0xd8)
        return; // not the start of a frame
    const unsigned char marker[2] = {0xff, 0xf7};
    const auto found = std::search(head.begin() + 2, head.end(), std::begin(marker), std::end(marker));
    const std::size_t sof = static_cast<std::size_t>(found - head.begin());
    bool good = found != head.end() && sof + 10 <= head.size();
    if (good) {
        const int precision = head[sof + 4];
        const int rows = (head[sof + 5] << 8) | head[sof + 6];
        const int columns = (head[sof + 7] << 8) | head[sof + 8];
        const int components = head[sof + 9];
        good = rows == shape.rows && columns == shape.columns && components == shape.samples
            && precision <= shape.bitsAllocated;
    }
    if (!good)
        throw EngineError("The JPEG-LS stream of fragment " + std::to_string(fragment) + " of the DICOM file "
                          + named(file) + " does not have the size its header (" + std::to_string(shape.columns) + "x"
                          + std::to_string(shape.rows) + ", " + std::to_string(shape.bitsAllocated) + " bits) describes.");
}

// A JPEG stream's header (ITU T.81 annex B: SOI, then marker segments up to
// the first SOS) walked before GDCM decodes it. GDCM's JPEG codec asserts on any
// libjpeg warning while it reads the header (bytes where a marker should be, a
// JFIF version other than 1, an unknown Adobe colour transform) and on a
// precision its codecs do not have; its frame header (SOFn: precision, rows,
// columns, components) must also be the DICOM header's (a fuzz finding: a
// damaged marker between SOF3 and DHT made the 16-bit decoder assert).
// True when the fragment starts a frame (SOI).
bool checkJpegHeader(std::ifstream &stream, std::uint64_t at, std::uint32_t length, const ImageShape &shape,
                     int fragment, const fs::path &file)
{
    unsigned char bytes[16];
    if (length < 4 || !readAt(stream, at, bytes, 2) || bytes[0] != 0xff || bytes[1] != 0xd8)
        return false; // not the start of a frame
    const std::string what = "The JPEG stream of fragment " + std::to_string(fragment) + " of the DICOM file " + named(file);
    const auto damaged = [&](const std::string &why) { return EngineError(what + " is damaged (" + why + ")."); };
    const std::uint64_t end = at + length;
    std::uint64_t position = at + 2;
    bool frameHeader = false;
    for (;;) {
        if (position + 2 > end || !readAt(stream, position, bytes, 2))
            throw damaged("its header does not end inside the fragment");
        if (bytes[0] != 0xff)
            throw damaged("no marker where its header expects one");
        ++position;
        unsigned char marker = bytes[1];
        while (marker == 0xff) { // fill bytes
            if (++position >= end || !readAt(stream, position, &marker, 1))
                throw damaged("its header does not end inside the fragment");
        }
        ++position; // past the marker's code
        if (marker == 0x00 || marker == 0xd8 || marker == 0xd9)
            throw damaged("no marker where its header expects one");
        if ((marker >= 0xd0 && marker <= 0xd7) || marker == 0x01)
            continue; // no length
        if (position + 2 > end || !readAt(stream, position, bytes, 2))
            throw damaged("its header does not end inside the fragment");
        const std::uint32_t segment = (std::uint32_t{bytes[0]} << 8) | bytes[1];
        if (segment < 2 || position + segment > end)
            throw damaged("a marker segment's length goes past the fragment");
        const std::uint64_t payload = position + 2;
        const std::uint32_t size = segment - 2;
        position += segment;
        if (marker == 0xda) { // SOS: the header ends
            if (!frameHeader)
                throw damaged("no frame header before its scan");
            return true;
        }
        if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc) { // SOFn
            if (frameHeader)
                throw damaged("two frame headers");
            frameHeader = true;
            if (size < 6 || !readAt(stream, payload, bytes, 6))
                throw damaged("its frame header is cut");
            const int precision = bytes[0];
            const int rows = (bytes[1] << 8) | bytes[2];
            const int columns = (bytes[3] << 8) | bytes[4];
            const int components = bytes[5];
            const bool lossless = marker == 0xc3 || marker == 0xc7 || marker == 0xcb || marker == 0xcf;
            const bool precisionKnown = lossless ? precision >= 2 && precision <= 16 : precision == 8 || precision == 12;
            if (size != 6 + 3u * components)
                throw damaged("its frame header's length is not that of its components");
            bool samplingKnown = true;
            for (int c = 0; c < components; ++c) {
                unsigned char component[3];
                if (!readAt(stream, payload + 6 + 3 * c, component, 3))
                    throw damaged("its frame header is cut");
                const int horizontal = component[1] >> 4, vertical = component[1] & 0x0f;
                samplingKnown = samplingKnown && horizontal >= 1 && horizontal <= 4 && vertical >= 1 && vertical <= 4
                    && component[2] <= 3;
            }
            if (!precisionKnown || !samplingKnown || rows != shape.rows || columns != shape.columns
                || components != shape.samples || precision > shape.bitsAllocated)
                throw EngineError(what + " is " + std::to_string(columns) + "x" + std::to_string(rows) + " with "
                                  + std::to_string(components) + " components of " + std::to_string(precision)
                                  + " bits, which its header (" + std::to_string(shape.columns) + "x"
                                  + std::to_string(shape.rows) + ", " + std::to_string(shape.samples) + " sample, "
                                  + std::to_string(shape.bitsAllocated) + " bits) does not describe.");
        } else if (marker == 0xe0 && size >= 14) { // APP0: libjpeg warns on a JFIF version other than 1
            if (!readAt(stream, payload, bytes, 14))
                throw damaged("its JFIF marker is cut");
            if (std::memcmp(bytes, "JFIF\0", 5) == 0 && bytes[5] != 1)
                throw damaged("JFIF version " + std::to_string(bytes[5]) + ", not 1");
        } else if (marker == 0xee && size >= 12) { // APP14: libjpeg warns on an unknown colour transform
            if (!readAt(stream, payload, bytes, 12))
                throw damaged("its Adobe marker is cut");
            if (std::memcmp(bytes, "Adobe", 5) == 0 && bytes[11] > 2)
                throw damaged("an unknown Adobe colour transform");
        }
    }
}

// A JPEG frame's last fragment must end with EOI (then at most one padding
// byte): without it libjpeg waits for more input, and GDCM returns "decoded"
// from its suspension path and never frees the decoder (a fuzz finding).
void checkJpegEnd(std::ifstream &stream, std::uint64_t at, std::uint32_t length, int fragment, const fs::path &file)
{
    unsigned char tail[3] = {0, 0, 0};
    const std::uint32_t count = std::min<std::uint32_t>(length, 3);
    const bool read = readAt(stream, at + length - count, tail + 3 - count, count);
    if (!read || !((tail[1] == 0xff && tail[2] == 0xd9) || (tail[0] == 0xff && tail[1] == 0xd9)))
        throw EngineError("The JPEG stream ending in fragment " + std::to_string(fragment) + " of the DICOM file "
                          + named(file) + " is damaged (it does not end with an end-of-image marker).");
}

void checkFragments(std::ifstream &stream, std::uint64_t start, std::uint64_t fileSize, int frames,
                    double decodedBytes, int rleSegments, const fs::path &file,
                    const std::optional<ImageShape> &jpeg2000 = std::nullopt,
                    const std::optional<ImageShape> &jpegLs = std::nullopt,
                    const std::optional<ImageShape> &jpeg = std::nullopt)
{
    std::uint64_t offset = start;
    int items = 0;
    std::vector<std::pair<std::uint64_t, std::uint32_t>> fragmentsAt; // value offset, length
    std::optional<std::pair<std::uint64_t, std::uint32_t>> jpegFrameEnd; // the last fragment of a JPEG frame so far
    for (;;) {
        unsigned char item[8];
        if (!readAt(stream, offset, item, 8))
            throw EngineError(named(file) + " is cut short: its compressed pixel data stops after "
                              + bytesText(fileSize - start) + ", before the end of its fragments.");
        const std::uint32_t tag = uint32Of(item, false);
        const std::uint32_t length = uint32Of(item + 4, false);
        if (tag == 0xe0ddfffeu) { // the sequence delimiter, of length 0 (GDCM would allocate any other)
            if (length != 0)
                throw EngineError("The compressed pixel data of the DICOM file " + named(file)
                                  + " is damaged (its end marker has a length).");
            break;
        }
        if (tag != 0xe000fffeu || length == 0xffffffffu)
            throw EngineError("The compressed pixel data of the DICOM file " + named(file)
                              + " is damaged (no fragment where one should begin, " + bytesText(offset - start)
                              + " into it).");
        if (offset + 8 + length > fileSize)
            throw EngineError(named(file) + " is cut short: its compressed pixel data holds "
                              + std::to_string(fileSize - start) + " of at least "
                              + bytesText(offset + 8 + length - start) + " (fragment " + std::to_string(items)
                              + " is incomplete).");
        if (items > 0 && rleSegments > 0)
            fragmentsAt.emplace_back(offset + 8, length);
        if (items > 0 && jpeg2000)
            checkJpeg2000Size(stream, offset + 8, length, *jpeg2000, items, file);
        if (items > 0 && jpegLs)
            checkJpegLsSize(stream, offset + 8, length, *jpegLs, items, file);
        if (items > 0 && jpeg) {
            const bool frameStart = checkJpegHeader(stream, offset + 8, length, *jpeg, items, file);
            if (frameStart && jpegFrameEnd)
                checkJpegEnd(stream, jpegFrameEnd->first, jpegFrameEnd->second, items - 1, file);
            if (frameStart || jpegFrameEnd)
                jpegFrameEnd = std::make_pair(offset + 8, length);
        }
        offset += 8 + std::uint64_t{length};
        ++items;
    }
    if (jpegFrameEnd)
        checkJpegEnd(stream, jpegFrameEnd->first, jpegFrameEnd->second, items - 1, file);
    const int fragments = std::max(0, items - 1); // the first item is the offset table
    // RLE (PS3.5 annex G): one fragment a frame, each with a 64-byte header of
    // its segments (one a byte of a sample) at increasing offsets inside it.
    // GDCM's decoder runs away (gigabytes, tens of seconds) on a damaged one.
    if (rleSegments > 0) {
        if (fragments != frames)
            throw EngineError("The DICOM file " + named(file) + " holds " + std::to_string(fragments)
                              + " RLE fragments for its " + std::to_string(frames)
                              + " frames (RLE takes one a frame): its pixel data is damaged.");
        for (std::size_t index = 0; index < fragmentsAt.size(); ++index) {
            const auto [at, length] = fragmentsAt[index];
            unsigned char header[64];
            bool good = length >= 64 && readAt(stream, at, header, 64) && uint32Of(header, false) == std::uint32_t(rleSegments);
            std::uint32_t previous = 0;
            for (int segment = 0; good && segment < rleSegments; ++segment) {
                const std::uint32_t segmentAt = uint32Of(header + 4 + 4 * segment, false);
                good = (segment == 0 ? segmentAt == 64 : segmentAt > previous) && segmentAt < length;
                previous = segmentAt;
            }
            if (!good)
                throw EngineError("The RLE header of frame " + std::to_string(index + 1) + " of the DICOM file "
                                  + named(file) + " is damaged (it should list " + std::to_string(rleSegments)
                                  + " segments inside the fragment).");
        }
    }
    if (fragments < frames)
        throw EngineError("The DICOM file " + named(file) + " holds " + std::to_string(fragments)
                          + " compressed fragments for its " + std::to_string(frames)
                          + " frames (each frame needs at least one): its pixel data is incomplete.");
    // GDCM allocates what the header claims before decoding: a few damaged
    // bytes must not claim gigabytes. A blank 512x512 frame in JPEG-LS or
    // JPEG 2000 takes a few hundred bytes; nothing real compresses more.
    const double compressed = double(offset - start);
    if (decodedBytes > 16.0 * (1 << 20) + 4096.0 * compressed)
        throw EngineError("The DICOM file " + named(file) + " claims " + std::to_string(std::llround(decodedBytes / (1 << 20)))
                          + " MB of pixels from " + bytesText(static_cast<std::uint64_t>(compressed))
                          + " of compressed data; its header is damaged.");
}

// ---- The file's encoding, checked before GDCM parses it ----
// Debian builds GDCM with its assertions on, and its parser asserts (aborting
// the process) on many malformed encodings: an item or delimiter where an
// element belongs, an undefined length on a value that cannot have one, a
// value running past its sequence. This walks the file's elements, items and
// fragments as PS3.5 defines them, reading only their headers, and says what
// is wrong first.

struct EncodingWalker
{
    std::istream &stream;
    std::uint64_t fileSize;
    bool bigEndian = false;
    bool explicitVr = true;
    std::string problem;

    bool fail(const std::string &what, std::uint64_t at)
    {
        if (problem.empty())
            problem = what + " at byte " + std::to_string(at);
        return false;
    }
    bool read(std::uint64_t at, unsigned char *out, std::size_t count) { return readAt(stream, at, out, count); }
    std::uint32_t value16(const unsigned char *bytes, bool big) const
    {
        return big ? (bytes[0] << 8) | bytes[1] : bytes[0] | (bytes[1] << 8);
    }

    static bool longVr(const char *vr)
    {
        static const char *const kinds[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"};
        return std::any_of(std::begin(kinds), std::end(kinds), [&](const char *kind) { return !std::strncmp(kind, vr, 2); });
    }
    static bool knownVr(const char *vr)
    {
        static const char *const kinds[] = {"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS", "LO", "LT",
                                            "PN", "SH", "SL", "SS", "ST", "TM", "UI", "UL", "US"};
        return longVr(vr) || std::any_of(std::begin(kinds), std::end(kinds), [&](const char *kind) { return !std::strncmp(kind, vr, 2); });
    }

    // The top-level attributes GDCM's pixmap reader parses with its Attribute
    // template, which asserts on another VR or length: what each must be
    // (VRs it accepts; the exact length of a binary value, 0 for text).
    struct Expected
    {
        const char *vrs;
        std::uint32_t length;
    };
    static std::optional<Expected> expectedOf(std::uint32_t group, std::uint32_t element)
    {
        if (group == 0x0028) {
            switch (element) {
            case 0x0002: case 0x0006: case 0x0010: case 0x0011: case 0x0100: case 0x0101: case 0x0102: case 0x0103:
                return Expected{"US", 2};
            case 0x0004: return Expected{"CS", 0};
            case 0x0008: return Expected{"IS", 0};
            case 0x1101: case 0x1102: case 0x1103: return Expected{"USSS", 6};
            default: return std::nullopt;
            }
        }
        if (group >= 0x6000 && group <= 0x601e && group % 2 == 0) { // overlays
            switch (element) {
            case 0x0010: case 0x0011: case 0x0100: case 0x0102: return Expected{"US", 2};
            case 0x0050: return Expected{"SS", 4};
            default: return std::nullopt;
            }
        }
        return std::nullopt;
    }
    bool checkAttribute(std::uint32_t group, std::uint32_t element, const char *vr, std::uint32_t length,
                        std::uint64_t valueStart, bool big, std::uint64_t at)
    {
        const auto expected = expectedOf(group, element);
        if (!expected || length == 0)
            return true;
        bool vrFits = !vr[0];
        for (const char *kind = expected->vrs; *kind && !vrFits; kind += 2)
            vrFits = !std::strncmp(kind, vr, 2);
        if (!vrFits || (expected->length && length != expected->length))
            return fail("an image attribute has the wrong value representation or length", at);
        if (group == 0x0028 && element == 0x0008) {
            // One integer: GDCM parses exactly one value.
            if (length > 12)
                return fail("the number of frames is not one number", at);
            std::string text(length, '\0');
            read(valueStart, reinterpret_cast<unsigned char *>(text.data()), length);
            if (text.find('\\') != std::string::npos || numbersOf(text).size() != 1)
                return fail("the number of frames is not one number", at);
        }
        (void)big;
        return true;
    }

    // Encapsulated pixel data: items of defined length up to the sequence delimiter.
    bool fragments(std::uint64_t at, std::uint64_t end, bool big, std::uint64_t &after)
    {
        for (;;) {
            unsigned char header[8];
            if (at + 8 > end || !read(at, header, 8))
                return fail("compressed pixel data runs past its end", at);
            const std::uint32_t group = value16(header, big), element = value16(header + 2, big);
            const std::uint32_t length = uint32Of(header + 4, big);
            if (group == 0xfffe && element == 0xe0dd) {
                if (length != 0)
                    return fail("a delimiter has a length", at);
                after = at + 8;
                return true;
            }
            if (group != 0xfffe || element != 0xe000 || length == 0xffffffffu || at + 8 + length > end)
                return fail("compressed pixel data holds a damaged fragment", at);
            at += 8 + std::uint64_t{length};
        }
    }

    // Items of a sequence in [at, end) (end = fileSize and undefined: up to its delimiter).
    bool sequence(std::uint64_t at, std::uint64_t end, bool undefined, bool big, bool explicitItems, int depth,
                  std::uint64_t &after)
    {
        for (;;) {
            if (!undefined && at == end) {
                after = at;
                return true;
            }
            unsigned char header[8];
            if (at + 8 > end || !read(at, header, 8))
                return fail("a sequence runs past its end", at);
            const std::uint32_t group = value16(header, big), element = value16(header + 2, big);
            const std::uint32_t length = uint32Of(header + 4, big);
            if (group == 0xfffe && element == 0xe0dd && undefined) {
                if (length != 0)
                    return fail("a delimiter has a length", at);
                after = at + 8;
                return true;
            }
            if (group != 0xfffe || element != 0xe000)
                return fail("a sequence holds something other than an item", at);
            if (length == 0xffffffffu) {
                std::uint64_t itemEnd = 0;
                if (!dataSet(at + 8, end, true, big, explicitItems, depth + 1, itemEnd))
                    return false;
                at = itemEnd;
            } else {
                if (at + 8 + length > end)
                    return fail("an item runs past its sequence", at);
                std::uint64_t ignored = 0;
                if (!dataSet(at + 8, at + 8 + length, false, big, explicitItems, depth + 1, ignored))
                    return false;
                at += 8 + std::uint64_t{length};
            }
        }
    }

    // Elements in [at, end); `inItem` with undefined length: up to the item delimiter.
    bool dataSet(std::uint64_t at, std::uint64_t end, bool undefinedItem, bool big, bool explicitVr, int depth,
                 std::uint64_t &after, bool metaOnly = false)
    {
        if (depth > 16)
            return fail("sequences nest too deep", at);
        std::uint32_t lastTag = 0;
        bool first = true;
        while (at < end) {
            unsigned char header[12];
            if (at + 8 > end || !read(at, header, 8))
                return fail("an element is cut", at);
            const std::uint32_t group = value16(header, big), element = value16(header + 2, big);
            if (metaOnly && group != 0x0002)
                break;
            if (group == 0xfffe) {
                if (undefinedItem && element == 0xe00d) {
                    if (uint32Of(header + 4, big) != 0)
                        return fail("a delimiter has a length", at);
                    after = at + 8;
                    return true;
                }
                return fail("an item or delimiter stands where an element belongs", at);
            }
            // Ascending, as PS3.5 requires: GDCM re-reads a data set out of order
            // in other encodings, taking long and allocating what garbage claims.
            const std::uint32_t tag = (group << 16) | element;
            if (!first && tag <= lastTag)
                return fail("its elements are out of order", at);
            first = false;
            lastTag = tag;
            char vr[3] = {0, 0, 0};
            std::uint64_t valueStart = 0;
            std::uint32_t length = 0;
            if (explicitVr) {
                vr[0] = static_cast<char>(header[4]);
                vr[1] = static_cast<char>(header[5]);
                if (!knownVr(vr))
                    return fail("an element has no valid value representation", at);
                if (longVr(vr)) {
                    if (at + 12 > end || !read(at, header, 12))
                        return fail("an element is cut", at);
                    length = uint32Of(header + 8, big);
                    valueStart = at + 12;
                } else {
                    length = value16(header + 6, big);
                    valueStart = at + 8;
                }
            } else {
                length = uint32Of(header + 4, big);
                valueStart = at + 8;
            }
            const bool pixelData = group == 0x7fe0 && element == 0x0010;
            const bool sq = explicitVr ? !std::strcmp(vr, "SQ") : false;
            if (depth == 0 && !metaOnly && !checkAttribute(group, element, vr, length, valueStart, big, at))
                return false;
            // GDCM asserts on pixel data of another VR (OF, SQ, UN of undefined length, ...).
            if (pixelData && explicitVr && std::strcmp(vr, "OB") != 0 && std::strcmp(vr, "OW") != 0)
                return fail("its pixel data has the value representation " + std::string(vr) + " (OB or OW expected)", at);
            if (length == 0xffffffffu) {
                if (pixelData) {
                    // Fragments; the top level's cut or damaged ones are for checkPixelData() to name.
                    if (!fragments(valueStart, end, big, at))
                        return depth == 0;
                    continue;
                }
                if (pixelData || !(sq || !explicitVr || !std::strcmp(vr, "UN")))
                    return fail("an element that cannot have an undefined length has one", at);
                // SQ, UN (read as implicit VR, as CP 246 says), or any implicit VR element: a sequence.
                if (!sequence(valueStart, end, true, big, explicitVr && !std::strcmp(vr, "SQ"), depth, at))
                    return false;
                continue;
            }
            if (pixelData && depth == 0 && valueStart + length > end)
                return true; // cut short: checkPixelData() says how much is missing
            if (valueStart + length > end)
                return fail("a value runs past its end", at);
            if (sq) {
                std::uint64_t ignored = 0;
                if (!sequence(valueStart, valueStart + length, false, big, true, depth, ignored))
                    return false;
            } else if (!explicitVr && length >= 8) {
                // Implicit VR: GDCM reads a value that starts with an item as a sequence.
                unsigned char first[4];
                if (read(valueStart, first, 4) && value16(first, big) == 0xfffe && value16(first + 2, big) == 0xe000) {
                    std::uint64_t ignored = 0;
                    if (!sequence(valueStart, valueStart + length, false, big, false, depth, ignored))
                        return false;
                }
            }
            at = valueStart + length;
        }
        if (undefinedItem)
            return fail("an item has no end", at);
        after = at;
        return true;
    }
};

// Deflate on real data sets gains a few times; a stream that inflates beyond
// this is damaged or made to exhaust memory (a fuzz input claimed gigabytes).
constexpr std::uint64_t kMostInflation = 64;
constexpr std::uint64_t kInflationAllowance = std::uint64_t(16) << 20;

// A deflated data set (from `start` of `stream` to its end) inflated, as
// GDCM would before parsing it; empty with `problem` set when the stream is
// not raw deflate data or inflates to more than kMostInflation times its
// size plus kInflationAllowance.
std::string inflatedDataSet(std::istream &stream, std::uint64_t start, std::uint64_t fileSize, std::string &problem)
{
    std::string compressed(static_cast<std::size_t>(fileSize - start), '\0');
    if (!readAt(stream, start, reinterpret_cast<unsigned char *>(compressed.data()), compressed.size())) {
        problem = "its deflated data set could not be read";
        return {};
    }
    const std::uint64_t most = kMostInflation * compressed.size() + kInflationAllowance;
    z_stream inflater{};
    if (inflateInit2(&inflater, -MAX_WBITS) != Z_OK) { // raw deflate, as PS3.5 A.5 says
        problem = "its deflated data set could not be inflated";
        return {};
    }
    inflater.next_in = reinterpret_cast<Bytef *>(compressed.data());
    std::size_t unread = compressed.size();
    std::string inflated;
    char chunk[1 << 16];
    int status = Z_OK;
    while (status == Z_OK) {
        if (inflater.avail_in == 0 && unread > 0) { // avail_in is 32 bits
            inflater.avail_in = static_cast<uInt>(std::min<std::size_t>(unread, 1u << 30));
            unread -= inflater.avail_in;
        }
        inflater.next_out = reinterpret_cast<Bytef *>(chunk);
        inflater.avail_out = sizeof chunk;
        status = inflate(&inflater, Z_NO_FLUSH);
        inflated.append(chunk, sizeof chunk - inflater.avail_out);
        if (inflated.size() > most) {
            inflateEnd(&inflater);
            problem = "its deflated data set inflates to more than " + std::to_string(kMostInflation)
                + " times its size";
            return {};
        }
        if (status == Z_BUF_ERROR && inflater.avail_in == 0 && unread == 0)
            break; // the stream ends without its final block
    }
    inflateEnd(&inflater);
    if (status != Z_STREAM_END && status != Z_BUF_ERROR) {
        problem = "its deflated data set is not valid deflate data";
        return {};
    }
    return inflated;
}

// A read-only, seekable stream over bytes held elsewhere (no copy).
class ByteStreamBuffer : public std::streambuf
{
public:
    explicit ByteStreamBuffer(std::string &bytes)
    {
        char *begin = bytes.data();
        setg(begin, begin, begin + bytes.size());
    }

protected:
    pos_type seekoff(off_type offset, std::ios_base::seekdir direction, std::ios_base::openmode) override
    {
        const off_type base = direction == std::ios_base::beg ? 0
            : direction == std::ios_base::cur                 ? gptr() - eback()
                                                               : egptr() - eback();
        const off_type target = base + offset;
        if (target < 0 || target > egptr() - eback())
            return pos_type(off_type(-1));
        setg(eback(), eback() + target, egptr());
        return pos_type(target);
    }
    pos_type seekpos(pos_type position, std::ios_base::openmode mode) override
    {
        return seekoff(off_type(position), std::ios_base::beg, mode);
    }
};

// Empty when `file` is encoded as PS3.5 says (up to its pixel data); else
// what is wrong. `isDicom` says whether it has the DICM preamble at all.
std::string encodingProblem(const fs::path &file, bool &isDicom)
{
    isDicom = false;
    std::ifstream stream(file, std::ios::binary);
    std::error_code error;
    const std::uint64_t fileSize = fs::file_size(file, error);
    unsigned char magic[4];
    if (!stream || error || !readAt(stream, 128, magic, 4) || std::memcmp(magic, "DICM", 4) != 0)
        return "it has no DICOM preamble";
    isDicom = true;
    EncodingWalker walker{stream, fileSize, false, true, {}};
    std::uint64_t dataSetStart = 0;
    if (!walker.dataSet(132, fileSize, false, false, true, 0, dataSetStart, true))
        return walker.problem;
    // GDCM reads one more tag after the meta group and asserts when the file
    // ends there (a fuzz finding).
    if (dataSetStart >= fileSize)
        return "it ends after its file meta information, at byte " + std::to_string(fileSize) + ", with no data set";
    // The transfer syntax, from the meta group just walked.
    std::string syntax;
    for (std::uint64_t at = 132; at + 8 <= dataSetStart;) {
        unsigned char header[12];
        readAt(stream, at, header, 8);
        const bool isLong = EncodingWalker::longVr(reinterpret_cast<const char *>(header + 4));
        if (isLong)
            readAt(stream, at, header, 12);
        const std::uint32_t length = isLong ? uint32Of(header + 8, false) : (header[6] | (header[7] << 8));
        const std::uint64_t value = at + (isLong ? 12 : 8);
        if (header[0] == 0x02 && header[1] == 0 && header[2] == 0x10 && header[3] == 0 && length < 256) {
            syntax.resize(length);
            readAt(stream, value, reinterpret_cast<unsigned char *>(syntax.data()), length);
            syntax = trimmed(syntax);
        }
        at = value + length;
    }
    // GDCM guesses the encoding of a file without a syntax it knows (and may
    // take its lengths byte-swapped, allocating gigabytes): such a file is refused.
    if (gdcm::TransferSyntax::GetTSType(syntax.c_str()) == gdcm::TransferSyntax::TS_END)
        return "its file meta information names no transfer syntax this program knows";
    if (syntax == "1.2.840.10008.1.2.1.99") {
        // Deflated: what GDCM will parse is the inflated data set (where a few
        // damaged bytes can claim values of gigabytes).
        std::string problem;
        std::string bytes = inflatedDataSet(stream, dataSetStart, fileSize, problem);
        if (!problem.empty())
            return problem;
        ByteStreamBuffer buffer(bytes);
        std::istream inflated(&buffer);
        EncodingWalker inflatedWalker{inflated, static_cast<std::uint64_t>(bytes.size()), false, true, {}};
        std::uint64_t ignored = 0;
        if (inflatedWalker.dataSet(0, inflatedWalker.fileSize, false, false, true, 0, ignored))
            return {};
        return inflatedWalker.problem + " of its inflated data set";
    }
    const bool big = syntax == "1.2.840.10008.1.2.2";
    const bool explicitVr = syntax != "1.2.840.10008.1.2";
    std::uint64_t ignored = 0;
    if (walker.dataSet(dataSetStart, fileSize, false, big, explicitVr, 0, ignored))
        return {};
    // As GDCM: a data set whose first element has no VR where the syntax
    // says explicit is read as implicit VR (a common writer's mistake).
    const std::string explicitProblem = walker.problem;
    if (!explicitVr || big || explicitProblem.find("byte " + std::to_string(dataSetStart)) == std::string::npos)
        return explicitProblem;
    walker.problem.clear();
    if (walker.dataSet(dataSetStart, fileSize, false, false, false, 0, ignored))
        return {};
    return explicitProblem;
}

// Throws the sentence for a file that is not DICOM or is damaged (encodingProblem()).
void checkEncoding(const fs::path &file)
{
    bool isDicom = false;
    const std::string problem = encodingProblem(file, isDicom);
    if (!isDicom) {
        std::error_code error;
        if (!fs::exists(file, error))
            throw EngineError("The DICOM file " + named(file) + " does not exist.");
        throw EngineError(named(file) + " is not a DICOM file (or is damaged).");
    }
    if (!problem.empty())
        throw EngineError("The DICOM file " + named(file) + " is damaged: " + problem + ".");
}

// The pixel data's length against the header (rows x columns x frames x
// samples x bits allocated, or for compressed syntaxes the fragments against
// the frames) and the file's end, before GDCM reads it: GDCM fills a value cut
// short with zeros, and would decode a damaged file as if it were whole. Also
// refuses what would make GDCM abort (checkFrameHeader()). The file's
// encoding is checked first (checkEncoding()) unless the caller has. Returns
// the data set's transfer syntax (TS_END where it was not reached).
gdcm::TransferSyntax checkPixelData(const fs::path &file, bool encodingChecked = false)
{
    if (!encodingChecked)
        checkEncoding(file);
    std::ifstream stream(file, std::ios::binary);
    if (!stream)
        return gdcm::TransferSyntax::TS_END; // decodeFile() says why
    gdcm::Reader reader;
    reader.SetStream(stream);
    // Stops with the stream at the pixel data's value, which is not read.
    if (!reader.ReadUpToTag(kPixelData, std::set<gdcm::Tag>{kPixelData}))
        return gdcm::TransferSyntax::TS_END;
    const auto &dataSet = reader.GetFile().GetDataSet();
    checkFrameHeader(dataSet.FindDataElement(kFrameIncrementPointer), dataSet.FindDataElement(kNumberOfFrames), file);
    const gdcm::TransferSyntax syntax = reader.GetFile().GetHeader().GetDataSetTransferSyntax();
    const std::streamoff position = stream.tellg();
    std::error_code error;
    const std::uint64_t fileSize = fs::file_size(file, error);
    if (error || position < 12 || syntax == gdcm::TransferSyntax::DeflatedExplicitVRLittleEndian
        || static_cast<std::uint64_t>(position) > fileSize)
        return syntax;
    const auto start = static_cast<std::uint64_t>(position);
    // The element's header just before its value: the tag, then (explicit VR)
    // two letters and two reserved bytes, then a 4-byte length.
    const bool bigEndian = syntax.GetSwapCode() == gdcm::SwapCode::BigEndian;
    unsigned char before[12];
    if (!readAt(stream, start - 12, before, 12))
        return syntax;
    const unsigned char littleTag[4] = {0xe0, 0x7f, 0x10, 0x00}, bigTag[4] = {0x7f, 0xe0, 0x00, 0x10};
    const unsigned char *tag = bigEndian ? bigTag : littleTag;
    const bool explicitHeader = std::equal(tag, tag + 4, before) && std::isupper(before[4]) && std::isupper(before[5]);
    const bool implicitHeader = std::equal(tag, tag + 4, before + 4);
    if (!explicitHeader && !implicitHeader)
        return syntax; // not where this check expects it: left to GDCM
    const std::uint32_t length = uint32Of(before + 8, bigEndian);

    const int rows = unsignedShortOf(dataSet, kRows, 0);
    const int columns = unsignedShortOf(dataSet, kColumns, 0);
    const int samples = unsignedShortOf(dataSet, kSamplesPerPixel, 1);
    const int bitsAllocated = unsignedShortOf(dataSet, kBitsAllocated, 0);
    // Refused before GDCM's codecs see them (its RLE decoder asserts on other sizes).
    if (dataSet.FindDataElement(kBitsAllocated) && bitsAllocated != 8 && bitsAllocated != 16 && bitsAllocated != 32)
        throw EngineError("The DICOM file " + named(file) + " has " + std::to_string(bitsAllocated)
                          + "-bit pixels (a mask or an unusual format); 8, 16 and 32 bits are supported.");
    const auto frameNumbers = numbersOf(stringOf(dataSet, kNumberOfFrames));
    const double frames = frameNumbers.empty() ? 1.0 : std::max(1.0, std::floor(frameNumbers[0]));
    const double decoded = double(rows) * columns * frames * std::max(1, samples) * std::max(8, bitsAllocated) / 8.0;
    if (syntax.IsEncapsulated() && length == 0xffffffffu) {
        const bool rle = syntax == gdcm::TransferSyntax::RLELossless;
        const int segments = rle && bitsAllocated % 8 == 0 ? std::max(1, samples) * bitsAllocated / 8 : 0;
        std::optional<ImageShape> jpeg2000;
        if (syntax == gdcm::TransferSyntax::JPEG2000Lossless || syntax == gdcm::TransferSyntax::JPEG2000
            || syntax == gdcm::TransferSyntax::JPEG2000Part2Lossless || syntax == gdcm::TransferSyntax::JPEG2000Part2)
            jpeg2000 = ImageShape{rows, columns, std::max(1, samples), bitsAllocated};
        std::optional<ImageShape> jpegLs;
        if (syntax == gdcm::TransferSyntax::JPEGLSLossless || syntax == gdcm::TransferSyntax::JPEGLSNearLossless)
            jpegLs = ImageShape{rows, columns, std::max(1, samples), bitsAllocated};
        std::optional<ImageShape> jpeg; // ITU T.81: baseline, extended, progressive, lossless
        if (syntax == gdcm::TransferSyntax::JPEGBaselineProcess1 || syntax == gdcm::TransferSyntax::JPEGExtendedProcess2_4
            || syntax == gdcm::TransferSyntax::JPEGExtendedProcess3_5
            || syntax == gdcm::TransferSyntax::JPEGSpectralSelectionProcess6_8
            || syntax == gdcm::TransferSyntax::JPEGFullProgressionProcess10_12
            || syntax == gdcm::TransferSyntax::JPEGLosslessProcess14 || syntax == gdcm::TransferSyntax::JPEGLosslessProcess14_1)
            jpeg = ImageShape{rows, columns, std::max(1, samples), bitsAllocated};
        checkFragments(stream, start, fileSize, static_cast<int>(std::min(frames, 1e9)), decoded, segments, file,
                       jpeg2000, jpegLs, jpeg);
        return syntax;
    }
    // GDCM reads such a value as fragments, then falls back to guessing the
    // encoding, allocating what garbage lengths claim (a fuzz finding).
    if (!syntax.IsEncapsulated() && length == 0xffffffffu)
        throw EngineError("The pixel data of the DICOM file " + named(file)
                          + " has an undefined length, which only compressed transfer syntaxes allow: it is damaged.");
    // Any value past the file's end: GDCM allocates the whole declared length first.
    if (length != 0xffffffffu && length > fileSize - start && (syntax.IsEncapsulated() || rows <= 0 || columns <= 0 || bitsAllocated <= 0))
        throw EngineError(named(file) + " is cut short: its pixel data holds " + std::to_string(fileSize - start) + " of "
                          + bytesText(length) + ".");
    if (syntax.IsEncapsulated() || length == 0xffffffffu || rows <= 0 || columns <= 0 || bitsAllocated <= 0)
        return syntax; // GDCM refuses these
    // YBR_FULL_422 keeps two samples a pixel: then only the element's own length is checked.
    const bool subsampled = stringOf(dataSet, kPhotometric).find("_42") != std::string::npos;
    const double expected = subsampled ? double(length)
        : std::ceil(double(rows) * columns * frames * std::max(1, samples) * bitsAllocated / 8.0);
    const std::uint64_t held = std::min<std::uint64_t>(length, fileSize - start);
    // Cut short even past what the header needs: GDCM allocates the whole declared length.
    if (held < length)
        throw EngineError(named(file) + " is cut short: its pixel data holds " + std::to_string(held) + " of "
                          + bytesText(double(held) < expected ? static_cast<std::uint64_t>(expected) : length) + ".");
    if (double(held) >= expected)
        return syntax;
    const std::string wanted = bytesText(static_cast<std::uint64_t>(expected));
    throw EngineError("The DICOM file " + named(file) + " has " + bytesText(length) + " of pixel data where its header ("
                      + std::to_string(columns) + "x" + std::to_string(rows) + ", "
                      + std::to_string(static_cast<long long>(frames)) + (frames == 1 ? " frame, " : " frames, ")
                      + std::to_string(bitsAllocated) + " bits allocated) needs " + wanted + ".");
}

// Refusals of decodeFile() and readDicomFolder() that readDicomHeader() makes too, from the headers.
[[noreturn]] void throwColour(const ImageHeader &header, const fs::path &file)
{
    throw EngineError("The DICOM file " + named(file) + " is a colour (" + header.photometric
                      + ") image; only greyscale scans can be enhanced.");
}

[[noreturn]] void throwNoPixels(const fs::path &file)
{
    throw EngineError("The DICOM file " + named(file) + " has an image of no pixels.");
}

void checkSameFormat(const ImageHeader &first, const ImageHeader &slice, const fs::path &folder,
                     const fs::path &sliceFile, const fs::path &firstFile)
{
    if (slice.bitsAllocated != first.bitsAllocated || slice.bitsStored != first.bitsStored
        || slice.isSigned != first.isSigned)
        throw EngineError("The DICOM series in " + named(folder) + " mixes pixel formats: " + named(sliceFile)
                          + " differs from " + named(firstFile) + ".");
}

// One file's frames (all of them), decoded: frame-major stored values. Kept
// from file to file of a series so that its buffers are allocated once (fresh
// large allocations cost a page fault per page).
struct DecodedFile
{
    ImageHeader header;
    std::vector<float> values;
    std::vector<char> buffer;
};

// DICOM RLE Lossless (PS3.5 annex G) decoded here into little-endian samples,
// every run checked against its segment and the frame, so that a damaged
// segment is a sentence whatever GDCM's decoder would make of it (the format
// is small; we write it too). checkFragments() has checked one fragment a
// frame and each header's segment offsets.
void decodeRle(const gdcm::DataElement &element, const ImageHeader &header, int frames, std::vector<char> &out,
               const fs::path &file)
{
    const gdcm::SequenceOfFragments *fragments = element.GetSequenceOfFragments();
    const std::size_t bytes = static_cast<std::size_t>(header.bitsAllocated / 8);
    const std::size_t pixels = static_cast<std::size_t>(header.rows) * header.columns;
    const auto damaged = [&](int frame) {
        return EngineError("The RLE data of frame " + std::to_string(frame + 1) + " of the DICOM file " + named(file)
                           + " is damaged.");
    };
    if (!fragments || fragments->GetNumberOfFragments() != static_cast<unsigned>(frames) || bytes == 0)
        throw damaged(0);
    out.assign(pixels * bytes * static_cast<std::size_t>(frames), 0);
    for (int frame = 0; frame < frames; ++frame) {
        const gdcm::ByteValue *value = fragments->GetFragment(static_cast<unsigned>(frame)).GetByteValue();
        if (!value || value->GetLength() < 64)
            throw damaged(frame);
        const auto *data = reinterpret_cast<const unsigned char *>(value->GetPointer());
        const std::size_t length = value->GetLength();
        if (uint32Of(data, false) != bytes)
            throw damaged(frame);
        char *frameOut = out.data() + static_cast<std::size_t>(frame) * pixels * bytes;
        for (std::size_t segment = 0; segment < bytes; ++segment) {
            std::size_t in = uint32Of(data + 4 + 4 * segment, false);
            const std::size_t end = segment + 1 < bytes ? std::min<std::size_t>(uint32Of(data + 8 + 4 * segment, false), length)
                                                        : length;
            const std::size_t byteIndex = bytes - 1 - segment; // the most significant byte first
            std::size_t pixel = 0;
            while (pixel < pixels) {
                if (in >= end)
                    throw damaged(frame);
                const int control = static_cast<signed char>(data[in++]);
                if (control >= 0) { // control + 1 literal bytes
                    const std::size_t count = static_cast<std::size_t>(control) + 1;
                    if (in + count > end || pixel + count > pixels)
                        throw damaged(frame);
                    for (std::size_t i = 0; i < count; ++i)
                        frameOut[(pixel++) * bytes + byteIndex] = static_cast<char>(data[in++]);
                } else if (control != -128) { // 1 - control copies of the next byte
                    const std::size_t count = static_cast<std::size_t>(1 - control);
                    if (in >= end || pixel + count > pixels)
                        throw damaged(frame);
                    const char repeated = static_cast<char>(data[in++]);
                    for (std::size_t i = 0; i < count; ++i)
                        frameOut[(pixel++) * bytes + byteIndex] = repeated;
                }
            }
        }
    }
}

// Decodes the pixels `reader` has read into `decoded` (its header from the
// file, corrected by what GDCM's pixmap says of the buffer's layout).
void decodePixmap(const gdcm::PixmapReader &reader, const fs::path &file, DecodedFile &decoded)
{
    decoded.header = headerOf(reader.GetFile().GetDataSet());
    auto &header = decoded.header;
    const gdcm::Pixmap &image = reader.GetPixmap();
    const gdcm::PixelFormat &format = image.GetPixelFormat();
    if (format.GetSamplesPerPixel() != 1 || header.samplesPerPixel != 1)
        throwColour(header, file);
    // The buffer's layout is GDCM's; the header's BitsStored and sign say what
    // the values mean (a JPEG 2000 stream may declare other ones, as pydicom
    // also goes by the header).
    header.bitsAllocated = format.GetBitsAllocated();
    if (header.bitsStored <= 0 || header.bitsStored > header.bitsAllocated)
        header.bitsStored = format.GetBitsStored();
    header.columns = static_cast<int>(image.GetDimension(0));
    header.rows = static_cast<int>(image.GetDimension(1));
    const int frames = image.GetNumberOfDimensions() > 2 ? static_cast<int>(image.GetDimension(2)) : 1;
    if (frames != header.frames) {
        header.frames = frames;
        header.frameHeaders.resize(static_cast<std::size_t>(frames), header.frameHeaders.front());
    }
    if (header.rows <= 0 || header.columns <= 0)
        throwNoPixels(file);
    if (header.bitsAllocated != 8 && header.bitsAllocated != 16 && header.bitsAllocated != 32)
        throw EngineError("The DICOM file " + named(file) + " has " + std::to_string(header.bitsAllocated)
                          + "-bit pixels (a mask or an unusual format); 8, 16 and 32 bits are supported.");
    const std::size_t count = static_cast<std::size_t>(header.rows) * header.columns * frames;
    const std::size_t bytes = count * static_cast<std::size_t>(header.bitsAllocated / 8);
    const gdcm::TransferSyntax syntax = image.GetTransferSyntax();
    const gdcm::ByteValue *raw = image.GetDataElement().GetByteValue();
    const char *pixels = nullptr;
    if (raw && raw->GetLength() >= bytes && !syntax.IsEncapsulated() && syntax.GetSwapCode() == gdcm::SwapCode::LittleEndian
        && image.GetPhotometricInterpretation() != gdcm::PhotometricInterpretation::PALETTE_COLOR) {
        pixels = raw->GetPointer(); // little-endian and uncompressed: GDCM's buffer would be a copy
    } else if (syntax == gdcm::TransferSyntax::RLELossless) {
        decodeRle(image.GetDataElement(), header, frames, decoded.buffer, file);
        pixels = decoded.buffer.data();
    } else {
        if (decoded.buffer.size() < image.GetBufferLength())
            decoded.buffer.resize(image.GetBufferLength());
        if (image.GetBufferLength() < bytes || !image.GetBuffer(decoded.buffer.data()))
            throwUnreadable(file);
        pixels = decoded.buffer.data();
    }
    decoded.values.resize(count);
    appendStoredValues(pixels, count, header, decoded.values.data(), file);
}

// What a child decoding a file sends back: the layout GDCM found, then the values.
struct DecodedLayout
{
    std::int32_t columns, rows, frames, bitsAllocated, bitsStored;
};

// GDCM reads pixels in a child process, whatever the transfer syntax: its
// reader asserts on damaged headers (an unknown ACR-NEMA recognition code, as
// the fuzzer found; its overlay, curve and palette checks are asserts too) and
// its JPEG 2000 decoder reads out of bounds after earlier decodes. One damaged file then fails its row, the run goes
// on, and no GDCM state outlives a file.

// The child that decodes the files of one readDicom() call (DecoderSession);
// none outside one, and then each file gets a child of its own.
thread_local ChildWorker *t_decoder = nullptr;

// In the child: decodes the file named by `request`; the answer is its
// DecodedLayout, then its stored values.
void decodeRequest(const std::vector<char> &request, std::vector<char> &answer)
{
    const fs::path file(std::string(request.begin(), request.end()));
    gdcm::PixmapReader reader;
    reader.SetFileName(file.c_str());
    if (!reader.Read())
        throwUnreadable(file);
    DecodedFile decoded;
    decodePixmap(reader, file, decoded);
    const auto &header = decoded.header;
    const DecodedLayout layout{header.columns, header.rows, header.frames, header.bitsAllocated, header.bitsStored};
    const std::size_t valueBytes = decoded.values.size() * sizeof(float);
    answer.resize(sizeof layout + valueBytes);
    std::memcpy(answer.data(), &layout, sizeof layout);
    std::memcpy(answer.data() + sizeof layout, decoded.values.data(), valueBytes);
}

// "1.2.840.10008.1.2.4.90 (JPEG 2000 Image Compression (Lossless Only))".
std::string syntaxNamed(const gdcm::TransferSyntax &syntax)
{
    const std::string uid = trimmed(gdcm::TransferSyntax::GetTSString(syntax));
    gdcm::UIDs known;
    if (known.SetFromUID(uid.c_str()) && known.GetName()) {
        const std::string name = known.GetName();
        return uid + " (" + name.substr(0, name.find(": ")) + ")"; // without GDCM's ": Default Transfer Syntax for ..."
    }
    return uid;
}

[[noreturn]] void throwReaderStopped(const fs::path &file, const gdcm::TransferSyntax &syntax, const std::string &how)
{
    if (syntax.IsEncapsulated() && syntax != gdcm::TransferSyntax::RLELossless)
        throw EngineError("The DICOM file " + named(file) + " could not be decoded: GDCM's decoder for its transfer syntax "
                          + syntaxNamed(syntax) + " " + how + ", so its compressed pixel data is probably damaged.");
    throw EngineError("The DICOM file " + named(file) + " could not be read: GDCM's reader " + how
                      + ", so the file is probably damaged.");
}

// How long a decoding child may stay silent: a large multi-frame JPEG 2000
// file takes seconds; a hang is what this catches.
constexpr int kDecoderSilenceSeconds = 600;

// One child for the files of a readDicom() call: forked at the first file
// that needs it, ended when the call returns.
class DecoderSession
{
public:
    DecoderSession() : m_worker(decodeRequest, kDecoderSilenceSeconds), m_outer(t_decoder)
    {
        if (!m_outer)
            t_decoder = &m_worker;
    }
    ~DecoderSession()
    {
        if (!m_outer)
            t_decoder = nullptr;
    }
    DecoderSession(const DecoderSession &) = delete;
    DecoderSession &operator=(const DecoderSession &) = delete;

private:
    ChildWorker m_worker;
    ChildWorker *m_outer;
};

void decodeInChild(const fs::path &file, DecodedFile &decoded, ScanVolume *facts)
{
    // The header, from the data set up to the pixel data (GDCM's pixel reading runs in the child).
    gdcm::Reader reader;
    reader.SetFileName(file.c_str());
    if (!reader.ReadUpToTag(kPixelData, std::set<gdcm::Tag>{kPixelData}))
        throwUnreadable(file);
    const std::string path = file.string();
    const std::vector<char> request(path.begin(), path.end());
    std::optional<ChildWorker> ownWorker;
    ChildWorker *worker = t_decoder;
    if (!worker)
        worker = &ownWorker.emplace(decodeRequest, kDecoderSilenceSeconds);
    const auto outcome = worker->call(request, decoded.buffer);
    switch (outcome.ending) {
    case ChildOutcome::Ending::Finished: break;
    case ChildOutcome::Ending::Failed: throw EngineError(outcome.sentence);
    case ChildOutcome::Ending::Crashed:
    case ChildOutcome::Ending::TimedOut:
        throwReaderStopped(file, reader.GetFile().GetHeader().GetDataSetTransferSyntax(), outcome.sentence);
    }
    DecodedLayout layout{};
    if (decoded.buffer.size() < sizeof layout)
        throwUnreadable(file);
    std::memcpy(&layout, decoded.buffer.data(), sizeof layout);
    decoded.header = headerOf(reader.GetFile().GetDataSet());
    auto &header = decoded.header;
    header.columns = layout.columns;
    header.rows = layout.rows;
    header.bitsAllocated = layout.bitsAllocated;
    header.bitsStored = layout.bitsStored;
    if (layout.frames != header.frames) {
        header.frames = layout.frames;
        header.frameHeaders.resize(static_cast<std::size_t>(layout.frames), header.frameHeaders.front());
    }
    const std::size_t count = (decoded.buffer.size() - sizeof layout) / sizeof(float);
    if (count != static_cast<std::size_t>(header.rows) * header.columns * header.frames)
        throwUnreadable(file);
    decoded.values.resize(count);
    std::memcpy(decoded.values.data(), decoded.buffer.data() + sizeof layout, count * sizeof(float));
    if (facts)
        fillFacts(*facts, reader.GetFile().GetDataSet(), header);
}

// `facts`, when given, receives the header facts (fillFacts()).
void decodeFile(const fs::path &file, DecodedFile &decoded, ScanVolume *facts = nullptr)
{
    checkPixelData(file); // the header's refusals, in this process
    decodeInChild(file, decoded, facts);
}

double fallbackSliceSpacing(const ImageHeader &header)
{
    return header.spacingBetweenSlices > 0 ? header.spacingBetweenSlices : header.sliceThickness;
}

// The key that orders a multi-frame file's frames sharing a position: the
// Frame Content's DimensionIndexValues where every frame has them, else its
// TemporalPositionIndex, else its InStackPositionNumber, else none (frame order).
void orderFramesByContent(std::vector<SliceSource> &slices)
{
    const auto every = [&](const auto &has) { return std::all_of(slices.begin(), slices.end(), has); };
    if (every([](const SliceSource &slice) { return !slice.geometry.dimensionIndex.empty(); })) {
        for (auto &slice : slices) {
            slice.key.assign(slice.geometry.dimensionIndex.begin(), slice.geometry.dimensionIndex.end());
            slice.keyIdentifies = true;
        }
    } else if (every([](const SliceSource &slice) { return slice.geometry.temporalPositionIndex.has_value(); })) {
        for (auto &slice : slices) {
            slice.key = {static_cast<std::int64_t>(*slice.geometry.temporalPositionIndex)};
            slice.keyIdentifies = true;
        }
    } else if (every([](const SliceSource &slice) { return slice.geometry.inStackPosition.has_value(); })) {
        for (auto &slice : slices)
            slice.key = {static_cast<std::int64_t>(*slice.geometry.inStackPosition)};
    }
}

// A file's frames as slices, in frame order (`order`), keyed by their Frame
// Content (orderFramesByContent()); one orientation for all of them.
std::vector<SliceSource> frameSlicesOf(const ImageHeader &header, const fs::path &file)
{
    std::vector<SliceSource> slices;
    for (int frame = 0; frame < header.frames; ++frame) {
        const auto &geometry = header.frameHeaders[static_cast<std::size_t>(frame)];
        const auto &first = header.frameHeaders.front().orientation;
        if (geometry.orientation.has_value() != first.has_value()
            || (first && !sameOrientation(*first, *geometry.orientation)))
            throw EngineError("The multi-frame DICOM file " + named(file) + " has frames of different orientations (frame "
                              + std::to_string(frame + 1) + " and frame 1).");
        SliceSource slice;
        slice.file = file;
        slice.frame = frame;
        slice.geometry = geometry;
        slice.instanceNumber = frame;
        slice.order = frame;
        slices.push_back(std::move(slice));
    }
    orderFramesByContent(slices);
    return slices;
}

// A single DICOM file: one slice, or every frame of a multi-frame file.
ScanVolume readDicomFile(const fs::path &file)
{
    ScanVolume volume; // decodeFile() checks the header first (checkPixelData())
    DecodedFile decoded;
    decodeFile(file, decoded, &volume);
    const auto &header = decoded.header;
    const SliceLayout layout = layoutSlices(frameSlicesOf(header, file), file, fallbackSliceSpacing(header));
    const std::size_t pixels = static_cast<std::size_t>(header.rows) * header.columns;
    for (int frame = 0; frame < header.frames; ++frame) {
        const auto &geometry = header.frameHeaders[static_cast<std::size_t>(frame)];
        toVolumeScale(decoded.values.data() + pixels * static_cast<std::size_t>(frame), pixels, geometry.rescaleSlope,
                      geometry.rescaleIntercept, header.rescaleSlope, header.rescaleIntercept);
    }

    volume.source = file;
    fillGeometry(volume, header, layout);
    volume.voxels.resize(pixels * layout.slices.size());
    for (std::size_t i = 0; i < layout.slices.size(); ++i) {
        const int frame = layout.slices[i].frame;
        std::copy_n(decoded.values.begin() + static_cast<std::ptrdiff_t>(pixels * static_cast<std::size_t>(frame)), pixels,
                    volume.voxels.begin() + static_cast<std::ptrdiff_t>(pixels * i));
        volume.frameSources.push_back({0, frame});
    }
    volume.sliceFiles = {file};
    return volume;
}

bool isHidden(const fs::path &path)
{
    const std::string name = path.filename().string();
    return !name.empty() && name[0] == '.';
}

bool looksLikeOtherFormat(const fs::path &path)
{
    static const std::set<std::string> others = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".nii", ".gz",
                                                 ".csv", ".txt", ".json", ".pt", ".xml", ".html", ".md", ".zip"};
    return others.count(lowerCase(path.extension().string())) > 0;
}

// The header tags readDicom() and findDicomSeries() look at.
void addScanTags(gdcm::Scanner &scanner)
{
    for (const auto &tag : {kSeriesInstanceUid, kRows, kColumns, kImagePosition, kImageOrientation, kInstanceNumber,
                            kNumberOfFrames, kFrameIncrementPointer, kPatientId, kStudyDate, kSeriesDescription, kModality,
                            kSopClassUid, kAcquisitionNumber, kTemporalPositionIdentifier, kEchoNumbers})
        scanner.AddTag(tag);
}

std::string scannedValue(const gdcm::Scanner &scanner, const std::string &file, const gdcm::Tag &tag)
{
    const char *value = scanner.GetValue(file.c_str(), tag);
    return value ? trimmed(value) : std::string();
}

// The series of `folder` that readDicomFolder() reads (`seriesUid` picks
// one), found and checked from the files' headers before any pixel is read.
struct FolderSeries
{
    std::vector<std::string> files; // the series' files
    SliceLayout layout;             // layoutSlices()'s; no slices for one file, read on its own
};

FolderSeries findFolderSeries(const fs::path &folder, const std::string &seriesUid)
{
    std::vector<std::string> files;
    std::error_code error;
    for (fs::directory_iterator it(folder, fs::directory_options::skip_permission_denied, error), end;
         !error && it != end; it.increment(error)) {
        if (it->is_regular_file(error) && !isHidden(it->path()) && !looksLikeOtherFormat(it->path()))
            files.push_back(it->path().string());
    }
    if (error)
        throw EngineError("The DICOM folder " + named(folder) + " cannot be read (" + error.message() + ").");
    std::sort(files.begin(), files.end());
    // GDCM's scanner parses every file: files without the DICM preamble are
    // left out, a damaged one is the folder's error.
    files.erase(std::remove_if(files.begin(), files.end(), [](const std::string &file) {
                    bool isDicom = false;
                    const std::string problem = encodingProblem(file, isDicom);
                    if (isDicom && !problem.empty())
                        throw EngineError("The DICOM file " + named(file) + " is damaged: " + problem + ".");
                    return !isDicom;
                }),
                files.end());
    gdcm::Scanner scanner;
    addScanTags(scanner);
    scanner.Scan(files);

    // Image files (they have Rows) grouped by series.
    std::map<std::string, std::vector<std::string>> series;
    int dicomFiles = 0;
    for (const auto &file : files) {
        if (!scanner.IsKey(file.c_str()))
            continue;
        ++dicomFiles;
        if (scannedValue(scanner, file, kRows).empty())
            continue;
        series[scannedValue(scanner, file, kSeriesInstanceUid)].push_back(file);
    }
    if (dicomFiles == 0)
        throw EngineError("The folder " + named(folder) + " holds no DICOM files.");
    if (series.empty())
        throw EngineError("The DICOM files in " + named(folder) + " hold no images (no pixel data).");
    std::vector<std::string> chosen;
    if (!seriesUid.empty()) {
        const auto found = series.find(seriesUid);
        if (found == series.end())
            throw EngineError("The folder " + named(folder) + " holds no DICOM series with SeriesInstanceUID "
                              + seriesUid + " (it holds " + std::to_string(series.size()) + ").");
        chosen = found->second;
    } else if (series.size() > 1) {
        throw EngineError("The folder " + named(folder) + " holds " + std::to_string(series.size())
                          + " DICOM series; name one in a series_uid column or put each series in its own folder.");
    } else {
        chosen = series.begin()->second;
    }
    if (chosen.size() == 1)
        return {chosen, {}};

    // Header checks before any pixel is decoded.
    std::vector<SliceSource> slices;
    const std::string &first = chosen.front();
    const std::string size = scannedValue(scanner, first, kColumns) + "x" + scannedValue(scanner, first, kRows);
    const auto firstOrientation = orientationOf(scannedValue(scanner, first, kImageOrientation));
    for (const auto &file : chosen) {
        const auto frames = numbersOf(scannedValue(scanner, file, kNumberOfFrames));
        checkFrameHeader(scanner.GetValue(file.c_str(), kFrameIncrementPointer) != nullptr,
                         scanner.GetValue(file.c_str(), kNumberOfFrames) != nullptr, file);
        if (!frames.empty() && frames[0] > 1)
            throw EngineError("The DICOM series in " + named(folder) + " mixes the multi-frame file " + named(file)
                              + " with other files; read it on its own.");
        const std::string fileSize = scannedValue(scanner, file, kColumns) + "x" + scannedValue(scanner, file, kRows);
        if (fileSize != size)
            throw EngineError("The DICOM series in " + named(folder) + " has slices of different sizes: " + named(file)
                              + " is " + fileSize + ", " + named(first) + " is " + size + ".");
        SliceSource slice;
        slice.file = file;
        slice.geometry.position = vec3Of(scannedValue(scanner, file, kImagePosition));
        slice.geometry.orientation = orientationOf(scannedValue(scanner, file, kImageOrientation));
        if (firstOrientation.has_value() != slice.geometry.orientation.has_value()
            || (firstOrientation && !sameOrientation(*firstOrientation, *slice.geometry.orientation)))
            throw EngineError("The DICOM series in " + named(folder) + " has slices of different orientations: "
                              + named(file) + " and " + named(first) + ".");
        const auto instance = numbersOf(scannedValue(scanner, file, kInstanceNumber));
        slice.instanceNumber = instance.empty() ? 0 : static_cast<int>(instance[0]);
        // Files at one position (a 4-D series) are ordered by acquisition,
        // temporal position, echo, then instance number (then file name);
        // two files agreeing on all of them are the same slice twice.
        for (const auto &tag : {kAcquisitionNumber, kTemporalPositionIdentifier, kEchoNumbers, kInstanceNumber}) {
            const auto numbers = numbersOf(scannedValue(scanner, file, tag));
            slice.keyIdentifies = slice.keyIdentifies || !numbers.empty();
            slice.key.push_back(numbers.empty() ? 0 : std::llround(numbers[0]));
        }
        slice.order = static_cast<int>(slices.size());
        slices.push_back(slice);
    }

    // The slice distance falls back to the header's in fillGeometry().
    return {chosen, layoutSlices(std::move(slices), folder, 0.0)};
}

ScanVolume readDicomFolder(const fs::path &folder, const std::string &seriesUid)
{
    const FolderSeries series = findFolderSeries(folder, seriesUid);
    if (series.layout.slices.empty()) {
        ScanVolume volume = readDicomFile(series.files.front());
        volume.source = folder;
        return volume;
    }

    // Pixels, in (t, z) order.
    const SliceLayout &layout = series.layout;
    const auto &slices = layout.slices;
    ScanVolume volume;
    volume.source = folder;
    ImageHeader firstHeader;
    std::size_t frameSize = 0;
    DecodedFile decoded;
    for (std::size_t i = 0; i < slices.size(); ++i) {
        decodeFile(slices[i].file, decoded, i == 0 ? &volume : nullptr);
        if (i == 0) {
            firstHeader = decoded.header;
            frameSize = static_cast<std::size_t>(firstHeader.rows) * firstHeader.columns;
            volume.voxels.resize(frameSize * slices.size());
        } else {
            checkSameFormat(firstHeader, decoded.header, folder, slices[i].file, slices[0].file);
        }
        if (decoded.values.size() != frameSize)
            throw EngineError("The DICOM series in " + named(folder) + " has slices of different sizes: "
                              + named(slices[i].file) + ".");
        toVolumeScale(decoded.values.data(), frameSize, decoded.header.rescaleSlope, decoded.header.rescaleIntercept,
                      firstHeader.rescaleSlope, firstHeader.rescaleIntercept);
        std::copy(decoded.values.begin(), decoded.values.end(),
                  volume.voxels.begin() + static_cast<std::ptrdiff_t>(frameSize * i));
    }
    fillGeometry(volume, firstHeader, layout);
    for (const auto &slice : slices) {
        volume.frameSources.push_back({static_cast<int>(volume.sliceFiles.size()), 0});
        volume.sliceFiles.push_back(slice.file);
    }
    return volume;
}

// True for a folder; the sentence for a path that does not exist.
bool isExistingFolder(const fs::path &fileOrFolder)
{
    std::error_code error;
    if (fs::is_directory(fileOrFolder, error))
        return true;
    if (!fs::exists(fileOrFolder, error))
        throw EngineError("The DICOM file " + named(fileOrFolder) + " does not exist.");
    return false;
}

// ---- headers only (readDicomHeader()) ----

// The header decodeFile() would decode `file` with and its refusals that
// need no pixels: the pixel data's length first (checkPixelData();
// `encodingChecked`: findFolderSeries() checked the file's encoding), then
// the data set up to Pixel Data, whose value is not read. `facts`, when
// given, receives the header facts (fillFacts()).
ImageHeader checkedHeaderOf(const fs::path &file, bool encodingChecked, ScanVolume *facts = nullptr)
{
    checkPixelData(file, encodingChecked);
    std::ifstream stream(file, std::ios::binary);
    gdcm::Reader reader;
    reader.SetStream(stream);
    if (!stream || !reader.ReadUpToTag(kPixelData, std::set<gdcm::Tag>{kPixelData}))
        throwUnreadable(file);
    const gdcm::DataSet &dataSet = reader.GetFile().GetDataSet();
    // Pixel Data, being skipped, is not in the data set: the reader stopped
    // on it when the stream is good and nothing past it was read.
    const bool atPixelData = stream.good() && (dataSet.IsEmpty() || dataSet.GetDES().rbegin()->GetTag() < kPixelData);
    if (!atPixelData)
        throwUnreadable(file);
    ImageHeader header = headerOf(dataSet);
    if (header.samplesPerPixel != 1)
        throwColour(header, file);
    if (header.rows <= 0 || header.columns <= 0)
        throwNoPixels(file);
    if (header.bitsStored <= 0 || header.bitsStored > header.bitsAllocated)
        header.bitsStored = header.bitsAllocated;
    if (facts)
        fillFacts(*facts, dataSet, header);
    return header;
}

ScanHeader scanHeaderOf(const ScanVolume &volume, const ImageHeader &header, int fileCount)
{
    ScanHeader result;
    result.format = ScanFormat::Dicom;
    result.source = volume.source;
    result.size = volume.size;
    result.spacing = volume.spacing;
    result.bitsAllocated = header.bitsAllocated;
    result.bitsStored = header.bitsStored;
    result.dataType = (header.isSigned ? "int" : "uint") + std::to_string(header.bitsAllocated);
    result.patientId = volume.patientId;
    result.studyDate = volume.studyDate;
    result.seriesDescription = volume.seriesDescription;
    result.seriesInstanceUid = volume.seriesInstanceUid;
    result.fileCount = fileCount;
    return result;
}

// As readDicomFile(), without the pixels.
ScanHeader readDicomFileHeader(const fs::path &file)
{
    ScanVolume volume; // geometry and facts; no voxels
    const ImageHeader header = checkedHeaderOf(file, false, &volume);
    const SliceLayout layout = layoutSlices(frameSlicesOf(header, file), file, fallbackSliceSpacing(header));
    volume.source = file;
    fillGeometry(volume, header, layout); // size[3]: a 4-D file's volumes
    return scanHeaderOf(volume, header, 1);
}

// As readDicomFolder(), without the pixels: every file's header is checked
// in the order readDicomFolder() decodes them, so the first problem is the same.
ScanHeader readDicomFolderHeader(const fs::path &folder, const std::string &seriesUid)
{
    const FolderSeries series = findFolderSeries(folder, seriesUid);
    const auto &slices = series.layout.slices; // in (t, z) order, as readDicomFolder() decodes them
    if (slices.empty()) {
        ScanHeader header = readDicomFileHeader(series.files.front());
        header.source = folder;
        return header;
    }
    ScanVolume volume;
    ImageHeader first;
    for (std::size_t i = 0; i < slices.size(); ++i) {
        const ImageHeader header = checkedHeaderOf(slices[i].file, true, i == 0 ? &volume : nullptr);
        if (i == 0)
            first = header;
        else
            checkSameFormat(first, header, folder, slices[i].file, slices[0].file);
    }
    volume.source = folder;
    fillGeometry(volume, first, series.layout); // size[3]: a 4-D series' volumes
    return scanHeaderOf(volume, first, static_cast<int>(slices.size()));
}

// ---- writing ----

std::string newUid()
{
    gdcm::UIDGenerator generator;
    return generator.Generate();
}

// A decimal string of at most 16 characters (DICOM's DS).
std::string decimal(double value)
{
    if (std::abs(value) < 1e-12)
        value = 0.0;
    char text[32];
    for (int precision = 12; precision > 3; --precision) {
        std::snprintf(text, sizeof text, "%.*g", precision, value);
        if (std::strlen(text) <= 16)
            break;
    }
    return text;
}

std::string decimals(const std::vector<double> &values)
{
    std::string text;
    for (std::size_t i = 0; i < values.size(); ++i)
        text += (i ? "\\" : "") + decimal(values[i]);
    return text;
}

void setString(gdcm::DataSet &dataSet, const gdcm::Tag &tag, const gdcm::VR &vr, std::string value)
{
    if (value.size() % 2)
        value.push_back(vr == gdcm::VR::UI ? '\0' : ' ');
    gdcm::DataElement element(tag);
    element.SetVR(vr);
    element.SetByteValue(value.data(), static_cast<gdcm::VL::Type>(value.size()));
    dataSet.Replace(element);
}

void setUnsignedShort(gdcm::DataSet &dataSet, const gdcm::Tag &tag, int value)
{
    const unsigned char bytes[2] = {static_cast<unsigned char>(value & 0xff), static_cast<unsigned char>((value >> 8) & 0xff)};
    gdcm::DataElement element(tag);
    element.SetVR(gdcm::VR::US);
    element.SetByteValue(reinterpret_cast<const char *>(bytes), 2);
    dataSet.Replace(element);
}

// Puts `sequence` (changed in place) back as the value of `tag`.
void replaceSequence(gdcm::DataSet &dataSet, const gdcm::Tag &tag, const gdcm::SequenceOfItems &sequence)
{
    gdcm::DataElement element(tag);
    element.SetVR(gdcm::VR::SQ);
    element.SetValue(sequence);
    element.SetVLToUndefined();
    dataSet.Replace(element);
}

// DERIVED\SECONDARY, then the third and later values of `oldType` (ImageType, FrameType).
std::string derivedType(const std::string &oldType)
{
    std::string type = "DERIVED\\SECONDARY";
    std::size_t cut = oldType.find('\\');
    if (cut != std::string::npos)
        cut = oldType.find('\\', cut + 1);
    if (cut != std::string::npos)
        type += oldType.substr(cut);
    return type;
}

// An enhanced multi-frame file's frame types (shared and per frame) marked as
// derived, as its ImageType is.
void markFramesDerived(gdcm::DataSet &dataSet)
{
    for (const auto &groupsTag : {kSharedGroups, kPerFrameGroups}) {
        auto groups = sequenceAt(dataSet, groupsTag);
        if (!groups)
            continue;
        for (gdcm::SequenceOfItems::SizeType i = 1; i <= groups->GetNumberOfItems(); ++i) {
            gdcm::DataSet &group = groups->GetItem(i).GetNestedDataSet();
            for (const auto &typesTag : kFrameTypeSequences) {
                auto types = sequenceAt(group, typesTag);
                if (!types)
                    continue;
                for (gdcm::SequenceOfItems::SizeType j = 1; j <= types->GetNumberOfItems(); ++j) {
                    gdcm::DataSet &item = types->GetItem(j).GetNestedDataSet();
                    setString(item, kFrameType, gdcm::VR::CS, derivedType(stringOf(item, kFrameType)));
                }
                replaceSequence(group, typesTag, *types);
            }
        }
        replaceSequence(dataSet, groupsTag, *groups);
    }
}

gdcm::DataElement sequenceOf(const gdcm::Tag &tag, const std::vector<gdcm::DataSet> &items)
{
    gdcm::SmartPointer<gdcm::SequenceOfItems> sequence = new gdcm::SequenceOfItems;
    sequence->SetLengthToUndefined();
    for (const auto &nested : items) {
        gdcm::Item item;
        item.SetVLToUndefined();
        item.SetNestedDataSet(nested);
        sequence->AddItem(item);
    }
    gdcm::DataElement element(tag);
    element.SetVR(gdcm::VR::SQ);
    element.SetValue(*sequence);
    element.SetVLToUndefined();
    return element;
}

struct StoredRange
{
    double low = 0.0;
    double high = 65535.0;
};

StoredRange storedRangeOf(int bitsStored, bool isSigned)
{
    if (isSigned)
        return {-std::ldexp(1.0, bitsStored - 1), std::ldexp(1.0, bitsStored - 1) - 1.0};
    return {0.0, std::ldexp(1.0, bitsStored) - 1.0};
}

// Values rounded and clamped to the range, packed little-endian in `bitsAllocated` bits.
void packValues(const float *values, std::size_t count, int bitsAllocated, int bitsStored, bool isSigned,
                std::vector<char> &out)
{
    const StoredRange range = storedRangeOf(bitsStored, isSigned);
    const std::size_t bytes = static_cast<std::size_t>(bitsAllocated / 8);
    const std::size_t start = out.size();
    out.resize(start + count * bytes);
    for (std::size_t i = 0; i < count; ++i) {
        const double value = std::isnan(values[i]) ? range.low : std::clamp(std::nearbyint(double(values[i])), range.low, range.high);
        const auto integer = static_cast<std::int64_t>(value);
        const auto bits = static_cast<std::uint32_t>(static_cast<std::int32_t>(integer));
        for (std::size_t b = 0; b < bytes; ++b)
            out[start + i * bytes + b] = static_cast<char>((bits >> (8 * b)) & 0xff);
    }
}

gdcm::TransferSyntax::TSType syntaxOf(DicomWriteOptions::Compression compression)
{
    switch (compression) {
    case DicomWriteOptions::Compression::None: return gdcm::TransferSyntax::ExplicitVRLittleEndian;
    case DicomWriteOptions::Compression::JpegLossless: return gdcm::TransferSyntax::JPEGLosslessProcess14_1;
    case DicomWriteOptions::Compression::JpegLs: return gdcm::TransferSyntax::JPEGLSLossless;
    case DicomWriteOptions::Compression::Jpeg2000Lossless: return gdcm::TransferSyntax::JPEG2000Lossless;
    case DicomWriteOptions::Compression::Rle: return gdcm::TransferSyntax::RLELossless;
    }
    return gdcm::TransferSyntax::ExplicitVRLittleEndian;
}

// PackBits, as DICOM's RLE uses it (one row at a time).
void packBits(const unsigned char *in, std::size_t count, std::vector<char> &out)
{
    std::size_t i = 0;
    while (i < count) {
        std::size_t run = 1;
        while (i + run < count && run < 128 && in[i + run] == in[i])
            ++run;
        if (run >= 2) {
            out.push_back(static_cast<char>(1 - static_cast<int>(run)));
            out.push_back(static_cast<char>(in[i]));
            i += run;
            continue;
        }
        const std::size_t start = i;
        std::size_t length = 0;
        while (i < count && length < 128 && !(i + 1 < count && in[i + 1] == in[i])) {
            ++i;
            ++length;
        }
        out.push_back(static_cast<char>(length - 1));
        out.insert(out.end(), in + start, in + start + length);
    }
}

// DICOM RLE Lossless, written here: GDCM 3.0.21's RLE encoder asserts on some
// image sizes. One fragment per frame; one segment per byte of a sample, the
// most significant first.
gdcm::DataElement encodeRle(const std::vector<char> &raw, int columns, int rows, int frames, int bitsAllocated)
{
    const std::size_t bytes = static_cast<std::size_t>(bitsAllocated / 8);
    const std::size_t pixels = static_cast<std::size_t>(columns) * rows;
    gdcm::SmartPointer<gdcm::SequenceOfFragments> fragments = new gdcm::SequenceOfFragments;
    std::vector<unsigned char> plane(static_cast<std::size_t>(columns));
    for (int frame = 0; frame < frames; ++frame) {
        std::vector<char> fragment(64, 0);
        const auto putUint32 = [&](std::size_t offset, std::uint32_t value) {
            for (int b = 0; b < 4; ++b)
                fragment[offset + static_cast<std::size_t>(b)] = static_cast<char>((value >> (8 * b)) & 0xff);
        };
        putUint32(0, static_cast<std::uint32_t>(bytes));
        const char *frameData = raw.data() + static_cast<std::size_t>(frame) * pixels * bytes;
        for (std::size_t segment = 0; segment < bytes; ++segment) {
            putUint32(4 + 4 * segment, static_cast<std::uint32_t>(fragment.size()));
            const std::size_t byteIndex = bytes - 1 - segment; // little-endian samples, high byte first
            for (int row = 0; row < rows; ++row) {
                for (int column = 0; column < columns; ++column)
                    plane[static_cast<std::size_t>(column)] = static_cast<unsigned char>(
                        frameData[(static_cast<std::size_t>(row) * columns + column) * bytes + byteIndex]);
                packBits(plane.data(), plane.size(), fragment);
            }
            if (fragment.size() % 2)
                fragment.push_back(0);
        }
        gdcm::Fragment item;
        item.SetByteValue(fragment.data(), static_cast<gdcm::VL::Type>(fragment.size()));
        fragments->AddFragment(item);
    }
    gdcm::DataElement pixelData(kPixelData);
    pixelData.SetValue(*fragments);
    pixelData.SetVLToUndefined(); // before the VR: GDCM asserts on an OB of undefined length
    pixelData.SetVR(gdcm::VR::OB);
    return pixelData;
}

// The pixel data element for `raw` (uncompressed little-endian frames), encoded in `syntax`.
gdcm::DataElement encodePixelData(std::vector<char> &raw, int columns, int rows, int frames, int bitsAllocated,
                                  int bitsStored, bool isSigned, bool monochrome1, gdcm::TransferSyntax::TSType syntax,
                                  const fs::path &file)
{
    gdcm::DataElement pixelData(kPixelData);
    pixelData.SetVR(bitsAllocated == 8 ? gdcm::VR::OB : gdcm::VR::OW);
    pixelData.SetByteValue(raw.data(), static_cast<gdcm::VL::Type>(raw.size()));
    if (syntax == gdcm::TransferSyntax::ExplicitVRLittleEndian)
        return pixelData;
    if (syntax == gdcm::TransferSyntax::RLELossless)
        return encodeRle(raw, columns, rows, frames, bitsAllocated);
    // GDCM filters hold their input by a reference-counted pointer: never a stack object.
    gdcm::SmartPointer<gdcm::Image> image = new gdcm::Image;
    image->SetNumberOfDimensions(frames > 1 ? 3 : 2);
    image->SetDimension(0, static_cast<unsigned int>(columns));
    image->SetDimension(1, static_cast<unsigned int>(rows));
    if (frames > 1)
        image->SetDimension(2, static_cast<unsigned int>(frames));
    gdcm::PixelFormat format(1, static_cast<unsigned short>(bitsAllocated), static_cast<unsigned short>(bitsStored),
                             static_cast<unsigned short>(bitsStored - 1), isSigned ? 1 : 0);
    image->SetPixelFormat(format);
    image->SetPhotometricInterpretation(monochrome1 ? gdcm::PhotometricInterpretation::MONOCHROME1
                                                   : gdcm::PhotometricInterpretation::MONOCHROME2);
    image->SetTransferSyntax(gdcm::TransferSyntax::ExplicitVRLittleEndian);
    image->SetDataElement(pixelData);
    gdcm::ImageChangeTransferSyntax change;
    change.SetTransferSyntax(syntax);
    change.SetInput(*image);
    if (!change.Change())
        throw EngineError("GDCM cannot compress " + named(file) + " as "
                          + gdcm::TransferSyntax::GetTSString(syntax) + ".");
    return change.GetOutput().GetDataElement();
}

void writeDataSet(gdcm::File &file, gdcm::TransferSyntax::TSType syntax, const fs::path &path)
{
    auto &meta = file.GetHeader();
    meta.Remove(gdcm::Tag(0x0002, 0x0003));
    meta.Remove(gdcm::Tag(0x0002, 0x0010));
    meta.SetDataSetTransferSyntax(syntax);
    writeFileAtomically(path, [&](const fs::path &temporary) {
        gdcm::Writer writer;
        writer.SetFile(file);
        writer.SetFileName(temporary.c_str());
        if (!writer.Write())
            throw EngineError("The DICOM file " + named(path) + " could not be written.");
    });
}

std::string fileNameOf(int index, int count)
{
    std::string number = std::to_string(index + 1);
    const std::size_t width = std::max<std::size_t>(4, std::to_string(count).size());
    number.insert(0, width - number.size(), '0');
    return "IM" + number + ".dcm";
}

// Writes into a hidden sibling folder that replaces `target` at the end.
class FolderSwap
{
public:
    explicit FolderSwap(fs::path target) : m_target(std::move(target))
    {
        if (m_target.filename().empty())
            m_target = m_target.parent_path();
        const std::string suffix = std::to_string(::getpid());
        m_temporary = m_target.parent_path() / ("." + m_target.filename().string() + ".partial-" + suffix);
        m_old = m_target.parent_path() / ("." + m_target.filename().string() + ".old-" + suffix);
        std::error_code error;
        fs::remove_all(m_temporary, error);
        fs::create_directories(m_temporary, error);
        if (error)
            throw EngineError("The DICOM folder " + named(m_target) + " cannot be created (" + error.message() + ").");
    }
    ~FolderSwap()
    {
        std::error_code error;
        if (!m_done)
            fs::remove_all(m_temporary, error);
    }
    const fs::path &temporary() const { return m_temporary; }
    void commit()
    {
        std::error_code error;
        fs::remove_all(m_old, error);
        const bool replacing = fs::exists(m_target, error);
        if (replacing) {
            fs::rename(m_target, m_old, error);
            if (error)
                throw EngineError("The earlier DICOM series " + named(m_target) + " cannot be replaced ("
                                  + error.message() + ").");
        }
        fs::rename(m_temporary, m_target, error);
        if (error) {
            std::error_code ignored;
            if (replacing)
                fs::rename(m_old, m_target, ignored);
            throw EngineError("The DICOM series " + named(m_target) + " cannot be put in place (" + error.message() + ").");
        }
        m_done = true;
        fs::remove_all(m_old, error);
    }

private:
    fs::path m_target;
    fs::path m_temporary;
    fs::path m_old;
    bool m_done = false;
};

} // namespace

std::vector<DicomSeriesEntry> findDicomSeries(const fs::path &folder)
{
    quietGdcm();
    std::vector<std::string> files;
    std::error_code error;
    fs::recursive_directory_iterator it(folder, fs::directory_options::skip_permission_denied, error);
    if (error)
        throw EngineError("The folder " + named(folder) + " cannot be read (" + error.message() + ").");
    for (const fs::recursive_directory_iterator end; it != end; it.increment(error)) {
        if (error)
            break;
        if (isHidden(it->path())) {
            if (it->is_directory(error))
                it.disable_recursion_pending();
            continue;
        }
        if (it->is_directory(error)) {
            if (it.depth() >= 4)
                it.disable_recursion_pending();
            continue;
        }
        if (it->is_regular_file(error) && !looksLikeOtherFormat(it->path()))
            files.push_back(it->path().string());
    }
    std::sort(files.begin(), files.end());
    // GDCM's scanner parses every file: only well-formed DICOM files go to it.
    files.erase(std::remove_if(files.begin(), files.end(), [](const std::string &file) {
                    bool isDicom = false;
                    return !encodingProblem(file, isDicom).empty() || !isDicom;
                }),
                files.end());
    gdcm::Scanner scanner;
    addScanTags(scanner);
    scanner.Scan(files);

    std::map<std::pair<std::string, std::string>, DicomSeriesEntry> found;
    for (const auto &file : files) {
        if (!scanner.IsKey(file.c_str()) || scannedValue(scanner, file, kRows).empty())
            continue;
        const fs::path parent = fs::path(file).parent_path();
        const std::string uid = scannedValue(scanner, file, kSeriesInstanceUid);
        auto &entry = found[{parent.string(), uid}];
        if (entry.fileCount == 0) {
            entry.folder = parent;
            entry.seriesInstanceUid = uid;
            entry.patientId = scannedValue(scanner, file, kPatientId);
            entry.studyDate = scannedValue(scanner, file, kStudyDate);
            entry.seriesDescription = scannedValue(scanner, file, kSeriesDescription);
            entry.modality = scannedValue(scanner, file, kModality);
        }
        ++entry.fileCount;
    }
    std::vector<DicomSeriesEntry> entries;
    for (auto &item : found)
        entries.push_back(std::move(item.second));
    std::sort(entries.begin(), entries.end(), [](const DicomSeriesEntry &a, const DicomSeriesEntry &b) {
        return std::tie(a.folder, a.seriesDescription, a.seriesInstanceUid)
            < std::tie(b.folder, b.seriesDescription, b.seriesInstanceUid);
    });
    return entries;
}

ScanVolume readDicom(const fs::path &fileOrFolder, const std::string &seriesUid)
{
    DecoderSession decoderSession; // the files' pixels are decoded in one child for the call
    quietGdcm();
    if (isExistingFolder(fileOrFolder))
        return readDicomFolder(fileOrFolder, seriesUid);
    return readDicomFile(fileOrFolder);
}

ScanHeader readDicomHeader(const fs::path &fileOrFolder, const std::string &seriesUid)
{
    quietGdcm();
    if (isExistingFolder(fileOrFolder))
        return readDicomFolderHeader(fileOrFolder, seriesUid);
    return readDicomFileHeader(fileOrFolder);
}

namespace {

// For each file of `source`, the slice (t * size[2] + z) that each of its
// frames was read into, from ScanVolume::frameSources.
std::vector<std::vector<std::size_t>> slicesOfFrames(const ScanVolume &source)
{
    const std::size_t slices = static_cast<std::size_t>(source.size[2]) * static_cast<std::size_t>(source.size[3]);
    if (source.sliceFiles.empty() || source.frameSources.size() != slices)
        throw EngineError("The scan " + named(source.source) + " was not read from DICOM files.");
    std::vector<std::vector<std::size_t>> slicesOf(source.sliceFiles.size());
    std::vector<std::vector<bool>> seen(source.sliceFiles.size());
    for (std::size_t slice = 0; slice < slices; ++slice) {
        const auto [file, frame] = source.frameSources[slice];
        if (file < 0 || static_cast<std::size_t>(file) >= slicesOf.size() || frame < 0)
            throw EngineError("The scan " + named(source.source) + " has slices from no file it was read from.");
        auto &frames = slicesOf[static_cast<std::size_t>(file)];
        auto &taken = seen[static_cast<std::size_t>(file)];
        if (frames.size() <= static_cast<std::size_t>(frame)) {
            frames.resize(static_cast<std::size_t>(frame) + 1);
            taken.resize(static_cast<std::size_t>(frame) + 1, false);
        }
        if (taken[static_cast<std::size_t>(frame)])
            throw EngineError("The scan " + named(source.source) + " has two slices from one frame of "
                              + named(source.sliceFiles[static_cast<std::size_t>(file)]) + ".");
        taken[static_cast<std::size_t>(frame)] = true;
        frames[static_cast<std::size_t>(frame)] = slice;
    }
    for (std::size_t file = 0; file < seen.size(); ++file) {
        if (std::find(seen[file].begin(), seen[file].end(), false) != seen[file].end() || seen[file].empty())
            throw EngineError("The scan " + named(source.source) + " was read without some frames of "
                              + named(source.sliceFiles[file]) + ".");
    }
    return slicesOf;
}

// Why no derived file can be written for `sourceFile` of `source` (its header
// in `file`, `framesRead` of its frames read), as a sentence;
// checkDerivedDicomWritable() finds it before any work,
// writeDerivedDicomSeries() again in case the file changed.
void checkDerivable(const ScanVolume &source, const fs::path &sourceFile, std::size_t framesRead, const gdcm::File &file)
{
    const gdcm::TransferSyntax syntax = file.GetHeader().GetDataSetTransferSyntax();
    if (syntax.GetSwapCode() == gdcm::SwapCode::BigEndian)
        throw EngineError("The DICOM file " + named(sourceFile)
                          + " uses the retired big-endian transfer syntax, which this program does not write; convert"
                            " the series (gdcmconv --raw) first.");
    const gdcm::DataSet &dataSet = file.GetDataSet();
    const std::string photometric = stringOf(dataSet, kPhotometric);
    // Decoders may turn YBR colour models into MONOCHROME for a greyscale sample; PALETTE COLOR's values are indices.
    if (photometric == "PALETTE COLOR")
        throw EngineError("The DICOM file " + named(sourceFile)
                          + " holds palette colour indices, not intensities; a derived series is written only for"
                            " MONOCHROME1 and MONOCHROME2 images.");
    const auto frames = numbersOf(stringOf(dataSet, kNumberOfFrames));
    const int frameCount = frames.empty() ? 1 : static_cast<int>(std::max(1.0, frames[0]));
    if (static_cast<std::size_t>(frameCount) != framesRead)
        throw EngineError("The DICOM file " + named(sourceFile) + " declares " + std::to_string(frameCount)
                          + (frameCount == 1 ? " frame" : " frames") + " where " + std::to_string(framesRead)
                          + (framesRead == 1 ? " was" : " were") + " read; a derived file with the same frame layout"
                          " cannot be written.");
    if (unsignedShortOf(dataSet, kRows, 0) != source.size[1] || unsignedShortOf(dataSet, kColumns, 0) != source.size[0])
        throw EngineError("The DICOM file " + named(sourceFile) + " changed since it was read.");
}

} // namespace

void checkDerivedDicomWritable(const ScanVolume &source)
{
    quietGdcm();
    const auto slicesOf = slicesOfFrames(source);
    for (std::size_t index = 0; index < source.sliceFiles.size(); ++index) {
        const fs::path &sourceFile = source.sliceFiles[index];
        gdcm::Reader reader;
        reader.SetFileName(sourceFile.c_str());
        if (!reader.ReadUpToTag(kPixelData, std::set<gdcm::Tag>{kPixelData}))
            throwUnreadable(sourceFile);
        checkDerivable(source, sourceFile, slicesOf[index].size(), reader.GetFile());
    }
}

void writeDerivedDicomSeries(const ScanVolume &source, const ScanVolume &enhanced, const fs::path &targetFolder,
                             const std::string &seriesDescription)
{
    quietGdcm();
    if (enhanced.size != source.size
        || enhanced.voxels.size() < source.voxelsPerVolume() * static_cast<std::size_t>(source.size[3]))
        throw EngineError("The enhanced volume does not match the DICOM series " + named(source.source) + ".");
    // Each frame of each file goes back where it was read from (a 4-D scan's too).
    const auto slicesOf = slicesOfFrames(source);
    FolderSwap swap(targetFolder);
    const std::string seriesUid = newUid();
    const std::size_t frameSize = static_cast<std::size_t>(source.size[0]) * source.size[1];
    for (std::size_t index = 0; index < source.sliceFiles.size(); ++index) {
        const fs::path &sourceFile = source.sliceFiles[index];
        gdcm::Reader reader;
        reader.SetFileName(sourceFile.c_str());
        if (!reader.Read())
            throwUnreadable(sourceFile);
        gdcm::File &file = reader.GetFile();
        gdcm::DataSet &dataSet = file.GetDataSet();
        const gdcm::TransferSyntax sourceSyntax = file.GetHeader().GetDataSetTransferSyntax();
        const auto &sliceOfFrame = slicesOf[index];
        checkDerivable(source, sourceFile, sliceOfFrame.size(), file);
        if (sourceSyntax.IsImplicit()) {
            gdcm::FileExplicitFilter explicitFilter;
            explicitFilter.SetFile(file);
            explicitFilter.SetChangePrivateTags(false);
            if (!explicitFilter.Change())
                throw EngineError("The DICOM file " + named(sourceFile) + " could not be converted to explicit VR.");
        }
        const ImageHeader header = headerOf(dataSet);
        if (static_cast<std::size_t>(header.frames) != sliceOfFrame.size() || header.rows != source.size[1]
            || header.columns != source.size[0])
            throw EngineError("The DICOM file " + named(sourceFile) + " changed since it was read.");
        std::vector<char> raw;
        std::vector<float> ownScale;
        const int bitsAllocated = header.bitsAllocated == 8 || header.bitsAllocated == 32 ? header.bitsAllocated : 16;
        for (std::size_t frame = 0; frame < sliceOfFrame.size(); ++frame) {
            const float *values = enhanced.voxels.data() + frameSize * sliceOfFrame[frame];
            // Back to the frame's own rescale, which its tags keep: the same physical values.
            const auto &frameHeader = header.frameHeaders[frame];
            if (!sameRescale(frameHeader.rescaleSlope, frameHeader.rescaleIntercept, source.rescaleSlope,
                             source.rescaleIntercept)) {
                ownScale.assign(values, values + frameSize);
                toVolumeScale(ownScale.data(), frameSize, source.rescaleSlope, source.rescaleIntercept,
                              frameHeader.rescaleSlope, frameHeader.rescaleIntercept);
                values = ownScale.data();
            }
            packValues(values, frameSize, bitsAllocated, header.bitsStored, header.isSigned, raw);
        }
        gdcm::DataElement pixelData(kPixelData);
        pixelData.SetVR(bitsAllocated == 8 ? gdcm::VR::OB : gdcm::VR::OW);
        pixelData.SetByteValue(raw.data(), static_cast<gdcm::VL::Type>(raw.size()));
        dataSet.Replace(pixelData);
        setUnsignedShort(dataSet, kBitsAllocated, bitsAllocated);
        setUnsignedShort(dataSet, kHighBit, header.bitsStored - 1);
        // Decoders may have turned a YBR or palette colour model into MONOCHROME; keep the greyscale sense.
        if (header.photometric != "MONOCHROME1" && header.photometric != "MONOCHROME2")
            setString(dataSet, kPhotometric, gdcm::VR::CS, "MONOCHROME2");
        setString(dataSet, kSeriesInstanceUid, gdcm::VR::UI, seriesUid);
        setString(dataSet, kSopInstanceUid, gdcm::VR::UI, newUid());
        setString(dataSet, kImageType, gdcm::VR::CS, derivedType(stringOf(dataSet, kImageType)));
        markFramesDerived(dataSet); // an enhanced file's shared and per-frame groups, kept as they were otherwise
        setString(dataSet, kSeriesDescription, gdcm::VR::LO, seriesDescription.substr(0, 64));
        setString(dataSet, kDerivationDescription, gdcm::VR::ST, "Denoised by MRI Enhance Studio: " + seriesDescription);
        writeDataSet(file, gdcm::TransferSyntax::ExplicitVRLittleEndian, swap.temporary() / sourceFile.filename());
    }
    swap.commit();
}

void writeDicomSeries(const ScanVolume &volume, const fs::path &folder, const DicomWriteOptions &options)
{
    quietGdcm();
    const int columns = volume.size[0], rows = volume.size[1], slices = volume.size[2];
    if (columns <= 0 || rows <= 0 || slices <= 0 || volume.voxels.size() < volume.voxelsPerVolume())
        throw EngineError("An empty volume cannot be written as DICOM to " + named(folder) + ".");
    std::error_code error;
    fs::create_directories(folder, error);
    if (error)
        throw EngineError("The DICOM folder " + named(folder) + " cannot be created (" + error.message() + ").");

    const std::size_t frameSize = static_cast<std::size_t>(columns) * rows;
    const auto [lowest, highest] = std::minmax_element(volume.voxels.begin(),
                                                       volume.voxels.begin() + static_cast<std::ptrdiff_t>(volume.voxelsPerVolume()));
    const bool eightBit = options.bitsAllocated == 8;
    const bool isSigned = !eightBit && *lowest < -0.5f;
    int bitsStored = 16;
    if (eightBit)
        bitsStored = 8;
    else if (isSigned)
        bitsStored = *lowest >= -2048.5f && *highest <= 2047.5f ? 12 : 16;
    else
        bitsStored = *highest <= 4095.5f ? 12 : 16;
    const int bitsAllocated = eightBit ? 8 : 16;
    const auto syntax = syntaxOf(options.compression);

    // Geometry in LPS: the columns of voxelToPatient with x and y negated.
    const auto &m = volume.voxelToPatient;
    const auto lpsColumn = [&](int axis) {
        return Vec3{-m[0][static_cast<std::size_t>(axis)], -m[1][static_cast<std::size_t>(axis)], m[2][static_cast<std::size_t>(axis)]};
    };
    const Vec3 xStep = lpsColumn(0), yStep = lpsColumn(1), zStep = lpsColumn(2), origin = lpsColumn(3);
    const double columnSpacing = norm(xStep) > 0 ? norm(xStep) : 1.0;
    const double rowSpacing = norm(yStep) > 0 ? norm(yStep) : 1.0;
    const double sliceSpacing = norm(zStep) > 0 ? norm(zStep) : 1.0;
    const std::vector<double> orientation{xStep[0] / columnSpacing, xStep[1] / columnSpacing, xStep[2] / columnSpacing,
                                          yStep[0] / rowSpacing,    yStep[1] / rowSpacing,    yStep[2] / rowSpacing};
    const auto positionOf = [&](int z) {
        return std::vector<double>{origin[0] + z * zStep[0], origin[1] + z * zStep[1], origin[2] + z * zStep[2]};
    };

    const std::string studyUid = newUid(), seriesUid = newUid(), frameOfReferenceUid = newUid();
    const auto commonAttributes = [&](gdcm::DataSet &dataSet, const char *sopClass) {
        setString(dataSet, kSopClassUid, gdcm::VR::UI, sopClass);
        setString(dataSet, kSopInstanceUid, gdcm::VR::UI, newUid());
        setString(dataSet, kStudyInstanceUid, gdcm::VR::UI, studyUid);
        setString(dataSet, kSeriesInstanceUid, gdcm::VR::UI, seriesUid);
        setString(dataSet, kFrameOfReferenceUid, gdcm::VR::UI, frameOfReferenceUid);
        setString(dataSet, kPatientId, gdcm::VR::LO, options.patientId);
        setString(dataSet, kPatientName, gdcm::VR::PN, options.patientName);
        setString(dataSet, kStudyDate, gdcm::VR::DA, options.studyDate);
        setString(dataSet, kModality, gdcm::VR::CS, "MR");
        setString(dataSet, kSeriesDescription, gdcm::VR::LO, options.seriesDescription.substr(0, 64));
        setString(dataSet, kSeriesNumber, gdcm::VR::IS, "1");
        setUnsignedShort(dataSet, kSamplesPerPixel, 1);
        setString(dataSet, kPhotometric, gdcm::VR::CS, volume.monochrome1 ? "MONOCHROME1" : "MONOCHROME2");
        setUnsignedShort(dataSet, kRows, rows);
        setUnsignedShort(dataSet, kColumns, columns);
        setUnsignedShort(dataSet, kBitsAllocated, bitsAllocated);
        setUnsignedShort(dataSet, kBitsStored, bitsStored);
        setUnsignedShort(dataSet, kHighBit, bitsStored - 1);
        setUnsignedShort(dataSet, kPixelRepresentation, isSigned ? 1 : 0);
    };
    const auto rescaleAttributes = [&](gdcm::DataSet &dataSet) {
        setString(dataSet, kRescaleIntercept, gdcm::VR::DS, decimal(volume.rescaleIntercept));
        setString(dataSet, kRescaleSlope, gdcm::VR::DS, decimal(volume.rescaleSlope));
    };
    const auto windowAttributes = [&](gdcm::DataSet &dataSet) {
        setString(dataSet, kWindowCenter, gdcm::VR::DS, decimal(volume.windowCenter));
        setString(dataSet, kWindowWidth, gdcm::VR::DS, decimal(volume.windowWidth));
    };

    if (options.multiFrame) {
        const fs::path path = folder / fileNameOf(0, 1);
        // GDCM's writer holds the file by a reference-counted pointer: never a stack object.
        gdcm::SmartPointer<gdcm::File> file = new gdcm::File;
        gdcm::DataSet &dataSet = file->GetDataSet();
        commonAttributes(dataSet, kEnhancedMrImageStorage);
        setString(dataSet, kImageType, gdcm::VR::CS, "ORIGINAL\\PRIMARY\\OTHER\\NONE");
        setString(dataSet, kInstanceNumber, gdcm::VR::IS, "1");
        setString(dataSet, kNumberOfFrames, gdcm::VR::IS, std::to_string(slices));
        gdcm::DataSet measures, planeOrientation, transformation, voi;
        setString(measures, kPixelSpacing, gdcm::VR::DS, decimals({rowSpacing, columnSpacing}));
        setString(measures, kSliceThickness, gdcm::VR::DS, decimal(sliceSpacing));
        setString(measures, kSpacingBetweenSlices, gdcm::VR::DS, decimal(sliceSpacing));
        setString(planeOrientation, kImageOrientation, gdcm::VR::DS, decimals(orientation));
        rescaleAttributes(transformation);
        setString(transformation, kRescaleType, gdcm::VR::LO, "US");
        gdcm::DataSet shared;
        shared.Replace(sequenceOf(kPixelMeasuresSequence, {measures}));
        shared.Replace(sequenceOf(kPlaneOrientationSequence, {planeOrientation}));
        shared.Replace(sequenceOf(kPixelValueTransformationSequence, {transformation}));
        if (volume.windowWidth > 0) {
            windowAttributes(voi);
            shared.Replace(sequenceOf(kFrameVoiLutSequence, {voi}));
        }
        dataSet.Replace(sequenceOf(kSharedGroups, {shared}));
        std::vector<gdcm::DataSet> perFrame;
        for (int z = 0; z < slices; ++z) {
            gdcm::DataSet position, frameGroups;
            setString(position, kImagePosition, gdcm::VR::DS, decimals(positionOf(z)));
            frameGroups.Replace(sequenceOf(kPlanePositionSequence, {position}));
            gdcm::DataSet frameType;
            setString(frameType, kFrameType, gdcm::VR::CS, "ORIGINAL\\PRIMARY\\OTHER\\NONE");
            frameGroups.Replace(sequenceOf(kFrameTypeSequences[0], {frameType}));
            perFrame.push_back(frameGroups);
        }
        dataSet.Replace(sequenceOf(kPerFrameGroups, perFrame));
        std::vector<char> raw;
        packValues(volume.voxels.data(), frameSize * static_cast<std::size_t>(slices), bitsAllocated, bitsStored,
                   isSigned, raw);
        dataSet.Replace(encodePixelData(raw, columns, rows, slices, bitsAllocated, bitsStored, isSigned,
                                        volume.monochrome1, syntax, path));
        writeDataSet(*file, syntax, path);
        return;
    }
    for (int z = 0; z < slices; ++z) {
        const fs::path path = folder / fileNameOf(z, slices);
        // GDCM's writer holds the file by a reference-counted pointer: never a stack object.
        gdcm::SmartPointer<gdcm::File> file = new gdcm::File;
        gdcm::DataSet &dataSet = file->GetDataSet();
        commonAttributes(dataSet, kMrImageStorage);
        setString(dataSet, kImageType, gdcm::VR::CS, "ORIGINAL\\PRIMARY");
        setString(dataSet, kInstanceNumber, gdcm::VR::IS, std::to_string(z + 1));
        setString(dataSet, kImagePosition, gdcm::VR::DS, decimals(positionOf(z)));
        setString(dataSet, kImageOrientation, gdcm::VR::DS, decimals(orientation));
        setString(dataSet, kPixelSpacing, gdcm::VR::DS, decimals({rowSpacing, columnSpacing}));
        setString(dataSet, kSliceThickness, gdcm::VR::DS, decimal(sliceSpacing));
        setString(dataSet, kSpacingBetweenSlices, gdcm::VR::DS, decimal(sliceSpacing));
        rescaleAttributes(dataSet);
        if (volume.windowWidth > 0)
            windowAttributes(dataSet);
        std::vector<char> raw;
        packValues(volume.voxels.data() + frameSize * static_cast<std::size_t>(z), frameSize, bitsAllocated,
                   bitsStored, isSigned, raw);
        dataSet.Replace(encodePixelData(raw, columns, rows, 1, bitsAllocated, bitsStored, isSigned, volume.monochrome1,
                                        syntax, path));
        writeDataSet(*file, syntax, path);
    }
}

} // namespace mri
