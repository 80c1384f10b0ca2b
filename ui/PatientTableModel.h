#pragma once

#include "WorkerTypes.h"

#include <QAbstractTableModel>
#include <QIcon>
#include <QVector>

namespace studio {

// One line per dataset row: patient, image file, size, PSNR, SSIM and a
// status that names why a row cannot be used or, for an enhanced row, its
// self-check's verdict (icon, word, and the reason as tooltip); after these,
// the header facts of scanned DICOM series when the dataset has them filled
// (study date, series description). Filled from values the workers
// produced; never touches files itself.
class PatientTableModel final : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { PatientColumn, ImageColumn, SizeColumn, PsnrColumn, SsimColumn, StatusColumn, ColumnCount };
    enum Role {
        SortRole = Qt::UserRole + 1, // numbers for numeric columns
        RowIndexRole,                // dataset row index (int)
        ProblemRole,                 // bool: unreadable image or failed enhancement
    };

    explicit PatientTableModel(QObject *parent = nullptr);

    void setDataset(const studio::DatasetHandle &dataset, const studio::ResultList &results);
    void clear();
    void applyChecks(const studio::ImageCheckList &checks);
    void setResult(const mri::EnhancedRow &result);
    void setResults(const studio::ResultList &results);

    const studio::DatasetHandle &dataset() const { return m_dataset; }
    const studio::ResultList &results() const { return m_results; }
    bool isChecked(int row) const;
    QString imageError(int row) const;
    int enhancedCount() const;
    int unreadableCount() const;

    // The status cell's icon and word for a self-check's verdict; none for NotChecked.
    static QIcon verdictIcon(mri::Verdict verdict);
    static QString verdictWord(mri::Verdict verdict);
    // The self-check's finding in the user's language (check.reason, the
    // English sentence of the CSV, where that was written by other thresholds).
    static QString findingText(const mri::SelfCheck &check);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    // data()'s roles.
    QVariant displayText(int row, int column) const;
    QVariant sortValue(const QModelIndex &index) const;
    QVariant toolTip(int row, int column, bool problem) const;
    QVariant foreground(int row, int column, bool problem) const;

    QString statusText(int row) const;
    QString reasonOf(int row) const;
    mri::Verdict verdictOf(int row) const; // NotChecked unless enhanced and checked
    QString selfCheckText(int row) const;
    QString extraText(int row, int column) const;

    studio::DatasetHandle m_dataset;
    studio::ResultList m_results;
    QVector<studio::ImageCheck> m_checks; // by row; row == -1 while unchecked
    struct ExtraColumn
    {
        int datasetColumn = -1;
        QString header;
        bool isDate = false;
    };
    QVector<ExtraColumn> m_extraColumns; // shown from ColumnCount on
};

} // namespace studio
