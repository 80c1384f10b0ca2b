#include "StudioActions.h"

#include "AppSetup.h"
#include "StudioSession.h"

#include <QAction>
#include <QApplication>
#include <QStyle>

namespace studio {

StudioActions::StudioActions(StudioSession *session, QObject *parent)
    : QObject(parent)
    , m_session(session)
{
    m_open = add(QStringLiteral("open"), tr("&Open Dataset…"),
                 tr("Open a folder with brain_tumor_info.csv or with slice images"));
    m_open->setObjectName(QStringLiteral("openDatasetAction"));
    m_open->setShortcut(QKeySequence::Open);
    m_buildDemo = add({}, tr("Build &Demo Dataset"), tr("Write noisy slices of the MNI brain template and open them"));
    m_buildDemo->setObjectName(QStringLiteral("buildDemoAction"));
    m_exportMetrics = add(QStringLiteral("export"), tr("&Export Metrics CSV"),
                          tr("Write brain_tumor_info_metrics.csv next to the dataset"));
    m_exportMetrics->setObjectName(QStringLiteral("exportMetricsAction"));
    m_exportMetrics->setShortcut(QKeySequence::Save);
    m_exportMetricsAs = add({}, tr("Export Metrics CSV &As…"), {});
    m_exportMetricsAs->setObjectName(QStringLiteral("exportMetricsAsAction"));
    m_exportMetricsAs->setShortcut(QKeySequence::SaveAs);
    m_saveFigure = add({}, tr("Save Comparison &Figure…"), {});
    m_saveFigure->setObjectName(QStringLiteral("saveFigureAction"));

    m_loadModel = add({}, tr("&Load Model…"), tr("Choose the model file used for enhancement"));
    m_loadModel->setObjectName(QStringLiteral("loadModelAction"));
    m_saveModelAs = add({}, tr("&Save Model As…"), tr("Copy the current checkpoint to another file"));
    m_saveModelAs->setObjectName(QStringLiteral("saveModelAction"));

    m_startTraining = add(QStringLiteral("train"), tr("Start &Training"),
                          tr("Train a new model with the options of the Training tab"));
    m_startTraining->setObjectName(QStringLiteral("startTrainingAction"));
    m_startTraining->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_T));
    m_resumeTraining = add({}, tr("&Resume Training"), tr("Continue training from the model's checkpoint"));
    m_resumeTraining->setObjectName(QStringLiteral("resumeTrainingAction"));
    m_resumeTraining->setIcon(QApplication::style()->standardIcon(QStyle::SP_MediaSeekForward));
    m_stop = add(QStringLiteral("stop"), tr("&Stop"),
                 tr("Stop training or enhancement; finished work is kept"));
    m_stop->setObjectName(QStringLiteral("stopAction"));
    m_stop->setShortcut(QKeySequence(Qt::Key_Escape));
    connect(m_stop, &QAction::triggered, m_session, &StudioSession::cancelJob);

    m_enhanceSelected = add(QStringLiteral("enhance"), tr("&Enhance Selected"),
                            tr("Enhance the patients selected in the table with the current model"));
    m_enhanceSelected->setObjectName(QStringLiteral("enhanceSelectedAction"));
    m_enhanceSelected->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    m_enhanceAll = add({}, tr("Enhance &All"), {});
    m_enhanceAll->setObjectName(QStringLiteral("enhanceAllAction"));
    m_enhanceAll->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E));

    m_compare = add(QStringLiteral("compare"), tr("&Compare Three Patients"), {});
    m_compare->setObjectName(QStringLiteral("compareAction"));
    m_compare->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_3));
    m_reshuffle = add({}, tr("Res&huffle Comparison"), {});
    m_reshuffle->setObjectName(QStringLiteral("reshuffleAction"));
    m_reshuffle->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));

    connect(m_session, &StudioSession::stateChanged, this, &StudioActions::update);
    update();
}

QAction *StudioActions::add(const QString &icon, const QString &text, const QString &statusTip)
{
    auto *action = new QAction(icon.isEmpty() ? QIcon() : studioIcon(icon), text, this);
    if (!statusTip.isEmpty()) {
        action->setStatusTip(statusTip);
        action->setToolTip(statusTip); // also on the panels' buttons bound to the action
    }
    return action;
}

void StudioActions::setPatientsSelected(bool selected)
{
    m_patientsSelected = selected;
    update();
}

void StudioActions::setComparisonShown(bool shown)
{
    m_comparisonShown = shown;
    update();
}

void StudioActions::update()
{
    const bool haveDataset = static_cast<bool>(m_session->dataset());
    m_open->setEnabled(m_session->canOpen());
    m_buildDemo->setEnabled(m_session->canOpen());
    m_exportMetrics->setEnabled(m_session->canExport());
    m_exportMetricsAs->setEnabled(m_session->canExport());
    m_saveFigure->setEnabled(haveDataset && m_comparisonShown);
    m_loadModel->setEnabled(m_session->canLoadModel());
    m_saveModelAs->setEnabled(m_session->canSaveModel());
    m_startTraining->setEnabled(m_session->canTrain());
    m_resumeTraining->setEnabled(m_session->canResume());
    m_stop->setEnabled(m_session->canStop());
    m_enhanceSelected->setEnabled(m_session->canEnhance() && m_patientsSelected);
    m_enhanceAll->setEnabled(m_session->canEnhance());
    m_compare->setEnabled(haveDataset);
    m_reshuffle->setEnabled(haveDataset);
}

} // namespace studio
