#include "TrainingChart.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QHBoxLayout>
#include <QTimer>
#include <QVBoxLayout>

#include <cmath>

namespace studio {

namespace {

constexpr double kSmoothing = 0.9; // exponential moving average of the step loss

} // namespace

TrainingChart::TrainingChart(QWidget *parent)
    : QWidget(parent)
    , m_plot(new QCustomPlot(this))
    , m_replotTimer(new QTimer(this))
{
    m_plot->setObjectName(QStringLiteral("trainingPlot"));
    m_plot->setMinimumSize(320, 220);
    m_plot->setNoAntialiasingOnDrag(true);
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);

    m_plot->xAxis->setLabel(tr("Step"));
    m_plot->yAxis->setLabel(tr("Loss"));
    m_plot->yAxis2->setLabel(tr("Validation PSNR (dB)"));
    m_plot->yAxis2->setVisible(true);
    m_plot->yAxis2->setTickLabels(true);

    const QColor trainColour(0x90, 0xa4, 0xae);
    const QColor smoothColour(0x15, 0x65, 0xc0);
    const QColor validationColour(0xe6, 0x51, 0x00);
    const QColor psnrColour(0x2e, 0x7d, 0x32);

    m_trainGraph = m_plot->addGraph(m_plot->xAxis, m_plot->yAxis);
    m_trainGraph->setName(tr("Training loss (per step)"));
    m_trainGraph->setPen(QPen(trainColour, 1));

    m_smoothedGraph = m_plot->addGraph(m_plot->xAxis, m_plot->yAxis);
    m_smoothedGraph->setName(tr("Training loss (smoothed)"));
    m_smoothedGraph->setPen(QPen(smoothColour, 2));

    m_validationGraph = m_plot->addGraph(m_plot->xAxis, m_plot->yAxis);
    m_validationGraph->setName(tr("Validation loss (per epoch)"));
    m_validationGraph->setPen(QPen(validationColour, 2));
    m_validationGraph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, validationColour, Qt::white, 7));

    m_psnrGraph = m_plot->addGraph(m_plot->xAxis, m_plot->yAxis2);
    m_psnrGraph->setName(tr("Validation PSNR (per epoch)"));
    m_psnrGraph->setPen(QPen(psnrColour, 2, Qt::DashLine));
    m_psnrGraph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDiamond, psnrColour, psnrColour, 8));
    m_plot->yAxis2->setLabelColor(psnrColour);
    m_plot->yAxis2->setTickLabelColor(psnrColour);

    // Legend in a row below the axes, so it never hides a curve.
    m_plot->legend->setVisible(true);
    m_plot->axisRect()->insetLayout()->take(m_plot->legend);
    auto *legendRow = new QCPLayoutGrid;
    m_plot->plotLayout()->addElement(1, 0, legendRow);
    legendRow->setMargins(QMargins(5, 0, 5, 5));
    legendRow->addElement(0, 0, m_plot->legend);
    m_plot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    m_plot->legend->setBorderPen(Qt::NoPen);
    m_plot->plotLayout()->setRowStretchFactor(1, 0.001);
    m_plot->xAxis->setRange(0, 10);
    m_plot->yAxis->setRange(0, 0.1);
    m_plot->yAxis2->setRange(0, 40);

    m_placeholder = new QCPItemText(m_plot);
    m_placeholder->setClipToAxisRect(true);
    m_placeholder->position->setType(QCPItemPosition::ptAxisRectRatio);
    m_placeholder->position->setCoords(0.5, 0.5);
    m_placeholder->setPositionAlignment(Qt::AlignCenter);
    m_placeholder->setTextAlignment(Qt::AlignCenter);
    m_placeholder->setColor(QColor(0x78, 0x90, 0x9c));
    m_placeholder->setText(tr("Start training to follow the training loss per step\nand the validation loss and PSNR per epoch here."));

    m_logCheck = new QCheckBox(tr("Logarithmic loss axis"), this);
    m_logCheck->setObjectName(QStringLiteral("logarithmicLossCheck"));
    connect(m_logCheck, &QCheckBox::toggled, this, &TrainingChart::setLogarithmic);

    m_replotTimer->setSingleShot(true);
    m_replotTimer->setInterval(kReplotIntervalMs);
    connect(m_replotTimer, &QTimer::timeout, this, &TrainingChart::replotNow);

    auto *options = new QHBoxLayout;
    options->addStretch(1);
    options->addWidget(m_logCheck);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot, 1);
    layout->addLayout(options);
}

void TrainingChart::clear()
{
    for (auto *graph : {m_trainGraph, m_smoothedGraph, m_validationGraph, m_psnrGraph})
        graph->data()->clear();
    m_hasSmoothed = false;
    replotNow();
}

bool TrainingChart::isEmpty() const
{
    return m_trainGraph->dataCount() == 0;
}

void TrainingChart::addStep(double globalStep, double loss)
{
    if (!std::isfinite(loss))
        return;
    m_trainGraph->addData(globalStep, loss);
    m_smoothed = m_hasSmoothed ? kSmoothing * m_smoothed + (1.0 - kSmoothing) * loss : loss;
    m_hasSmoothed = true;
    m_smoothedGraph->addData(globalStep, m_smoothed);
    scheduleReplot();
}

void TrainingChart::addEpochTrainLoss(double globalStep, double meanLoss)
{
    if (!std::isfinite(meanLoss))
        return;
    m_trainGraph->addData(globalStep, meanLoss);
    m_smoothed = meanLoss;
    m_hasSmoothed = true;
    m_smoothedGraph->addData(globalStep, meanLoss);
    scheduleReplot();
}

void TrainingChart::addEpoch(double globalStep, double validationLoss, double validationPsnr)
{
    if (std::isfinite(validationLoss))
        m_validationGraph->addData(globalStep, validationLoss);
    if (std::isfinite(validationPsnr))
        m_psnrGraph->addData(globalStep, validationPsnr);
    scheduleReplot();
}

void TrainingChart::scheduleReplot()
{
    // A pending redraw already covers this point.
    if (!m_replotTimer->isActive())
        m_replotTimer->start();
}

void TrainingChart::replotNow()
{
    m_replotTimer->stop();
    m_placeholder->setVisible(m_trainGraph->data()->isEmpty());
    bool found = false;
    const QCPRange steps = m_trainGraph->data()->keyRange(found);
    if (found) {
        const double span = std::max(steps.upper - steps.lower, 1.0);
        m_plot->xAxis->setRange(steps.lower - 0.02 * span, steps.lower + 1.02 * span);
    }

    QCPRange loss;
    bool haveLoss = false;
    for (auto *graph : {m_trainGraph, m_validationGraph}) {
        bool graphFound = false;
        const QCPRange range = graph->data()->valueRange(graphFound, m_logCheck->isChecked() ? QCP::sdPositive : QCP::sdBoth);
        if (graphFound) {
            loss = haveLoss ? QCPRange(std::min(loss.lower, range.lower), std::max(loss.upper, range.upper)) : range;
            haveLoss = true;
        }
    }
    if (haveLoss) {
        if (m_logCheck->isChecked()) {
            m_plot->yAxis->setRange(loss.lower / 1.2, loss.upper * 1.2);
        } else {
            const double margin = std::max(1e-6, (loss.upper - loss.lower) * 0.05);
            m_plot->yAxis->setRange(std::max(0.0, loss.lower - margin), loss.upper + margin);
        }
    }
    bool psnrFound = false;
    const QCPRange psnr = m_psnrGraph->data()->valueRange(psnrFound);
    if (psnrFound)
        m_plot->yAxis2->setRange(psnr.lower - 1.0, psnr.upper + 1.0);

    m_plot->replot();
    ++m_replots;
}

void TrainingChart::setLogarithmic(bool logarithmic)
{
    if (logarithmic) {
        m_plot->yAxis->setScaleType(QCPAxis::stLogarithmic);
        m_plot->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
        m_plot->yAxis->setNumberFormat(QStringLiteral("eb"));
        m_plot->yAxis->setNumberPrecision(0);
    } else {
        m_plot->yAxis->setScaleType(QCPAxis::stLinear);
        m_plot->yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
        m_plot->yAxis->setNumberFormat(QStringLiteral("gb"));
        m_plot->yAxis->setNumberPrecision(6);
    }
    replotNow();
}

} // namespace studio
