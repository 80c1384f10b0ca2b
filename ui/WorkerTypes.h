#pragma once

// Plain value types that travel between the GUI thread and the worker threads
// through queued signals. Everything here is copyable and owns its data (QImage
// and the shared, immutable dataset are implicitly shared and thread-safe to
// copy), so a value can be emitted in one thread and read in another.

#include "dataset/Dataset.h"
#include "enhance/ComparisonFigure.h"
#include "enhance/EnhanceJob.h"
#include "enhance/Enhancer.h"
#include "io/ScanVolume.h"
#include "model/TrainingOptions.h"
#include "training/Trainer.h"

#include <QImage>
#include <QMetaType>
#include <QSizeF>
#include <QString>
#include <QStringList>
#include <QVector>

#include <filesystem>
#include <map>
#include <memory>
#include <vector>

namespace studio {

// Paths cross between Qt and the engine as UTF-8.
inline std::filesystem::path toPath(const QString &text)
{
    return std::filesystem::path(text.toStdString());
}
inline QString toQString(const std::filesystem::path &path)
{
    return QString::fromStdString(path.string());
}

// One dataset, read once on a worker and never changed afterwards: the GUI,
// the table model and both workers share it without copying or locking.
using DatasetHandle = std::shared_ptr<const mri::Dataset>;
using ResultList = std::vector<mri::EnhancedRow>;
using RowList = std::vector<std::size_t>;
// Volume rows: the slice last shown in the patients view, by dataset row.
using ShownSliceMap = std::map<std::size_t, mri::ShownSlice>;

// The long jobs of the engine thread; one runs at a time.
enum class Job { None, OpenDataset, BuildDemo, Training, Enhancement };
// The short tasks of the image thread; they may run while a job does.
enum class Task { Slices, Comparison, SaveFigure, ExportCsv, InspectModel, CopyModel };

// Whether a row's image could be read, found by loading it once after opening.
struct ImageCheck
{
    int row = -1;
    int width = 0;
    int height = 0;
    int bitDepth = 0;   // 8 or 16 (pictures)
    int depth = 0;      // volumes: slices along z (0 for pictures)
    QString format;     // volumes: "NIfTI" or "DICOM"
    QString error;      // non-empty: the engine's sentence why it cannot be read
};
using ImageCheckList = QVector<ImageCheck>;

struct OpenParams
{
    QString folder;
    QString csvFile;    // empty: the folder's brain_tumor_info.csv or a scan
};

struct TrainingParams
{
    DatasetHandle dataset;
    mri::TrainingOptions options;
};

struct TrainingOutcome
{
    bool cancelled = false;
    int epochsCompleted = 0;
    quint64 seed = 0;
    QString device;
    int trainingImages = 0;
    int validationImages = 0;
    QStringList skippedImages;
    QString modelFile;
};

struct EnhanceParams
{
    DatasetHandle dataset;
    mri::EnhanceOptions options;
};

struct EnhanceOutcome
{
    ResultList rows;        // every dataset row, earlier results included
    int succeeded = 0;
    int failed = 0;
    bool cancelled = false;
    QString metricsCsv;
};

// What the side-by-side view asks for when a patient is selected.
struct SliceRequest
{
    int token = 0;
    int row = -1;
    QString patientId;
    QString originalPath;
    QString enhancedPath;   // empty when the row has no result
    QString referencePath;  // clean ground truth (demo datasets), may be empty
    QString seriesUid;      // DICOM folder of several series: the row's series
    // Volume rows: the slice to show (-1: the middle) along `plane`, counted
    // on the original's grid, or on the enhanced volume's when
    // `sliceOnEnhancedGrid` and that one is finer (super-resolution).
    mri::SlicePlane plane = mri::SlicePlane::Axial;
    int slice = -1;
    bool sliceOnEnhancedGrid = false;
    // The row's self-check noise (SelfCheck::noiseSigma, noiseCoils) in the
    // original's units: the residual map's noise model. 0: the row was not
    // checked, and the residual is the plain difference.
    double noiseSigma = 0.0;
    double noiseCoils = 1.0;
};

// Raw slices (Format_Grayscale8 or Format_Grayscale16, pixel values as stored)
// and what the view needs to display them.
struct SlicePair
{
    int token = 0;
    int row = -1;
    QString patientId;
    QImage original;
    QImage enhanced;
    QImage difference;        // |original - enhanced|, same depth
    // |original - expected(enhanced)| (mri::residualOf with residualSigma and
    // residualCoils), encoded and windowed as the difference; residualSigma 0:
    // no noise level known, the residual is the difference itself.
    QImage residual;
    double residualSigma = 0.0;
    double residualCoils = 1.0;
    QString originalError;
    QString enhancedError;
    int maximumValue = 255;   // 255 or 65535: the range of the window sliders
    int autoLow = 0;          // robust intensity range of the original
    int autoHigh = 255;
    int differenceHigh = 1;   // robust maximum of the difference
    bool hasReference = false;
    double originalReferencePsnr = 0.0;  // against the clean reference
    double originalReferenceSsim = 0.0;
    double enhancedReferencePsnr = 0.0;
    double enhancedReferenceSsim = 0.0;

    // Volume rows: one slice of the volume, encoded on 16 bits as
    // voxel = valueOffset + valueScale * pixel with one mapping per volume (a
    // negative scale shows MONOCHROME1 inverted), so that window/level stays
    // a raw-value operation. autoLow/autoHigh are the engine's display window
    // (DisplayMapping.h) in these pixel units; the enhanced slice uses the
    // original's mapping, the difference valueScale's magnitude from 0.
    bool isVolume = false;
    mri::SlicePlane plane = mri::SlicePlane::Axial;
    int slice = 0;
    int sliceCount = 0;
    double valueOffset = 0.0;
    double valueScale = 1.0;

    // Super-resolution: the enhanced image is on a grid `scale` times finer
    // (a picture in both axes, a volume along one array axis). The view's
    // units are then the enhanced image's pixels: an original pixel covers
    // originalPixelScale of them (its physical size, shown nearest neighbour),
    // and the difference compares the original stretched so. A volume's
    // slider steps through the finer grid (slice/sliceCount above,
    // sliceOnEnhancedGrid), the original showing its slice nearest in
    // position (originalSlice of originalSliceCount).
    int scale = 1;
    QString scaleNote;        // "×4 through-plane (z): 2 mm → 0.5 mm", "×2 in-plane"
    QSizeF originalPixelScale{1.0, 1.0};
    bool sliceOnEnhancedGrid = false;
    int originalSlice = 0;
    int originalSliceCount = 0;
};

// One patient of the three-patient comparison, already mapped to 8 bits with
// the original's range so that the pair shares one intensity mapping.
struct ComparisonItem
{
    int row = -1;
    QString patientId;
    QImage original;
    QImage enhanced;
    double psnr = 0.0;
    double ssim = 0.0;
    QString sliceNote;        // volumes: "axial slice 91 / 181"
    // Super-resolution: the factor and "×2 in-plane"; the original is then
    // stretched (nearest neighbour) to the enhanced image's size.
    int scale = 1;
    QString scaleNote;
};

struct ComparisonSet
{
    int token = 0;
    RowList rows;
    QVector<ComparisonItem> items;
    int available = 0;        // patients that have an enhanced slice
};

// Registers the types above for queued connections. Call once, before any
// worker starts (StudioSession's constructor does).
void registerWorkerTypes();

} // namespace studio

Q_DECLARE_METATYPE(studio::DatasetHandle)
Q_DECLARE_METATYPE(studio::ResultList)
Q_DECLARE_METATYPE(studio::RowList)
Q_DECLARE_METATYPE(studio::Job)
Q_DECLARE_METATYPE(studio::Task)
Q_DECLARE_METATYPE(studio::ImageCheck)
Q_DECLARE_METATYPE(studio::ImageCheckList)
Q_DECLARE_METATYPE(studio::OpenParams)
Q_DECLARE_METATYPE(studio::TrainingParams)
Q_DECLARE_METATYPE(studio::TrainingOutcome)
Q_DECLARE_METATYPE(studio::EnhanceParams)
Q_DECLARE_METATYPE(studio::EnhanceOutcome)
Q_DECLARE_METATYPE(studio::SliceRequest)
Q_DECLARE_METATYPE(studio::SlicePair)
Q_DECLARE_METATYPE(studio::ComparisonSet)
Q_DECLARE_METATYPE(mri::TrainingStep)
Q_DECLARE_METATYPE(mri::EpochSummary)
Q_DECLARE_METATYPE(mri::EnhancedRow)
Q_DECLARE_METATYPE(mri::EnhanceProgress)
Q_DECLARE_METATYPE(mri::ModelInfo)
