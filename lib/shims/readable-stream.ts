// Stands in for readable-stream in meshmeet's builds (with the buffer shim it pulls, about 60 KB
// minified). simple-peer's Peer extends its Duplex, yet meshmeet never uses the peer as a stream: it
// calls send() and listens for 'data'. So this Duplex keeps only what simple-peer's own code touches:
// push() delivering 'data' and the end of reading, write()/end() in order through _write with 'finish',
// and the two state flags its destroy reads (_readableState.ended, _writableState.finished). The
// emitter is eventemitter3's, already in every build through PeerJS, so it costs nothing more.
// Unlike Node's streams: no buffering or backpressure, strings stay strings (simple-peer's binary
// messages arrive as Uint8Array, see shims/buffer.ts), and a chunk pushed before anyone listens for
// 'data' is dropped (meshmeet listens as it creates the peer, before any message can arrive).
import { EventEmitter } from "eventemitter3";

type WriteCallback = (error?: Error | null) => void;

export class Duplex extends EventEmitter {
  readable = true;
  writable = true;
  readonly _readableState = { ended: false };
  readonly _writableState = { ending: false, finished: false };
  readonly #pending: { chunk: unknown; done: WriteCallback | undefined }[] = [];
  #writing = false;

  // simple-peer passes its options (allowHalfOpen and its own); none changes what this Duplex does.
  constructor(_options?: object) {
    super();
  }

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    // As Node's emitters do: an error nobody listens for must not vanish.
    if (event === "error" && this.listenerCount("error") === 0) throw args[0];
    return super.emit(event, ...args);
  }

  push(chunk: unknown): boolean {
    if (this._readableState.ended) return false;
    if (chunk === null) {
      this._readableState.ended = true;
      // Node emits 'end' after the current call stack too.
      queueMicrotask(() => this.emit("end"));
      return false;
    }
    this.emit("data", chunk);
    return true;
  }

  _write(_chunk: unknown, _encoding: string, done: WriteCallback): void {
    done(new Error("_write() is not implemented"));
  }

  write(chunk: unknown, encoding?: string | WriteCallback, done?: WriteCallback): boolean {
    const callback = typeof encoding === "function" ? encoding : done;
    if (this._writableState.ending) {
      const error = new Error("write after end");
      queueMicrotask(() => {
        callback?.(error);
        this.emit("error", error);
      });
      return false;
    }
    this.#pending.push({ chunk, done: callback });
    this.#next();
    return true;
  }

  end(): this {
    if (!this._writableState.ending) {
      this._writableState.ending = true;
      this.#next();
    }
    return this;
  }

  // One _write at a time, in order; once ended and all written, 'finish' (synchronously, as
  // readable-stream does for a stream without _final: simple-peer's destroy relies on that order).
  #next(): void {
    if (this.#writing) return;
    const next = this.#pending.shift();
    if (!next) {
      if (this._writableState.ending && !this._writableState.finished) {
        this._writableState.finished = true;
        this.emit("finish");
      }
      return;
    }
    this.#writing = true;
    this._write(next.chunk, "buffer", (error) => {
      this.#writing = false;
      next.done?.(error);
      if (error) this.emit("error", error);
      else this.#next();
    });
  }
}
