#include "EnhanceJob.h"

#include "EngineError.h"
#include "Enhancer.h"
#include "ImageIO.h"
#include "Metrics.h"
#include "ResultsLocation.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <set>

namespace mri {

namespace {

const std::vector<std::string> &resultColumns()
{
    static const std::vector<std::string> columns{"enhanced_image_path", "PSNR", "SSIM", "error"};
    return columns;
}

bool isResultColumn(const std::string &name)
{
    CsvTable probe;
    probe.header = resultColumns();
    return probe.columnIndex(name) >= 0;
}

// Output file names: the input's stem as PNG (which keeps 16 bits); stems that
// occur twice in the dataset get the CSV line appended to stay distinct.
std::vector<std::filesystem::path> outputNames(const Dataset &dataset)
{
    std::map<std::string, int> stemCount;
    for (const auto &row : dataset.rows)
        ++stemCount[row.imagePath.stem().string()];
    std::vector<std::filesystem::path> names;
    names.reserve(dataset.rows.size());
    for (std::size_t i = 0; i < dataset.rows.size(); ++i) {
        const auto stem = dataset.rows[i].imagePath.stem().string();
        const auto unique = stemCount[stem] > 1 ? stem + "_row" + std::to_string(dataset.rows[i].sourceLine ? dataset.rows[i].sourceLine : int(i + 1)) : stem;
        names.emplace_back((unique.empty() ? "image_" + std::to_string(i + 1) : unique) + ".png");
    }
    return names;
}

std::vector<std::size_t> selectRows(const Dataset &dataset, const EnhanceOptions &options)
{
    std::vector<std::size_t> selected;
    if (!options.rowIndices.empty()) {
        for (const auto index : options.rowIndices) {
            if (index >= dataset.rows.size())
                throw EngineError("Row " + std::to_string(index + 1) + " does not exist in the dataset.");
            selected.push_back(index);
        }
    } else if (!options.patientIds.empty()) {
        for (const auto &id : options.patientIds) {
            bool found = false;
            for (std::size_t i = 0; i < dataset.rows.size(); ++i) {
                if (dataset.rows[i].patientId == id) {
                    selected.push_back(i);
                    found = true;
                }
            }
            if (!found)
                throw EngineError("Patient '" + id + "' is not in '" + (dataset.csvFile.empty() ? dataset.folder : dataset.csvFile).string() + "'.");
        }
    } else {
        for (std::size_t i = 0; i < dataset.rows.size(); ++i)
            selected.push_back(i);
    }
    std::sort(selected.begin(), selected.end());
    selected.erase(std::unique(selected.begin(), selected.end()), selected.end());
    return selected;
}

std::string firstLine(const std::string &text)
{
    return text.substr(0, text.find('\n'));
}

bool samePath(const std::filesystem::path &a, const std::filesystem::path &b)
{
    std::error_code error;
    return std::filesystem::exists(a, error) && std::filesystem::exists(b, error)
        && std::filesystem::equivalent(a, b, error);
}

} // namespace

std::filesystem::path defaultMetricsCsv(const Dataset &dataset)
{
    return resultsLocationFor(dataset.folder).folder / kDefaultMetricsCsvName;
}

std::filesystem::path defaultEnhancedDir(const Dataset &dataset)
{
    return resultsLocationFor(dataset.folder).folder / kDefaultEnhancedDirName;
}

EnhanceRunResult enhanceDataset(const Dataset &dataset, const EnhanceOptions &options, const EnhanceCallbacks &callbacks,
                                const std::atomic_bool &cancel)
{
    const auto selected = selectRows(dataset, options);
    const auto outputDir = options.outputDir.empty() ? defaultEnhancedDir(dataset) : options.outputDir;
    const auto metricsCsv = options.metricsCsv.empty() ? defaultMetricsCsv(dataset) : options.metricsCsv;
    auto enhancer = Enhancer::load(options.modelFile);
    if (options.tileSize > 0)
        enhancer.setTiling(options.tileSize);
    const auto names = outputNames(dataset);

    EnhanceRunResult result;
    result.rows.resize(dataset.rows.size());
    for (std::size_t i = 0; i < dataset.rows.size(); ++i)
        result.rows[i].rowIndex = i;
    // Results of earlier runs for rows not redone now stay in the CSV.
    if (options.writeCsv && std::filesystem::exists(metricsCsv)) {
        try {
            const auto previous = readMetricsCsv(dataset, metricsCsv);
            for (std::size_t i = 0; i < previous.size(); ++i) {
                if (previous[i].done && std::filesystem::exists(previous[i].enhancedImage))
                    result.rows[i] = previous[i];
            }
        } catch (const EngineError &) {
            // An unreadable earlier CSV is replaced by this run's results.
        }
    }

    const auto start = std::chrono::steady_clock::now();
    EnhanceProgress progress;
    progress.total = static_cast<int>(selected.size());
    for (const auto index : selected) {
        if (cancel) {
            result.cancelled = true;
            break;
        }
        const auto &row = dataset.rows[index];
        EnhancedRow outcome;
        outcome.rowIndex = index;
        try {
            const auto target = outputDir / names[index];
            if (samePath(target, row.imagePath))
                throw EngineError("the output '" + target.string() + "' would overwrite the input image");
            const cv::Mat original = loadGrayscaleImage(row.imagePath);
            const cv::Mat enhanced = enhancer.enhance(original, &cancel);
            if (enhanced.empty()) {
                result.cancelled = true;
                break;
            }
            const auto metrics = compareImages(original, enhanced);
            saveImageAtomically(target, enhanced);
            outcome.done = true;
            outcome.enhancedImage = std::filesystem::absolute(target).lexically_normal();
            outcome.psnr = metrics.psnr;
            outcome.ssim = metrics.ssim;
            ++result.succeeded;
        } catch (const std::exception &error) {
            // EngineError is a sentence already; anything else (OpenCV, LibTorch,
            // memory) still fails only this row.
            std::string reason = dynamic_cast<const EngineError *>(&error)
                ? std::string(error.what())
                : "enhancing " + dataset.describeRow(index) + " failed: " + firstLine(error.what());
            if (!reason.empty() && reason.back() == '.')
                reason.pop_back();
            outcome.error = reason;
            ++result.failed;
            ++progress.failed;
        }
        result.rows[index] = outcome;
        ++progress.done;
        progress.elapsedSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        progress.etaSeconds = progress.elapsedSeconds / progress.done * (progress.total - progress.done);
        if (callbacks.onRow)
            callbacks.onRow(result.rows[index]);
        if (callbacks.onProgress)
            callbacks.onProgress(progress);
    }
    if (options.writeCsv) {
        writeMetricsCsv(dataset, result.rows, metricsCsv);
        result.metricsCsv = metricsCsv;
    }
    return result;
}

CsvTable buildMetricsTable(const Dataset &dataset, const std::vector<EnhancedRow> &rows,
                           const std::filesystem::path &metricsCsv)
{
    CsvTable table;
    std::vector<std::size_t> keptColumns;
    for (std::size_t c = 0; c < dataset.columns.size(); ++c) {
        if (!isResultColumn(dataset.columns[c])) {
            keptColumns.push_back(c);
            table.header.push_back(dataset.columns[c]);
        }
    }
    table.header.insert(table.header.end(), resultColumns().begin(), resultColumns().end());
    const auto csvFolder = std::filesystem::absolute(metricsCsv).parent_path().lexically_normal();
    for (const auto &outcome : rows) {
        if (!outcome.done && outcome.error.empty())
            continue;
        const auto &source = dataset.rows.at(outcome.rowIndex);
        std::vector<std::string> fields;
        for (const auto c : keptColumns)
            fields.push_back(c < source.fields.size() ? source.fields[c] : std::string());
        std::string enhancedPath;
        if (outcome.done) {
            const auto relative = outcome.enhancedImage.lexically_relative(csvFolder);
            const bool inside = !relative.empty() && *relative.begin() != "..";
            enhancedPath = inside ? relative.generic_string() : outcome.enhancedImage.string();
        }
        fields.push_back(enhancedPath);
        fields.push_back(outcome.done ? formatMetric(outcome.psnr, 4) : std::string());
        fields.push_back(outcome.done ? formatMetric(outcome.ssim, 6) : std::string());
        fields.push_back(outcome.error);
        table.rows.push_back(std::move(fields));
    }
    return table;
}

void writeMetricsCsv(const Dataset &dataset, const std::vector<EnhancedRow> &rows, const std::filesystem::path &metricsCsv)
{
    if (samePath(metricsCsv, dataset.csvFile))
        throw EngineError("'" + metricsCsv.string() + "' is the dataset's own table; choose another file for the metrics.");
    for (const auto &row : dataset.rows) {
        if (samePath(metricsCsv, row.imagePath))
            throw EngineError("'" + metricsCsv.string() + "' is an input image; choose another file for the metrics.");
    }
    writeCsvFileAtomically(metricsCsv, buildMetricsTable(dataset, rows, metricsCsv));
}

std::vector<EnhancedRow> readMetricsCsv(const Dataset &dataset, const std::filesystem::path &metricsCsv)
{
    const auto table = readCsvFile(metricsCsv);
    const int imageColumn = table.columnIndex("image_path");
    const int enhancedColumn = table.columnIndex("enhanced_image_path");
    const int psnrColumn = table.columnIndex("PSNR");
    const int ssimColumn = table.columnIndex("SSIM");
    const int errorColumn = table.columnIndex("error");
    if (imageColumn < 0 || enhancedColumn < 0 || psnrColumn < 0 || ssimColumn < 0)
        throw EngineError("'" + metricsCsv.string()
                          + "' is not a metrics CSV: it needs image_path, enhanced_image_path, PSNR and SSIM columns.");
    std::map<std::string, std::size_t> rowByImage;
    for (std::size_t i = 0; i < dataset.rows.size(); ++i)
        rowByImage.emplace(dataset.rows[i].imagePathText, i);

    std::vector<EnhancedRow> results(dataset.rows.size());
    for (std::size_t i = 0; i < results.size(); ++i)
        results[i].rowIndex = i;
    const auto csvFolder = std::filesystem::absolute(metricsCsv).parent_path();
    for (const auto &fields : table.rows) {
        const auto found = rowByImage.find(fields[imageColumn]);
        if (found == rowByImage.end())
            continue;
        auto &outcome = results[found->second];
        const auto &enhanced = fields[enhancedColumn];
        outcome.error = errorColumn >= 0 ? fields[errorColumn] : std::string();
        if (!enhanced.empty()) {
            const std::filesystem::path path(enhanced);
            outcome.enhancedImage = (path.is_absolute() ? path : csvFolder / path).lexically_normal();
            outcome.psnr = parseMetric(fields[psnrColumn]);
            outcome.ssim = parseMetric(fields[ssimColumn]);
            outcome.done = outcome.error.empty();
        }
    }
    return results;
}

} // namespace mri
