#pragma once

// Values read from a GDCM data set (text, numbers, binary values, sequences)
// and DICOM's decimal text written: the small readers and writers of values
// that every unit of io/dicom/ shares.

#include <gdcmDataSet.h>
#include <gdcmSequenceOfItems.h>
#include <gdcmSmartPointer.h>
#include <gdcmTag.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mri::dicom {

using Vec3 = std::array<double, 3>;

// GDCM reports on stderr what the messages here say in a sentence (and warns
// about rescale attributes in MR files, which are common and read here).
void quietGdcm();

// A path in quotes, as the sentences of errors name files.
std::string named(const std::filesystem::path &path);

// Without DICOM's padding (trailing spaces and NULs) and leading spaces.
std::string trimmed(std::string text);

// A string attribute's value (DS, IS, UI, CS, LO, DA, ...), trimmed; empty when absent.
std::string stringOf(const gdcm::DataSet &dataSet, const gdcm::Tag &tag);

// A binary attribute's unsigned 32-bit values (UL; little-endian, as GDCM
// holds data sets in memory); empty when absent.
std::vector<std::uint32_t> unsignedLongsOf(const gdcm::DataSet &dataSet, const gdcm::Tag &tag);

// A binary attribute's unsigned 16-bit value (US); `fallback` when absent or short.
int unsignedShortOf(const gdcm::DataSet &dataSet, const gdcm::Tag &tag, int fallback);

// The finite numbers of a text of values separated by backslashes (DS, IS).
std::vector<double> numbersOf(const std::string &text);

// The sequence `tag` of `dataSet` where GDCM read it as one; null otherwise.
// (GetValueAsSQ() would parse any other bytes as items, and GDCM asserts on
// garbage there.)
gdcm::SmartPointer<gdcm::SequenceOfItems> sequenceAt(const gdcm::DataSet &dataSet, const gdcm::Tag &tag);

// The nested data set of the first item of sequence `tag` in `dataSet`; null when absent.
const gdcm::DataSet *firstItemOf(const gdcm::DataSet &dataSet, const gdcm::Tag &tag,
                                 std::vector<gdcm::SmartPointer<gdcm::SequenceOfItems>> &keepAlive);

// A position (ImagePositionPatient); none with fewer than three numbers.
std::optional<Vec3> vec3Of(const std::string &text);

// Direction cosines (ImageOrientationPatient); none with fewer than six numbers.
std::optional<std::array<double, 6>> orientationOf(const std::string &text);

// A decimal string of at most 16 characters (DICOM's DS).
std::string decimal(double value);

// Decimal strings separated by backslashes (a DS of several values).
std::string decimals(const std::vector<double> &values);

} // namespace mri::dicom
