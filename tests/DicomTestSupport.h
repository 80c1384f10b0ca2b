#pragma once

// Helpers of the tests that make and break DICOM files with GDCM directly.

#include <gdcmDataSet.h>
#include <gdcmVR.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

// Reads `file`, lets `edit` change its data set, writes it back (a QVERIFY failure when it cannot).
void editFile(const std::filesystem::path &file, const std::function<void(gdcm::DataSet &)> &edit);
// Replaces an element with a string value, padded to an even length as DICOM wants.
void setString(gdcm::DataSet &dataSet, uint16_t group, uint16_t element, const gdcm::VR &vr, std::string value);
void setUnsignedShort(gdcm::DataSet &dataSet, uint16_t group, uint16_t element, uint16_t value);
// Rewrites `file` in the retired explicit VR big-endian transfer syntax (QVERIFY failures when it cannot).
void convertToBigEndian(const std::filesystem::path &file);
// The entries of `folder`, sorted.
std::vector<std::filesystem::path> filesIn(const std::filesystem::path &folder);
