import { readFileSync } from 'node:fs';

/** The package version, read from package.json next to the sources or the build. */
export function packageVersion(): string {
  for (const relative of ['../../package.json', '../../../package.json']) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (manifest.name === 'genesys-switchboard' && manifest.version) return manifest.version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
}
