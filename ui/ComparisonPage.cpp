#include "ComparisonPage.h"

#include "Formatting.h"
#include "ImageTile.h"
#include "StudioSession.h"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QRandomGenerator>
#include <QVBoxLayout>

#include <algorithm>

namespace studio {

ComparisonPage::ComparisonPage(StudioSession *session, QWidget *parent)
    : QWidget(parent)
    , m_session(session)
    , m_seed(QRandomGenerator::global()->generate64())
{
    auto *title = new QLabel(tr("Three random patients: original and enhanced"), this);
    QFont titleFont = title->font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.15);
    title->setFont(titleFont);
    m_infoLabel = new QLabel(this);
    m_infoLabel->setObjectName(QStringLiteral("comparisonInfoLabel"));
    m_infoLabel->setWordWrap(true);
    m_reshuffleButton = new QPushButton(QIcon(QStringLiteral(":/icons/compare.png")), tr("Reshuffle"), this);
    m_reshuffleButton->setObjectName(QStringLiteral("reshuffleButton"));
    m_reshuffleButton->setToolTip(tr("Pick three other patients at random"));
    m_saveButton = new QPushButton(QIcon(QStringLiteral(":/icons/export.png")), tr("Save Figure…"), this);
    m_saveButton->setObjectName(QStringLiteral("saveFigureButton"));
    m_saveButton->setToolTip(tr("Save these three patients as one PNG figure"));
    connect(m_reshuffleButton, &QPushButton::clicked, this, &ComparisonPage::reshuffle);
    connect(m_saveButton, &QPushButton::clicked, this, &ComparisonPage::saveFigure);

    auto *header = new QHBoxLayout;
    auto *headerText = new QVBoxLayout;
    headerText->addWidget(title);
    headerText->addWidget(m_infoLabel);
    header->addLayout(headerText, 1);
    header->addWidget(m_reshuffleButton);
    header->addWidget(m_saveButton);

    auto *grid = new QGridLayout;
    grid->setHorizontalSpacing(12);
    grid->setVerticalSpacing(6);
    for (int i = 0; i < kPatientCount; ++i) {
        auto *label = new QLabel(this);
        label->setObjectName(QStringLiteral("comparisonTitle%1").arg(i));
        label->setAlignment(Qt::AlignCenter);
        QFont font = label->font();
        font.setBold(true);
        label->setFont(font);
        auto *original = new ImageTile(this);
        original->setObjectName(QStringLiteral("comparisonOriginal%1").arg(i));
        auto *enhanced = new ImageTile(this);
        enhanced->setObjectName(QStringLiteral("comparisonEnhanced%1").arg(i));
        grid->addWidget(label, 0, i);
        grid->addWidget(original, 1, i);
        grid->addWidget(enhanced, 2, i);
        grid->setColumnStretch(i, 1);
        m_titles.push_back(label);
        m_originals.push_back(original);
        m_enhanced.push_back(enhanced);
    }
    grid->setRowStretch(1, 1);
    grid->setRowStretch(2, 1);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(header);
    layout->addLayout(grid, 1);

    connect(m_session, &StudioSession::comparisonLoaded, this, &ComparisonPage::showComparison);
    connect(m_session, &StudioSession::datasetOpened, this, &ComparisonPage::markStale);
    connect(m_session, &StudioSession::enhanceFinished, this, &ComparisonPage::markStale);
    connect(m_session, &StudioSession::rowEnhanced, this, [this] { m_stale = true; });
    // A volume shown here at the slice last viewed: another slice viewed since.
    connect(m_session, &StudioSession::slicesLoaded, this, [this](const SlicePair &pair) {
        if (pair.isVolume && std::find(m_rows.begin(), m_rows.end(), static_cast<std::size_t>(pair.row)) != m_rows.end())
            m_stale = true;
    });
    connect(m_session, &StudioSession::comparisonSaved, this, [this](const QString &file) {
        m_infoLabel->setText(tr("Figure saved to %1.").arg(QDir::toNativeSeparators(file)));
    });
    showComparison(ComparisonSet());
    m_infoLabel->setText(tr("Open a dataset and enhance it to compare patients."));
}

void ComparisonPage::markStale()
{
    m_stale = true;
    if (isVisible())
        refresh();
}

void ComparisonPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_stale)
        refresh();
}

void ComparisonPage::reshuffle()
{
    m_seed = QRandomGenerator::global()->generate64();
    refresh();
}

void ComparisonPage::refresh()
{
    if (!m_session->dataset())
        return;
    m_stale = false;
    m_infoLabel->setText(tr("Loading…"));
    m_session->requestComparison(m_seed);
}

QStringList ComparisonPage::titles() const
{
    QStringList texts;
    for (const auto *title : m_titles)
        texts << title->text();
    return texts;
}

void ComparisonPage::showComparison(const ComparisonSet &set)
{
    m_rows = set.rows;
    m_patientIds.clear();
    for (int i = 0; i < kPatientCount; ++i) {
        if (i < set.items.size()) {
            const auto &item = set.items[i];
            m_patientIds << item.patientId;
            QString title = tr("%1 · PSNR %2 dB · SSIM %3")
                                .arg(item.patientId, formatting::psnr(item.psnr), formatting::ssim(item.ssim));
            // Volumes: which slice; the metrics stay the row's, over the whole volume.
            if (item.scale > 1)
                title += tr(" (on the input grid)");
            if (!item.sliceNote.isEmpty())
                title += QStringLiteral("\n") + item.sliceNote;
            m_titles[i]->setText(title);
            m_originals[i]->setImage(item.original);
            m_originals[i]->setCaption(item.scale > 1 ? tr("Original (nearest ×%1)").arg(item.scale) : tr("Original"));
            m_enhanced[i]->setImage(item.enhanced);
            m_enhanced[i]->setCaption(item.scale > 1 ? tr("Enhanced %1").arg(item.scaleNote) : tr("Enhanced"));
        } else {
            m_titles[i]->clear();
            m_originals[i]->setImage(QImage());
            m_originals[i]->setCaption(QString());
            m_enhanced[i]->setImage(QImage());
            m_enhanced[i]->setCaption(QString());
        }
    }
    if (set.available == 0)
        m_infoLabel->setText(tr("No patient has an enhanced slice yet: enhance the dataset first (Run ▸ Enhance All)."));
    else if (set.available < kPatientCount)
        m_infoLabel->setText(tr("Patients with an enhanced slice: %1. Enhance at least three to compare three patients.")
                                 .arg(set.available));
    else
        m_infoLabel->setText(tr("Picked at random among %1 enhanced patients. Each pair is shown with the original's intensity range; PSNR and SSIM compare the enhanced slice with the original.")
                                 .arg(set.available));
    m_saveButton->setEnabled(!set.items.isEmpty());
    m_reshuffleButton->setEnabled(set.available > kPatientCount);
    if (set.token != 0)
        emit comparisonShown();
}

void ComparisonPage::saveFigure()
{
    if (m_rows.empty())
        return;
    const QString start = QDir(m_session->datasetFolder()).filePath(QStringLiteral("comparison.png"));
    QString file = QFileDialog::getSaveFileName(this, tr("Save Comparison Figure"), start, tr("PNG images (*.png)"));
    if (file.isEmpty())
        return;
    if (QFileInfo(file).suffix().isEmpty())
        file += QStringLiteral(".png");
    saveFigureTo(file);
}

void ComparisonPage::saveFigureTo(const QString &file)
{
    if (!m_rows.empty())
        m_session->saveComparisonFigure(file, m_rows);
}

QStringList ComparisonPage::patientIds() const
{
    return m_patientIds;
}

QString ComparisonPage::infoText() const
{
    return m_infoLabel->text();
}

} // namespace studio
