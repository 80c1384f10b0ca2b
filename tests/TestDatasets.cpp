#include "TestDatasets.h"

#include "io/CsvTable.h"
#include "io/ImageIO.h"
#include "quality/Noise.h"

#include <QDir>

#include <opencv2/imgproc.hpp>

#include <cstring>
#include <fstream>
#include <random>
#include <stdexcept>

namespace mri::test {

cv::Mat syntheticSlice(int width, int height, std::uint64_t seed)
{
    std::mt19937_64 random(seed);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    cv::Mat slice(height, width, CV_32FC1, cv::Scalar(0.0));
    const cv::Point centre(width / 2, height / 2);
    cv::ellipse(slice, centre, cv::Size(width * 2 / 5, height * 9 / 20), 0, 0, 360, cv::Scalar(0.45), cv::FILLED);
    for (int i = 0; i < 6; ++i) {
        const cv::Point at(static_cast<int>(width * (0.3 + 0.4 * unit(random))),
                           static_cast<int>(height * (0.3 + 0.4 * unit(random))));
        const cv::Size axes(std::max(1, static_cast<int>(width * (0.04 + 0.1 * unit(random)))),
                            std::max(1, static_cast<int>(height * (0.04 + 0.1 * unit(random)))));
        cv::ellipse(slice, at, axes, 180 * unit(random), 0, 360, cv::Scalar(0.2 + 0.7 * unit(random)), cv::FILLED);
    }
    cv::GaussianBlur(slice, slice, cv::Size(0, 0), 1.0);
    return slice;
}

QString writeSyntheticDataset(const QString &folder, int count, int width, int height, std::uint64_t seed)
{
    const std::filesystem::path root = folder.toStdString();
    CsvTable table;
    table.header = {"patient_id", "image_path", "clean_image_path", "age"};
    for (int i = 0; i < count; ++i) {
        const auto clean = syntheticSlice(width, height, seed * 1000 + i);
        const auto noisy = addNoise(clean, NoiseModel::Rician, 0.08, seed * 7919 + i);
        const auto name = "slice_" + std::to_string(i + 1) + ".png";
        saveImageAtomically(root / "images" / name, fromUnitFloat(noisy, CV_8U));
        saveImageAtomically(root / "clean" / name, fromUnitFloat(clean, CV_8U));
        table.rows.push_back({"P-" + std::to_string(100 + i), "images/" + name, "clean/" + name,
                              std::to_string(40 + i)});
    }
    const auto csv = root / "brain_tumor_info.csv";
    writeCsvFileAtomically(csv, table);
    return QString::fromStdString(csv.string());
}

QString writeTestNifti(const QString &path, int nx, int ny, int nz, const std::vector<std::int16_t> &values)
{
    if (values.size() != static_cast<std::size_t>(nx) * ny * nz)
        throw std::invalid_argument("writeTestNifti: values do not fill the volume");
    // NIfTI-1 is little endian as written here (the machines this runs on are).
    unsigned char header[352] = {};
    const auto put16 = [&header](int offset, std::int16_t value) { std::memcpy(header + offset, &value, 2); };
    const auto put32 = [&header](int offset, std::int32_t value) { std::memcpy(header + offset, &value, 4); };
    const auto putFloat = [&header](int offset, float value) { std::memcpy(header + offset, &value, 4); };
    put32(0, 348);                       // sizeof_hdr
    const std::int16_t dims[8] = {3, static_cast<std::int16_t>(nx), static_cast<std::int16_t>(ny),
                                  static_cast<std::int16_t>(nz), 1, 1, 1, 1};
    for (int i = 0; i < 8; ++i)
        put16(40 + 2 * i, dims[i]);      // dim
    put16(70, 4);                        // datatype: DT_INT16
    put16(72, 16);                       // bitpix
    for (int i = 0; i < 8; ++i)
        putFloat(76 + 4 * i, 1.0f);      // pixdim (pixdim[0] = qfac)
    putFloat(108, 352.0f);               // vox_offset
    header[123] = 2;                     // xyzt_units: mm
    std::memcpy(header + 344, "n+1\0", 4); // magic: single file
    std::ofstream out(path.toStdString(), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(header), sizeof header);
    out.write(reinterpret_cast<const char *>(values.data()), static_cast<std::streamsize>(values.size() * 2));
    if (!out)
        throw std::runtime_error("writeTestNifti: cannot write " + path.toStdString());
    return path;
}

} // namespace mri::test
