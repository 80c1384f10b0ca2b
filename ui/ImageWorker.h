#pragma once

#include "WorkerTypes.h"

#include <QObject>
#include <QString>

#include <atomic>
#include <memory>
#include <vector>

namespace studio {

// Short engine tasks that must not wait behind a training run: loading the
// slices of the selected patient (with their difference and residual maps), the three-patient comparison, writing the
// metrics CSV and the comparison figure, reading and copying model files.
// Lives in its own QThread; each task ends with its success signal or
// failed(). Slice requests superseded by a newer selection are skipped.
// Volume rows (NIfTI, DICOM) are read once and kept (the last few volumes), so
// that stepping through slices only cuts the next slice out.
class ImageWorker final : public QObject
{
    Q_OBJECT

public:
    explicit ImageWorker(QObject *parent = nullptr);

    // Any thread: requests with an older token are dropped unread.
    void setLatestSliceToken(int token);

    void loadSlices(const studio::SliceRequest &request);
    void loadComparison(int token, const studio::DatasetHandle &dataset, const studio::ResultList &results,
                        quint64 seed, const studio::ShownSliceMap &shown = {});
    void saveComparisonFigure(const studio::DatasetHandle &dataset, const studio::ResultList &results,
                              const studio::RowList &rows, const QString &file,
                              const studio::ShownSliceMap &shown = {});
    void exportCsv(const studio::DatasetHandle &dataset, const studio::ResultList &results, const QString &file);
    void inspectModel(const QString &file);
    void copyModel(const QString &from, const QString &to);

signals:
    void slicesLoaded(const studio::SlicePair &pair);
    void comparisonLoaded(const studio::ComparisonSet &set);
    void comparisonSaved(const QString &file);
    void csvExported(const QString &file);
    void modelInspected(const QString &file, const mri::ModelInfo &info);
    void modelCopied(const QString &file);
    void failed(studio::Task task, const QString &message);

private:
    struct CachedVolume;
    std::shared_ptr<const CachedVolume> volumeAt(const QString &path, const QString &seriesUid);
    void loadVolumeSlices(const studio::SliceRequest &request);

    std::atomic_int m_latestSliceToken{0};
    std::vector<std::shared_ptr<const CachedVolume>> m_volumes; // most recently used first
};

} // namespace studio
