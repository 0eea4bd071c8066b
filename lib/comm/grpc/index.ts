/** The network transport over gRPC: public exports only. */
export { GrpcServerTransport, stderrLog, type GrpcLog, type GrpcLogLevel, type GrpcServerTlsOptions, type GrpcServerTransportOptions } from './GrpcServerTransport.js';
export { GrpcClientTransport, type GrpcClientState, type GrpcClientTlsOptions, type GrpcClientTransportOptions } from './GrpcClientTransport.js';
export { DEFAULT_CHUNK_BYTES, MAX_CHUNK_BYTES } from './chunking.js';
