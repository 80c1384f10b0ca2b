#pragma once

#include <opencv2/core/mat.hpp>

#include <string>
#include <utility>
#include <vector>

namespace mri {

struct ScanVolume;

// MRIQC's image quality measures of one image: the formulas of
// mriqc.qc.anatomical with class means and standard deviations of our own
// tissue split (see checkEnhancement()), where MRIQC's workflow passes medians
// (and a MAD for CJV) of FSL FAST's eroded masks: for comparing a result
// with its input, not with an MRIQC report. NaN where a class is missing.
//   SNR = mean over CSF, grey and white of  mu_k / (sd_k sqrt(n_k / (n_k - 1)))
//   CNR = |mu_white - mu_grey| / sqrt(sd_air^2 + sd_grey^2 + sd_white^2)
//   CJV = (sd_white + sd_grey) / |mu_white - mu_grey|
//   EFC = (sum_j (x_j / b) ln(x_j / b)) / (sqrt(n) ln(1 / sqrt(n))),  b = sqrt(sum_j x_j^2)
// sd: the population standard deviation (numpy's std()).
struct QualityMeasures
{
    double snr = 0.0;
    double cnr = 0.0;
    double cjv = 0.0;
    double efc = 0.0;
};

// MRIQC's measures of `slices` (CV_32FC1, or 8- or 16-bit) with the classes
// in `labels` (CV_8SC1 of each slice's size: -1 air, 0 CSF, 1 grey, 2 white;
// other values and non-finite voxels are left out).
QualityMeasures qualityMeasures(const std::vector<cv::Mat> &slices, const std::vector<cv::Mat> &labels);

enum class Verdict { NotChecked, Ok, Check, Suspect };

// "ok", "check", "suspect"; "" when not checked.
std::string verdictText(Verdict verdict);
// The verdict named by `text` (verdictText()); NotChecked for anything else.
Verdict verdictOf(const std::string &text);

// What a result says about itself without ground truth: the noise measured
// in the input, the residual (input minus what the noise model expects of the
// result), and MRIQC's measures before and after. Image units throughout.
struct SelfCheck
{
    Verdict verdict = Verdict::NotChecked;
    std::string reason;                 // one sentence: why this verdict

    double noiseSigma = 0.0;            // measured in the input's background (estimateNoise), per Gaussian component
    double noiseCoils = 1.0;            // N of its non-central chi
    // The noise level over the field of view relative to noiseSigma, lowest
    // and highest (NoiseMap.h, estimated as enhancement does; parallel
    // imaging); 1 and 1 where one level holds.
    double noiseLevelMinimum = 1.0;
    double noiseLevelMaximum = 1.0;
    // The noise measured in the result's background as in the input's, over
    // the input's: 1 nothing removed there, 0 a clean background.
    double noiseLeft = 0.0;
    // In the tissue: the residual's RMS over the RMS the noise model expects
    // there (about 1: noise removed; well above: signal removed too; well
    // below: noise left in).
    double residualToNoise = 0.0;
    // Pearson correlations in the tissue of the residual with the result
    // (structure of the signal), of the residual's local energy (3 x 3) with
    // the result's gradient magnitude (edges taken away), and of the residual
    // with its neighbour in the slice (white or not).
    double residualSignalCorrelation = 0.0;
    double residualEdgeCorrelation = 0.0;
    double residualNeighbourCorrelation = 0.0;
    // Mean change in the tissue after the floor model, as a fraction of the
    // tissue mean: positive when the result is brighter than its input implies.
    double tissueBias = 0.0;
    // The PSNR gain over the input that the residual implies (dB), from the
    // expected squared error of input and result against the unknown signal:
    // in the tissue the residual's excess over the noise plus the noise the
    // result kept, in the background the result itself.
    double estimatedGain = 0.0;

    QualityMeasures input;
    QualityMeasures result;
};

// The check of `result`, the denoised `input` (same size: CV_32FC1, or 8- or
// 16-bit), slice by slice; a volume's slices all count as one image. `coils`
// <= 0: N estimated from the background. Tissue: the voxels of the input,
// smoothed in-plane (Gaussian, 1.5 pixels), above a tenth of its 99th
// percentile (classifyTissue()), split into CSF, grey and white by the
// nearest class centre; background: the rest. Every result of one input is
// so judged on the same voxels. A slice of more than 2^20 pixels is checked on
// a grid of 256 x 256 blocks spread over it (bounded memory).
// knownSigma > 0: the input's noise sigma is known (a volume's, for one of
// its slices) and not measured again.
SelfCheck checkEnhancement(const std::vector<cv::Mat> &inputSlices, const std::vector<cv::Mat> &resultSlices,
                           double coils, double knownSigma = 0.0);
// Every axial slice of every frame of the volumes (same size).
SelfCheck checkEnhancement(const ScanVolume &input, const ScanVolume &result, double coils);

// The residual of one slice: input - sigma E[M/sigma | A = result] (N coils),
// what the check measures (one noise level; CV_32FC1 in the input's units).
// Shown beside the difference image: noise without structure where the
// result kept the signal, anatomy where it removed some.
cv::Mat residualOf(const cv::Mat &input, const cv::Mat &result, double sigma, double coils);

// What decided a check's verdict; a sentence in the user's language is made
// from it and the check's numbers (findingSentence() writes the English one).
enum class Finding {
    NotMeasured,      // no finite residual in the tissue
    LooksLikeNoise,   // ok: the residual is noise and the estimated gain large enough
    LittleChanged,    // residualToNoise well below 1
    TissueBias,       // tissueBias: darker (< 0) or brighter
    EdgesInResidual,  // residualEdgeCorrelation high and estimatedGain modest: signal removed
    ResidualTooLarge, // residualToNoise well above 1: signal removed
    LowGain,          // estimatedGain small or negative
};

// The finding and the verdict that the check's numbers give, by the
// calibrated thresholds: the most severe finding decides, among equals the
// first in the order above. Pure, so a check read back from a CSV is judged
// as it was written.
Finding findingOf(const SelfCheck &check);
Verdict verdictOf(const SelfCheck &check);
// The sentence of a finding, described once: a text with Qt-style %1, %2
// placeholders, marked for translation (context "mri::SelfCheck"), and its
// numbers, each with the decimals it is written with (the GUI writes them in
// the user's locale).
struct FindingSentence
{
    struct Number
    {
        double value = 0.0;
        int decimals = 2;
    };
    const char *text = "";
    std::vector<Number> numbers;
};
FindingSentence findingSentenceOf(const SelfCheck &check);
// The finding as one English sentence with its numbers: the CSV's verdict_reason.
std::string findingSentence(const SelfCheck &check);

// The check's fields, described once: their names are the metrics CSV's
// columns and the JSON report's keys, in this order.
const std::vector<std::string> &selfCheckColumns();
// Each column of selfCheckColumns() with its value as text ("" for a row not
// checked; numbers as formatMetric() writes them, "nan" where undefined).
std::vector<std::pair<std::string, std::string>> selfCheckFields(const SelfCheck &check);
// Sets the field of `column` from `text` (as selfCheckFields() wrote it); false for another column.
bool setSelfCheckField(SelfCheck &check, const std::string &column, const std::string &text);

} // namespace mri
