export { buildSkeletonGraph, buildSkeletonModel, SKELETON } from './build';
export { generateSkeleton, type SkeletonImage, type SkeletonRequest, type StepProgress } from './generate';
