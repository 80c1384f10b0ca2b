#pragma once

#include <opencv2/core/mat.hpp>

#include <string>
#include <vector>

namespace mri {

// An optional contrast step after enhancement (display contrast, not a
// restoration): local histogram equalisation (CLAHE) or a power law.
enum class ContrastKind { None, Clahe, Gamma };

struct ContrastStep
{
    ContrastKind kind = ContrastKind::None;
    double clipLimit = 2.0; // CLAHE: a tile's histogram is clipped at this multiple of its mean bin count
    int tiles = 8;          // CLAHE: the grid is tiles x tiles
    double gamma = 1.0;     // Gamma: out = in^gamma (below 1 brightens the darks, above 1 darkens)

    bool operator==(const ContrastStep &other) const;
    bool operator!=(const ContrastStep &other) const { return !(*this == other); }
};

// One numeric parameter of a contrast kind, described once here: the CLI's
// help, the refusal sentences and the GUI's widgets are made from this table.
struct ContrastParameter
{
    ContrastKind kind;
    std::string name;        // "clip", "tiles", "gamma"
    std::string label;       // for a form: "Clip limit"
    std::string meaning;     // short sentence fragment for help and tooltips
    double minimum = 0.0;
    double maximum = 0.0;
    double defaultValue = 0.0;
    int decimals = 0;        // 0: an integer
};

const std::vector<ContrastParameter> &contrastParameters();
// "none", "clahe", "gamma".
std::string contrastKindName(ContrastKind kind);
// The accepted texts with their ranges, one sentence fragment, e.g.
// "none, clahe[:CLIP[,TILES]] (CLIP 0.1..40, default 2; TILES 1..64, default 8) or gamma:G (G 0.1..5)".
std::string contrastFormsText();

// Parses "none", "clahe", "clahe:CLIP", "clahe:CLIP,TILES", "gamma:G"
// (case-insensitive, spaces around the parts ignored). Throws EngineError with
// one sentence naming the text and the accepted forms and ranges.
ContrastStep parseContrastStep(const std::string &text);
// Canonical text that parses back to the same step: "none", "clahe:2,8", "gamma:0.8".
std::string contrastStepText(const ContrastStep &step);
// Throws EngineError with one sentence when a field is out of range.
void checkContrastStep(const ContrastStep &step);

// CV_32FC1 in [0, 1] in (values outside are clamped), CV_32FC1 in [0, 1] out;
// None returns the input itself. CLAHE follows OpenCV's 8-bit createCLAHE
// (256-bin tile histograms, clip at clipLimit x area / 256 counts, the excess
// redistributed as OpenCV does, tiles blended bilinearly, borders reflected
// when the size is not a multiple of the grid) but maps each value through the tile's cumulative
// histogram interpolated within its bin, so the output is continuous (no
// 8-bit bands). OpenCV's 16-bit CLAHE is not used: its 65536-bin histogram
// rounds the clip to one count per bin, which equalises fully at any clip.
// NaN pixels stay NaN (counted as 0 in the histograms).
cv::Mat applyContrast(const cv::Mat &unitFloat, const ContrastStep &step);

} // namespace mri
