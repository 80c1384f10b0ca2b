#pragma once

#include <QString>

namespace studio::formatting {

// "12 s", "3 min 05 s", "1 h 02 min"; "—" for a negative or unknown value.
QString duration(double seconds);
// PSNR in dB with two decimals, "∞" for identical images, empty for NaN.
QString psnr(double value);
// SSIM with four decimals, empty for NaN.
QString ssim(double value);

} // namespace studio::formatting
