#pragma once

#include "WorkerTypes.h"

#include <QMainWindow>

class QAction;
class QLabel;
class QMenu;
class QMimeData;
class QProgressBar;
class QTabWidget;
class QToolButton;

namespace studio {

class ComparisonPage;
class PatientsPage;
class StudioActions;
class StudioSession;
class TrainingPanel;

// The studio window: menus, tool bar, status bar and three tabs (patients
// with the side-by-side view, training, three-patient comparison). All work
// goes through the StudioSession, whose workers run on their own threads.
class MainWindow final : public QMainWindow
{
    Q_OBJECT

public:
    enum Tab { PatientsTab = 0, TrainingTab = 1, CompareTab = 2 };

    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    StudioSession *session() const { return m_session; }
    StudioActions *actions() const { return m_actions; }
    PatientsPage *patientsPage() const { return m_patientsPage; }
    TrainingPanel *trainingPanel() const { return m_trainingPanel; }
    ComparisonPage *comparisonPage() const { return m_comparisonPage; }
    QTabWidget *tabs() const { return m_tabs; }

    bool openDataset(const QString &path);
    bool showTab(const QString &name);   // "patients", "training", "compare"
    void enhanceSelected();
    void enhanceAll();
    void exportMetricsCsv();
    void exportMetricsCsvAs();
    void buildDemoDataset();
    // Startup without a dataset: offers (without blocking) to build the demo.
    void offerDemoDataset();
    static QString demoFolder();

    QString lastError() const { return m_lastError; }
    // Off: errors only reach the status bar (screenshots, tests).
    void setErrorDialogsEnabled(bool enabled) { m_errorDialogs = enabled; }
    // Off: window layout and recent datasets are neither restored nor saved
    // (screenshots look the same on every machine).
    void setSettingsPersistent(bool persistent);

protected:
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void createActions();
    void createMenus();
    void createToolBar();
    void createStatusBar();
    void connectSession();
    void chooseDataset();
    void rebuildRecentMenu();
    void updateViewActions();
    void updateTitle();
    void updateModelLabel();
    void onJobChanged(studio::Job job);
    void showError(const QString &message);
    void showAbout();
    void restoreSettings();
    void saveSettings() const;
    static QString droppedDataset(const QMimeData *mime);

    StudioSession *m_session = nullptr;
    StudioActions *m_actions = nullptr;
    QTabWidget *m_tabs = nullptr;
    PatientsPage *m_patientsPage = nullptr;
    TrainingPanel *m_trainingPanel = nullptr;
    ComparisonPage *m_comparisonPage = nullptr;

    QMenu *m_recentMenu = nullptr;
    QAction *m_quitAction = nullptr;
    QAction *m_zoomInAction = nullptr;
    QAction *m_zoomOutAction = nullptr;
    QAction *m_fitAction = nullptr;
    QAction *m_actualSizeAction = nullptr;
    QAction *m_differenceAction = nullptr;
    QAction *m_residualAction = nullptr;
    QAction *m_aboutAction = nullptr;

    QLabel *m_jobLabel = nullptr;
    QProgressBar *m_jobProgress = nullptr;
    QToolButton *m_cancelButton = nullptr;
    QLabel *m_modelLabel = nullptr;

    QString m_lastError;
    bool m_errorDialogs = true;
    bool m_persistent = true;
};

} // namespace studio
