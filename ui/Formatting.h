#pragma once

#include <QString>

namespace studio::formatting {

// "12 s", "3 min 05 s", "1 h 02 min"; "—" for a negative or unknown value.
QString duration(double seconds);
// The one spelling of the metrics everywhere in the studio (table, slice
// captions, comparison titles). PSNR in dB with two decimals, "∞" for
// identical images (+inf), "—" for an unknown value (NaN, e.g. a malformed
// field in a metrics CSV).
QString psnr(double value);
// SSIM with four decimals, "—" for an unknown value (NaN).
QString ssim(double value);

} // namespace studio::formatting
