/**
 * The page's files (HTML, CSS, ES modules), shipped in the package next to
 * this module (`assets/`, copied to dist/ by the build) and read once. Only
 * files found there are served, by plain name: no path ever reaches the
 * file system from a request.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

export class StaticAssets {
  readonly #assets = new Map<string, Asset>();

  /** Throws when the directory is missing: a broken install should fail at start, not show a blank page. */
  constructor(dir: string = path.join(__dirname, 'assets')) {
    if (!existsSync(dir)) throw new Error(`the dashboard's files are missing (${dir}); rebuild the package (npm run build) or start with dashboard: false`);
    for (const name of readdirSync(dir)) {
      const type = TYPES[path.extname(name)];
      if (type !== undefined) this.#assets.set(name, { body: readFileSync(path.join(dir, name)), type });
    }
  }

  get(name: string): Asset | undefined {
    return this.#assets.get(name);
  }

  /** An HTML page with `<!--message-->` replaced by `message`, HTML-escaped. */
  page(name: string, message = ''): string {
    const html = this.#assets.get(name)?.body.toString('utf8') ?? '';
    return html.replace('<!--message-->', escapeHtml(message));
  }
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`);
}
