#include "PatientsPage.h"

#include "ContrastPanel.h"
#include "PatientTableModel.h"
#include "SideBySideView.h"
#include "StudioSession.h"

#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>

namespace studio {

PatientsPage::PatientsPage(StudioSession *session, QWidget *parent)
    : QWidget(parent)
    , m_session(session)
{
    QWidget *left = buildPatientList();

    m_view = new SideBySideView(this);
    m_view->setObjectName(QStringLiteral("sideBySideView"));

    m_splitter = new QSplitter(Qt::Horizontal, this);
    m_splitter->setObjectName(QStringLiteral("patientsSplitter"));
    m_splitter->addWidget(left);
    // Under the view: the contrast step of "Enhance", previewed on the slice shown.
    m_contrast = new ContrastPanel(this);
    m_contrast->setObjectName(QStringLiteral("contrastPanel"));
    m_contrast->setStep(m_session->contrastStep());
    connect(m_contrast, &ContrastPanel::stepChanged, m_session, &StudioSession::setContrastStep);
    connect(m_contrast, &ContrastPanel::settingsChanged, m_session, &StudioSession::setEnhanceSettings);
    auto *right = new QWidget(this);
    auto *rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addWidget(m_view, 1);
    rightLayout->addWidget(m_contrast);
    m_splitter->addWidget(right);
    m_splitter->setStretchFactor(0, 2);
    m_splitter->setStretchFactor(1, 3);
    m_splitter->setChildrenCollapsible(false);
    resetLayout();

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_splitter);

    connectSession();
    updateCounts();
}

// The filter over the patient table and the count under it.
QWidget *PatientsPage::buildPatientList()
{
    m_filter = new QLineEdit(this);
    m_filter->setObjectName(QStringLiteral("patientFilter"));
    m_filter->setPlaceholderText(tr("Filter patients, files or status…"));
    m_filter->setClearButtonEnabled(true);

    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_session->patientModel());
    m_proxy->setSortRole(PatientTableModel::SortRole);
    m_proxy->setFilterKeyColumn(-1);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_proxy->setSortCaseSensitivity(Qt::CaseInsensitive);
    connect(m_filter, &QLineEdit::textChanged, m_proxy, &QSortFilterProxyModel::setFilterFixedString);

    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("patientTable"));
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(-1, Qt::AscendingOrder); // dataset order until a header is clicked
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->setTextElideMode(Qt::ElideRight);
    m_table->verticalHeader()->setVisible(false);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 8);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->setHighlightSections(false);

    m_countLabel = new QLabel(this);
    m_countLabel->setObjectName(QStringLiteral("patientCountLabel"));

    auto *left = new QWidget(this);
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(m_filter);
    leftLayout->addWidget(m_table, 1);
    leftLayout->addWidget(m_countLabel);
    return left;
}

// The selection, the session's datasets, slices and enhancements, and a slow load.
void PatientsPage::connectSession()
{
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &PatientsPage::onCurrentChanged);
    auto *model = m_session->patientModel();
    connect(model, &QAbstractItemModel::modelReset, this, [this] {
        m_currentRow = -1;
        updateCounts();
    });
    connect(model, &QAbstractItemModel::dataChanged, this, &PatientsPage::updateCounts);

    connect(m_session, &StudioSession::datasetOpened, this, [this] {
        m_view->showMessage(tr("Select a patient."));
        if (m_session->patientModel()->rowCount() > 0)
            selectRow(0);
    });
    connect(m_session, &StudioSession::slicesLoaded, this, [this](const SlicePair &pair) {
        if (pair.row != m_currentRow || pair.row >= static_cast<int>(m_session->results().size()))
            return;
        m_view->showSlices(pair, m_session->results()[static_cast<std::size_t>(pair.row)]);
        const bool enhanced = !pair.enhanced.isNull();
        m_contrast->setSlice(enhanced ? pair.enhanced : pair.original, pair.maximumValue, enhanced);
        emit slicesShown(pair.row);
    });
    // Reading a large volume takes a moment: rather than the previous
    // patient's slices, the view then says what it is loading.
    m_loadingTimer = new QTimer(this);
    m_loadingTimer->setSingleShot(true);
    m_loadingTimer->setInterval(250);
    connect(m_loadingTimer, &QTimer::timeout, this, [this] {
        const auto &dataset = m_session->dataset();
        if (m_currentRow < 0 || m_view->currentRow() == m_currentRow || !dataset
            || m_currentRow >= static_cast<int>(dataset->rows.size()))
            return;
        m_view->showMessage(tr("Loading %1…")
                                .arg(QString::fromStdString(dataset->rows[static_cast<std::size_t>(m_currentRow)].patientId)));
    });
    connect(m_view, &SideBySideView::sliceRequested, this, [this](mri::SlicePlane plane, int slice, bool onEnhancedGrid) {
        if (m_currentRow >= 0)
            m_session->requestSlices(m_currentRow, plane, slice, onEnhancedGrid);
    });
    connect(m_session, &StudioSession::rowEnhanced, this, [this](int row) {
        if (row == m_currentRow)
            m_session->requestSlices(row);
    });
    connect(m_session, &StudioSession::enhanceFinished, this, [this] {
        if (m_currentRow >= 0)
            m_session->requestSlices(m_currentRow);
    });
}

void PatientsPage::resetLayout()
{
    const QFontMetrics metrics = m_table->fontMetrics();
    const auto widthOf = [&metrics](const char *sample) {
        return metrics.horizontalAdvance(QString::fromUtf8(sample)) + 18;
    };
    m_table->setColumnWidth(PatientTableModel::PatientColumn, widthOf("DEMO-0000"));
    m_table->setColumnWidth(PatientTableModel::ImageColumn, widthOf("images/demo_000.png"));
    m_table->setColumnWidth(PatientTableModel::SizeColumn, widthOf("512 × 512 · 16-bit"));
    m_table->setColumnWidth(PatientTableModel::PsnrColumn, widthOf("PSNR (dB)"));
    m_table->setColumnWidth(PatientTableModel::SsimColumn, widthOf("0.0000"));
    int tableWidth = 0;
    for (int column = 0; column < PatientTableModel::StatusColumn; ++column)
        tableWidth += m_table->columnWidth(column);
    tableWidth += widthOf("Not enhanced") + 24;
    m_splitter->setSizes({tableWidth, std::max(600, 1360 - tableWidth)});
}

RowList PatientsPage::selectedRows() const
{
    RowList rows;
    const auto selected = m_table->selectionModel()->selectedRows();
    for (const auto &index : selected)
        rows.push_back(static_cast<std::size_t>(m_proxy->mapToSource(index).row()));
    std::sort(rows.begin(), rows.end());
    return rows;
}

void PatientsPage::selectRow(int datasetRow)
{
    const QModelIndex source = m_session->patientModel()->index(datasetRow, 0);
    const QModelIndex index = m_proxy->mapFromSource(source);
    if (!index.isValid())
        return;
    m_table->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_table->scrollTo(index);
}

int PatientsPage::currentRow() const
{
    return m_currentRow;
}

void PatientsPage::onCurrentChanged()
{
    const QModelIndex current = m_table->selectionModel()->currentIndex();
    const int row = current.isValid() ? m_proxy->mapToSource(current).row() : -1;
    if (row == m_currentRow)
        return;
    m_currentRow = row;
    if (row >= 0) {
        m_session->requestSlices(row);
        m_loadingTimer->start();
    }
    emit currentRowChanged(row);
}

void PatientsPage::updateCounts()
{
    const auto *model = m_session->patientModel();
    const int total = model->rowCount();
    if (total == 0) {
        m_countLabel->setText(tr("No dataset open."));
        return;
    }
    QString text = tr("Rows: %1 · enhanced: %2").arg(total).arg(model->enhancedCount());
    const int unreadable = model->unreadableCount();
    if (unreadable > 0)
        text += tr(" · unreadable: %1").arg(unreadable);
    m_countLabel->setText(text);
}

} // namespace studio
