#include "DicomTestSupport.h"

#include "io/DicomSeries.h"

#include <QTest>

#include <gdcmImageChangeTransferSyntax.h>
#include <gdcmImageReader.h>
#include <gdcmImageWriter.h>
#include <gdcmReader.h>
#include <gdcmSequenceOfItems.h>
#include <gdcmWriter.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace fs = std::filesystem;

void editFile(const fs::path &file, const std::function<void(gdcm::DataSet &)> &edit)
{
    gdcm::Reader reader;
    reader.SetFileName(file.c_str());
    QVERIFY(reader.Read());
    edit(reader.GetFile().GetDataSet());
    gdcm::Writer writer;
    writer.SetFile(reader.GetFile());
    writer.SetFileName(file.c_str());
    QVERIFY(writer.Write());
}

void setString(gdcm::DataSet &dataSet, uint16_t group, uint16_t element, const gdcm::VR &vr, std::string value)
{
    if (value.size() % 2)
        value.push_back(vr == gdcm::VR::UI ? '\0' : ' ');
    gdcm::DataElement data(gdcm::Tag(group, element));
    data.SetVR(vr);
    data.SetByteValue(value.data(), static_cast<gdcm::VL::Type>(value.size()));
    dataSet.Replace(data);
}

void setUnsignedShort(gdcm::DataSet &dataSet, uint16_t group, uint16_t element, uint16_t value)
{
    gdcm::DataElement data(gdcm::Tag(group, element));
    data.SetVR(gdcm::VR::US);
    data.SetByteValue(reinterpret_cast<const char *>(&value), 2);
    dataSet.Replace(data);
}

void convertToBigEndian(const fs::path &file)
{
    gdcm::ImageReader reader;
    reader.SetFileName(file.c_str());
    QVERIFY(reader.Read());
    const gdcm::DataSet original = reader.GetFile().GetDataSet();
    gdcm::ImageChangeTransferSyntax change;
    change.SetTransferSyntax(gdcm::TransferSyntax::ExplicitVRBigEndian);
    change.SetInput(reader.GetImage());
    QVERIFY(change.Change());
    gdcm::ImageWriter writer;
    writer.SetFileName(file.c_str());
    writer.SetFile(reader.GetFile());
    writer.SetImage(change.GetOutput());
    QVERIFY(writer.Write());
    // GDCM's image writer rebuilds the geometry from its own image model (and
    // drops it for an MR file with a rescale): the original attributes go back.
    editFile(file, [&](gdcm::DataSet &dataSet) {
        for (const gdcm::Tag tag : {gdcm::Tag(0x0020, 0x0032), gdcm::Tag(0x0020, 0x0037), gdcm::Tag(0x0028, 0x0030)}) {
            if (original.FindDataElement(tag))
                dataSet.Replace(original.GetDataElement(tag));
        }
    });
}

void convertToDeflated(const fs::path &file)
{
    gdcm::Reader reader;
    reader.SetFileName(file.c_str());
    QVERIFY(reader.Read());
    reader.GetFile().GetHeader().SetDataSetTransferSyntax(gdcm::TransferSyntax::DeflatedExplicitVRLittleEndian);
    gdcm::Writer writer;
    writer.SetFileName(file.c_str());
    writer.SetFile(reader.GetFile());
    QVERIFY(writer.Write());
}

std::vector<fs::path> filesIn(const fs::path &folder)
{
    std::vector<fs::path> files;
    for (const auto &entry : fs::directory_iterator(folder))
        files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
}

std::vector<std::pair<int, int>> FourDimensionalDicom::volumeMajor(int positions, int volumes)
{
    std::vector<std::pair<int, int>> order;
    for (int t = 0; t < volumes; ++t)
        for (int z = 0; z < positions; ++z)
            order.emplace_back(z, t);
    return order;
}

std::vector<std::pair<int, int>> FourDimensionalDicom::positionMajor(int positions, int volumes)
{
    std::vector<std::pair<int, int>> order;
    for (int z = 0; z < positions; ++z)
        for (int t = 0; t < volumes; ++t)
            order.emplace_back(z, t);
    return order;
}

std::vector<std::uint32_t> unsignedLongsOf(const gdcm::DataSet &dataSet, const gdcm::Tag &tag)
{
    std::vector<std::uint32_t> values;
    if (!dataSet.FindDataElement(tag) || !dataSet.GetDataElement(tag).GetByteValue())
        return values;
    const gdcm::ByteValue *bytes = dataSet.GetDataElement(tag).GetByteValue();
    values.resize(bytes->GetLength() / 4);
    std::memcpy(values.data(), bytes->GetPointer(), values.size() * 4);
    return values;
}

namespace {

// Zeros with a simple axial geometry: the engine's writer makes the files, which the tests then fill.
mri::ScanVolume blankVolume(const FourDimensionalDicom &scan)
{
    mri::ScanVolume volume;
    volume.format = mri::ScanFormat::Dicom;
    volume.size = {scan.columns, scan.rows, scan.positions, 1};
    volume.spacing = {0.9, 1.1, 2.5};
    volume.voxelToPatient = {{{0.9, 0, 0, -10.0}, {0, 1.1, 0, 20.0}, {0, 0, 2.5, -30.0}}};
    volume.voxels.assign(volume.voxelsPerVolume(), 0.0f);
    return volume;
}

mri::DicomWriteOptions optionsOf(bool multiFrame)
{
    mri::DicomWriteOptions options;
    options.patientId = "P-4D";
    options.studyDate = "20240301";
    options.seriesDescription = "multi-echo";
    options.multiFrame = multiFrame;
    return options;
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

void setUnsignedLongs(gdcm::DataSet &dataSet, const gdcm::Tag &tag, const std::vector<std::uint32_t> &values)
{
    gdcm::DataElement element(tag);
    element.SetVR(gdcm::VR::UL);
    element.SetByteValue(reinterpret_cast<const char *>(values.data()), static_cast<gdcm::VL::Type>(values.size() * 4));
    dataSet.Replace(element);
}

void setRescale(gdcm::DataSet &dataSet, double slope, double intercept)
{
    setString(dataSet, 0x0028, 0x1053, gdcm::VR::DS, QString::number(slope).toStdString());
    setString(dataSet, 0x0028, 0x1052, gdcm::VR::DS, QString::number(intercept).toStdString());
}

void appendFrame(const FourDimensionalDicom &scan, int z, int t, std::vector<std::uint16_t> &pixels)
{
    for (int y = 0; y < scan.rows; ++y)
        for (int x = 0; x < scan.columns; ++x)
            pixels.push_back(scan.stored(x, y, z, t));
}

void setPixels(gdcm::DataSet &dataSet, const std::vector<std::uint16_t> &pixels)
{
    gdcm::DataElement data(gdcm::Tag(0x7fe0, 0x0010));
    data.SetVR(gdcm::VR::OW);
    data.SetByteValue(reinterpret_cast<const char *>(pixels.data()), static_cast<gdcm::VL::Type>(pixels.size() * 2));
    dataSet.Replace(data);
}

} // namespace

fs::path writeFourDimensionalMultiFrame(const FourDimensionalDicom &scan, const fs::path &folder)
{
    mri::writeDicomSeries(blankVolume(scan), folder, optionsOf(true));
    const fs::path file = folder / "IM0001.dcm";
    using Key = FourDimensionalDicom::Key;
    editFile(file, [&](gdcm::DataSet &dataSet) {
        const gdcm::Tag perFrameTag(0x5200, 0x9230), sharedTag(0x5200, 0x9229);
        const auto written = dataSet.GetDataElement(perFrameTag).GetValueAsSQ();
        QVERIFY(written && written->GetNumberOfItems() == static_cast<unsigned>(scan.positions));
        std::vector<gdcm::DataSet> frames;
        std::vector<std::uint16_t> pixels;
        for (const auto &[z, t] : scan.frameOrder) {
            // The writer's frame z: its plane position and frame type.
            gdcm::DataSet frame = written->GetItem(static_cast<unsigned>(z) + 1).GetNestedDataSet();
            gdcm::DataSet content;
            setUnsignedLongs(content, gdcm::Tag(0x0020, 0x9057), {std::uint32_t(z + 1)});
            if (scan.key == Key::DimensionIndex)
                setUnsignedLongs(content, gdcm::Tag(0x0020, 0x9157), {std::uint32_t(z + 1), std::uint32_t(t + 1)});
            if (scan.key == Key::TemporalPosition)
                setUnsignedLongs(content, gdcm::Tag(0x0020, 0x9128), {std::uint32_t(t + 1)});
            frame.Replace(sequenceOf(gdcm::Tag(0x0020, 0x9111), {content}));
            gdcm::DataSet transformation;
            setRescale(transformation, scan.slope(z, t), scan.intercept(z, t));
            setString(transformation, 0x0028, 0x1054, gdcm::VR::LO, "US");
            frame.Replace(sequenceOf(gdcm::Tag(0x0028, 0x9145), {transformation}));
            frames.push_back(frame);
            appendFrame(scan, z, t, pixels);
        }
        dataSet.Replace(sequenceOf(perFrameTag, frames));
        // The rescale is each frame's own only.
        gdcm::DataSet shared = dataSet.GetDataElement(sharedTag).GetValueAsSQ()->GetItem(1).GetNestedDataSet();
        shared.Remove(gdcm::Tag(0x0028, 0x9145));
        dataSet.Replace(sequenceOf(sharedTag, {shared}));
        setString(dataSet, 0x0028, 0x0008, gdcm::VR::IS, std::to_string(scan.frameOrder.size()));
        setPixels(dataSet, pixels);
    });
    return file;
}

void writeFourDimensionalSeries(const FourDimensionalDicom &scan, const fs::path &folder)
{
    using Key = FourDimensionalDicom::Key;
    std::vector<fs::path> volumeFolders;
    for (int t = 0; t < scan.volumes; ++t) {
        volumeFolders.push_back(folder.parent_path() / (folder.filename().string() + "-volume" + std::to_string(t)));
        mri::writeDicomSeries(blankVolume(scan), volumeFolders.back(), optionsOf(false));
    }
    // One series, study and frame of reference: the first volume's.
    const fs::path first = filesIn(volumeFolders.front()).front();
    gdcm::Reader reader;
    reader.SetFileName(first.c_str());
    QVERIFY(reader.Read());
    const gdcm::DataSet firstSet = reader.GetFile().GetDataSet();
    fs::create_directories(folder);
    for (std::size_t i = 0; i < scan.frameOrder.size(); ++i) {
        const auto [z, t] = scan.frameOrder[i];
        const fs::path source = filesIn(volumeFolders[static_cast<std::size_t>(t)])[static_cast<std::size_t>(z)];
        char name[32];
        std::snprintf(name, sizeof name, "F%03zu.dcm", i + 1);
        const fs::path file = folder / name;
        fs::copy_file(source, file, fs::copy_options::overwrite_existing);
        editFile(file, [&](gdcm::DataSet &dataSet) {
            for (const gdcm::Tag uid : {gdcm::Tag(0x0020, 0x000d), gdcm::Tag(0x0020, 0x000e), gdcm::Tag(0x0020, 0x0052)})
                dataSet.Replace(firstSet.GetDataElement(uid));
            const int instance = scan.key == Key::InstanceOnly ? t * scan.positions + z + 1 : static_cast<int>(i) + 1;
            setString(dataSet, 0x0020, 0x0013, gdcm::VR::IS, std::to_string(instance));
            if (scan.key == Key::EchoNumber)
                setString(dataSet, 0x0018, 0x0086, gdcm::VR::IS, std::to_string(t + 1));
            if (scan.key == Key::AcquisitionNumber)
                setString(dataSet, 0x0020, 0x0012, gdcm::VR::IS, std::to_string(t + 1));
            if (scan.key == Key::TemporalPosition)
                setString(dataSet, 0x0020, 0x0100, gdcm::VR::IS, std::to_string(t + 1));
            setRescale(dataSet, scan.slope(z, t), scan.intercept(z, t));
            std::vector<std::uint16_t> pixels;
            appendFrame(scan, z, t, pixels);
            setPixels(dataSet, pixels);
        });
    }
    for (const auto &volumeFolder : volumeFolders)
        fs::remove_all(volumeFolder);
}
