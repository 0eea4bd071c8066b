/**
 * Java: `javac` every .java file, then `java` the first file's class (HumanEval-X: `Main.java` holding
 * `public class Main`). Both JVMs are kept small so that they fit the memory and process limits: a
 * serial collector, the client compiler only, and at most two processors' worth of threads; the heap is
 * half the step's memory limit.
 */
import path from 'node:path';

import type { LanguageSpec, StepContext } from './languageSpec.js';
import { binToolchain } from './locate.js';

const MiB = 1024 * 1024;

function jvmFlags(ctx: StepContext): string[] {
  const heapMiB = Math.max(32, Math.floor(ctx.limits.memoryBytes / MiB / 2));
  return [`-Xmx${heapMiB}m`, '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-XX:ActiveProcessorCount=2', '-Xshare:auto'];
}

/** Java with the JDK whose javac is on PATH. */
export const java: LanguageSpec = {
  language: 'java',
  defaultFile: 'Main.java',
  tool: 'javac',
  locate: () => binToolchain('java', ['javac', 'java']),
  check: (ctx) => [ctx.program('javac'), ...jvmFlags(ctx).map((flag) => `-J${flag}`), '-version'],
  compile: (ctx) => [
    ctx.program('javac'),
    ...jvmFlags(ctx).map((flag) => `-J${flag}`),
    '-encoding',
    'UTF-8',
    '-d',
    '.',
    ...ctx.files.filter((file) => file.endsWith('.java')),
  ],
  run: (ctx) => [ctx.program('java'), ...jvmFlags(ctx), '-cp', '.', path.basename(ctx.files[0]!, '.java')],
};
