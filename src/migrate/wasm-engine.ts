// Prisma's schema engine compiled to WebAssembly (@prisma/schema-engine-wasm,
// the same engine commit as the prisma CLI), driven through a driver adapter.
// It stands in for the native schema-engine binary, which the CLI would have
// to download. Only its SQLite and PostgreSQL connectors exist.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
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
let generation = 0;
// The compiled module is kept: instantiating it again is cheap.
let compiled: { wasmFile: string; module: object } | undefined;

/**
 * Instantiates the engine's .wasm once per process. Node 20 cannot `import`
 * a .wasm file, so the module is compiled by hand and handed to the
 * wasm-bindgen glue the package ships. The engine's timers are unref'ed
 * (its 10 s lock timeout would otherwise keep Node alive after the work is
 * done). After a panic the instance is not trusted again: the next call
 * gets a fresh instance with a fresh copy of the glue (whose state is
 * module-level), imported under another URL.
 */
export function loadSchemaEngineModule(): Promise<BindgenModule> {
  loading ??= (async () => {
    globalThis.PRISMA_WASM_PANIC_REGISTRY ??= newPanicRegistry();
    const require = createRequire(import.meta.url);
    const dir = dirname(require.resolve('@prisma/schema-engine-wasm'));
    const glueUrl = pathToFileURL(join(dir, 'schema_engine_bg.js'));
    if (generation > 0) glueUrl.search = `?instance=${generation}`;
    const glue = (await import(glueUrl.href)) as BindgenModule;
    const imports: Record<string, unknown> = { ...glue };
    for (const [name, fn] of Object.entries(glue) as [string, unknown][]) {
      if (name.startsWith('__wbg_setTimeout_') && typeof fn === 'function') {
        imports[name] = (...args: unknown[]): unknown => unrefTimer((fn as (...a: unknown[]) => unknown)(...args));
      }
    }
    const wasmFile = join(dir, 'schema_engine_bg.wasm');
    if (compiled?.wasmFile !== wasmFile) compiled = { wasmFile, module: new wasmApi.Module(readFileSync(wasmFile)) };
    const instance = new wasmApi.Instance(compiled.module, { './schema_engine_bg.js': imports });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start(): void }).__wbindgen_start();
    return glue;
  })();
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}

/** Drops the instance after a panic; the next start makes a new one. */
function discardInstance(): void {
  loading = undefined;
  generation += 1;
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
    free: () => {
      // After a panic the instance refuses every call, free() included.
      try {
        engine.free();
      } catch {
        // nothing left to release
      }
    },
  };
}

function toEngineFailure(
  command: string,
  error: unknown,
  bound: ErrorCapturingSqlMigrationAwareDriverAdapterFactory,
): EngineFailure {
  if (!(error instanceof Error)) return new EngineFailure(`schema engine ${command} failed: ${String(error)}`, undefined, error);
  if (error.name === 'RuntimeError') {
    discardInstance();
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
