export * from './webviewProtocol';
export * from './workerProtocol';
export type * from './checkpointSummary';
export type * from './errors';
