// Stands in for queue-microtask in meshmeet's builds: the package falls back to Node's `global` where
// there is no `window` (a worker), while every browser meshmeet supports has queueMicrotask.
// CommonJS (.cts): simple-peer calls what require() returns.

function queueTask(task: () => void): void {
  queueMicrotask(task);
}

export = queueTask;
