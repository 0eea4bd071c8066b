/** Device names as libtorch spells them. Only CPU and CUDA are supported; the native core checks availability. */
import { invalidArg } from '../errors/index.js';

export type Device = 'cpu' | 'cuda' | `cuda:${number}`;

export const DEVICE_PATTERN = /^(cpu|cuda(:(0|[1-9]\d{0,2}))?)$/;

/** Throws `ERR_FSLLM_INVALID_ARG` naming `field` unless `value` is a device name. */
export function checkDevice(value: unknown, field = 'device'): Device {
  if (typeof value !== 'string' || !DEVICE_PATTERN.test(value)) throw invalidArg(field, "'cpu', 'cuda' or 'cuda:N'", value);
  return value as Device;
}
