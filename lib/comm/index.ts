/** Moving adapters between server and clients: messages, frames, codecs, transports. Public exports only. */
export type { Address, AnyMessage, ClientMessage, ServerMessage, EvalSplit, SplitLoss, TrainSummary } from './messages.js';
export type { Endpoint, EndpointStats, MessageHandler, Transport } from './transport.js';
export { InProcessTransport } from './inProcess.js';
export { encodeAdapter, decodeAdapter } from './adapterFrame.js';
export { encodeMessage, decodeMessage } from './messageFrame.js';
export * from './codecFrame.js';
export * from './grpc/index.js';
export { CODEC_NAMES, COMPRESSIONS, type CodecName, type CodecOptions, type Compression } from './codecOptions.js';
export { ErrorFeedbackEncoder } from './errorFeedback.js';
