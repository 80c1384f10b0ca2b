#include "io/DicomSeries.h"

#include "base/EngineError.h"
#include "io/AtomicFile.h"
#include "io/dicom/DicomGeometry.h"
#include "io/dicom/DicomImageHeader.h"
#include "io/dicom/DicomPixelDecoding.h"
#include "io/dicom/DicomRle.h"
#include "io/dicom/DicomTags.h"
#include "io/dicom/DicomValues.h"

#include <gdcmDataSet.h>
#include <gdcmFile.h>
#include <gdcmFileExplicitFilter.h>
#include <gdcmImage.h>
#include <gdcmImageChangeTransferSyntax.h>
#include <gdcmItem.h>
#include <gdcmReader.h>
#include <gdcmSequenceOfItems.h>
#include <gdcmTransferSyntax.h>
#include <gdcmUIDGenerator.h>
#include <gdcmWriter.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

// Writing DICOM: a new series (writeDicomSeries()), and a derived series of
// one that was read (writeDerivedDicomSeries(), checkDerivedDicomWritable()).

namespace fs = std::filesystem;

namespace mri::dicom {

namespace {

std::string newUid()
{
    gdcm::UIDGenerator generator;
    return generator.Generate();
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


// How a new series stores its values (DicomWriteOptions::bitsAllocated).
struct NewPixelFormat
{
    int bitsAllocated = 16;
    int bitsStored = 16;
    bool isSigned = false;
};

NewPixelFormat newPixelFormatOf(const ScanVolume &volume, const DicomWriteOptions &options)
{
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
    return {bitsAllocated, bitsStored, isSigned};
}

// A new series' geometry in DICOM's patient axes (LPS).
struct LpsGeometry
{
    Vec3 zStep{};
    Vec3 origin{};
    double columnSpacing = 1.0;
    double rowSpacing = 1.0;
    double sliceSpacing = 1.0;
    std::vector<double> orientation; // ImageOrientationPatient

    // ImagePositionPatient of slice `z`.
    std::vector<double> positionOf(int z) const
    {
        return std::vector<double>{origin[0] + z * zStep[0], origin[1] + z * zStep[1], origin[2] + z * zStep[2]};
    }
};

LpsGeometry lpsGeometryOf(const ScanVolume &volume)
{
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
    return {zStep, origin, columnSpacing, rowSpacing, sliceSpacing, orientation};
}

// Writes the first volume of `volume` as a new series (writeDicomSeries()):
// the attributes its files share, new UIDs, then one Enhanced MR file or
// one MR file per slice.
class NewSeriesWriter
{
public:
    NewSeriesWriter(const ScanVolume &volume, const DicomWriteOptions &options)
        : m_volume(volume), m_options(options), m_columns(volume.size[0]), m_rows(volume.size[1]),
          m_slices(volume.size[2]), m_frameSize(static_cast<std::size_t>(m_columns) * m_rows),
          m_format(newPixelFormatOf(volume, options)), m_syntax(syntaxOf(options.compression)),
          m_geometry(lpsGeometryOf(volume)), m_studyUid(newUid()), m_seriesUid(newUid()),
          m_frameOfReferenceUid(newUid())
    {
    }

    void writeMultiFrame(const fs::path &folder) const
    {
        const fs::path path = folder / fileNameOf(0, 1);
        // GDCM's writer holds the file by a reference-counted pointer: never a stack object.
        gdcm::SmartPointer<gdcm::File> file = new gdcm::File;
        gdcm::DataSet &dataSet = file->GetDataSet();
        commonAttributes(dataSet, kEnhancedMrImageStorage);
        setString(dataSet, kImageType, gdcm::VR::CS, "ORIGINAL\\PRIMARY\\OTHER\\NONE");
        setString(dataSet, kInstanceNumber, gdcm::VR::IS, "1");
        setString(dataSet, kNumberOfFrames, gdcm::VR::IS, std::to_string(m_slices));
        dataSet.Replace(sequenceOf(kSharedGroups, {sharedGroups()}));
        dataSet.Replace(sequenceOf(kPerFrameGroups, perFrameGroups()));
        std::vector<char> raw;
        packValues(m_volume.voxels.data(), m_frameSize * static_cast<std::size_t>(m_slices), m_format.bitsAllocated,
                   m_format.bitsStored, m_format.isSigned, raw);
        dataSet.Replace(encodePixelData(raw, m_columns, m_rows, m_slices, m_format.bitsAllocated, m_format.bitsStored,
                                        m_format.isSigned, m_volume.monochrome1, m_syntax, path));
        writeDataSet(*file, m_syntax, path);
    }

    void writeSlices(const fs::path &folder) const
    {
        for (int z = 0; z < m_slices; ++z) {
            const fs::path path = folder / fileNameOf(z, m_slices);
            // GDCM's writer holds the file by a reference-counted pointer: never a stack object.
            gdcm::SmartPointer<gdcm::File> file = new gdcm::File;
            gdcm::DataSet &dataSet = file->GetDataSet();
            commonAttributes(dataSet, kMrImageStorage);
            setString(dataSet, kImageType, gdcm::VR::CS, "ORIGINAL\\PRIMARY");
            setString(dataSet, kInstanceNumber, gdcm::VR::IS, std::to_string(z + 1));
            setString(dataSet, kImagePosition, gdcm::VR::DS, decimals(m_geometry.positionOf(z)));
            setString(dataSet, kImageOrientation, gdcm::VR::DS, decimals(m_geometry.orientation));
            setString(dataSet, kPixelSpacing, gdcm::VR::DS, decimals({m_geometry.rowSpacing, m_geometry.columnSpacing}));
            setString(dataSet, kSliceThickness, gdcm::VR::DS, decimal(m_geometry.sliceSpacing));
            setString(dataSet, kSpacingBetweenSlices, gdcm::VR::DS, decimal(m_geometry.sliceSpacing));
            rescaleAttributes(dataSet);
            if (m_volume.windowWidth > 0)
                windowAttributes(dataSet);
            std::vector<char> raw;
            packValues(m_volume.voxels.data() + m_frameSize * static_cast<std::size_t>(z), m_frameSize,
                       m_format.bitsAllocated, m_format.bitsStored, m_format.isSigned, raw);
            dataSet.Replace(encodePixelData(raw, m_columns, m_rows, 1, m_format.bitsAllocated, m_format.bitsStored,
                                            m_format.isSigned, m_volume.monochrome1, m_syntax, path));
            writeDataSet(*file, m_syntax, path);
        }
    }

private:
    void commonAttributes(gdcm::DataSet &dataSet, const char *sopClass) const
    {
        setString(dataSet, kSopClassUid, gdcm::VR::UI, sopClass);
        setString(dataSet, kSopInstanceUid, gdcm::VR::UI, newUid());
        setString(dataSet, kStudyInstanceUid, gdcm::VR::UI, m_studyUid);
        setString(dataSet, kSeriesInstanceUid, gdcm::VR::UI, m_seriesUid);
        setString(dataSet, kFrameOfReferenceUid, gdcm::VR::UI, m_frameOfReferenceUid);
        setString(dataSet, kPatientId, gdcm::VR::LO, m_options.patientId);
        setString(dataSet, kPatientName, gdcm::VR::PN, m_options.patientName);
        setString(dataSet, kStudyDate, gdcm::VR::DA, m_options.studyDate);
        setString(dataSet, kModality, gdcm::VR::CS, "MR");
        setString(dataSet, kSeriesDescription, gdcm::VR::LO, m_options.seriesDescription.substr(0, 64));
        setString(dataSet, kSeriesNumber, gdcm::VR::IS, "1");
        setUnsignedShort(dataSet, kSamplesPerPixel, 1);
        setString(dataSet, kPhotometric, gdcm::VR::CS, m_volume.monochrome1 ? "MONOCHROME1" : "MONOCHROME2");
        setUnsignedShort(dataSet, kRows, m_rows);
        setUnsignedShort(dataSet, kColumns, m_columns);
        setUnsignedShort(dataSet, kBitsAllocated, m_format.bitsAllocated);
        setUnsignedShort(dataSet, kBitsStored, m_format.bitsStored);
        setUnsignedShort(dataSet, kHighBit, m_format.bitsStored - 1);
        setUnsignedShort(dataSet, kPixelRepresentation, m_format.isSigned ? 1 : 0);
    }
    void rescaleAttributes(gdcm::DataSet &dataSet) const
    {
        setString(dataSet, kRescaleIntercept, gdcm::VR::DS, decimal(m_volume.rescaleIntercept));
        setString(dataSet, kRescaleSlope, gdcm::VR::DS, decimal(m_volume.rescaleSlope));
    }
    void windowAttributes(gdcm::DataSet &dataSet) const
    {
        setString(dataSet, kWindowCenter, gdcm::VR::DS, decimal(m_volume.windowCenter));
        setString(dataSet, kWindowWidth, gdcm::VR::DS, decimal(m_volume.windowWidth));
    }

    // An Enhanced MR file's shared functional groups: pixel measures, plane
    // orientation, the rescale and (with a window) the VOI LUT.
    gdcm::DataSet sharedGroups() const
    {
        gdcm::DataSet measures, planeOrientation, transformation, voi;
        setString(measures, kPixelSpacing, gdcm::VR::DS, decimals({m_geometry.rowSpacing, m_geometry.columnSpacing}));
        setString(measures, kSliceThickness, gdcm::VR::DS, decimal(m_geometry.sliceSpacing));
        setString(measures, kSpacingBetweenSlices, gdcm::VR::DS, decimal(m_geometry.sliceSpacing));
        setString(planeOrientation, kImageOrientation, gdcm::VR::DS, decimals(m_geometry.orientation));
        rescaleAttributes(transformation);
        setString(transformation, kRescaleType, gdcm::VR::LO, "US");
        gdcm::DataSet shared;
        shared.Replace(sequenceOf(kPixelMeasuresSequence, {measures}));
        shared.Replace(sequenceOf(kPlaneOrientationSequence, {planeOrientation}));
        shared.Replace(sequenceOf(kPixelValueTransformationSequence, {transformation}));
        if (m_volume.windowWidth > 0) {
            windowAttributes(voi);
            shared.Replace(sequenceOf(kFrameVoiLutSequence, {voi}));
        }
        return shared;
    }

    // Each frame's functional groups: its position and frame type.
    std::vector<gdcm::DataSet> perFrameGroups() const
    {
        std::vector<gdcm::DataSet> perFrame;
        for (int z = 0; z < m_slices; ++z) {
            gdcm::DataSet position, frameGroups;
            setString(position, kImagePosition, gdcm::VR::DS, decimals(m_geometry.positionOf(z)));
            frameGroups.Replace(sequenceOf(kPlanePositionSequence, {position}));
            gdcm::DataSet frameType;
            setString(frameType, kFrameType, gdcm::VR::CS, "ORIGINAL\\PRIMARY\\OTHER\\NONE");
            frameGroups.Replace(sequenceOf(kFrameTypeSequences[0], {frameType}));
            perFrame.push_back(frameGroups);
        }
        return perFrame;
    }

    const ScanVolume &m_volume;
    const DicomWriteOptions &m_options;
    int m_columns;
    int m_rows;
    int m_slices;
    std::size_t m_frameSize;
    NewPixelFormat m_format;
    gdcm::TransferSyntax::TSType m_syntax;
    LpsGeometry m_geometry;
    std::string m_studyUid;
    std::string m_seriesUid;
    std::string m_frameOfReferenceUid;
};

} // namespace

} // namespace mri::dicom

namespace mri {

using namespace dicom; // the private units of io/dicom/

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

    const NewSeriesWriter writer(volume, options);
    if (options.multiFrame)
        writer.writeMultiFrame(folder);
    else
        writer.writeSlices(folder);
}

} // namespace mri
