#pragma once

// The largest tile side of tiled inference (TiledInference.h), in pixels: the
// range a user may ask for and the engine's own choice, in one place for the
// enhancer (Enhancer.cpp) and the table of enhance settings (EnhanceSettings.cpp).
// No LibTorch here: the table's users include only this.

namespace mri::nn {

inline constexpr int kMinimumTileSize = 64;
inline constexpr int kMaximumTileSize = 16384;
// When nothing is asked for (EnhanceOptions::tileSize 0, "auto").
inline constexpr int kAutomaticTileSize = 768;

} // namespace mri::nn
