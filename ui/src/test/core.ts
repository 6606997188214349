// The UI tests' Tauri core: the real `@tauri-apps/api` talks to it through Tauri's own IPC mock
// (`mockIPC`), so every test goes through api.ts exactly as the app does. A test names the
// commands it answers; any other command is rejected as the core would reject a failure.
import { mockIPC } from '@tauri-apps/api/mocks';
import type { CommandError } from '../lib/contract';

export type Args = Record<string, unknown>;
export type Handler = (args: Args) => unknown;
export type Handlers = Record<string, Handler>;

/** A rejection as the core sends it. */
export function commandError(code: string, message = 'service wording', retryAfter: number | null = null) {
  return { code, message, field: null, retry_after: retryAfter } as CommandError;
}

/** Rejects the command (call it in a handler). */
export function fail(code: string, message?: string, retryAfter: number | null = null): never {
  throw commandError(code, message, retryAfter);
}

/** A handler that answers each call with the next handler's answer; the last one keeps answering. */
export function inTurn(...handlers: Handler[]): Handler {
  let n = 0;
  return (args) => handlers[Math.min(n++, handlers.length - 1)](args);
}

/** A promise the test settles when it chooses (a command still running). */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export class FakeCore {
  /** Every command called, with its arguments, in order. */
  readonly log: [string, Args][] = [];
  #handlers: Handlers = {};
  #otherwise: ((cmd: string, args: Args) => unknown) | undefined;

  constructor(handlers: Handlers, otherwise?: (cmd: string, args: Args) => unknown) {
    this.on(handlers);
    this.#otherwise = otherwise;
    mockIPC((cmd, payload) => {
      const args = (payload ?? {}) as Args;
      this.log.push([cmd, args]);
      const handler = this.#handlers[cmd];
      if (handler) return handler(args);
      if (this.#otherwise) return this.#otherwise(cmd, args);
      fail('internal', `unmocked ${cmd}`);
    });
  }

  /** Answers these commands (in place of any earlier handler of theirs). */
  on(handlers: Handlers): this {
    this.#handlers = { ...this.#handlers, ...handlers };
    return this;
  }

  /** The arguments of each call of `cmd`, in order. */
  calls(cmd: string): Args[] {
    return this.log.filter(([c]) => c === cmd).map(([, a]) => a);
  }

  /** The commands called, in order. */
  commands(): string[] {
    return this.log.map(([c]) => c);
  }
}

/**
 * Installs a fresh core answering `handlers`, and any other command with `otherwise` (else a
 * rejection). The setup file removes it after each test.
 */
export function mockCore(
  handlers: Handlers = {},
  otherwise?: (cmd: string, args: Args) => unknown,
): FakeCore {
  return new FakeCore(handlers, otherwise);
}
