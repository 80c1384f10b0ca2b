#include "ReportFields.h"

#include "dataset/Dataset.h"
#include "enhance/EnhanceJob.h"
#include "enhance/SuperResolution.h"
#include "quality/Metrics.h"
#include "quality/SelfCheck.h"

#include <cmath>

namespace mri::cli {

ReportJson jsonNumber(double value)
{
    return std::isfinite(value) ? ReportJson(value) : ReportJson(nullptr);
}

ReportJson datasetJson(const Dataset &dataset)
{
    return {{"folder", std::filesystem::absolute(dataset.folder).lexically_normal().string()},
            {"csv", dataset.csvFile.empty() ? ReportJson(nullptr) : ReportJson(dataset.csvFile.string())},
            {"rows", dataset.rows.size()}};
}

ReportJson rowJson(const Dataset &dataset, const EnhancedRow &row, const std::string &status)
{
    const auto &source = dataset.rows[row.rowIndex];
    ReportJson json{{"row", row.rowIndex + 1},
                    {"patient_id", source.patientId},
                    {"image_path", source.imagePathText},
                    {"status", status}};
    if (source.sourceLine > 0)
        json["line"] = source.sourceLine;
    if (row.done) {
        json["enhanced_image_path"] = row.enhancedImage.string();
        json["PSNR"] = jsonNumber(row.psnr);
        json["SSIM"] = jsonNumber(row.ssim);
        json["CNR"] = jsonNumber(row.cnr);
        json["contrast"] = row.contrast;
        json["data_range"] = jsonNumber(row.dataRange);
        json["slices"] = row.slices;
        json["format"] = row.format;
        json["scale"] = row.scale;
        if (row.scale > 1)
            json["upsampled"] = describeUpsampling(row.scale, row.upsampledAxis, row.format != "picture");
        json["metrics_grid"] = row.scale > 1 ? "input" : "enhanced";
    }
    if (row.selfCheck.verdict != Verdict::NotChecked) { // also for a row --fail-on failed
        ReportJson check = ReportJson::object();
        for (const auto &[column, text] : selfCheckFields(row.selfCheck))
            check[column] = column == "verdict" || column == "verdict_reason" ? ReportJson(text)
                                                                              : jsonNumber(parseMetric(text));
        json["self_check"] = check;
    }
    if (status != "kept")
        json["seconds"] = row.seconds;
    if (!row.error.empty())
        json["error"] = row.error;
    return json;
}

} // namespace mri::cli
