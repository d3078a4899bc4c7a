// A route's request validators and response serializers, built on the route's first use.
// Fastify builds them when the route is registered: ajv validators, and fast-json-stringify
// serializers of which each response schema with a union (every nullable field) holds an ajv
// instance of its own: 391 validators and serializers (HEAD twins included) that an idle gateway
// kept without serving a request — 7 MiB of heap, 5 MiB RSS (issue 16). These are fastify's own
// compilers with fastify's options, only later: a route's first request pays for its build.
import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

// The compiler packages fastify itself requires (its dependencies, not ours): the same modules, the same versions.
const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
const ValidatorSelector = fromFastify('@fastify/ajv-compiler') as typeof import('@fastify/ajv-compiler');
const SerializerSelector = fromFastify('@fastify/fast-json-stringify-compiler') as typeof import('@fastify/fast-json-stringify-compiler');

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
type Validate = ((data: unknown, context?: unknown) => unknown) & { errors?: unknown; schemaEnv?: unknown };
type Serialize = (doc: unknown) => string;
type RouteDefinition = { httpPart?: string; method?: string; url?: string };

/** A validator that builds the real one when first called or asked for its result (fastify reads `errors` and `schemaEnv`). */
function lazyValidator(real: () => Validate): Validate {
  const validate = ((data: unknown, context?: unknown) => real()(data, context)) as Validate;
  Object.defineProperties(validate, {
    errors: { get: () => real().errors },
    schemaEnv: { get: () => real().schemaEnv },
  });
  return validate;
}

export class LazySchemas {
  readonly #validators = ValidatorSelector();
  readonly #serializers = SerializerSelector();
  /** Builds not done yet; a build leaves the set when it is done. */
  readonly #pending = new Set<() => unknown>();
  #registered = 0;

  /** For fastify's `schemaController.compilersFactory`. */
  readonly factory: CompilersFactory = {
    buildValidator: ((externalSchemas: never, options: never) => {
      const compiler = this.#once(() => this.#validators(externalSchemas, options), false);
      return (route: RouteDefinition) => {
        // A compilersFactory compiler counts as custom to fastify, which then leaves a header
        // schema's names as written instead of lower-casing them: refused rather than half applied.
        if (route.httpPart === 'headers') throw new Error(`${route.method} ${route.url}: header schemas are not supported (src/http/lazy-schemas.ts)`);
        return lazyValidator(this.#once(() => compiler()(route as never) as Validate));
      };
    }) as CompilersFactory['buildValidator'],
    buildSerializer: ((externalSchemas: never, options: never) => {
      const compiler = this.#once(() => this.#serializers(externalSchemas, options), false);
      return (route: never) => {
        const serialize = this.#once(() => compiler()(route) as Serialize);
        return (doc: unknown) => serialize()(doc);
      };
    }) as CompilersFactory['buildSerializer'],
  };

  /** How many validators and serializers the routes asked for, and how many were built since. */
  get counts(): { registered: number; built: number } {
    return { registered: this.#registered, built: this.#registered - this.#pending.size };
  }

  /** Builds every one not built yet (a test's proof that each route's schemas compile); throws the first failure. */
  buildAll(): void {
    for (const build of [...this.#pending]) build();
  }

  #once<T>(build: () => T, counted = true): () => T {
    let built: { value: T } | undefined;
    const get = (): T => {
      if (!built) {
        built = { value: build() };
        this.#pending.delete(get);
      }
      return built.value;
    };
    if (counted) {
      this.#registered += 1;
      this.#pending.add(get);
    }
    return get;
  }
}
