'use strict';
/**
 * A redis-server for the capacity runs on Redis: Debian's package on a free
 * loopback port, data in a temporary directory (no persistence: the runs
 * measure the server, not the disk). Also reads Redis's own memory use.
 */
const { spawn, spawnSync } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { createServer } = require('node:net');
const { tmpdir } = require('node:os');
const path = require('node:path');

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function startRedis() {
  const binary = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
  if (binary === '') throw new Error('redis-server is not installed (Debian package "redis-server"); run with --skip-capacity-redis to measure the memory store only');
  const dir = mkdtempSync(path.join(tmpdir(), 'fast-ci-bench-redis-'));
  const port = await freePort();
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--loglevel', 'notice'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    let output = '';
    child.stdout.on('data', chunk => {
      output += chunk;
      if (output.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', code => reject(new Error(`redis-server exited with ${code}: ${output}`)));
  });
  const url = `redis://127.0.0.1:${port}`;
  return {
    url,
    /** used_memory_peak and used_memory of Redis, in bytes. */
    async memory() {
      const { Redis } = require('ioredis');
      const client = new Redis(url);
      try {
        const info = await client.info('memory');
        const read = name => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? NaN);
        return { used: read('used_memory'), peak: read('used_memory_peak') };
      } finally {
        client.disconnect();
      }
    },
    stop() {
      return new Promise(resolve => {
        child.once('exit', () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        child.kill('SIGKILL');
      });
    },
  };
}

module.exports = { startRedis };
