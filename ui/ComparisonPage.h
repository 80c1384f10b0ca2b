#pragma once

#include "WorkerTypes.h"

#include <QStringList>
#include <QVector>
#include <QWidget>

class QLabel;
class QPushButton;

namespace studio {

class ImageTile;
class StudioSession;

// Three patients picked at random among those with an enhanced slice
// (mri::pickRandomPatients), original above enhanced, each labelled with
// patient_id, PSNR and SSIM. Reshuffle draws three others; Save Figure writes
// the engine's comparison figure as PNG.
class ComparisonPage final : public QWidget
{
    Q_OBJECT

public:
    static constexpr int kPatientCount = 3;

    explicit ComparisonPage(StudioSession *session, QWidget *parent = nullptr);

    void reshuffle();
    void refresh();
    void saveFigure();
    void saveFigureTo(const QString &file);

    QStringList patientIds() const;
    QString infoText() const;
    QStringList titles() const; // above each pair: patient, metrics (and the slice of a volume)
    bool isStale() const { return m_stale; }

signals:
    void comparisonShown();

protected:
    void showEvent(QShowEvent *event) override;

private:
    void showComparison(const studio::ComparisonSet &set);
    void markStale();

    StudioSession *m_session = nullptr;
    QLabel *m_infoLabel = nullptr;
    QPushButton *m_reshuffleButton = nullptr;
    QPushButton *m_saveButton = nullptr;
    QVector<QLabel *> m_titles;
    QVector<ImageTile *> m_originals;
    QVector<ImageTile *> m_enhanced;
    QVector<QWidget *> m_columns;
    studio::RowList m_rows;
    QStringList m_patientIds;
    quint64 m_seed = 1;
    bool m_stale = true;
};

} // namespace studio
