#pragma once

#include <QString>

#include <opencv2/core/mat.hpp>

#include <cstdint>
#include <vector>

namespace mri::test {

// A smooth synthetic "slice": ellipses of different brightness on a dark
// background, like a head in an MRI slice. Values in [0, 1].
cv::Mat syntheticSlice(int width, int height, std::uint64_t seed);

// Writes `count` noisy 8-bit PNG slices (Rician, sigma 0.08) to folder/images/,
// their clean versions to folder/clean/ and folder/brain_tumor_info.csv with
// patient_id, image_path, clean_image_path and an extra "age" column.
// Returns the CSV path.
QString writeSyntheticDataset(const QString &folder, int count, int width, int height, std::uint64_t seed = 1);

// Writes an uncompressed NIfTI-1 file (.nii) by hand: the 348-byte header, 4
// bytes of no extension and int16 voxels (x fastest, then y, z; values.size()
// must be nx * ny * nz), voxel size 1 mm, no orientation (array order),
// scl_slope 0 (no scaling). Returns `path`.
QString writeTestNifti(const QString &path, int nx, int ny, int nz, const std::vector<std::int16_t> &values);

} // namespace mri::test
