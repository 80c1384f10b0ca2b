#include "enhance/MetricsTable.h"

#include "base/EngineError.h"
#include "base/Text.h"
#include "io/AtomicFile.h"
#include "io/FileLock.h"
#include "io/PathIdentity.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <map>
#include <set>

namespace mri {

namespace {

const std::vector<std::string> &resultColumns()
{
    // The self-check's columns last: readers that go by position keep theirs.
    static const std::vector<std::string> columns = [] {
        std::vector<std::string> names{"enhanced_image_path", "PSNR", "SSIM", "CNR", "contrast", "data_range",
                                       "slices", "format", "scale", "upsampled_along", "metrics_grid",
                                       "model_sha256", "error"};
        names.insert(names.end(), selfCheckColumns().begin(), selfCheckColumns().end());
        return names;
    }();
    return columns;
}

// "x y" (a picture, both axes), "x", "y" or "z" (a volume's array axis); "" at scale 1.
std::string upsampledAlongText(const EnhancedRow &row)
{
    if (row.scale <= 1)
        return {};
    static const char *const kAxes[] = {"x", "y", "z"};
    return row.upsampledAxis < 0 || row.upsampledAxis > 2 ? "x y" : kAxes[row.upsampledAxis];
}

int upsampledAxisOf(const std::string &text)
{
    return text == "x" ? 0 : text == "y" ? 1 : text == "z" ? 2 : -1;
}

// The header of the metrics CSV: every input column, then ours. A user's column
// named like one of ours (in any case) keeps its values under "<name>_input".
std::vector<std::string> metricsColumns(const Dataset &dataset)
{
    std::set<std::string> taken;
    for (const auto &column : resultColumns())
        taken.insert(lowerCase(column));
    std::vector<std::string> columns;
    for (const auto &column : dataset.columns) {
        std::string name = column;
        while (taken.count(lowerCase(name)))
            name += "_input";
        taken.insert(lowerCase(name));
        columns.push_back(name);
    }
    columns.insert(columns.end(), resultColumns().begin(), resultColumns().end());
    return columns;
}

} // namespace

std::string backUpMalformedCsv(const std::filesystem::path &metricsCsv, const std::string &problem)
{
    char stamp[32];
    const std::time_t now = std::time(nullptr);
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&now));
    auto backup = metricsCsv;
    backup += std::string(".malformed-") + stamp;
    std::error_code error;
    std::filesystem::rename(metricsCsv, backup, error);
    if (error)
        throw EngineError("The earlier metrics CSV '" + metricsCsv.string() + "' is malformed (" + problem
                          + ") and could not be kept aside: " + error.message() + ".");
    return "The earlier metrics CSV was malformed (" + problem + "); it was kept as '" + backup.string()
        + "' and a new one was written.";
}

void mergeAndWriteMetrics(const Dataset &dataset, std::vector<EnhancedRow> &rows, const std::vector<bool> &attempted,
                          const std::filesystem::path &metricsCsv,
                          const std::function<void(const std::string &)> &onMessage,
                          std::vector<std::string> &notices)
{
    if (isStreamOrNode(metricsCsv)) { // /dev/stdout: nothing to merge with, no lock beside it
        writeMetricsCsv(dataset, rows, metricsCsv);
        return;
    }
    const FileLock lock(metricsCsv, [&] {
        if (onMessage)
            onMessage("Waiting for another run that is writing '" + metricsCsv.string() + "'.");
    });
    std::error_code error;
    if (std::filesystem::exists(metricsCsv, error)) {
        try {
            const auto current = readMetricsCsv(dataset, metricsCsv);
            for (std::size_t i = 0; i < rows.size(); ++i) {
                if (!attempted[i] && (current[i].done || !current[i].error.empty()))
                    rows[i] = current[i];
            }
        } catch (const EngineError &problem) {
            notices.push_back(backUpMalformedCsv(metricsCsv, withoutFullStop(problem.what())));
            if (onMessage)
                onMessage(notices.back());
        }
    }
    writeMetricsCsv(dataset, rows, metricsCsv);
}

CsvTable buildMetricsTable(const Dataset &dataset, const std::vector<EnhancedRow> &rows,
                           const std::filesystem::path &metricsCsv)
{
    CsvTable table;
    table.header = metricsColumns(dataset);
    const auto csvFolder = std::filesystem::absolute(metricsCsv).parent_path().lexically_normal();
    for (const auto &outcome : rows) {
        if (!outcome.done && outcome.error.empty())
            continue;
        const auto &source = dataset.rows.at(outcome.rowIndex);
        std::vector<std::string> fields;
        for (std::size_t c = 0; c < dataset.columns.size(); ++c)
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
        fields.push_back(outcome.done ? formatMetric(outcome.cnr, 4) : std::string());
        fields.push_back(outcome.done ? outcome.contrast : std::string());
        fields.push_back(outcome.done ? formatMetric(outcome.dataRange, outcome.dataRange == std::floor(outcome.dataRange) ? 0 : 6)
                                      : std::string());
        fields.push_back(outcome.done ? std::to_string(outcome.slices) : std::string());
        fields.push_back(outcome.format);
        fields.push_back(outcome.done ? std::to_string(outcome.scale) : std::string());
        fields.push_back(outcome.done ? upsampledAlongText(outcome) : std::string());
        fields.push_back(outcome.done ? (outcome.scale > 1 ? "input" : "enhanced") : std::string());
        fields.push_back(outcome.modelSha256);
        fields.push_back(outcome.error);
        for (auto &[column, text] : selfCheckFields(outcome.selfCheck)) // a row --fail-on failed keeps its figures
            fields.push_back(std::move(text));
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

std::vector<EnhancedRow> readMetricsCsv(const Dataset &dataset, const std::filesystem::path &metricsCsv,
                                        std::vector<std::size_t> *unmatched)
{
    const auto table = readCsvFile(metricsCsv);
    const int enhancedColumn = table.columnIndex("enhanced_image_path");
    const int psnrColumn = table.columnIndex("PSNR");
    const int ssimColumn = table.columnIndex("SSIM");
    const int errorColumn = table.columnIndex("error");
    if (table.columnIndex("image_path") < 0 || enhancedColumn < 0 || psnrColumn < 0 || ssimColumn < 0)
        throw EngineError("'" + metricsCsv.string()
                          + "' is not a metrics CSV: it needs image_path, enhanced_image_path, PSNR and SSIM columns.");
    // A metrics row belongs to the dataset row whose input columns it repeats;
    // identical rows (the same image listed twice) are paired in order.
    const auto names = metricsColumns(dataset);
    std::vector<std::pair<std::size_t, int>> keyColumns; // dataset column -> metrics column
    for (std::size_t c = 0; c < dataset.columns.size(); ++c) {
        const int column = table.columnIndex(names[c]);
        if (column >= 0)
            keyColumns.emplace_back(c, column);
    }
    std::map<std::vector<std::string>, std::vector<std::size_t>> rowsByKey;
    for (std::size_t i = dataset.rows.size(); i-- > 0;) {
        std::vector<std::string> key;
        for (const auto &[c, column] : keyColumns)
            key.push_back(c < dataset.rows[i].fields.size() ? dataset.rows[i].fields[c] : std::string());
        rowsByKey[key].push_back(i); // reversed: back() is the first row
    }

    std::vector<EnhancedRow> results(dataset.rows.size());
    for (std::size_t i = 0; i < results.size(); ++i)
        results[i].rowIndex = i;
    const auto csvFolder = std::filesystem::absolute(metricsCsv).parent_path();
    for (std::size_t r = 0; r < table.rows.size(); ++r) {
        const auto &fields = table.rows[r];
        std::vector<std::string> key;
        for (const auto &[c, column] : keyColumns)
            key.push_back(fields[static_cast<std::size_t>(column)]);
        auto found = rowsByKey.find(key);
        if (found == rowsByKey.end() || found->second.empty()) {
            if (unmatched)
                unmatched->push_back(r);
            continue;
        }
        auto &outcome = results[found->second.back()];
        found->second.pop_back();
        const auto &enhanced = fields[enhancedColumn];
        outcome.error = errorColumn >= 0 ? fields[errorColumn] : std::string();
        if (const int column = table.columnIndex("format"); column >= 0)
            outcome.format = fields[static_cast<std::size_t>(column)];
        if (const int column = table.columnIndex("model_sha256"); column >= 0)
            outcome.modelSha256 = fields[static_cast<std::size_t>(column)];
        if (!enhanced.empty()) {
            const std::filesystem::path path(enhanced);
            outcome.enhancedImage = (path.is_absolute() ? path : csvFolder / path).lexically_normal();
            outcome.psnr = parseMetric(fields[psnrColumn]);
            outcome.ssim = parseMetric(fields[ssimColumn]);
            if (const int column = table.columnIndex("CNR"); column >= 0)
                outcome.cnr = parseMetric(fields[static_cast<std::size_t>(column)]);
            if (const int column = table.columnIndex("contrast"); column >= 0)
                outcome.contrast = fields[static_cast<std::size_t>(column)];
            if (const int column = table.columnIndex("data_range"); column >= 0)
                outcome.dataRange = parseMetric(fields[static_cast<std::size_t>(column)]);
            if (const int column = table.columnIndex("slices"); column >= 0)
                outcome.slices = std::atoi(fields[static_cast<std::size_t>(column)].c_str());
            if (const int column = table.columnIndex("scale"); column >= 0)
                outcome.scale = std::max(1, std::atoi(fields[static_cast<std::size_t>(column)].c_str()));
            if (const int column = table.columnIndex("upsampled_along"); column >= 0)
                outcome.upsampledAxis = upsampledAxisOf(fields[static_cast<std::size_t>(column)]);
            for (const auto &name : selfCheckColumns())
                if (const int column = table.columnIndex(name); column >= 0)
                    setSelfCheckField(outcome.selfCheck, name, fields[static_cast<std::size_t>(column)]);
            std::error_code error;
            outcome.done = outcome.error.empty() && std::filesystem::exists(outcome.enhancedImage, error);
        }
    }
    return results;
}

void writePerSliceCsv(const Dataset &dataset, const std::vector<EnhancedRow> &rows, SlicePlane plane,
                      const std::filesystem::path &file)
{
    CsvTable table;
    table.header = {"patient_id", "image_path", "enhanced_image_path", "volume", "slice", "plane", "PSNR", "SSIM",
                    "data_range"};
    table.header.insert(table.header.end(), selfCheckColumns().begin(), selfCheckColumns().end());
    const auto withCheck = [](std::vector<std::string> fields, const SelfCheck &check) {
        for (auto &[column, text] : selfCheckFields(check))
            fields.push_back(std::move(text));
        return fields;
    };
    const auto csvFolder = std::filesystem::absolute(file).parent_path().lexically_normal();
    for (const auto &outcome : rows) {
        if (!outcome.done)
            continue;
        const auto &source = dataset.rows.at(outcome.rowIndex);
        const auto relative = outcome.enhancedImage.lexically_relative(csvFolder);
        const bool inside = !relative.empty() && *relative.begin() != "..";
        const std::string enhancedPath = inside ? relative.generic_string() : outcome.enhancedImage.string();
        const std::string range = formatMetric(outcome.dataRange, outcome.dataRange == std::floor(outcome.dataRange) ? 0 : 6);
        if (outcome.sliceMetrics.empty()) { // a picture is its one slice
            table.rows.push_back(withCheck({source.patientId, source.imagePathText, enhancedPath, "1", "1", "",
                                            formatMetric(outcome.psnr, 4), formatMetric(outcome.ssim, 6), range},
                                           outcome.selfCheck));
            continue;
        }
        const auto perVolume = static_cast<std::size_t>(std::max(1, outcome.slicesPerVolume));
        for (std::size_t i = 0; i < outcome.sliceMetrics.size(); ++i) {
            table.rows.push_back(withCheck({source.patientId, source.imagePathText, enhancedPath,
                                            std::to_string(i / perVolume + 1), std::to_string(i % perVolume + 1),
                                            slicePlaneName(plane), formatMetric(outcome.sliceMetrics[i].psnr, 4),
                                            formatMetric(outcome.sliceMetrics[i].ssim, 6), range},
                                           i < outcome.sliceChecks.size() ? outcome.sliceChecks[i] : SelfCheck{}));
        }
    }
    writeCsvFileAtomically(file, table);
}

} // namespace mri
