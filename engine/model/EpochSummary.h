#pragma once

namespace mri {

// One epoch of a training run as the loss curves, the model file's history
// and the reports keep it.
struct EpochSummary
{
    int epoch = 0;
    int epochs = 0;
    long long globalStep = 0;
    double trainLoss = 0.0;
    double validationLoss = 0.0;  // NaN when there is no validation image
    double validationPsnr = 0.0;  // dB of the output against the validation input; NaN without validation
    double learningRate = 0.0;
    double elapsedSeconds = 0.0;
};

} // namespace mri
