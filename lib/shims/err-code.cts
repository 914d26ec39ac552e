// Stands in for err-code in meshmeet's builds, as simple-peer calls it: errCode(error, 'ERR_...') gives
// the error an enumerable `code`. Like err-code, an error that refuses new properties (frozen) is copied,
// message, stack and prototype kept, rather than thrown from inside simple-peer's error handling.
// CommonJS (.cts): simple-peer calls what require() returns.

type Coded = Error & { code: string };

function errCode(error: Error, code: string): Coded {
  const property = { value: code, enumerable: true, configurable: true };
  try {
    return Object.defineProperty(error, "code", property) as Coded;
  } catch {
    const copy: Error = Object.create(Object.getPrototypeOf(error) as object | null);
    return Object.defineProperties(copy, {
      message: { value: error.message, enumerable: true, configurable: true },
      stack: { value: error.stack, enumerable: true, configurable: true },
      code: property,
    }) as Coded;
  }
}

export = errCode;
