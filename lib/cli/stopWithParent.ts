/**
 * A process started by another fsllm process (a trial of `fsllm hpo`) with FSLLM_STOP_WITH_PARENT=1 gets a
 * pipe from its parent as stdin. The pipe closes when the parent exits, however it exits (SIGKILL included,
 * which no handler sees), so the end of stdin is the parent's death: abort the run then.
 */
export function stopWithParent(controller: AbortController): void {
  if (process.env.FSLLM_STOP_WITH_PARENT !== '1') return;
  const stdin = process.stdin;
  stdin.on('end', () => controller.abort(new Error('the parent process is gone')));
  stdin.on('error', () => controller.abort(new Error('the parent process is gone')));
  stdin.resume();
  // Watching must not keep a finished run alive.
  (stdin as { unref?: () => void }).unref?.();
}
