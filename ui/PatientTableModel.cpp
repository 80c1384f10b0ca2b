#include "PatientTableModel.h"

#include "Formatting.h"

#include <QApplication>
#include <QBrush>
#include <QColor>
#include <QFileInfo>
#include <QFont>
#include <QIcon>
#include <QLocale>
#include <QRegularExpression>
#include <QStyle>

#include <algorithm>
#include <cmath>
#include <limits>

namespace studio {

namespace {

// The self-check's figures as the tooltip writes them; "—" where undefined (NaN).
QString figureText(double value, int decimals)
{
    return std::isfinite(value) ? QString::number(value, 'f', decimals) : QStringLiteral("—");
}

} // namespace

PatientTableModel::PatientTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void PatientTableModel::setDataset(const DatasetHandle &dataset, const ResultList &results)
{
    beginResetModel();
    m_dataset = dataset;
    const int rows = dataset ? static_cast<int>(dataset->rows.size()) : 0;
    m_results.assign(static_cast<std::size_t>(rows), mri::EnhancedRow{});
    for (int i = 0; i < rows; ++i)
        m_results[static_cast<std::size_t>(i)].rowIndex = static_cast<std::size_t>(i);
    for (const auto &result : results) {
        if (result.rowIndex < m_results.size())
            m_results[result.rowIndex] = result;
    }
    m_checks = QVector<ImageCheck>(rows);
    m_extraColumns.clear();
    if (dataset) {
        const struct {
            const char *name;
            QString header;
            bool isDate;
        } known[] = {{"study_date", tr("Study date"), true}, {"series_description", tr("Description"), false}};
        // Only columns that say something: a scan of NIfTI files leaves them empty.
        for (const auto &column : known) {
            const int index = dataset->columnIndex(column.name);
            if (index < 0)
                continue;
            const bool filled = std::any_of(dataset->rows.begin(), dataset->rows.end(), [index](const mri::DatasetRow &row) {
                return static_cast<std::size_t>(index) < row.fields.size() && !row.fields[static_cast<std::size_t>(index)].empty();
            });
            if (filled)
                m_extraColumns.push_back({index, column.header, column.isDate});
        }
    }
    endResetModel();
}

void PatientTableModel::clear()
{
    setDataset({}, {});
}

void PatientTableModel::applyChecks(const ImageCheckList &checks)
{
    int first = -1;
    int last = -1;
    for (const auto &check : checks) {
        if (check.row < 0 || check.row >= m_checks.size())
            continue;
        m_checks[check.row] = check;
        first = first < 0 ? check.row : std::min(first, check.row);
        last = std::max(last, check.row);
    }
    if (first >= 0)
        emit dataChanged(index(first, 0), index(last, ColumnCount - 1));
}

void PatientTableModel::setResult(const mri::EnhancedRow &result)
{
    if (result.rowIndex >= m_results.size())
        return;
    m_results[result.rowIndex] = result;
    const int row = static_cast<int>(result.rowIndex);
    emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

void PatientTableModel::setResults(const ResultList &results)
{
    for (const auto &result : results) {
        if (result.rowIndex < m_results.size())
            m_results[result.rowIndex] = result;
    }
    if (!m_results.empty())
        emit dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
}

bool PatientTableModel::isChecked(int row) const
{
    return row >= 0 && row < m_checks.size() && m_checks[row].row == row;
}

QString PatientTableModel::imageError(int row) const
{
    return isChecked(row) ? m_checks[row].error : QString();
}

int PatientTableModel::enhancedCount() const
{
    int count = 0;
    for (const auto &result : m_results)
        count += result.done ? 1 : 0;
    return count;
}

int PatientTableModel::unreadableCount() const
{
    int count = 0;
    for (int row = 0; row < m_checks.size(); ++row)
        count += imageError(row).isEmpty() ? 0 : 1;
    return count;
}

int PatientTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() || !m_dataset ? 0 : static_cast<int>(m_dataset->rows.size());
}

int PatientTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount + static_cast<int>(m_extraColumns.size());
}

QString PatientTableModel::extraText(int row, int column) const
{
    const int extra = column - ColumnCount;
    if (extra < 0 || extra >= m_extraColumns.size())
        return {};
    const auto &fields = m_dataset->rows[static_cast<std::size_t>(row)].fields;
    const auto index = static_cast<std::size_t>(m_extraColumns[extra].datasetColumn);
    QString text = index < fields.size() ? QString::fromStdString(fields[index]).trimmed() : QString();
    // DICOM writes dates as YYYYMMDD.
    static const QRegularExpression compactDate(QStringLiteral("^(\\d{4})(\\d{2})(\\d{2})$"));
    if (m_extraColumns[extra].isDate) {
        const auto match = compactDate.match(text);
        if (match.hasMatch())
            text = match.captured(1) + QLatin1Char('-') + match.captured(2) + QLatin1Char('-') + match.captured(3);
    }
    return text;
}

QString PatientTableModel::reasonOf(int row) const
{
    const QString unreadable = imageError(row);
    if (!unreadable.isEmpty())
        return unreadable;
    return QString::fromStdString(m_results[static_cast<std::size_t>(row)].error);
}

QString PatientTableModel::verdictWord(mri::Verdict verdict)
{
    switch (verdict) {
    case mri::Verdict::Ok: return tr("ok");
    case mri::Verdict::Check: return tr("check");
    case mri::Verdict::Suspect: return tr("suspect");
    case mri::Verdict::NotChecked: break;
    }
    return {};
}

mri::Verdict PatientTableModel::verdictOf(int row) const
{
    const auto &result = m_results[static_cast<std::size_t>(row)];
    return result.done && result.error.empty() ? result.selfCheck.verdict : mri::Verdict::NotChecked;
}

QString PatientTableModel::selfCheckText(int row) const
{
    const auto &check = m_results[static_cast<std::size_t>(row)].selfCheck;
    const QString figures = tr("estimated gain %1 dB, residual %2 × the noise")
                                .arg(figureText(check.estimatedGain, 1), figureText(check.residualToNoise, 2));
    const QString reason = findingText(check);
    if (reason.isEmpty())
        return tr("Self-check: %1 (%2)").arg(verdictWord(check.verdict), figures);
    return tr("Self-check: %1 — %2 (%3)").arg(verdictWord(check.verdict), reason, figures);
}

QString PatientTableModel::findingText(const mri::SelfCheck &check)
{
    // A check written by another version may have judged by other thresholds:
    // its own sentence then, never one that contradicts the CSV.
    if (check.reason != mri::findingSentence(check))
        return QString::fromStdString(check.reason);
    const mri::FindingSentence sentence = mri::findingSentenceOf(check);
    QString text = QCoreApplication::translate("mri::SelfCheck", sentence.text);
    const QLocale locale;
    for (const auto &number : sentence.numbers)
        text = text.arg(locale.toString(number.value, 'f', number.decimals));
    return text;
}

QString PatientTableModel::statusText(int row) const
{
    const QString unreadable = imageError(row);
    if (!unreadable.isEmpty())
        return tr("Unreadable: %1").arg(unreadable);
    const auto &result = m_results[static_cast<std::size_t>(row)];
    if (!result.error.empty())
        return tr("Failed: %1").arg(QString::fromStdString(result.error));
    if (result.done && verdictOf(row) != mri::Verdict::NotChecked)
        return tr("Enhanced · %1").arg(verdictWord(verdictOf(row)));
    if (result.done)
        return tr("Enhanced");
    if (!isChecked(row))
        return tr("Checking…");
    return tr("Not enhanced");
}

QVariant PatientTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || !m_dataset || index.row() >= rowCount())
        return {};
    const int row = index.row();
    const int column = index.column();
    const auto &result = m_results[static_cast<std::size_t>(row)];
    const bool problem = !imageError(row).isEmpty() || !result.error.empty();

    switch (role) {
    case Qt::DisplayRole:
        return displayText(row, column);
    case SortRole:
        return sortValue(index);
    case RowIndexRole:
        return row;
    case ProblemRole:
        return problem;
    case Qt::ToolTipRole:
        return toolTip(row, column, problem);
    case Qt::ForegroundRole:
        return foreground(row, column, problem);
    case Qt::DecorationRole:
        if (column == StatusColumn && problem)
            return QApplication::style()->standardIcon(QStyle::SP_MessageBoxWarning);
        if (column == StatusColumn && verdictOf(row) != mri::Verdict::NotChecked)
            return verdictIcon(verdictOf(row));
        break;
    case Qt::TextAlignmentRole:
        if (column == PsnrColumn || column == SsimColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        break;
    default:
        break;
    }
    return {};
}

QVariant PatientTableModel::displayText(int row, int column) const
{
    const auto &source = m_dataset->rows[static_cast<std::size_t>(row)];
    const auto &result = m_results[static_cast<std::size_t>(row)];
    switch (column) {
    case PatientColumn:
        return QString::fromStdString(source.patientId);
    case ImageColumn:
        return QString::fromStdString(source.imagePathText);
    case SizeColumn: {
        if (!isChecked(row) || m_checks[row].width == 0)
            return QString();
        const auto &check = m_checks[row];
        if (check.depth > 0)
            return tr("%1 × %2 × %3 · %4").arg(check.width).arg(check.height).arg(check.depth).arg(check.format);
        return tr("%1 × %2 · %3-bit").arg(check.width).arg(check.height).arg(check.bitDepth);
    }
    case PsnrColumn:
        return result.done ? formatting::psnr(result.psnr) : QString();
    case SsimColumn:
        return result.done ? formatting::ssim(result.ssim) : QString();
    case StatusColumn:
        return statusText(row);
    default:
        return extraText(row, column);
    }
}

QVariant PatientTableModel::sortValue(const QModelIndex &index) const
{
    const int row = index.row();
    const auto &result = m_results[static_cast<std::size_t>(row)];
    switch (index.column()) {
    case SizeColumn:
        return isChecked(row)
            ? static_cast<qlonglong>(m_checks[row].width) * m_checks[row].height * std::max(1, m_checks[row].depth)
            : -1LL;
    case PsnrColumn:
        return result.done && !std::isnan(result.psnr) ? result.psnr : -std::numeric_limits<double>::max();
    case SsimColumn:
        return result.done && !std::isnan(result.ssim) ? result.ssim : -std::numeric_limits<double>::max();
    default:
        return data(index, Qt::DisplayRole);
    }
}

QVariant PatientTableModel::toolTip(int row, int column, bool problem) const
{
    const auto &result = m_results[static_cast<std::size_t>(row)];
    if (column == StatusColumn && problem)
        return reasonOf(row);
    if (column == StatusColumn && verdictOf(row) != mri::Verdict::NotChecked)
        return selfCheckText(row);
    if (column == ImageColumn)
        return toQString(m_dataset->rows[static_cast<std::size_t>(row)].imagePath);
    if (column == PsnrColumn || column == SsimColumn) {
        if (result.done)
            return tr("Enhanced slice against the original: %1").arg(toQString(result.enhancedImage));
    }
    return {};
}

QVariant PatientTableModel::foreground(int row, int column, bool problem) const
{
    if (column != StatusColumn)
        return {};
    if (problem)
        return QBrush(QColor(0xc6, 0x28, 0x28));
    // A result its self-check doubts reads like its icon, not like a good one.
    if (verdictOf(row) == mri::Verdict::Suspect)
        return QBrush(QColor(0xc6, 0x28, 0x28));
    if (verdictOf(row) == mri::Verdict::Check)
        return QBrush(QColor(0xa8, 0x5d, 0x00));
    if (m_results[static_cast<std::size_t>(row)].done)
        return QBrush(QColor(0x2e, 0x7d, 0x32));
    if (!isChecked(row))
        return QBrush(QColor(0x80, 0x80, 0x80));
    return {};
}

QIcon PatientTableModel::verdictIcon(mri::Verdict verdict)
{
    switch (verdict) {
    case mri::Verdict::Ok: return QApplication::style()->standardIcon(QStyle::SP_DialogApplyButton);
    case mri::Verdict::Check: return QApplication::style()->standardIcon(QStyle::SP_MessageBoxWarning);
    case mri::Verdict::Suspect: return QApplication::style()->standardIcon(QStyle::SP_MessageBoxCritical);
    case mri::Verdict::NotChecked: break;
    }
    return {};
}

QVariant PatientTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case PatientColumn: return tr("Patient");
    case ImageColumn: return tr("Image file");
    case SizeColumn: return tr("Size");
    case PsnrColumn: return tr("PSNR (dB)");
    case SsimColumn: return tr("SSIM");
    case StatusColumn: return tr("Status");
    }
    if (section >= ColumnCount && section - ColumnCount < m_extraColumns.size())
        return m_extraColumns[section - ColumnCount].header;
    return {};
}

} // namespace studio
