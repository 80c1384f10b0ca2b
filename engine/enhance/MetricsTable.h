#pragma once

// The metrics CSV an enhance run writes (and reads back, merges and keeps
// aside when malformed) and the per-slice CSV.

#include "dataset/Dataset.h"
#include "enhance/EnhancedRow.h"
#include "io/CsvTable.h"
#include "io/SlicePlane.h"

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace mri {

// The metrics table: every input column plus enhanced_image_path, PSNR, SSIM,
// CNR, contrast, data_range, slices, format, scale, upsampled_along ("x y"
// for a picture, a volume's array axis, empty without super-resolution),
// metrics_grid ("enhanced": PSNR and SSIM compare the result itself; "input":
// the result area-down-sampled back to the input's grid), model_sha256 (two
// digests joined by "+" when a super-resolution model followed the denoiser)
// and error (patient_id and image_path as read; an input column named like
// one of these keeps its values as "<name>_input"). Only rows done or failed
// are written. Enhanced paths are written relative to the CSV's folder when inside it.
CsvTable buildMetricsTable(const Dataset &dataset, const std::vector<EnhancedRow> &rows,
                           const std::filesystem::path &metricsCsv);
void writeMetricsCsv(const Dataset &dataset, const std::vector<EnhancedRow> &rows,
                     const std::filesystem::path &metricsCsv);
// One row per slice of the enhanced rows: patient_id, image_path,
// enhanced_image_path, volume, slice, plane, PSNR, SSIM, data_range.
void writePerSliceCsv(const Dataset &dataset, const std::vector<EnhancedRow> &rows, SlicePlane plane,
                      const std::filesystem::path &file);

// Reads a metrics CSV written earlier back into per-row results (matched by
// the input columns it repeats). Rows without a result stay done = false; a
// row is done only when its enhanced file exists. `unmatched` (optional)
// receives the CSV's rows that match no dataset row. Throws EngineError.
std::vector<EnhancedRow> readMetricsCsv(const Dataset &dataset, const std::filesystem::path &metricsCsv,
                                        std::vector<std::size_t> *unmatched = nullptr);

// An unreadable earlier metrics CSV is renamed to <name>.malformed-<time>,
// never dropped; returns the sentence that says so. Throws EngineError when
// it cannot be renamed.
std::string backUpMalformedCsv(const std::filesystem::path &metricsCsv, const std::string &problem);

// Under a lock beside the CSV (FileLock.h): the CSV as it is now (other runs
// may have added rows), with the `attempted` rows of this run in place of
// theirs. A malformed earlier CSV is kept aside and the sentence appended to
// `notices`. `onMessage` (optional) hears the wait for the lock and the backup.
void mergeAndWriteMetrics(const Dataset &dataset, std::vector<EnhancedRow> &rows, const std::vector<bool> &attempted,
                          const std::filesystem::path &metricsCsv,
                          const std::function<void(const std::string &)> &onMessage,
                          std::vector<std::string> &notices);

} // namespace mri
