#pragma once

#include "WorkerTypes.h"

#include <QWidget>

class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QSplitter;
class QTableView;
class QTimer;

namespace studio {

class ContrastPanel;
class SideBySideView;
class StudioSession;

// The patient table (sortable, filterable) next to the side-by-side view of
// the selected patient. Selecting a row loads that patient's slices on the
// image thread; results arriving from an enhancement refresh the view.
class PatientsPage final : public QWidget
{
    Q_OBJECT

public:
    explicit PatientsPage(StudioSession *session, QWidget *parent = nullptr);

    QTableView *table() const { return m_table; }
    QSortFilterProxyModel *proxy() const { return m_proxy; }
    SideBySideView *view() const { return m_view; }
    ContrastPanel *contrastPanel() const { return m_contrast; }
    QLineEdit *filterEdit() const { return m_filter; }
    QSplitter *splitter() const { return m_splitter; }

    // Splitter and column widths as on first start.
    void resetLayout();

    // Dataset row indices of the selected lines, ascending.
    studio::RowList selectedRows() const;
    void selectRow(int datasetRow);
    int currentRow() const;

signals:
    void currentRowChanged(int datasetRow);
    void slicesShown(int datasetRow);

private:
    QWidget *buildPatientList();
    void connectSession();
    void onCurrentChanged();
    void updateCounts();

    StudioSession *m_session = nullptr;
    QLineEdit *m_filter = nullptr;
    QTableView *m_table = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QLabel *m_countLabel = nullptr;
    SideBySideView *m_view = nullptr;
    ContrastPanel *m_contrast = nullptr; // the contrast step of the next enhancement, previewed on the shown slice
    QSplitter *m_splitter = nullptr;
    int m_currentRow = -1;
    QTimer *m_loadingTimer = nullptr; // a slow load (a large volume) says so
};

} // namespace studio
