// Stands in for the debug package in meshmeet's builds: simple-peer logs through
// require('debug')('simple-peer'), which is off unless a page sets localStorage.debug, and costs
// about 5 KB minified. A CommonJS module (.cts) because simple-peer calls what require() returns.

function debug(_namespace: string): (...args: unknown[]) => void {
  return () => {};
}

export = debug;
