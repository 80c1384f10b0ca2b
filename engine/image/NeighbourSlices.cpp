#include "image/NeighbourSlices.h"

#include "base/EngineError.h"

#include <algorithm>

namespace mri {

std::vector<cv::Mat> inputChannelsOf(const cv::Mat &slice, const std::vector<cv::Mat> &neighbours, int neighbourSlices,
                                     const std::string &what)
{
    if (neighbours.size() % 2 != 0)
        throw EngineError("The slice '" + what + "' has " + std::to_string(neighbours.size())
                          + " neighbour slices; they come in pairs, below and above.");
    for (const auto &neighbour : neighbours) {
        if (neighbour.size() != slice.size() || neighbour.type() != slice.type())
            throw EngineError("A neighbour slice of '" + what + "' differs from it in size or pixel type.");
    }
    const int given = static_cast<int>(neighbours.size() / 2);
    std::vector<cv::Mat> channels;
    channels.reserve(1 + 2 * static_cast<std::size_t>(neighbourSlices));
    // Below, farthest first: distance d is neighbours[given - d], clamped to what is given.
    for (int d = neighbourSlices; d >= 1; --d)
        channels.push_back(given == 0 ? slice : neighbours[static_cast<std::size_t>(given - std::min(d, given))]);
    channels.push_back(slice);
    // Above, nearest first: distance d is neighbours[given - 1 + d].
    for (int d = 1; d <= neighbourSlices; ++d)
        channels.push_back(given == 0 ? slice : neighbours[static_cast<std::size_t>(given - 1 + std::min(d, given))]);
    return channels;
}

std::vector<cv::Mat> neighboursOf(const std::vector<cv::Mat> &slices, int index, int neighbourSlices)
{
    std::vector<cv::Mat> neighbours;
    const int last = static_cast<int>(slices.size()) - 1;
    for (int d = neighbourSlices; d >= 1; --d)
        neighbours.push_back(slices.at(static_cast<std::size_t>(std::clamp(index - d, 0, last))));
    for (int d = 1; d <= neighbourSlices; ++d)
        neighbours.push_back(slices.at(static_cast<std::size_t>(std::clamp(index + d, 0, last))));
    return neighbours;
}

} // namespace mri
