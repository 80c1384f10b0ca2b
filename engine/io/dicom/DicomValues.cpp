#include "io/dicom/DicomValues.h"

#include <gdcmTrace.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace fs = std::filesystem;

namespace mri::dicom {

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

std::string stringOf(const gdcm::DataSet &dataSet, const gdcm::Tag &tag)
{
    if (!dataSet.FindDataElement(tag))
        return {};
    const gdcm::ByteValue *bytes = dataSet.GetDataElement(tag).GetByteValue();
    if (!bytes || !bytes->GetPointer())
        return {};
    return trimmed(std::string(bytes->GetPointer(), bytes->GetLength()));
}

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

gdcm::SmartPointer<gdcm::SequenceOfItems> sequenceAt(const gdcm::DataSet &dataSet, const gdcm::Tag &tag)
{
    if (!dataSet.FindDataElement(tag) || dataSet.GetDataElement(tag).IsEmpty()
        || !dynamic_cast<const gdcm::SequenceOfItems *>(&dataSet.GetDataElement(tag).GetValue()))
        return nullptr;
    return dataSet.GetDataElement(tag).GetValueAsSQ();
}

const gdcm::DataSet *firstItemOf(const gdcm::DataSet &dataSet, const gdcm::Tag &tag,
                                 std::vector<gdcm::SmartPointer<gdcm::SequenceOfItems>> &keepAlive)
{
    auto sequence = sequenceAt(dataSet, tag);
    if (!sequence || sequence->GetNumberOfItems() == 0)
        return nullptr;
    keepAlive.push_back(sequence);
    return &sequence->GetItem(1).GetNestedDataSet();
}

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

} // namespace mri::dicom
