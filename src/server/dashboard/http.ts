/**
 * HTTP answers of the dashboard, with the headers every one of them carries:
 * a strict Content-Security-Policy (own scripts and styles only, no inline
 * code, no framing), no caching of data, no sniffing, no referrer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Largest sign-in form body: a credential and its field name. */
export const MAX_FORM_BYTES = 8 * 1024;

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on the sign-in POST.
  'referrer-policy': 'same-origin',
};

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

export function sendError(res: ServerResponse, status: number, error: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error }, headers);
}

export function sendBody(res: ServerResponse, status: number, body: Buffer | string, type: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

export function redirect(res: ServerResponse, location: string, headers: Record<string, string> = {}): void {
  res.writeHead(303, { ...SECURITY_HEADERS, location, 'cache-control': 'no-store', 'content-length': '0', ...headers });
  res.end();
}

/**
 * A POST from another site's page: its Origin (sent by browsers on every
 * POST) names another host than the one the page was served from (Host, or
 * X-Forwarded-Host behind a proxy that rewrites Host; a form on another
 * site can set neither). SameSite=Strict already keeps the cookie off such
 * requests; this also stops a page from signing a visitor in or out.
 */
export function isCrossSite(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  const forwarded = req.headers['x-forwarded-host'];
  const hosts = [req.headers.host, ...(Array.isArray(forwarded) ? forwarded : [forwarded])].map(host => host?.split(',')[0]?.trim());
  try {
    return !hosts.includes(new URL(origin).host);
  } catch {
    return true;
  }
}

/** Reads an `application/x-www-form-urlencoded` body of at most MAX_FORM_BYTES; rejects past it. */
export function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return readBody(req, MAX_FORM_BYTES).then(body => new URLSearchParams(body));
}

/** A request's body as text, at most `max` bytes (a form; the JSON of a quarantine change, whose fields take up to 9 KiB). */
export function readBody(req: IncomingMessage, max = 16 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        reject(new RangeError(`the request body is larger than ${max} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
