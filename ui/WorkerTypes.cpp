#include "WorkerTypes.h"

namespace studio {

void registerWorkerTypes()
{
    static const bool registered = [] {
        qRegisterMetaType<DatasetHandle>();
        qRegisterMetaType<ResultList>();
        qRegisterMetaType<RowList>();
        qRegisterMetaType<Job>();
        qRegisterMetaType<Task>();
        qRegisterMetaType<ImageCheck>();
        qRegisterMetaType<ImageCheckList>();
        qRegisterMetaType<OpenParams>();
        qRegisterMetaType<TrainingParams>();
        qRegisterMetaType<TrainingOutcome>();
        qRegisterMetaType<EnhanceParams>();
        qRegisterMetaType<EnhanceOutcome>();
        qRegisterMetaType<SliceRequest>();
        qRegisterMetaType<SlicePair>();
        qRegisterMetaType<ComparisonSet>();
        qRegisterMetaType<mri::TrainingStep>();
        qRegisterMetaType<mri::EpochSummary>();
        qRegisterMetaType<mri::EnhancedRow>();
        qRegisterMetaType<mri::EnhanceProgress>();
        qRegisterMetaType<mri::ModelInfo>();
        return true;
    }();
    Q_UNUSED(registered);
}

} // namespace studio
