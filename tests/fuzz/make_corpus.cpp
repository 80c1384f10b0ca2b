// Writes the seed corpora of the fuzz targets into corpus/<target>/ (run by
// make_corpus.sh; the output is committed). Small valid inputs of every layout
// each reader accepts, plus a few near misses, so the fuzzer starts from deep
// inside the parsers instead of having to discover the formats.

#include "io/DicomSeries.h"
#include "model/ModelFile.h"
#include "model/TrainingSettings.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <zlib.h>

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <iostream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

fs::path g_root;

void write(const std::string &target, const std::string &name, const std::string &bytes)
{
    const fs::path folder = g_root / target;
    fs::create_directories(folder);
    std::ofstream out(folder / name, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out)
        throw std::runtime_error("cannot write " + (folder / name).string());
}

std::string gzip(const std::string &bytes)
{
    z_stream stream{};
    deflateInit2(&stream, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&stream, static_cast<uLong>(bytes.size())), '\0');
    stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(bytes.data()));
    stream.avail_in = static_cast<uInt>(bytes.size());
    stream.next_out = reinterpret_cast<Bytef *>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    deflate(&stream, Z_FINISH);
    out.resize(stream.total_out);
    deflateEnd(&stream);
    return out;
}

// ---- CSV ----------------------------------------------------------------------

void makeCsv()
{
    write("csv", "simple.csv", "patient_id,image_path\nP001,images/p001.png\nP002,images/p002.png\n");
    write("csv", "quoted.csv",
          "patient_id,image_path,notes\n"
          "P001,\"images/a, b.png\",\"said \"\"hello\"\"\"\n"
          "P002,images/c.png,\"two\nlines\"\n");
    write("csv", "bom-crlf.csv", "\xEF\xBB\xBFPatient_ID,Image_Path\r\nP1,a.png\r\nP2,b.png\r\n\r\n");
    write("csv", "blank-and-short.csv", "patient_id,image_path,age\n\nP1,a.png\n   \nP2,b.png,42\n\n\n");
    write("csv", "lone-cr.csv", "patient_id,image_path\rP1,a.png\rP2,\"x\ry.png\"\r");
    write("csv", "metrics.csv",
          "patient_id,image_path,enhanced_image_path,PSNR,SSIM,error\n"
          "P1,a.png,enhanced_images/a.png,31.5,0.95,\n"
          "P2,b.png,,,,\"Cannot read image 'b.png': the file is empty (0 bytes).\"\n");
    write("csv", "too-many-fields.csv", "a,b\n1,2,3\n");
    write("csv", "unterminated.csv", "a,b\n1,\"2\n");
}

// ---- images -------------------------------------------------------------------

cv::Mat pattern(int rows, int cols, int type)
{
    cv::Mat image(rows, cols, type);
    const int channels = image.channels();
    const double maxValue = image.depth() == CV_16U ? 65535.0 : 255.0;
    for (int y = 0; y < rows; ++y) {
        for (int x = 0; x < cols; ++x) {
            for (int c = 0; c < channels; ++c) {
                const double value = maxValue * ((x * 3 + y * 5 + c * 7) % 17) / 16.0;
                if (image.depth() == CV_16U)
                    image.ptr<std::uint16_t>(y)[x * channels + c] = cv::saturate_cast<std::uint16_t>(value);
                else
                    image.ptr<std::uint8_t>(y)[x * channels + c] = cv::saturate_cast<std::uint8_t>(value);
            }
        }
    }
    return image;
}

std::string encoded(const std::string &extension, const cv::Mat &image, const std::vector<int> &params = {})
{
    std::vector<unsigned char> bytes;
    if (!cv::imencode(extension, image, bytes, params))
        throw std::runtime_error("OpenCV cannot encode " + extension);
    return std::string(bytes.begin(), bytes.end());
}

void makeImages()
{
    const cv::Mat gray8 = pattern(6, 9, CV_8UC1);
    const cv::Mat gray16 = pattern(6, 9, CV_16UC1);
    const cv::Mat rgb8 = pattern(5, 7, CV_8UC3);
    const cv::Mat rgba8 = pattern(5, 7, CV_8UC4);
    const cv::Mat rgb16 = pattern(5, 7, CV_16UC3);
    write("image", "gray8.png", encoded(".png", gray8));
    write("image", "gray16.png", encoded(".png", gray16));
    write("image", "rgb8.png", encoded(".png", rgb8));
    write("image", "rgba8.png", encoded(".png", rgba8));
    write("image", "rgb16.png", encoded(".png", rgb16));
    write("image", "gray8.jpg", encoded(".jpg", gray8, {cv::IMWRITE_JPEG_QUALITY, 90}));
    const std::string colourJpeg = encoded(".jpg", rgb8, {cv::IMWRITE_JPEG_QUALITY, 90});
    write("image", "rgb8.jpg", colourJpeg);
    write("image", "rgb8-progressive.jpg",
          encoded(".jpg", pattern(16, 16, CV_8UC3), {cv::IMWRITE_JPEG_PROGRESSIVE, 1, cv::IMWRITE_JPEG_QUALITY, 80}));
    // Cut in its scan and given its end marker back (issue 8, defect 9).
    const auto scan = colourJpeg.find("\xFF\xDA");
    write("image", "rgb8-cut-scan.jpg",
          colourJpeg.substr(0, scan + (colourJpeg.size() - scan) / 2) + std::string("\xFF\xD9", 2));
    write("image", "gray8.bmp", encoded(".bmp", gray8));
    write("image", "rgb8.bmp", encoded(".bmp", rgb8));
    write("image", "gray8.tif", encoded(".tif", gray8));
    write("image", "gray16.tif", encoded(".tif", gray16));
    write("image", "rgb8.tif", encoded(".tif", rgb8, {cv::IMWRITE_TIFF_COMPRESSION, 1}));
}

// ---- NIfTI --------------------------------------------------------------------

template<typename T>
void put(std::string &bytes, std::size_t offset, T value, bool bigEndian)
{
    unsigned char raw[sizeof(T)];
    std::memcpy(raw, &value, sizeof(T));
    for (std::size_t i = 0; i < sizeof(T); ++i)
        bytes[offset + i] = static_cast<char>(raw[bigEndian ? sizeof(T) - 1 - i : i]);
}

struct Volume
{
    std::int16_t rank = 3;
    std::int16_t nx = 4, ny = 3, nz = 2;
    std::int16_t datatype = 2;
    std::int16_t bitpix = 8;
    float voxOffset = 352.0f;
    float slope = 0.0f;
    float inter = 0.0f;
    bool bigEndian = false;
};

std::string nifti(const Volume &v)
{
    std::string bytes(348, '\0');
    put<std::int32_t>(bytes, 0, 348, v.bigEndian);
    const std::int16_t dims[8] = {v.rank, v.nx, v.ny, v.nz, 1, 1, 1, 1};
    for (int i = 0; i < 8; ++i)
        put<std::int16_t>(bytes, 40 + 2 * i, dims[i], v.bigEndian);
    put<std::int16_t>(bytes, 70, v.datatype, v.bigEndian);
    put<std::int16_t>(bytes, 72, v.bitpix, v.bigEndian);
    for (int i = 0; i < 4; ++i)
        put<float>(bytes, 76 + 4 * i, i == 0 ? 1.0f : 0.5f * static_cast<float>(i), v.bigEndian);
    put<float>(bytes, 108, v.voxOffset, v.bigEndian);
    put<float>(bytes, 112, v.slope, v.bigEndian);
    put<float>(bytes, 116, v.inter, v.bigEndian);
    std::memcpy(bytes.data() + 344, "n+1\0", 4);
    bytes.resize(static_cast<std::size_t>(v.voxOffset), '\0');
    const std::size_t voxels = static_cast<std::size_t>(v.nx) * v.ny * v.nz;
    const std::size_t width = static_cast<std::size_t>(v.bitpix / 8);
    const std::size_t start = bytes.size();
    bytes.resize(start + voxels * width);
    for (std::size_t i = 0; i < voxels; ++i) {
        switch (v.datatype) {
        case 4: put<std::int16_t>(bytes, start + 2 * i, static_cast<std::int16_t>(i * 37 - 200), v.bigEndian); break;
        case 16: put<float>(bytes, start + 4 * i, 0.25f * static_cast<float>(i), v.bigEndian); break;
        case 64: put<double>(bytes, start + 8 * i, 1.5 * static_cast<double>(i), v.bigEndian); break;
        default: bytes[start + i] = static_cast<char>(i * 11); break;
        }
    }
    return bytes;
}

// A NIfTI-2 header (540 bytes, 64-bit sizes) and int16 voxels, little-endian,
// with an sform whose array axes run L-S-P.
std::string nifti2(std::int64_t nx, std::int64_t ny, std::int64_t nz, std::int64_t nt)
{
    std::string bytes(544, '\0');
    put<std::int32_t>(bytes, 0, 540, false);
    std::memcpy(bytes.data() + 4, "n+2\0\r\n\032\n", 8);
    put<std::int16_t>(bytes, 12, 4, false);  // int16
    put<std::int16_t>(bytes, 14, 16, false); // bitpix
    const std::int64_t dims[8] = {nt > 1 ? 4 : 3, nx, ny, nz, nt, 1, 1, 1};
    for (int i = 0; i < 8; ++i)
        put<std::int64_t>(bytes, 16 + 8 * i, dims[i], false);
    for (int i = 0; i < 4; ++i)
        put<double>(bytes, 104 + 8 * i, i == 0 ? 1.0 : 1.0 + 0.5 * i, false);
    put<std::int64_t>(bytes, 168, 544, false); // vox_offset
    put<double>(bytes, 176, 2.0, false);       // scl_slope
    put<double>(bytes, 184, -10.0, false);     // scl_inter
    put<std::int32_t>(bytes, 348, 1, false);   // sform_code
    const double srow[3][4] = {{-1.5, 0, 0, 10}, {0, 0, -2.5, 20}, {0, 2.0, 0, -30}};
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 4; ++c)
            put<double>(bytes, 400 + 32 * r + 8 * c, srow[r][c], false);
    put<std::int32_t>(bytes, 500, 2, false);   // xyzt_units: mm
    const std::size_t voxels = static_cast<std::size_t>(nx * ny * nz * nt);
    const std::size_t start = bytes.size();
    bytes.resize(start + 2 * voxels);
    for (std::size_t i = 0; i < voxels; ++i)
        put<std::int16_t>(bytes, start + 2 * i, static_cast<std::int16_t>(i * 97 - 300), false);
    return bytes;
}

void makeNifti()
{
    write("nifti", "uint8.nii", nifti({}));
    Volume int16;
    int16.datatype = 4;
    int16.bitpix = 16;
    int16.bigEndian = true;
    int16.slope = 2.0f;
    int16.inter = -1.0f;
    write("nifti", "int16-be-scaled.nii.gz", gzip(nifti(int16)));
    Volume float32;
    float32.datatype = 16;
    float32.bitpix = 32;
    float32.voxOffset = 400.0f; // an extension area to skip
    write("nifti", "float32-extension.nii", nifti(float32));
    Volume float64;
    float64.datatype = 64;
    float64.bitpix = 64;
    float64.rank = 4;
    write("nifti", "float64-4d.nii.gz", gzip(nifti(float64)));
    // Two gzip members, as some tools write.
    const std::string whole = nifti({});
    write("nifti", "two-members.nii.gz", gzip(whole.substr(0, 200)) + gzip(whole.substr(200)));
    // A series of three volumes.
    Volume series;
    series.rank = 4;
    std::string seriesBytes = nifti(series);
    put<std::int16_t>(seriesBytes, 48, 3, false); // dim[4]
    seriesBytes.append(2 * 4 * 3 * 2, '\x11');
    write("nifti", "uint8-series.nii", seriesBytes);
    write("nifti", "nifti2-int16.nii", nifti2(4, 3, 2, 1));
    write("nifti", "nifti2-series.nii.gz", gzip(nifti2(3, 2, 2, 2)));
    // Near misses: RGB voxels, a 2-D image.
    Volume rgb;
    rgb.datatype = 128;
    rgb.bitpix = 24;
    write("nifti", "rgb24.nii", nifti(rgb));
    Volume flat;
    flat.nz = 1;
    write("nifti", "flat.nii", nifti(flat));
}

// ---- model files --------------------------------------------------------------

void makeModelFiles()
{
    mri::ModelFileHeader header;
    header.settings.epochs = 2;
    header.settings.seed = 7;
    header.epochsCompleted = 2;
    header.globalStep = 6;
    mri::EpochSummary epoch;
    epoch.epochs = 2;
    for (int i = 1; i <= 2; ++i) {
        epoch.epoch = i;
        epoch.globalStep = 3 * i;
        epoch.trainLoss = 0.2 / i;
        epoch.validationLoss = i == 1 ? 0.25 : std::nan("");
        epoch.validationPsnr = 5.25 * i;
        epoch.learningRate = 4e-4 / i;
        epoch.elapsedSeconds = 0.125 * i;
        header.history.push_back(epoch);
    }
    const std::string json = mri::encodeModelHeader(header);
    write("modelfile", "v2-header.json", json);
    write("modelfile", "v2-file.pt", "mri-enhance-model\n" + std::to_string(json.size()) + "\n" + json + "PK\x03\x04");
    header.history.clear();
    const std::string bare = mri::encodeModelHeader(header);
    write("modelfile", "v2-file-no-history.pt", "mri-enhance-model\n" + std::to_string(bare.size()) + "\n" + bare);
    // Version 1's meta entry, as release 0.1.0 wrote it (tests/data/models/model-v1.pt).
    write("modelfile", "v1-meta.txt",
          "format=mri-enhance-model\nversion=1\ndepth=1\nbase_channels=2\nresidual_output=0\ntop_skip=0\n"
          "blur_pool=1\nbatch_norm=1\nobjective=n2v\nepochs=2\nlearning_rate=0.00040000000000000002\n"
          "batch_size=2\npatch_size=16\npatches_per_image=2\nvalidation_fraction=0.25\n"
          "n2v_mask_fraction=0.050000000000000003\nn2v_neighbourhood=5\nsynthetic_noise=rician\n"
          "synthetic_sigma=0.080000000000000002\nseed=7\nn2v_median_replacement=1\ncosine_schedule=1\n"
          "max_training_seconds=0\nrician_correction=1\nepochs_completed=2\nglobal_step=6\n"
          "history=1,3,0.16679256781935692,0.2149684727191925,5.294923911037249,0.00021351819553443191,0.138\n"
          "history=2,6,0.17717992017666498,nan,5.3005749672817775,8.0000000000000013e-06,0.212332722\n");
}

// ---- --set key=value ----------------------------------------------------------

void makeSettings()
{
    std::string defaults;
    std::string edges;
    for (const auto &setting : mri::trainingSettings()) {
        defaults += setting.key + "=" + mri::formatSettingValue(setting, mri::defaultSettingValue(setting)) + "\n";
        switch (setting.type) {
        case mri::SettingType::Integer:
        case mri::SettingType::Real:
            edges += setting.key + "=" + std::to_string(static_cast<long long>(setting.maximum)) + "\n";
            edges += setting.key + "=" + std::to_string(setting.minimum) + "\n";
            break;
        case mri::SettingType::Boolean: edges += setting.key + "=off\n" + setting.key + "=YES\n"; break;
        case mri::SettingType::Choice: edges += setting.key + "=" + setting.choices.back() + "\n"; break;
        }
    }
    write("settings", "defaults.txt", defaults);
    write("settings", "edges.txt", edges);
    write("settings", "bad.txt",
          "learning_rate=nan\nepochs=2000000000\npatch_size=100000\nseed=-1\nn2v_mask_fraction=1e-400\n"
          "objective=N2V\nno_such_key=1\nbatch_size\n=3\nthreads= 4\nlearning_rate=0x1p-12\n");
}

// ---- DICOM ---------------------------------------------------------------------

std::string fileBytes(const fs::path &file)
{
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Our own writer's output, small: every compression, a multi-frame file, and
// folders of two and three files joined by fuzz_dicom.cpp's separator.
// (make_corpus.sh adds a few of pydicom's test files.)
void makeDicom()
{
    const std::string nextFile = "\nMRI-FUZZ-NEXT-FILE\n";
    const fs::path scratch = fs::temp_directory_path() / ("fuzz_make_corpus-" + std::to_string(::getpid()));
    mri::ScanVolume volume;
    volume.format = mri::ScanFormat::Dicom;
    volume.size = {17, 13, 3, 1};
    const double angle = 0.3, c = std::cos(angle), s = std::sin(angle);
    volume.voxelToPatient = {{{c * 0.8, -s * 0.9, 0, -40.25}, {s * 0.8, c * 0.9, 0, 12.5}, {0, 0, 2.5, -30.0}}};
    volume.voxels.resize(volume.voxelsPerVolume());
    for (std::size_t i = 0; i < volume.voxels.size(); ++i)
        volume.voxels[i] = static_cast<float>((i * 7919) % 4001);
    volume.rescaleSlope = 1.5;
    volume.windowCenter = 300;
    volume.windowWidth = 800;
    using Compression = mri::DicomWriteOptions::Compression;
    const std::pair<const char *, Compression> compressions[] = {{"raw", Compression::None},
                                                                 {"jpeg-lossless", Compression::JpegLossless},
                                                                 {"jpeg-ls", Compression::JpegLs},
                                                                 {"jpeg2000", Compression::Jpeg2000Lossless},
                                                                 {"rle", Compression::Rle}};
    for (const auto &[name, compression] : compressions) {
        for (const bool multiFrame : {false, true}) {
            const fs::path folder = scratch / (std::string(name) + (multiFrame ? "-multi" : "-series"));
            mri::DicomWriteOptions options;
            options.patientId = "FUZZ";
            options.seriesDescription = "seed";
            options.multiFrame = multiFrame;
            options.compression = compression;
            mri::writeDicomSeries(volume, folder, options);
            if (multiFrame) {
                write("dicom", std::string(name) + "-multi-frame.dcm", fileBytes(folder / "IM0001.dcm"));
                continue;
            }
            write("dicom", std::string(name) + "-slice.dcm", fileBytes(folder / "IM0002.dcm"));
            if (compression == Compression::None || compression == Compression::Rle) {
                write("dicom", std::string(name) + "-folder-of-3.dcm",
                      fileBytes(folder / "IM0001.dcm") + nextFile + fileBytes(folder / "IM0002.dcm") + nextFile
                          + fileBytes(folder / "IM0003.dcm"));
                write("dicom", std::string(name) + "-folder-of-2.dcm",
                      fileBytes(folder / "IM0003.dcm") + nextFile + fileBytes(folder / "IM0001.dcm"));
            }
        }
    }
    // Signed 16-bit and 8-bit multi-frame files.
    for (const int bits : {8, 16}) {
        mri::ScanVolume other = volume;
        for (float &value : other.voxels)
            value = bits == 8 ? std::fmod(value, 256.0f) : value * 3 - 2000;
        const fs::path folder = scratch / ("bits" + std::to_string(bits));
        mri::DicomWriteOptions options;
        options.multiFrame = true;
        options.bitsAllocated = bits;
        mri::writeDicomSeries(other, folder, options);
        write("dicom", bits == 8 ? "u8-multi-frame.dcm" : "s16-multi-frame.dcm", fileBytes(folder / "IM0001.dcm"));
    }
    fs::remove_all(scratch);
}

} // namespace

int main(int argc, char **argv)
{
    if (argc != 2) {
        std::cerr << "usage: fuzz_make_corpus CORPUS_DIR\n";
        return 2;
    }
    g_root = argv[1];
    try {
        makeCsv();
        makeImages();
        makeNifti();
        makeModelFiles();
        makeSettings();
        makeDicom();
    } catch (const std::exception &error) {
        std::cerr << error.what() << "\n";
        return 1;
    }
    return 0;
}
