// LibTorch first: Qt's keywords are disabled for this target (QT_NO_KEYWORDS),
// since Qt's `slots` macro breaks LibTorch's headers.
#include "nn/BlindSpot.h"
#include "nn/TiledInference.h"

#include <QtTest>

class TestUNet final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::manual_seed(7); }
    void shapeIsPreserved_data();
    void shapeIsPreserved();
    void receptiveRadiusBoundsTheContext();
    void tiledInferenceMatchesWholeImage_data();
    void tiledInferenceMatchesWholeImage();
    void tilesFromIntegerSliceMatchWholeImage();
    void sigmoidOutputStaysInUnitRange();
    void linearOutputUsesTheDataScale();
    void foldedNetworkMatchesEvalForward_data();
    void foldedNetworkMatchesEvalForward();
    void foldedNetworkFollowsChangedWeights();
    void maxBlurPoolMatchesReference_data();
    void neighbourSlicesTrainAndFoldedMatchesEval_data();
    void neighbourSlicesTrainAndFoldedMatchesEval();
    void tiledInferenceWithNeighboursMatchesWholeSlice();
    void jInvariantPredictionIgnoresThePixelsOwnBox_data();
    void jInvariantPredictionIgnoresThePixelsOwnBox();
    void tilePassesMatchWholeSlice_data();
    void tilePassesMatchWholeSlice();
    void mirrorAverageIsTheMeanOfTheMirrorImages();
    void maxBlurPoolMatchesReference();
};

namespace {

// He initialisation: every output pixel depends on its context as strongly
// as in a trained network, so cutting that context would show (the default
// initialisation leaves differences below the tolerance). In eval mode.
mri::nn::UNet heInitialised(const mri::NetworkConfig &config)
{
    mri::nn::UNet net(config);
    net->eval();
    torch::NoGradGuard noGrad;
    for (auto &parameter : net->parameters()) {
        if (parameter.dim() == 4)
            parameter.normal_(0.0, std::sqrt(2.0 / (parameter.size(1) * parameter.size(2) * parameter.size(3))));
    }
    return net;
}

// Depth 2, 4 channels, residual output (no Sigmoid squashing the differences).
mri::nn::UNet smallNetwork(int neighbourSlices = 0)
{
    mri::NetworkConfig config;
    config.depth = 2;
    config.baseChannels = 4;
    config.neighbourSlices = neighbourSlices;
    config.residualOutput = true;
    return heInitialised(config);
}

} // namespace

void TestUNet::shapeIsPreserved_data()
{
    QTest::addColumn<int>("height");
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("depth");
    QTest::addColumn<bool>("residual");
    QTest::addColumn<bool>("topSkip");
    QTest::addColumn<bool>("blurPool");
    QTest::newRow("301x370 depth 4") << 370 << 301 << 4 << false << true << false;
    QTest::newRow("odd 33x17 depth 3") << 33 << 17 << 3 << false << true << false;
    QTest::newRow("tiny 5x7 depth 4") << 5 << 7 << 4 << false << true << false;
    QTest::newRow("single pixel") << 1 << 1 << 2 << false << true << false;
    QTest::newRow("n2v2 variant 301x370") << 370 << 301 << 4 << true << false << true;
    QTest::newRow("multiple of 16") << 64 << 48 << 4 << true << true << true;
}

void TestUNet::shapeIsPreserved()
{
    QFETCH(int, height);
    QFETCH(int, width);
    QFETCH(int, depth);
    QFETCH(bool, residual);
    QFETCH(bool, topSkip);
    QFETCH(bool, blurPool);
    mri::NetworkConfig config;
    config.depth = depth;
    config.baseChannels = 4;
    config.residualOutput = residual;
    config.topSkip = topSkip;
    config.blurPool = blurPool;
    mri::nn::UNet net(config);
    torch::NoGradGuard noGrad;
    const auto input = torch::rand({2, 1, height, width});
    const auto output = mri::nn::forwardPadded(net, input);
    QCOMPARE(output.sizes().vec(), input.sizes().vec());
}

void TestUNet::receptiveRadiusBoundsTheContext()
{
    mri::NetworkConfig config;
    config.depth = 2;
    config.baseChannels = 4;
    mri::nn::UNet net(config);
    net->eval();
    torch::NoGradGuard noGrad;
    const int radius = net->receptiveRadius();
    const int size = 4 * radius + 16;
    const int centre = size / 2;
    auto input = torch::rand({1, 1, size, size});
    const auto reference = net->forward(input)[0][0][centre][centre].item<float>();

    auto far = input.clone();
    far[0][0][centre][centre + radius + 2] = 5.0f; // just outside the receptive field
    QCOMPARE(net->forward(far)[0][0][centre][centre].item<float>(), reference);

    auto near = input.clone();
    near[0][0][centre][centre + 2] = 5.0f;
    QVERIFY(net->forward(near)[0][0][centre][centre].item<float>() != reference);
}

void TestUNet::tiledInferenceMatchesWholeImage_data()
{
    QTest::addColumn<int>("depth");
    QTest::addColumn<int>("tileSize");
    QTest::addColumn<bool>("blurPool");
    QTest::newRow("depth 2, 96 px tiles") << 2 << 96 << false;
    QTest::newRow("depth 4, 320 px tiles") << 4 << 320 << false;
    QTest::newRow("depth 3 blur-pool, 160 px tiles") << 3 << 160 << true;
}

void TestUNet::tiledInferenceMatchesWholeImage()
{
    QFETCH(int, depth);
    QFETCH(int, tileSize);
    QFETCH(bool, blurPool);
    mri::NetworkConfig config;
    config.depth = depth;
    config.baseChannels = 4;
    config.blurPool = blurPool;
    config.residualOutput = true; // no Sigmoid squashing the differences
    auto net = heInitialised(config);
    torch::NoGradGuard noGrad;
    // A smooth slice with structure, 301 wide and 370 high like the demo slices.
    const auto y = torch::linspace(0, 6.28, 370).view({370, 1});
    const auto x = torch::linspace(0, 9.42, 301).view({1, 301});
    const auto slice = (0.5 + 0.3 * torch::sin(y) * torch::cos(x) + 0.05 * torch::rand({370, 301})).contiguous();

    const auto whole = mri::nn::inferSlice(net, slice, 4096, nullptr, torch::kCPU);
    const auto tiled = mri::nn::inferSlice(net, slice, tileSize, nullptr, torch::kCPU);
    QCOMPARE(whole.sizes().vec(), slice.sizes().vec());
    QCOMPARE(tiled.sizes().vec(), slice.sizes().vec());
    const double difference = (whole - tiled).abs().max().item<double>();
    const double contrast = (whole.max() - whole.min()).item<double>();
    QVERIFY2(contrast > 0.1, qPrintable(QStringLiteral("output contrast %1").arg(contrast)));
    QVERIFY2(difference < 1e-3, qPrintable(QStringLiteral("max difference %1").arg(difference)));

    std::atomic_bool cancel{true};
    QVERIFY(!mri::nn::inferSlice(net, slice, tileSize, &cancel, torch::kCPU).defined());
}

// The enhancer's path: an 8-bit slice converted tile by tile (no float copy),
// padded per tile at the border, accumulated into a caller's buffer; progress
// after each tile and a cancel between tiles.
void TestUNet::tilesFromIntegerSliceMatchWholeImage()
{
    mri::NetworkConfig config;
    config.depth = 3;
    config.baseChannels = 4;
    config.residualOutput = true;
    auto net = heInitialised(config);
    torch::NoGradGuard noGrad;
    const int height = 283; // not a multiple of 8: the padding is exercised
    const int width = 357;
    const auto y = torch::linspace(0, 6.28, height).view({height, 1});
    const auto x = torch::linspace(0, 9.42, width).view({1, width});
    const auto levels = ((0.5 + 0.3 * torch::sin(y) * torch::cos(x) + 0.05 * torch::rand({height, width})) * 255.0)
                            .round().clamp(0, 255).to(torch::kUInt8).contiguous();
    const float step = static_cast<float>(1.0 / 255.0);
    const auto unit = levels.to(torch::kFloat32) * step;
    const auto *pixels = levels.data_ptr<uint8_t>();
    const mri::nn::SliceReader reader = [&](float *out, int64_t row, int64_t column, int64_t count) {
        for (int64_t i = 0; i < count; ++i)
            out[i] = pixels[row * width + column + i] * step;
    };

    // One tile: the network on the reflect-padded slice (inference runs the
    // folded network, equal to the eval-mode forward pass up to rounding).
    std::vector<float> single(static_cast<std::size_t>(height) * width);
    QVERIFY(mri::nn::inferSlice(net, height, width, reader, single.data(), width, 4096, nullptr, torch::kCPU));
    const auto padded = mri::nn::forwardPadded(net, unit.view({1, 1, height, width})).view({height, width}).contiguous();
    QVERIFY(torch::allclose(torch::from_blob(single.data(), {height, width}), padded, 1e-5, 1e-5));

    // Many tiles, written into a wider buffer (a row stride of its own).
    const int stride = width + 5;
    std::vector<float> tiled(static_cast<std::size_t>(height) * stride, -1.0f);
    int calls = 0;
    int lastTotal = 0;
    bool ordered = true;
    const mri::nn::TileProgress progress = [&](int done, int total) {
        ordered = ordered && done == calls + 1;
        ++calls;
        lastTotal = total;
    };
    QVERIFY(mri::nn::inferSlice(net, height, width, reader, tiled.data(), stride, 96, nullptr, torch::kCPU, progress));
    QVERIFY(ordered);
    QVERIFY2(lastTotal > 4, qPrintable(QString::number(lastTotal)));
    QCOMPARE(calls, lastTotal);
    const auto tiledTensor = torch::from_blob(tiled.data(), {height, stride}).slice(1, 0, width);
    const double difference = (tiledTensor - padded).abs().max().item<double>();
    QVERIFY2(difference < 1e-3, qPrintable(QStringLiteral("max difference %1").arg(difference)));
    QCOMPARE(tiled[static_cast<std::size_t>(stride) - 1], -1.0f); // beyond the width: untouched

    // Cancelled after the second tile: no third one runs.
    std::atomic_bool cancel{false};
    int run = 0;
    const mri::nn::TileProgress cancelling = [&](int done, int) {
        run = done;
        if (done == 2)
            cancel = true;
    };
    QVERIFY(!mri::nn::inferSlice(net, height, width, reader, tiled.data(), stride, 96, &cancel, torch::kCPU, cancelling));
    QCOMPARE(run, 2);
}

void TestUNet::sigmoidOutputStaysInUnitRange()
{
    mri::NetworkConfig config;
    config.linearOutput = false;
    mri::nn::UNet net(config);
    torch::NoGradGuard noGrad;
    const auto output = mri::nn::forwardPadded(net, torch::rand({1, 1, 40, 40}) * 3.0);
    QVERIFY(output.min().item<float>() >= 0.0f);
    QVERIFY(output.max().item<float>() <= 1.0f);
}

// A linear output is on the training data's scale: its mean and deviation
// map standardised values back, and are saved with the weights.
void TestUNet::linearOutputUsesTheDataScale()
{
    mri::NetworkConfig config;
    config.depth = 1;
    config.baseChannels = 4;
    mri::nn::UNet net(config);
    torch::NoGradGuard noGrad;
    const auto input = torch::rand({1, 1, 32, 32});
    const auto unit = mri::nn::forwardPadded(net, input);
    net->setDataStatistics(0.2, 0.05);
    const auto scaled = mri::nn::forwardPadded(net, 0.2 + 0.05 * input);
    QVERIFY(torch::allclose(scaled, 0.2 + 0.05 * unit, 1e-4, 1e-5));
    bool saved = false;
    for (const auto &buffer : net->named_buffers())
        saved = saved || (buffer.key() == "data_mean" && std::abs(buffer.value().item<double>() - 0.2) < 1e-7);
    QVERIFY(saved);
}

void TestUNet::foldedNetworkMatchesEvalForward_data()
{
    QTest::addColumn<int>("depth");
    QTest::addColumn<bool>("batchNorm");
    QTest::addColumn<bool>("blurPool");
    QTest::addColumn<bool>("linear");
    QTest::addColumn<bool>("residual");
    QTest::addColumn<bool>("topSkip");
    QTest::newRow("default") << 2 << true << true << true << false << false;
    QTest::newRow("no batch norm") << 2 << false << true << true << false << false;
    QTest::newRow("max-pool, top skip, depth 3") << 3 << true << false << true << false << true;
    QTest::newRow("sigmoid output") << 2 << true << true << false << false << false;
    QTest::newRow("residual linear, depth 1") << 1 << true << true << true << true << false;
    QTest::newRow("residual sigmoid-era model") << 4 << true << false << false << true << true;
}

// The inference network (batch norm folded, channels-last, up-sampling as a
// 1x1 convolution and pixel shuffle) computes the eval-mode forward pass.
void TestUNet::foldedNetworkMatchesEvalForward()
{
    QFETCH(int, depth);
    QFETCH(bool, batchNorm);
    QFETCH(bool, blurPool);
    QFETCH(bool, linear);
    QFETCH(bool, residual);
    QFETCH(bool, topSkip);
    mri::NetworkConfig config;
    config.depth = depth;
    config.baseChannels = 8;
    config.batchNorm = batchNorm;
    config.blurPool = blurPool;
    config.linearOutput = linear;
    config.residualOutput = residual;
    config.topSkip = topSkip;
    mri::nn::UNet net(config);
    torch::NoGradGuard noGrad;
    // Batch statistics and affine parameters far from the identity, as after training.
    for (const auto &module : net->modules(false)) {
        if (auto *norm = module->as<torch::nn::BatchNorm2dImpl>()) {
            norm->running_mean.uniform_(-0.5, 0.5);
            norm->running_var.uniform_(0.3, 3.0);
            norm->weight.uniform_(0.5, 1.5);
            norm->bias.uniform_(-0.3, 0.3);
        }
    }
    net->setDataStatistics(0.3, 0.2);
    net->eval();
    const int64_t side = 8 << depth;
    const auto input = torch::rand({2, 1, side, side + (4 << depth)});
    const auto reference = net->forward(input);
    const auto folded = net->infer(input);
    QCOMPARE(folded.sizes().vec(), reference.sizes().vec());
    const double difference = (folded - reference).abs().max().item<double>();
    const double scale = reference.abs().max().item<double>();
    QVERIFY2(difference <= 1e-5 * std::max(1.0, scale), qPrintable(QStringLiteral("max difference %1").arg(difference)));
}

// Weights changed in eval mode (loaded, edited in place) reach the inference network.
void TestUNet::foldedNetworkFollowsChangedWeights()
{
    mri::NetworkConfig config;
    config.baseChannels = 4;
    mri::nn::UNet net(config);
    net->eval();
    torch::NoGradGuard noGrad;
    const auto input = torch::rand({1, 1, 32, 32});
    const auto before = net->infer(input);
    for (auto &parameter : net->parameters())
        parameter.mul_(1.5);
    const auto after = net->infer(input);
    QVERIFY((after - before).abs().max().item<double>() > 1e-4);
    QVERIFY(torch::allclose(after, net->forward(input), 1e-4, 1e-5));
}

void TestUNet::maxBlurPoolMatchesReference_data()
{
    QTest::addColumn<int>("batch");
    QTest::addColumn<int>("channels");
    QTest::addColumn<int>("height");
    QTest::addColumn<int>("width");
    QTest::newRow("smallest, 2x2") << 1 << 1 << 2 << 2;
    QTest::newRow("one channel, 4x6") << 1 << 1 << 4 << 6;
    QTest::newRow("16 channels, 34x18, batch 2") << 2 << 16 << 34 << 18;
    QTest::newRow("3 channels, 10x40") << 1 << 3 << 10 << 40;
}

void TestUNet::maxBlurPoolMatchesReference()
{
    QFETCH(int, batch);
    QFETCH(int, channels);
    QFETCH(int, height);
    QFETCH(int, width);
    namespace F = torch::nn::functional;
    torch::NoGradGuard noGrad;
    const auto input = torch::randn({batch, channels, height, width});
    const auto taps = torch::tensor({1.0f, 2.0f, 1.0f});
    const auto kernel = (taps.unsqueeze(1) * taps.unsqueeze(0) / 16.0f).view({1, 1, 3, 3});
    const auto dense = F::max_pool2d(input, F::MaxPool2dFuncOptions(2).stride(1));
    const auto padded = F::pad(dense, F::PadFuncOptions({1, 1, 1, 1}).mode(torch::kReplicate));
    const auto reference = F::conv2d(padded, kernel.expand({channels, 1, 3, 3}), F::Conv2dFuncOptions().stride(2).groups(channels));
    const auto pooled = mri::nn::maxBlurPool(input);
    QCOMPARE(pooled.sizes().vec(), reference.sizes().vec());
    QVERIFY(torch::allclose(pooled, reference, 1e-5, 1e-6));
}

void TestUNet::neighbourSlicesTrainAndFoldedMatchesEval_data()
{
    QTest::addColumn<int>("neighbours");
    QTest::addColumn<bool>("residual");
    QTest::newRow("one each side") << 1 << false;
    QTest::newRow("one each side, residual") << 1 << true;
    QTest::newRow("two each side") << 2 << false;
}

// A 2.5-D network takes 1 + 2n channels, returns one, trains, and its
// inference network computes the same as its eval forward pass.
void TestUNet::neighbourSlicesTrainAndFoldedMatchesEval()
{
    QFETCH(int, neighbours);
    QFETCH(bool, residual);
    torch::manual_seed(11);
    mri::NetworkConfig config;
    config.baseChannels = 8;
    config.neighbourSlices = neighbours;
    config.residualOutput = residual;
    QCOMPARE(config.inputChannels(), 1 + 2 * neighbours);
    mri::nn::UNet net(config);
    net->setDataStatistics(0.4, 0.2);
    const int64_t channels = config.inputChannels();
    torch::optim::Adam optimizer(net->parameters(), torch::optim::AdamOptions(1e-3));
    net->train();
    for (int step = 0; step < 4; ++step) {
        const auto input = torch::rand({4, channels, 32, 32});
        const auto target = input.narrow(1, neighbours, 1);
        optimizer.zero_grad();
        const auto output = net->forward(input);
        QCOMPARE(output.sizes().vec(), (std::vector<int64_t>{4, 1, 32, 32}));
        const auto loss = (output - target).pow(2).mean();
        loss.backward();
        optimizer.step();
        QVERIFY(std::isfinite(loss.item<double>()));
    }
    torch::NoGradGuard noGrad;
    net->eval();
    const auto input = torch::rand({2, channels, 32, 48});
    const auto reference = net->forward(input);
    const auto folded = net->infer(input);
    QCOMPARE(folded.sizes().vec(), (std::vector<int64_t>{2, 1, 32, 48}));
    const double difference = (folded - reference).abs().max().item<double>();
    QVERIFY2(difference <= 1e-5 * std::max(1.0, reference.abs().max().item<double>()),
             qPrintable(QStringLiteral("max difference %1").arg(difference)));
    // The neighbours matter: changing one changes the output.
    auto changed = input.clone();
    changed.narrow(1, 0, 1).fill_(0.9);
    QVERIFY((net->infer(changed) - folded).abs().max().item<double>() > 1e-4);
    // A single-slice input is refused, not misread.
    QVERIFY_THROWS_EXCEPTION(c10::Error, net->infer(torch::rand({1, 1, 32, 32})));
}

// Tiles are cut at the same place from every channel: tiled inference with
// neighbours equals whole-slice inference, through tensors and through one
// reader per channel.
void TestUNet::tiledInferenceWithNeighboursMatchesWholeSlice()
{
    mri::NetworkConfig config;
    config.depth = 2;
    config.baseChannels = 4;
    config.neighbourSlices = 1;
    config.residualOutput = true;
    auto net = heInitialised(config);
    torch::NoGradGuard noGrad;
    const auto y = torch::linspace(0, 6.28, 203).view({1, 203, 1});
    const auto x = torch::linspace(0, 9.42, 171).view({1, 1, 171});
    const auto phase = torch::tensor({0.0f, 0.4f, 0.8f}).view({3, 1, 1});
    const auto slices = (0.5 + 0.3 * torch::sin(y + phase) * torch::cos(x) + 0.05 * torch::rand({3, 203, 171})).contiguous();

    const auto whole = mri::nn::inferSlice(net, slices, 4096, nullptr, torch::kCPU);
    const auto tiled = mri::nn::inferSlice(net, slices, 96, nullptr, torch::kCPU);
    QCOMPARE(whole.sizes().vec(), (std::vector<int64_t>{203, 171}));
    QCOMPARE(tiled.sizes().vec(), whole.sizes().vec());
    const double difference = (whole - tiled).abs().max().item<double>();
    QVERIFY2(difference < 1e-3, qPrintable(QStringLiteral("max difference %1").arg(difference)));
    // The same as the batched forward pass of the three channels.
    const auto direct = mri::nn::forwardPadded(net, slices.unsqueeze(0))[0][0];
    QVERIFY((direct - whole).abs().max().item<double>() < 1e-4);

    std::vector<mri::nn::SliceReader> readers;
    for (int64_t c = 0; c < 3; ++c) {
        const float *pixels = slices[c].data_ptr<float>();
        readers.push_back([pixels](float *out, int64_t row, int64_t column, int64_t count) {
            std::copy_n(pixels + row * 171 + column, count, out);
        });
    }
    auto output = torch::empty({203, 171});
    int tiles = 0;
    QVERIFY(mri::nn::inferSlice(net, 203, 171, readers, output.data_ptr<float>(), 171, 96, nullptr, torch::kCPU,
                                [&](int done, int) { tiles = done; }));
    QVERIFY(tiles > 1);
    QCOMPARE((output - tiled).abs().max().item<double>(), 0.0);
    readers.pop_back();
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             mri::nn::inferSlice(net, 203, 171, readers, output.data_ptr<float>(), 171, 96, nullptr,
                                                 torch::kCPU));
}


void TestUNet::jInvariantPredictionIgnoresThePixelsOwnBox_data()
{
    QTest::addColumn<int>("radius");
    QTest::addColumn<int>("neighbourSlices");
    QTest::addColumn<int>("passes");
    QTest::newRow("radius 1, 2.5-D") << 1 << 1 << 49;
    QTest::newRow("radius 2") << 2 << 0 << 144;
    QTest::newRow("radius 2, 2.5-D") << 2 << 1 << 144;
    QTest::newRow("radius 3") << 3 << 0 << 256;
}

// A pixel's prediction must not see its own box, whose noise is correlated
// with its own, as in training; the plain pass does see it.
void TestUNet::jInvariantPredictionIgnoresThePixelsOwnBox()
{
    QFETCH(int, radius);
    QFETCH(int, neighbourSlices);
    QFETCH(int, passes);
    QCOMPARE(mri::nn::jInvariantPasses(radius), passes);
    auto net = smallNetwork(neighbourSlices);
    torch::NoGradGuard noGrad;
    const int64_t channels = net->config().inputChannels();
    const int64_t centre = channels / 2;
    const auto input = (0.5 + 0.1 * torch::rand({1, channels, 64, 64})).contiguous();
    const int64_t row = 29;
    const int64_t column = 35;
    auto changed = input.clone();
    changed[0][centre].slice(0, row - radius, row + radius + 1).slice(1, column - radius, column + radius + 1)
        += 0.3 * torch::rand({2 * radius + 1, 2 * radius + 1});

    const auto before = mri::nn::inferJInvariant(net, input, radius);
    const auto after = mri::nn::inferJInvariant(net, changed, radius);
    QCOMPARE(before.sizes().vec(), (std::vector<int64_t>{1, 1, 64, 64}));
    const double atPixel = (before[0][0][row][column] - after[0][0][row][column]).abs().item<double>();
    QVERIFY2(atPixel < 1e-6, qPrintable(QStringLiteral("the pixel moved by %1").arg(atPixel)));
    // Its neighbours are predicted from the changed box, and so is the plain pass.
    const double nextToIt = (before[0][0][row][column + radius + 1] - after[0][0][row][column + radius + 1]).abs().item<double>();
    QVERIFY2(nextToIt > 1e-4, qPrintable(QStringLiteral("the neighbour moved by %1").arg(nextToIt)));
    const double plain = (net->infer(input) - net->infer(changed))[0][0][row][column].abs().item<double>();
    QVERIFY2(plain > 1e-3, qPrintable(QStringLiteral("the plain pass moved by %1").arg(plain)));
    // The neighbour slices are not hidden: their noise is independent of the slice's.
    if (channels > 1) {
        auto neighbourChanged = input.clone();
        neighbourChanged[0][0].slice(0, row - radius, row + radius + 1).slice(1, column - radius, column + radius + 1) += 0.3;
        const double throughNeighbour
            = (before - mri::nn::inferJInvariant(net, neighbourChanged, radius))[0][0][row][column].abs().item<double>();
        QVERIFY2(throughNeighbour > 1e-4, qPrintable(QStringLiteral("moved by %1").arg(throughNeighbour)));
    }
}

void TestUNet::tilePassesMatchWholeSlice_data()
{
    QTest::addColumn<int>("jInvariantRadius");
    QTest::addColumn<bool>("mirrorAverage");
    // Every pixel sees the same hidden boxes around it whatever the tile it is in.
    QTest::newRow("J-invariant, radius 2") << 2 << false;
    QTest::newRow("mirror average") << 0 << true;
}

// A tile pass other than the plain one gives the same tiled as whole, and not the plain result.
void TestUNet::tilePassesMatchWholeSlice()
{
    QFETCH(int, jInvariantRadius);
    QFETCH(bool, mirrorAverage);
    auto net = smallNetwork();
    torch::NoGradGuard noGrad;
    const auto y = torch::linspace(0, 6.28, 203).view({203, 1});
    const auto x = torch::linspace(0, 9.42, 171).view({1, 171});
    const auto slice = (0.5 + 0.3 * torch::sin(y) * torch::cos(x) + 0.05 * torch::rand({203, 171})).contiguous();
    const mri::nn::TilePass pass{jInvariantRadius, mirrorAverage};
    const auto whole = mri::nn::inferSlice(net, slice, 4096, nullptr, torch::kCPU, {}, pass);
    int tiles = 0;
    const auto tiled = mri::nn::inferSlice(net, slice, 96, nullptr, torch::kCPU, [&](int done, int) { tiles = done; },
                                           pass);
    QVERIFY(tiles > 1);
    const double difference = (whole - tiled).abs().max().item<double>();
    QVERIFY2(difference < 1e-3, qPrintable(QStringLiteral("max difference %1").arg(difference)));
    const auto plain = mri::nn::inferSlice(net, slice, 4096, nullptr, torch::kCPU);
    QVERIFY((whole - plain).abs().max().item<double>() > 1e-3);
}

// The mean of the four mirror images' predictions, each mirrored back.
void TestUNet::mirrorAverageIsTheMeanOfTheMirrorImages()
{
    auto net = smallNetwork();
    torch::NoGradGuard noGrad;
    const auto tile = (0.5 + 0.1 * torch::rand({1, 1, 48, 64})).contiguous();
    mri::nn::TilePass pass;
    pass.mirrorAverage = true;
    QCOMPARE(pass.networkPasses(), 4);
    const auto averaged = mri::nn::forwardTile(net, tile, pass, nullptr);
    auto expected = net->infer(tile);
    for (const std::vector<int64_t> &axes : {std::vector<int64_t>{3}, {2}, {2, 3}})
        expected = expected + net->infer(tile.flip(axes)).flip(axes);
    expected = expected / 4.0;
    QVERIFY((averaged - expected).abs().max().item<double>() < 1e-6);
    QVERIFY((averaged - net->infer(tile)).abs().max().item<double>() > 1e-3);
}

QTEST_APPLESS_MAIN(TestUNet)
#include "tst_unet.moc"
