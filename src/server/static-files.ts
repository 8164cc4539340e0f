/**
 * The dashboard's files (`web/` at the package root: plain HTML, CSS and JavaScript modules, no build step). They
 * are found relative to the installed package, so the same code serves them when run from `src/` or `dist/`, and
 * only files that exist at start are ever served: no path from a request reaches the file system.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** One servable file. */
export interface StaticFile {
  body: Buffer;
  type: string;
}

/** The package root: the nearest folder above this module with the package's package.json. */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if (
          (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'genesys-switchboard'
        ) {
          return dir;
        }
      } catch {
        // An unreadable manifest is not ours; keep looking upwards.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the genesys-switchboard package above ${from}`);
    dir = parent;
  }
}

/** The dashboard folder of the package. */
export function webRoot(): string {
  return join(packageRoot(), 'web');
}

/** Loads every file under `root` into memory, keyed by URL path (`/index.html`, `/js/app.js`). */
export function loadStaticFiles(root: string = webRoot()): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  if (!existsSync(root)) throw new Error(`the dashboard files are missing: ${root} does not exist`);
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      if (name.startsWith('.')) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else {
        const url = `/${relative(root, path).split(sep).join('/')}`;
        files.set(url, {
          body: readFileSync(path),
          type: TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream',
        });
      }
    }
  };
  walk(root);
  return files;
}
