#include "io/dicom/DicomImageHeader.h"

#include "base/EngineError.h"
#include "io/dicom/DicomTags.h"

#include <gdcmReader.h>
#include <gdcmSequenceOfItems.h>
#include <gdcmTransferSyntax.h>

#include <algorithm>
#include <cmath>

namespace fs = std::filesystem;

namespace mri::dicom {

namespace {

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

} // namespace

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

} // namespace mri::dicom
