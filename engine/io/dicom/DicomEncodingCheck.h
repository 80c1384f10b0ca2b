#pragma once

// The file's encoding, checked before GDCM parses it: GDCM's parser (built
// with its assertions on) aborts the process on many malformed encodings, so
// each file is walked here first and refused with a sentence.

#include <filesystem>
#include <string>

namespace mri::dicom {

// Empty when `file` is encoded as PS3.5 says (up to its pixel data); else
// what is wrong. `isDicom` says whether it has the DICM preamble at all.
std::string encodingProblem(const std::filesystem::path &file, bool &isDicom);

// Throws the sentence for a file that is not DICOM or is damaged (encodingProblem()).
void checkEncoding(const std::filesystem::path &file);

} // namespace mri::dicom
