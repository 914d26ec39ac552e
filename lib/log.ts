// What the library does, made visible: every dropped message, swallowed error and state change goes
// through one logger. Silent unless the app asks (MeetingConfig.logLevel or .logger).

/** How much the library tells: `debug` says everything, `silent` nothing. */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

/** Where log lines go; `console` fits. Each call gets a message and, sometimes, one detail value. */
export interface Logger {
  debug(message: string, detail?: unknown): void;
  info(message: string, detail?: unknown): void;
  warn(message: string, detail?: unknown): void;
  error(message: string, detail?: unknown): void;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

/** A logger that passes on what is at `level` or above to `sink`, each line prefixed with `prefix`. */
export function leveled(level: LogLevel, sink: Logger, prefix: string): Logger {
  const pass = (at: Exclude<LogLevel, "silent">) =>
    RANK[at] < RANK[level]
      ? () => undefined
      : (message: string, detail?: unknown) => {
          try {
            if (detail === undefined) sink[at](`${prefix} ${message}`);
            else sink[at](`${prefix} ${message}`, detail);
          } catch {
            // An app's logger that throws must not break the meeting; there is nowhere else to say so.
          }
        };
  return { debug: pass("debug"), info: pass("info"), warn: pass("warn"), error: pass("error") };
}

export const silentLogger: Logger = leveled("silent", console, "");
