#!/usr/bin/env node
/**
 * `jest-fast-ci serve`: runs the orchestrator until SIGTERM/SIGINT. Prints
 * `FAST_CI_SERVER=<url>` on stdout once listening, so a script can read it.
 * This is the only module that may exit the process.
 */
import { ErrorCodes, FastCiError } from './errors';
import { startServer, SERVER_DEFAULTS, type ServerOptions } from './server';

const USAGE = `Usage: jest-fast-ci serve [options]

Runs a FastCI-compatible test orchestrator.

Options:
  --host HOST              interface to listen on (default ${SERVER_DEFAULTS.host})
  --port PORT              port to listen on, 0 for any free port (default ${SERVER_DEFAULTS.port})
  --secret-key KEY         an accepted secret key; repeat for several
  --data-dir DIR           keep run journals and duration history in DIR (survives restarts)
  --lease-timeout SECONDS  requeue a file leased this long without a result (default ${SERVER_DEFAULTS.leaseTimeoutMs / 1000})
  -h, --help               show this help

Environment:
  FAST_CI_SECRET_KEY       accepted keys, comma-separated (preferred: argv is visible to other users)
  DEBUG=jest-fast-ci:server:*  log connections, runs and frames (the secret is never logged)
`;

export type CliCommand = { kind: 'help' } | { kind: 'serve'; options: ServerOptions };

function configError(message: string): FastCiError {
  return new FastCiError(ErrorCodes.CONFIG, `${message}\nRun \`jest-fast-ci --help\` for usage.`);
}

function integer(flag: string, raw: string, min: number, max: number): number {
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw configError(`${flag} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}.`);
  }
  return value;
}

/** Parses argv (without node and script) and the environment. Throws FastCiError(FASTCI_ERR_CONFIG). */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv): CliCommand {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) return { kind: 'help' };
  const [command, ...rest] = argv;
  if (command !== 'serve') throw configError(`Unknown command ${JSON.stringify(command)}; the only command is "serve".`);

  const options: ServerOptions = { secretKeys: [] };
  const keys: string[] = [];
  for (let i = 0; i < rest.length; i += 1) {
    const [flag, inline] = rest[i].includes('=') ? (rest[i].split(/=(.*)/s, 2) as [string, string]) : [rest[i], undefined];
    const value = (): string => {
      const next = inline ?? rest[++i];
      if (next === undefined || next === '') throw configError(`${flag} needs a value.`);
      return next;
    };
    switch (flag) {
      case '--host':
        options.host = value();
        break;
      case '--port':
        options.port = integer('--port', value(), 0, 65_535);
        break;
      case '--secret-key':
        keys.push(value());
        break;
      case '--data-dir':
        options.dataDir = value();
        break;
      case '--lease-timeout':
        options.leaseTimeoutMs = integer('--lease-timeout', value(), 1, 2_000_000) * 1000;
        break;
      default:
        throw configError(`Unknown option ${JSON.stringify(flag)}.`);
    }
  }
  for (const key of (env.FAST_CI_SECRET_KEY ?? '').split(',')) if (key.trim() !== '') keys.push(key.trim());
  if (keys.length === 0) throw configError('No secret key: set FAST_CI_SECRET_KEY (comma-separated for several) or pass --secret-key.');
  options.secretKeys = keys;
  return { kind: 'serve', options };
}

async function main(): Promise<void> {
  let command: CliCommand;
  try {
    command = parseCli(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`jest-fast-ci: ${(error as Error).message}\n`);
    process.exit(2);
  }
  if (command.kind === 'help') {
    process.stdout.write(USAGE);
    return;
  }

  const server = await startServer(command.options).catch((error: Error) => {
    process.stderr.write(`jest-fast-ci: could not start the server: ${error.message}\n`);
    process.exit(1);
  });
  process.stdout.write(`FAST_CI_SERVER=${server.url}\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`jest-fast-ci: ${signal}, closing connections (1012, service restart)\n`);
    // 1012 tells clients the service is restarting: they reconnect instead of giving up.
    server.close(1012).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (require.main === module) void main();
