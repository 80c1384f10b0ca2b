#include "image/ContrastStep.h"

#include "base/EngineError.h"
#include "base/Text.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <charconv>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <sstream>

namespace mri {

namespace {

std::string trimmedLower(const std::string &text)
{
    std::size_t first = 0;
    std::size_t last = text.size();
    while (first < last && std::isspace(static_cast<unsigned char>(text[first])))
        ++first;
    while (last > first && std::isspace(static_cast<unsigned char>(text[last - 1])))
        --last;
    return lowerCase(text.substr(first, last - first));
}

const ContrastParameter &parameter(const std::string &name)
{
    for (const auto &candidate : contrastParameters()) {
        if (candidate.name == name)
            return candidate;
    }
    throw std::logic_error("no contrast parameter " + name);
}

// Shortest text that reads back to the same double, locale-free ("40", "0.1").
std::string numberText(double value)
{
    char text[64];
    const auto result = std::to_chars(text, text + sizeof text, value);
    return std::string(text, result.ptr);
}

bool parseNumber(const std::string &text, double &value)
{
    const auto trimmed = trimmedLower(text);
    if (trimmed.empty())
        return false;
    char *end = nullptr;
    value = std::strtod(trimmed.c_str(), &end);
    return end == trimmed.c_str() + trimmed.size() && std::isfinite(value);
}

std::string rangeText(const ContrastParameter &p)
{
    return numberText(p.minimum) + ".." + numberText(p.maximum);
}

[[noreturn]] void refuse(const std::string &text, const std::string &problem)
{
    throw EngineError("The contrast step '" + text + "' " + problem + "; use " + contrastFormsText() + ".");
}

// One tile's mapping: the clipped histogram's cumulative sum at the 257 bin
// edges, as a fraction of the tile's area. Clip and redistribution exactly as
// OpenCV's 8-bit CLAHE (integer clip; the excess spread evenly, its remainder
// one count each to every (256 / remainder)-th bin from the darkest).
void tileMapping(const cv::Mat &tile, int clipCount, float *edges)
{
    constexpr int bins = 256;
    int histogram[bins] = {};
    for (int y = 0; y < tile.rows; ++y) {
        const float *row = tile.ptr<float>(y);
        for (int x = 0; x < tile.cols; ++x)
            ++histogram[std::min(bins - 1, static_cast<int>(row[x] * bins))];
    }
    if (clipCount > 0) {
        int excess = 0;
        for (int &count : histogram) {
            if (count > clipCount) {
                excess += count - clipCount;
                count = clipCount;
            }
        }
        const int batch = excess / bins;
        int remainder = excess - batch * bins;
        for (int &count : histogram)
            count += batch;
        if (remainder > 0) {
            const int step = std::max(bins / remainder, 1);
            for (int i = 0; i < bins && remainder > 0; i += step, --remainder)
                ++histogram[i];
        }
    }
    const double area = static_cast<double>(tile.rows) * tile.cols;
    long sum = 0;
    edges[0] = 0.0f;
    for (int i = 0; i < bins; ++i) {
        sum += histogram[i];
        edges[i + 1] = static_cast<float>(std::min(1.0, static_cast<double>(sum) / area));
    }
}

// Where a pixel lies between the centres of two neighbouring tiles along one
// axis: the tiles (clamped to the grid) and the weight of the second.
struct TileBlend
{
    int first = 0;
    int second = 0;
    float weight = 0.0f;
};

TileBlend tileBlend(int position, float inverseTileSize, int tiles)
{
    const float centred = static_cast<float>(position) * inverseTileSize - 0.5f;
    const int below = static_cast<int>(std::floor(centred));
    return {std::max(below, 0), std::min(below + 1, tiles - 1), centred - static_cast<float>(below)};
}

cv::Mat clahe(const cv::Mat &unit, double clipLimit, int tiles)
{
    // Like OpenCV: a size that is not a multiple of the grid is padded by reflection.
    cv::Mat padded = unit;
    const int padX = (tiles - unit.cols % tiles) % tiles;
    const int padY = (tiles - unit.rows % tiles) % tiles;
    if (padX || padY)
        cv::copyMakeBorder(unit, padded, 0, padY, 0, padX, unit.rows > 1 && unit.cols > 1 ? cv::BORDER_REFLECT_101 : cv::BORDER_REPLICATE);
    const int tileW = padded.cols / tiles;
    const int tileH = padded.rows / tiles;
    const int clipCount = std::max(1, static_cast<int>(clipLimit * tileW * tileH / 256.0));
    std::vector<float> edges(static_cast<std::size_t>(tiles * tiles * 257));
    for (int ty = 0; ty < tiles; ++ty)
        for (int tx = 0; tx < tiles; ++tx)
            tileMapping(padded(cv::Rect(tx * tileW, ty * tileH, tileW, tileH)), clipCount,
                        &edges[static_cast<std::size_t>((ty * tiles + tx) * 257)]);
    const auto map = [&](int tx, int ty, float value) {
        const float *e = &edges[static_cast<std::size_t>((ty * tiles + tx) * 257)];
        const float position = value * 256.0f;
        const int bin = std::min(255, static_cast<int>(position));
        const float fraction = std::min(1.0f, position - static_cast<float>(bin));
        return e[bin] + fraction * (e[bin + 1] - e[bin]);
    };
    cv::Mat result(unit.size(), CV_32FC1);
    const float invW = 1.0f / static_cast<float>(tileW);
    const float invH = 1.0f / static_cast<float>(tileH);
    for (int y = 0; y < unit.rows; ++y) {
        const TileBlend ty = tileBlend(y, invH, tiles);
        const float py = ty.weight;
        const float *in = unit.ptr<float>(y);
        float *out = result.ptr<float>(y);
        for (int x = 0; x < unit.cols; ++x) {
            const TileBlend tx = tileBlend(x, invW, tiles);
            const float px = tx.weight;
            const float v = in[x];
            out[x] = (map(tx.first, ty.first, v) * (1.0f - px) + map(tx.second, ty.first, v) * px) * (1.0f - py)
                + (map(tx.first, ty.second, v) * (1.0f - px) + map(tx.second, ty.second, v) * px) * py;
        }
    }
    return result;
}

} // namespace

bool ContrastStep::operator==(const ContrastStep &other) const
{
    if (kind != other.kind)
        return false;
    switch (kind) {
    case ContrastKind::None:
        return true;
    case ContrastKind::Clahe:
        return clipLimit == other.clipLimit && tiles == other.tiles;
    case ContrastKind::Gamma:
        return gamma == other.gamma;
    }
    return true;
}

const std::vector<ContrastParameter> &contrastParameters()
{
    static const std::vector<ContrastParameter> table{
        {ContrastKind::Clahe, "clip", "Clip limit", "how far a tile's histogram may exceed its mean before it is clipped (higher: stronger)", 0.1, 40.0, 2.0, 1},
        {ContrastKind::Clahe, "tiles", "Tiles", "the grid is TILES x TILES (more: more local)", 1.0, 64.0, 8.0, 0},
        {ContrastKind::Gamma, "gamma", "Gamma", "out = in^G (below 1 brightens the darks, above 1 darkens)", 0.1, 5.0, 1.0, 2},
    };
    return table;
}

std::string contrastKindName(ContrastKind kind)
{
    switch (kind) {
    case ContrastKind::None:
        return "none";
    case ContrastKind::Clahe:
        return "clahe";
    case ContrastKind::Gamma:
        return "gamma";
    }
    return "none";
}

std::string contrastFormsText()
{
    const auto &clip = parameter("clip");
    const auto &tiles = parameter("tiles");
    const auto &gamma = parameter("gamma");
    return "none, clahe[:CLIP[,TILES]] (CLIP " + rangeText(clip) + ", default " + numberText(clip.defaultValue)
        + "; TILES " + rangeText(tiles) + ", default " + numberText(tiles.defaultValue) + ") or gamma:G (G "
        + rangeText(gamma) + ")";
}

void checkContrastStep(const ContrastStep &step)
{
    const auto check = [&](const char *name, double value) {
        const auto &p = parameter(name);
        if (!(value >= p.minimum && value <= p.maximum))
            throw EngineError("The contrast step's " + p.label + " " + numberText(value) + " is outside "
                              + rangeText(p) + "; use " + contrastFormsText() + ".");
    };
    if (step.kind == ContrastKind::Clahe) {
        check("clip", step.clipLimit);
        check("tiles", step.tiles);
    } else if (step.kind == ContrastKind::Gamma) {
        check("gamma", step.gamma);
    }
}

ContrastStep parseContrastStep(const std::string &text)
{
    const auto lowered = trimmedLower(text);
    const auto colon = lowered.find(':');
    const auto kind = trimmedLower(lowered.substr(0, colon));
    const bool hasArguments = colon != std::string::npos;
    std::vector<std::string> arguments;
    if (hasArguments) {
        std::stringstream stream(lowered.substr(colon + 1));
        std::string part;
        while (std::getline(stream, part, ','))
            arguments.push_back(part);
        if (arguments.empty() || lowered.back() == ',')
            arguments.emplace_back();
    }
    ContrastStep step;
    const auto number = [&](const std::string &argument, const char *name) {
        const auto &p = parameter(name);
        double value = 0.0;
        if (!parseNumber(argument, value))
            refuse(text, "has '" + trimmedLower(argument) + "' where " + name + " should be a number");
        if (!(value >= p.minimum && value <= p.maximum))
            refuse(text, std::string("has ") + name + " " + numberText(value) + ", outside " + rangeText(p));
        if (p.decimals == 0 && value != std::floor(value))
            refuse(text, std::string("has ") + name + " " + numberText(value) + ", which should be a whole number");
        return value;
    };
    if (kind == "none") {
        if (hasArguments)
            refuse(text, "gives none a parameter");
        return step;
    }
    if (kind == "clahe") {
        step.kind = ContrastKind::Clahe;
        if (arguments.size() > 2)
            refuse(text, "has more than two CLAHE parameters");
        if (!arguments.empty())
            step.clipLimit = number(arguments[0], "clip");
        if (arguments.size() > 1)
            step.tiles = static_cast<int>(number(arguments[1], "tiles"));
        return step;
    }
    if (kind == "gamma") {
        step.kind = ContrastKind::Gamma;
        if (arguments.size() != 1)
            refuse(text, "needs exactly one gamma value");
        step.gamma = number(arguments[0], "gamma");
        return step;
    }
    refuse(text, "is not a contrast step");
}

std::string contrastStepText(const ContrastStep &step)
{
    switch (step.kind) {
    case ContrastKind::None:
        return "none";
    case ContrastKind::Clahe:
        return "clahe:" + numberText(step.clipLimit) + "," + std::to_string(step.tiles);
    case ContrastKind::Gamma:
        return "gamma:" + numberText(step.gamma);
    }
    return "none";
}

cv::Mat applyContrast(const cv::Mat &unitFloat, const ContrastStep &step)
{
    if (step.kind == ContrastKind::None || unitFloat.empty())
        return unitFloat;
    if (unitFloat.type() != CV_32FC1)
        throw EngineError("The contrast step needs a single-channel float image in [0, 1].");
    checkContrastStep(step);
    cv::Mat nans(unitFloat.size(), CV_8UC1);
    bool hasNan = false; // cv::compare does not see NaN
    for (int y = 0; y < unitFloat.rows; ++y) {
        const float *v = unitFloat.ptr<float>(y);
        unsigned char *n = nans.ptr<unsigned char>(y);
        for (int x = 0; x < unitFloat.cols; ++x) {
            n[x] = std::isnan(v[x]) ? 255 : 0;
            hasNan = hasNan || n[x];
        }
    }
    cv::Mat clamped = unitFloat.clone();
    if (hasNan)
        clamped.setTo(0.0f, nans);
    clamped = cv::max(clamped, 0.0);
    clamped = cv::min(clamped, 1.0);
    cv::Mat result;
    if (step.kind == ContrastKind::Clahe) {
        result = clahe(clamped, step.clipLimit, step.tiles);
    } else {
        cv::pow(clamped, step.gamma, result);
    }
    if (hasNan)
        result.setTo(std::numeric_limits<float>::quiet_NaN(), nans);
    return result;
}

} // namespace mri
