/**
 * Before the integration project: its child processes load dist/ (the
 * runner, the reporter, the CLI), so dist/ must be built from the src/ under
 * test. `npm test` builds it first; a plain `npx jest` finds it stale and
 * builds it here, once, before any child starts. Nothing else builds.
 * Also installs the Jest 29 copy the compatibility tests use, and the
 * Debian packages the tests start (redis-server, chromium), if missing.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '../..');

/** src files whose compiled file (or copy: the dashboard's assets) in dist/ is missing or older. */
function staleSources(): string[] {
  const src = path.join(REPO, 'src');
  const stale: string[] = [];
  for (const file of fs.readdirSync(src, { recursive: true, encoding: 'utf8' })) {
    const isAsset = file.split(path.sep).includes('assets') && fs.statSync(path.join(src, file)).isFile();
    if (!isAsset && (!file.endsWith('.ts') || file.endsWith('.d.ts'))) continue;
    const built = path.join(REPO, 'dist', isAsset ? file : file.replace(/\.ts$/, '.js'));
    if (!fs.existsSync(built) || fs.statSync(built).mtimeMs < fs.statSync(path.join(src, file)).mtimeMs) stale.push(file);
  }
  return stale;
}

export default function globalSetup(): void {
  const stale = staleSources();
  if (stale.length > 0 || !fs.existsSync(path.join(REPO, 'node_modules/jest-fast-ci'))) {
    process.stderr.write(`\ndist/ is older than src/ (${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ', …' : ''}): building once before the integration tests.\n`);
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: REPO, stdio: 'inherit' });
  }
  execFileSync(process.execPath, [path.join(REPO, 'scripts/ensure-compat.js')], { cwd: REPO, stdio: 'inherit' });
  execFileSync(process.execPath, [path.join(REPO, 'scripts/ensure-system.js')], { cwd: REPO, stdio: 'inherit' });
}
