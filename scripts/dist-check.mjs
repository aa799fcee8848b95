// Checks the built dist/ for what the build must not add. tsup routes sources through swc with
// `keepNames` when the tsconfig it reads turns on emitDecoratorMetadata; every inner function then
// gets a `__name()` wrapper that redefines its `name` property each time it is created, on the happy
// path too (tsconfig.build.json says more). Exits 1, naming the files, if that came back.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist', import.meta.url));
const built = readdirSync(dist).filter((file) => /\.c?js$/.test(file));
if (built.length === 0) {
  console.error('dist-check: no .js or .cjs file in dist/; run the build first');
  process.exit(1);
}
const wrapped = built.filter((file) => readFileSync(join(dist, file), 'utf8').includes('__name('));
if (wrapped.length > 0) {
  console.error(`dist-check: ${wrapped.join(', ')} wrap functions in __name(): the build ran through swc with keepNames (is tsup reading tsconfig.build.json?)`);
  process.exit(1);
}
console.log(`dist-check: ${built.length} built files, none wraps functions in __name()`);
