#pragma once

// The DICOM attributes and storage classes that io/dicom/ reads and writes,
// named once for all its units (inline: one object each in the program).

#include <gdcmTag.h>

namespace mri::dicom {

inline const gdcm::Tag kImageType(0x0008, 0x0008);
inline const gdcm::Tag kSopClassUid(0x0008, 0x0016);
inline const gdcm::Tag kSopInstanceUid(0x0008, 0x0018);
inline const gdcm::Tag kStudyDate(0x0008, 0x0020);
inline const gdcm::Tag kModality(0x0008, 0x0060);
inline const gdcm::Tag kSeriesDescription(0x0008, 0x103e);
inline const gdcm::Tag kDerivationDescription(0x0008, 0x2111);
inline const gdcm::Tag kPatientName(0x0010, 0x0010);
inline const gdcm::Tag kPatientId(0x0010, 0x0020);
inline const gdcm::Tag kSliceThickness(0x0018, 0x0050);
inline const gdcm::Tag kSpacingBetweenSlices(0x0018, 0x0088);
inline const gdcm::Tag kStudyInstanceUid(0x0020, 0x000d);
inline const gdcm::Tag kSeriesInstanceUid(0x0020, 0x000e);
inline const gdcm::Tag kSeriesNumber(0x0020, 0x0011);
inline const gdcm::Tag kAcquisitionNumber(0x0020, 0x0012);
inline const gdcm::Tag kEchoNumbers(0x0018, 0x0086);
inline const gdcm::Tag kTemporalPositionIdentifier(0x0020, 0x0100);
inline const gdcm::Tag kInstanceNumber(0x0020, 0x0013);
inline const gdcm::Tag kImagePosition(0x0020, 0x0032);
inline const gdcm::Tag kImageOrientation(0x0020, 0x0037);
inline const gdcm::Tag kFrameOfReferenceUid(0x0020, 0x0052);
inline const gdcm::Tag kSamplesPerPixel(0x0028, 0x0002);
inline const gdcm::Tag kPhotometric(0x0028, 0x0004);
inline const gdcm::Tag kNumberOfFrames(0x0028, 0x0008);
inline const gdcm::Tag kFrameIncrementPointer(0x0028, 0x0009);
inline const gdcm::Tag kRows(0x0028, 0x0010);
inline const gdcm::Tag kColumns(0x0028, 0x0011);
inline const gdcm::Tag kPixelSpacing(0x0028, 0x0030);
inline const gdcm::Tag kBitsAllocated(0x0028, 0x0100);
inline const gdcm::Tag kBitsStored(0x0028, 0x0101);
inline const gdcm::Tag kHighBit(0x0028, 0x0102);
inline const gdcm::Tag kPixelRepresentation(0x0028, 0x0103);
inline const gdcm::Tag kWindowCenter(0x0028, 0x1050);
inline const gdcm::Tag kWindowWidth(0x0028, 0x1051);
inline const gdcm::Tag kRescaleIntercept(0x0028, 0x1052);
inline const gdcm::Tag kRescaleSlope(0x0028, 0x1053);
inline const gdcm::Tag kRescaleType(0x0028, 0x1054);
inline const gdcm::Tag kPixelData(0x7fe0, 0x0010);
// Enhanced (multi-frame) functional groups and their macros.
inline const gdcm::Tag kSharedGroups(0x5200, 0x9229);
inline const gdcm::Tag kPerFrameGroups(0x5200, 0x9230);
inline const gdcm::Tag kPlanePositionSequence(0x0020, 0x9113);
inline const gdcm::Tag kPlaneOrientationSequence(0x0020, 0x9116);
inline const gdcm::Tag kPixelMeasuresSequence(0x0028, 0x9110);
inline const gdcm::Tag kPixelValueTransformationSequence(0x0028, 0x9145);
inline const gdcm::Tag kFrameVoiLutSequence(0x0028, 0x9132);
inline const gdcm::Tag kFrameContentSequence(0x0020, 0x9111);
inline const gdcm::Tag kDimensionIndexValues(0x0020, 0x9157);
inline const gdcm::Tag kTemporalPositionIndex(0x0020, 0x9128);
inline const gdcm::Tag kInStackPositionNumber(0x0020, 0x9057);
inline const gdcm::Tag kFrameType(0x0008, 0x9007);
// The frame type macros of enhanced MR, CT and PET images: FrameType inside.
inline const gdcm::Tag kFrameTypeSequences[] = {gdcm::Tag(0x0018, 0x9226), gdcm::Tag(0x0018, 0x9329), gdcm::Tag(0x0018, 0x9751)};

inline const char *const kMrImageStorage = "1.2.840.10008.5.1.4.1.1.4";
inline const char *const kEnhancedMrImageStorage = "1.2.840.10008.5.1.4.1.1.4.1";

} // namespace mri::dicom
