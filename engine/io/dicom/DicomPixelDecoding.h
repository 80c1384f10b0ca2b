#pragma once

// A file's pixels decoded, GDCM reading them in a child process
// (io/ChildWorker.h) so that a file that makes GDCM assert or crash fails
// alone; and stored values put on the volume's scale.

#include "io/ChildWorker.h"
#include "io/ScanVolume.h"
#include "io/dicom/DicomImageHeader.h"

#include <cstddef>
#include <filesystem>
#include <vector>

namespace mri::dicom {

// One file's frames (all of them), decoded: frame-major stored values. Kept
// from file to file of a series so that its buffers are allocated once (fresh
// large allocations cost a page fault per page).
struct DecodedFile
{
    ImageHeader header;
    std::vector<float> values;
    std::vector<char> buffer;
};

// One child for the files of a readDicom() call: forked at the first file
// that needs it, ended when the call returns.
class DecoderSession
{
public:
    DecoderSession();
    ~DecoderSession();
    DecoderSession(const DecoderSession &) = delete;
    DecoderSession &operator=(const DecoderSession &) = delete;

private:
    ChildWorker m_worker;
    ChildWorker *m_outer;
};

// Decodes every frame of `file` into `decoded`: the header's refusals
// (checkPixelData()) in this process, the pixels in the child.
// `facts`, when given, receives the header facts (fillFacts()).
void decodeFile(const std::filesystem::path &file, DecodedFile &decoded, ScanVolume *facts = nullptr);

// A series may rescale each slice (frame) differently: its stored values are
// put on the volume's scale (the first slice's) on reading, keeping every
// physical value, so that the network and the metrics see one scale;
// writeDerivedDicomSeries() goes back to each slice's own.
bool sameRescale(double slope, double intercept, double volumeSlope, double volumeIntercept);
void toVolumeScale(float *values, std::size_t count, double slope, double intercept, double volumeSlope,
                   double volumeIntercept);

} // namespace mri::dicom
