#pragma once

#include <QString>

#include <opencv2/core/mat.hpp>

#include <cstdint>

namespace mri::test {

// A smooth synthetic "slice": ellipses of different brightness on a dark
// background, like a head in an MRI slice. Values in [0, 1].
cv::Mat syntheticSlice(int width, int height, std::uint64_t seed);

// Writes `count` noisy 8-bit PNG slices (Rician, sigma 0.08) to folder/images/,
// their clean versions to folder/clean/ and folder/brain_tumor_info.csv with
// patient_id, image_path, clean_image_path and an extra "age" column.
// Returns the CSV path.
QString writeSyntheticDataset(const QString &folder, int count, int width, int height, std::uint64_t seed = 1);

} // namespace mri::test
