/** codec/: payload encryption, large payloads by reference, the data converter and the codec server (Node only, never workflow code). */
export * from './blob-store';
export * from './claim-check-codec';
export * from './data-converter';
export * from './encryption-codec';
export * from './errors';
export * from './server';
export * from './settings';
