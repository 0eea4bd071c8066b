/** The network transport over gRPC: public exports only. */
export { GrpcServerTransport, stderrLog, type GrpcLog, type GrpcLogLevel, type GrpcServerTransportOptions } from './GrpcServerTransport.js';
export { GrpcClientTransport } from './GrpcClientTransport.js';
export type { GrpcClientState, GrpcClientTransportOptions } from './clientOptions.js';
export { type GrpcClientTlsOptions, type GrpcServerTlsOptions } from './credentials.js';
export { DEFAULT_CHUNK_BYTES, MAX_CHUNK_BYTES } from './chunking.js';
