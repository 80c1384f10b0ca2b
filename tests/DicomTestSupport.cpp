#include "DicomTestSupport.h"

#include <QTest>

#include <gdcmImageChangeTransferSyntax.h>
#include <gdcmImageReader.h>
#include <gdcmImageWriter.h>
#include <gdcmReader.h>
#include <gdcmWriter.h>

#include <algorithm>

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

std::vector<fs::path> filesIn(const fs::path &folder)
{
    std::vector<fs::path> files;
    for (const auto &entry : fs::directory_iterator(folder))
        files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
}
