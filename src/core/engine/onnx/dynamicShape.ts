/**
 * A recording with named dimensions (graphBackend.ts) met an operation whose attributes would fix such a dimension
 * (a tile, a partial slice or a constant sized by it): the function must be recorded for fixed shapes instead.
 */
export class DynamicShapeError extends Error {}
