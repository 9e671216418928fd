// Prisma's schema engine compiled to WebAssembly (@prisma/schema-engine-wasm,
// the same engine commit as the prisma CLI), driven through a driver adapter.
// It stands in for the native schema-engine binary, which the CLI would have
// to download. Only its SQLite and PostgreSQL connectors exist.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  bindMigrationAwareSqlAdapterFactory,
  type ErrorCapturingSqlMigrationAwareDriverAdapterFactory,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';
import type * as Bindgen from '@prisma/schema-engine-wasm/schema_engine_bg';

export type { SchemaEngine };

type BindgenModule = typeof Bindgen;

interface PanicRegistry {
  get(): string;
  set_message(message: string): void;
}

declare global {
  // Read by the wasm-bindgen glue when the engine panics (Prisma's name).
  var PRISMA_WASM_PANIC_REGISTRY: PanicRegistry | undefined;
}

// The project's lib settings carry no WebAssembly value types; the two
// constructors used here, typed by hand.
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let loading: Promise<BindgenModule> | undefined;

/**
 * Instantiates the engine's .wasm once per process. Node 20 cannot `import`
 * a .wasm file, so the module is compiled by hand and handed to the
 * wasm-bindgen glue the package ships. Two imports are replaced: the
 * engine's timers are unref'ed (its 10 s lock timeout would otherwise keep
 * Node alive after the work is done).
 */
export function loadSchemaEngineModule(): Promise<BindgenModule> {
  loading ??= (async () => {
    globalThis.PRISMA_WASM_PANIC_REGISTRY ??= newPanicRegistry();
    const glue: BindgenModule = await import('@prisma/schema-engine-wasm/schema_engine_bg');
    const require = createRequire(import.meta.url);
    const wasmFile = join(dirname(require.resolve('@prisma/schema-engine-wasm')), 'schema_engine_bg.wasm');
    const imports: Record<string, unknown> = { ...glue };
    for (const [name, fn] of Object.entries(glue) as [string, unknown][]) {
      if (name.startsWith('__wbg_setTimeout_') && typeof fn === 'function') {
        imports[name] = (...args: unknown[]): unknown => unrefTimer((fn as (...a: unknown[]) => unknown)(...args));
      }
    }
    const module = new wasmApi.Module(readFileSync(wasmFile));
    const instance = new wasmApi.Instance(module, { './schema_engine_bg.js': imports });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start(): void }).__wbindgen_start();
    return glue;
  })();
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}

function unrefTimer(timer: unknown): unknown {
  if (timer != null && typeof (timer as NodeJS.Timeout).unref === 'function') (timer as NodeJS.Timeout).unref();
  return timer;
}

function newPanicRegistry(): PanicRegistry {
  let message = '';
  return {
    get: () => message,
    set_message: (value: string) => {
      message = `RuntimeError: ${value}`;
    },
  };
}

/** A running engine bound to one driver adapter factory. */
export interface EngineHandle {
  readonly engine: SchemaEngine;
  /** Runs one engine call, turning its failures into EngineFailure. */
  call<T>(command: string, run: (engine: SchemaEngine) => Promise<T>): Promise<T>;
  free(): void;
}

/**
 * What the engine reported when a call failed: a user-facing error (with a
 * Prisma code such as P3005), a database error captured by the adapter, or a
 * panic. `cause` is the original error where one exists.
 */
export class EngineFailure extends Error {
  readonly code: string | undefined;

  constructor(message: string, code: string | undefined, cause: unknown) {
    super(message, { cause });
    this.name = 'EngineFailure';
    this.code = code;
  }
}

export async function startSchemaEngine(
  factory: SqlMigrationAwareDriverAdapterFactory,
  log: (line: string) => void = () => {},
): Promise<EngineHandle> {
  const glue = await loadSchemaEngineModule();
  const bound = bindMigrationAwareSqlAdapterFactory(factory);
  const onLog = (line: string): void => log(line);
  let engine: SchemaEngine;
  try {
    engine = await glue.SchemaEngine.new({ datamodels: undefined }, onLog, bound);
  } catch (error) {
    throw toEngineFailure('start', error, bound);
  }
  return {
    engine,
    async call(command, run) {
      try {
        return await run(engine);
      } catch (error) {
        throw toEngineFailure(command, error, bound);
      }
    },
    free: () => engine.free(),
  };
}

function toEngineFailure(
  command: string,
  error: unknown,
  bound: ErrorCapturingSqlMigrationAwareDriverAdapterFactory,
): EngineFailure {
  if (!(error instanceof Error)) return new EngineFailure(`schema engine ${command} failed: ${String(error)}`, undefined, error);
  if (error.name === 'RuntimeError') {
    const panic = globalThis.PRISMA_WASM_PANIC_REGISTRY?.get() || error.message;
    return new EngineFailure(`schema engine panicked during ${command}: ${panic}`, undefined, error);
  }
  // A JS error thrown inside the adapter comes back as an id into the
  // adapter's error registry; give the caller the original.
  const id = (error as { id?: unknown }).id;
  if (typeof id === 'number') {
    const original = bound.errorRegistry.consumeError(id)?.error;
    if (original !== undefined) {
      const message = original instanceof Error ? original.message : String(original);
      return new EngineFailure(message, undefined, original);
    }
  }
  const code = (error as { code?: unknown }).code;
  return new EngineFailure(error.message, typeof code === 'string' ? code : undefined, error);
}
