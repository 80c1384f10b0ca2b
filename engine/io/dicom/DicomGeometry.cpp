#include "io/dicom/DicomGeometry.h"

#include "base/EngineError.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <map>
#include <string>
#include <tuple>
#include <utility>

namespace fs = std::filesystem;

namespace mri::dicom {

namespace {

// For each array axis, the RAS axis it runs along most closely (one each).
std::array<AxisOrientation, 3> orientationOf(const std::array<std::array<double, 4>, 3> &matrix)
{
    std::array<int, 3> best{0, 1, 2};
    double bestScore = -1.0;
    std::array<int, 3> permutation{0, 1, 2};
    do {
        double score = 0.0;
        for (int axis = 0; axis < 3; ++axis) {
            Vec3 column{matrix[0][axis], matrix[1][axis], matrix[2][axis]};
            const double length = norm(column);
            if (length > 0)
                score += std::abs(column[static_cast<std::size_t>(permutation[static_cast<std::size_t>(axis)])]) / length;
        }
        if (score > bestScore + 1e-9) {
            bestScore = score;
            best = permutation;
        }
    } while (std::next_permutation(permutation.begin(), permutation.end()));
    std::array<AxisOrientation, 3> orientation;
    for (std::size_t axis = 0; axis < 3; ++axis) {
        const double component = matrix[static_cast<std::size_t>(best[axis])][axis];
        orientation[axis] = AxisOrientation{best[axis], component < 0 ? -1 : 1};
    }
    return orientation;
}

// The key that orders a multi-frame file's frames sharing a position: the
// Frame Content's DimensionIndexValues where every frame has them, else its
// TemporalPositionIndex, else its InStackPositionNumber, else none (frame order).
void orderFramesByContent(std::vector<SliceSource> &slices)
{
    const auto every = [&](const auto &has) { return std::all_of(slices.begin(), slices.end(), has); };
    if (every([](const SliceSource &slice) { return !slice.geometry.dimensionIndex.empty(); })) {
        for (auto &slice : slices) {
            slice.key.assign(slice.geometry.dimensionIndex.begin(), slice.geometry.dimensionIndex.end());
            slice.keyIdentifies = true;
        }
    } else if (every([](const SliceSource &slice) { return slice.geometry.temporalPositionIndex.has_value(); })) {
        for (auto &slice : slices) {
            slice.key = {static_cast<std::int64_t>(*slice.geometry.temporalPositionIndex)};
            slice.keyIdentifies = true;
        }
    } else if (every([](const SliceSource &slice) { return slice.geometry.inStackPosition.has_value(); })) {
        for (auto &slice : slices)
            slice.key = {static_cast<std::int64_t>(*slice.geometry.inStackPosition)};
    }
}

// Slices grouped by their place along the slice normal, in order; each
// group sorted by key.
struct PositionGroups
{
    std::vector<std::vector<SliceSource>> groups;
    std::vector<double> at; // each group's place along the normal
};

PositionGroups groupByPosition(const std::vector<SliceSource> &slices)
{
    const auto &cosines = *slices.front().geometry.orientation;
    const Vec3 normal = cross({cosines[0], cosines[1], cosines[2]}, {cosines[3], cosines[4], cosines[5]});
    std::vector<std::pair<double, std::size_t>> keys;
    for (std::size_t i = 0; i < slices.size(); ++i)
        keys.emplace_back(dot(*slices[i].geometry.position, normal), i);
    std::stable_sort(keys.begin(), keys.end());
    // Slices less than a micrometre apart share a position.
    PositionGroups positions;
    auto &groups = positions.groups;
    auto &groupAt = positions.at;
    for (const auto &key : keys) {
        if (groups.empty() || key.first - groupAt.back() >= 1e-3) {
            groups.emplace_back();
            groupAt.push_back(key.first);
        }
        groups.back().push_back(slices[key.second]);
    }
    for (auto &group : groups) {
        std::stable_sort(group.begin(), group.end(), [](const SliceSource &a, const SliceSource &b) {
            return std::tie(a.key, a.order) < std::tie(b.key, b.order);
        });
    }
    return positions;
}

// How the sentences of layoutSlices() name the scan and its slices.
struct SliceNames
{
    bool multiFrame = false; // the slices are the frames of one file
    std::string scan;        // "The DICOM series '...'" or "The multi-frame DICOM file '...'"

    std::string describe(const SliceSource &slice) const
    {
        return multiFrame ? "frame " + std::to_string(slice.frame + 1) + " of " + named(slice.file) : named(slice.file);
    }
    EngineError duplicated(const SliceSource &a, const SliceSource &b) const
    {
        return EngineError(scan + " has two slices at the same position (" + describe(a) + " and " + describe(b)
                           + ").");
    }
};

// The count most positions have (the larger on a tie).
std::size_t mostCommonCount(const std::vector<std::vector<SliceSource>> &groups)
{
    std::map<std::size_t, int> positionsWith;
    for (const auto &group : groups)
        ++positionsWith[group.size()];
    std::size_t volumes = 1;
    int most = 0;
    for (const auto &[count, positions] : positionsWith) {
        if (positions >= most) {
            most = positions;
            volumes = count;
        }
    }
    return volumes;
}

// Every position holds `volumes` slices, none of them the same slice twice.
void checkPositionCounts(const std::vector<std::vector<SliceSource>> &groups, std::size_t volumes,
                         const SliceNames &names)
{
    for (std::size_t z = 0; z < groups.size(); ++z) {
        const auto &group = groups[z];
        if (volumes == 1 && group.size() > 1)
            throw names.duplicated(group[0], group[1]);
        if (group.size() != volumes) {
            std::string members = names.multiFrame ? "frames " : "";
            for (std::size_t i = 0; i < group.size(); ++i)
                members += (i == 0 ? "" : i + 1 == group.size() ? " and " : ", ")
                    + (names.multiFrame ? std::to_string(group[i].frame + 1) : named(group[i].file));
            const auto &position = *group.front().geometry.position;
            throw EngineError(names.scan + " is 4-D with " + std::to_string(volumes)
                              + (names.multiFrame ? " frames" : " files") + " at each position, but slice "
                              + std::to_string(z + 1) + " of " + std::to_string(groups.size())
                              + " (ImagePositionPatient " + decimals({position[0], position[1], position[2]})
                              + ") has " + std::to_string(group.size()) + ": " + members + ".");
        }
        for (std::size_t i = 1; i < group.size(); ++i) {
            if (group[i].keyIdentifies && group[i].key == group[i - 1].key)
                throw names.duplicated(group[i - 1], group[i]);
        }
    }
}

// No step between neighbouring positions over 1.5 times the median step:
// a larger one is slices missing.
void checkNoGaps(const PositionGroups &positions, const SliceNames &names)
{
    const auto &groups = positions.groups;
    const auto &groupAt = positions.at;
    std::vector<double> steps;
    for (std::size_t i = 1; i < groupAt.size(); ++i)
        steps.push_back(groupAt[i] - groupAt[i - 1]);
    std::vector<double> ordered = steps;
    std::nth_element(ordered.begin(), ordered.begin() + static_cast<std::ptrdiff_t>(ordered.size() / 2), ordered.end());
    const double median = ordered[ordered.size() / 2];
    for (std::size_t i = 0; i < steps.size(); ++i) {
        if (steps[i] > 1.5 * median)
            throw EngineError(names.scan + " misses slices between " + names.describe(groups[i].front()) + " and "
                              + names.describe(groups[i + 1].front()) + " (" + decimal(steps[i]) + " mm apart, "
                              + decimal(median) + " mm elsewhere).");
    }
}

} // namespace

Vec3 cross(const Vec3 &a, const Vec3 &b)
{
    return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}

double dot(const Vec3 &a, const Vec3 &b)
{
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

double norm(const Vec3 &a)
{
    return std::sqrt(dot(a, a));
}

bool sameOrientation(const std::array<double, 6> &a, const std::array<double, 6> &b)
{
    for (std::size_t i = 0; i < 6; ++i) {
        if (std::abs(a[i] - b[i]) > 1e-3)
            return false;
    }
    return true;
}

SliceLayout layoutSlices(std::vector<SliceSource> slices, const fs::path &source, double fallbackSpacing)
{
    SliceLayout layout;
    const bool positioned = std::all_of(slices.begin(), slices.end(), [](const SliceSource &slice) {
        return slice.geometry.position && slice.geometry.orientation;
    });
    if (!positioned) {
        std::stable_sort(slices.begin(), slices.end(), [](const SliceSource &a, const SliceSource &b) {
            return a.instanceNumber < b.instanceNumber;
        });
        layout.positions = static_cast<int>(slices.size());
        layout.slices = std::move(slices);
        layout.distance = fallbackSpacing;
        return layout;
    }
    const PositionGroups positions = groupByPosition(slices);
    const auto &groups = positions.groups;

    const bool multiFrame = slices.front().file == slices.back().file;
    const std::string what = fs::is_directory(source) ? "The DICOM series " : "The multi-frame DICOM file ";
    const SliceNames names{multiFrame, what + named(source)};
    const std::size_t volumes = mostCommonCount(groups);
    checkPositionCounts(groups, volumes, names);
    layout.positions = static_cast<int>(groups.size());
    layout.volumes = static_cast<int>(volumes);
    for (std::size_t t = 0; t < volumes; ++t) {
        for (const auto &group : groups)
            layout.slices.push_back(group[t]);
    }
    if (groups.size() < 2) {
        layout.distance = fallbackSpacing;
        return layout;
    }

    checkNoGaps(positions, names);
    const auto &groupAt = positions.at;
    layout.distance = (groupAt.back() - groupAt.front()) / static_cast<double>(groupAt.size() - 1);
    return layout;
}

void fillGeometry(ScanVolume &volume, const ImageHeader &header, const SliceLayout &layout)
{
    volume.size = {header.columns, header.rows, layout.positions, layout.volumes};
    // The first volume's slices: every volume has the same positions.
    const std::vector<SliceSource> slices(layout.slices.begin(), layout.slices.begin() + layout.positions);
    const double sliceDistance = layout.distance;
    // A damaged header's zero, negative or overflowing distances fall back to 1 mm.
    const auto usable = [](double value) { return std::isfinite(value) && value > 0; };
    const double rowSpacing = header.pixelSpacing.size() >= 2 && usable(header.pixelSpacing[0]) ? header.pixelSpacing[0] : 1.0;
    const double columnSpacing = header.pixelSpacing.size() >= 2 && usable(header.pixelSpacing[1]) ? header.pixelSpacing[1] : 1.0;
    double zSpacing = usable(sliceDistance) ? sliceDistance
        : usable(header.spacingBetweenSlices) ? header.spacingBetweenSlices
        : usable(header.sliceThickness) ? header.sliceThickness : 1.0;
    volume.spacing = {columnSpacing, rowSpacing, zSpacing};

    const auto &first = slices.front().geometry;
    if (!first.orientation) {
        volume.voxelToPatient = {{{columnSpacing, 0, 0, 0}, {0, rowSpacing, 0, 0}, {0, 0, zSpacing, 0}}};
        volume.orientation = {AxisOrientation{0, 1}, AxisOrientation{1, 1}, AxisOrientation{2, 1}};
        return;
    }
    const auto &cosines = *first.orientation;
    const Vec3 rowDirection{cosines[0], cosines[1], cosines[2]};    // along a row: growing column index
    const Vec3 columnDirection{cosines[3], cosines[4], cosines[5]}; // down a column: growing row index
    const Vec3 origin = first.position.value_or(Vec3{0, 0, 0});
    Vec3 sliceStep;
    if (slices.size() >= 2 && first.position && slices.back().geometry.position) {
        for (std::size_t i = 0; i < 3; ++i)
            sliceStep[i] = ((*slices.back().geometry.position)[i] - origin[i]) / static_cast<double>(slices.size() - 1);
    } else {
        const Vec3 normal = cross(rowDirection, columnDirection);
        for (std::size_t i = 0; i < 3; ++i)
            sliceStep[i] = normal[i] * zSpacing;
    }
    volume.spacing[2] = usable(norm(sliceStep)) ? norm(sliceStep) : zSpacing;
    for (std::size_t i = 0; i < 3; ++i) {
        // LPS+ -> RAS+: x and y change sign.
        const double sign = i < 2 ? -1.0 : 1.0;
        volume.voxelToPatient[i] = {sign * rowDirection[i] * columnSpacing, sign * columnDirection[i] * rowSpacing,
                                    sign * sliceStep[i], sign * origin[i]};
    }
    volume.orientation = orientationOf(volume.voxelToPatient);
}

double fallbackSliceSpacing(const ImageHeader &header)
{
    return header.spacingBetweenSlices > 0 ? header.spacingBetweenSlices : header.sliceThickness;
}

std::vector<SliceSource> frameSlicesOf(const ImageHeader &header, const fs::path &file)
{
    std::vector<SliceSource> slices;
    for (int frame = 0; frame < header.frames; ++frame) {
        const auto &geometry = header.frameHeaders[static_cast<std::size_t>(frame)];
        const auto &first = header.frameHeaders.front().orientation;
        if (geometry.orientation.has_value() != first.has_value()
            || (first && !sameOrientation(*first, *geometry.orientation)))
            throw EngineError("The multi-frame DICOM file " + named(file) + " has frames of different orientations (frame "
                              + std::to_string(frame + 1) + " and frame 1).");
        SliceSource slice;
        slice.file = file;
        slice.frame = frame;
        slice.geometry = geometry;
        slice.instanceNumber = frame;
        slice.order = frame;
        slices.push_back(std::move(slice));
    }
    orderFramesByContent(slices);
    return slices;
}

} // namespace mri::dicom
