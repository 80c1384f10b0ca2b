#pragma once

#include <QObject>

class QAction;

namespace studio {

class StudioSession;

// Every command of the studio that depends on the session's state, once, as a
// QAction: menus, the tool bar and the panels' buttons show these same actions
// (QToolButton::setDefaultAction), and update() enables all of them from the
// session's answers (canTrain(), canStop()...) in one place, so they can never
// disagree. Owners connect triggered() to their work; Stop cancels the job here.
class StudioActions final : public QObject
{
    Q_OBJECT

public:
    explicit StudioActions(StudioSession *session, QObject *parent = nullptr);

    QAction *open() const { return m_open; }
    QAction *buildDemo() const { return m_buildDemo; }
    QAction *exportMetrics() const { return m_exportMetrics; }
    QAction *exportMetricsAs() const { return m_exportMetricsAs; }
    QAction *saveFigure() const { return m_saveFigure; }
    QAction *loadModel() const { return m_loadModel; }
    QAction *saveModelAs() const { return m_saveModelAs; }
    QAction *startTraining() const { return m_startTraining; }
    QAction *resumeTraining() const { return m_resumeTraining; }
    QAction *stop() const { return m_stop; }
    QAction *enhanceSelected() const { return m_enhanceSelected; }
    QAction *enhanceAll() const { return m_enhanceAll; }
    QAction *compare() const { return m_compare; }
    QAction *reshuffle() const { return m_reshuffle; }

    // What the window knows and the session does not.
    void setPatientsSelected(bool selected);
    void setComparisonShown(bool shown);

    void update();

private:
    QAction *add(const QString &icon, const QString &text, const QString &statusTip);

    StudioSession *m_session = nullptr;
    bool m_patientsSelected = false;
    bool m_comparisonShown = false;

    QAction *m_open = nullptr;
    QAction *m_buildDemo = nullptr;
    QAction *m_exportMetrics = nullptr;
    QAction *m_exportMetricsAs = nullptr;
    QAction *m_saveFigure = nullptr;
    QAction *m_loadModel = nullptr;
    QAction *m_saveModelAs = nullptr;
    QAction *m_startTraining = nullptr;
    QAction *m_resumeTraining = nullptr;
    QAction *m_stop = nullptr;
    QAction *m_enhanceSelected = nullptr;
    QAction *m_enhanceAll = nullptr;
    QAction *m_compare = nullptr;
    QAction *m_reshuffle = nullptr;
};

} // namespace studio
