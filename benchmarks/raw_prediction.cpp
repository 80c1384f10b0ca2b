// Issue 21: the network's prediction of a volume before the noise floor is
// removed, for studying the floor removal offline (benchmarks/floor_study.py).
//
//   raw_prediction MODEL NOISY.nii.gz OUT.nii.gz [--plane axial]
//
// Every slice of the volume's first frame along the plane, as `enhance` cuts
// it (2.5-D neighbours, the volume's range), through the network with the
// floor removal off; written as float32 NIfTI in the input's units.
#include "dataset/OutputPolicy.h"
#include "enhance/Enhancer.h"
#include "image/NeighbourSlices.h"
#include "io/NiftiFile.h"
#include "io/ScanVolume.h"
#include "io/SlicePlane.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <vector>

using namespace mri;

int main(int argc, char **argv)
{
    CLI::App app{"The network's prediction of a volume, the noise floor left in"};
    std::string model, input, output, planeName = "axial";
    app.add_option("model", model, "model file")->required();
    app.add_option("input", input, "noisy NIfTI volume")->required();
    app.add_option("output", output, "float32 NIfTI to write")->required();
    app.add_option("--plane", planeName, "axial, coronal or sagittal");
    CLI11_PARSE(app, argc, argv);

    OutputPolicy policy; // never over the model or the volume read
    policy.protectFile(model, "the model");
    policy.protectFile(input, "the noisy volume");
    policy.addOutput(output, "the prediction");
    try {
        policy.check();
    } catch (const std::exception &problem) {
        std::fprintf(stderr, "raw_prediction: %s\n", problem.what());
        return 1;
    }
    Enhancer enhancer = Enhancer::load(model);
    enhancer.setRicianCorrection(false);
    const ScanVolume volume = readScan(input);
    const auto plane = parseSlicePlane(planeName);
    if (!plane) {
        std::fprintf(stderr, "raw_prediction: unknown plane '%s'\n", planeName.c_str());
        return 2;
    }
    const auto range = networkRangeOf(volume);
    const int count = sliceCountOf(volume, *plane);
    std::vector<cv::Mat> unit(static_cast<std::size_t>(count));
    for (int index = 0; index < count; ++index)
        unit[static_cast<std::size_t>(index)] = toNetworkUnit(extractSlice(volume, *plane, index, 0), range);
    ScanVolume predicted = volume;
    predicted.size[3] = 1;
    predicted.voxels.resize(predicted.voxelsPerVolume());
    for (int index = 0; index < count; ++index) {
        const cv::Mat result = enhancer.enhanceUnit(unit[static_cast<std::size_t>(index)],
                                                    neighboursOf(unit, index, enhancer.neighbourSlices()), nullptr,
                                                    nullptr);
        insertSlice(predicted, *plane, index, 0, fromNetworkUnit(result, range));
    }
    writeNiftiVolume(predicted, output, "raw prediction", kNiftiFloat32);
    return 0;
}
