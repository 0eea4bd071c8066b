/**
 * The gRPC service of the network transport, defined in code (no .proto compilation): one bidirectional
 * stream per client, `fsllm.Transport/Exchange(stream Chunk) returns (stream Chunk)`, whose messages are
 * the raw chunk Buffers of chunking.ts (identity serialisation), plus the call metadata and channel
 * options both sides share.
 */
import * as grpc from '@grpc/grpc-js';
import { GRPC_MAX_MESSAGE_BYTES } from './chunking.js';

export const SERVICE_NAME = 'fsllm.Transport';
export const EXCHANGE_PATH = `/${SERVICE_NAME}/Exchange`;
/** Call metadata: the client's id (decimal) and its token. */
export const CLIENT_ID_KEY = 'x-fsllm-client';
export const TOKEN_KEY = 'x-fsllm-token';
/** The status detail with which the server ends a connection that a newer one for the same id replaced. */
export const REPLACED_DETAILS = 'replaced by a newer connection for the same client id';

const identity = (b: Buffer): Buffer => b;

/** The `Exchange` method as grpc-js wants it; chunks cross as they are. */
export const exchangeMethod: grpc.MethodDefinition<Buffer, Buffer> = {
  path: EXCHANGE_PATH,
  requestStream: true,
  responseStream: true,
  requestSerialize: identity,
  requestDeserialize: identity,
  responseSerialize: identity,
  responseDeserialize: identity,
  originalName: 'exchange',
};

export const transportService: grpc.ServiceDefinition = { Exchange: exchangeMethod };

/**
 * Channel/server options: gRPC's message-size limit bounds one chunk (not a message), and the server pings
 * idle connections so that a peer that vanished without closing its socket is noticed.
 */
export const channelOptions: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': GRPC_MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': GRPC_MAX_MESSAGE_BYTES,
};

export const serverOptions: grpc.ServerOptions = {
  ...channelOptions,
  'grpc.keepalive_time_ms': 20_000,
  'grpc.keepalive_timeout_ms': 10_000,
};
