/**
 * A tiny shop API on Node's `http` module: the service the smoke suite checks.
 * In real life this would be your deployed service; here the suite starts it
 * locally (see test/globalSetup.ts) unless SMOKE_BASE_URL points elsewhere.
 *
 * Run it by hand: npx ts-node examples/smoke/service.ts   (PORT, default 3000)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const SERVICE_NAME = 'example-shop-api';
export const SERVICE_VERSION = '1.4.2';

type Category = 'apparel' | 'kitchen' | 'outdoor' | 'books';

interface Product {
  sku: string;
  name: string;
  category: Category;
  /** Price in cents, EUR. */
  price: number;
  weightGrams: number;
  taxRate: number;
}

const PRODUCTS: readonly Product[] = [
  { sku: 'TS-001', name: 'Organic Cotton T-Shirt', category: 'apparel', price: 1999, weightGrams: 200, taxRate: 0.19 },
  { sku: 'TS-002', name: 'Linen Shirt', category: 'apparel', price: 4900, weightGrams: 250, taxRate: 0.19 },
  { sku: 'HD-010', name: 'Wool Hoodie', category: 'apparel', price: 7900, weightGrams: 650, taxRate: 0.19 },
  { sku: 'SC-020', name: 'Bamboo Scarf', category: 'apparel', price: 2900, weightGrams: 120, taxRate: 0.19 },
  { sku: 'MUG-01', name: 'Enamel Camping Mug', category: 'kitchen', price: 1250, weightGrams: 350, taxRate: 0.19 },
  { sku: 'TP-003', name: 'Ceramic Teapot', category: 'kitchen', price: 3400, weightGrams: 900, taxRate: 0.19 },
  { sku: 'BT-100', name: 'Steel Water Bottle', category: 'kitchen', price: 2200, weightGrams: 400, taxRate: 0.19 },
  { sku: 'LN-200', name: 'Camping Lantern', category: 'outdoor', price: 3900, weightGrams: 700, taxRate: 0.19 },
  { sku: 'BP-300', name: 'Waterproof Backpack', category: 'outdoor', price: 8900, weightGrams: 1100, taxRate: 0.19 },
  { sku: 'BL-310', name: 'Picnic Blanket', category: 'outdoor', price: 4500, weightGrams: 1500, taxRate: 0.19 },
  { sku: 'BK-042', name: 'Field Guide to Birds', category: 'books', price: 2400, weightGrams: 600, taxRate: 0.07 },
  { sku: 'BK-043', name: 'The Camping Cookbook', category: 'books', price: 2900, weightGrams: 800, taxRate: 0.07 },
];

const COUPONS: Readonly<Record<string, number>> = { WELCOME10: 10, STAFF50: 50 };
const SHIPPING: Readonly<Record<'domestic' | 'europe' | 'world', Array<[number, number]>>> = {
  domestic: [[2000, 495], [10000, 895]],
  europe: [[1000, 1290], [5000, 1990]],
  world: [[2000, 3490]],
};
const EU = new Set(['AT', 'BE', 'DK', 'ES', 'FI', 'FR', 'IE', 'IT', 'NL', 'PL', 'PT', 'SE']);
const MAX_BODY_BYTES = 64 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

interface Request {
  method: string;
  url: URL;
  params: Record<string, string>;
  body: () => Promise<unknown>;
}
type Reply = { status?: number; json?: unknown; text?: string; headers?: Record<string, string> };
type Handler = (req: Request, state: State) => Reply | Promise<Reply>;

interface State {
  stock: Map<string, number>;
  orders: Map<string, { id: string; items: Array<{ sku: string; quantity: number }>; total: number; status: string }>;
  startedAt: number;
}

function priceCart(items: unknown, coupon: unknown) {
  if (!Array.isArray(items) || items.length === 0) throw new HttpError(400, 'items must be a non-empty array');
  const issues: string[] = [];
  const lines = items.map((item: unknown, i) => {
    const { sku, quantity } = (item ?? {}) as { sku?: unknown; quantity?: unknown };
    const product = PRODUCTS.find((p) => p.sku === sku);
    if (!product) issues.push(`items[${i}].sku: unknown product ${JSON.stringify(sku)}`);
    if (!Number.isInteger(quantity) || (quantity as number) < 1 || (quantity as number) > 99) {
      issues.push(`items[${i}].quantity: must be an integer from 1 to 99`);
    }
    return { product: product!, quantity: quantity as number };
  });
  if (coupon !== undefined && (typeof coupon !== 'string' || !(coupon in COUPONS))) issues.push('coupon: unknown code');
  if (issues.length) throw new HttpError(400, 'invalid cart', issues);
  const percent = typeof coupon === 'string' ? COUPONS[coupon]! : 0;
  let subtotal = 0;
  let discount = 0;
  let tax = 0;
  const priced = lines.map(({ product, quantity }) => {
    const gross = product.price * quantity;
    const lineDiscount = Math.round((gross * percent) / 100);
    const lineTax = Math.round((gross - lineDiscount) * product.taxRate);
    subtotal += gross;
    discount += lineDiscount;
    tax += lineTax;
    return { sku: product.sku, quantity, gross, discount: lineDiscount, tax: lineTax };
  });
  const weightGrams = lines.reduce((g, l) => g + l.product.weightGrams * l.quantity, 0);
  return { currency: 'EUR', lines: priced, subtotal, discount, tax, total: subtotal - discount + tax, weightGrams };
}

function shippingQuote(country: string | null, grams: number) {
  if (!country || !/^[A-Z]{2}$/i.test(country)) throw new HttpError(400, 'country must be a two-letter ISO code');
  if (!Number.isFinite(grams) || grams < 0) throw new HttpError(400, 'grams must be a non-negative number');
  const code = country.toUpperCase();
  const zone = code === 'DE' ? 'domestic' : EU.has(code) ? 'europe' : 'world';
  const bracket = SHIPPING[zone].find(([max]) => grams <= max);
  if (!bracket) throw new HttpError(422, `a parcel of ${grams} g cannot be shipped to ${code}`);
  return { country: code, zone, grams, price: bracket[1], currency: 'EUR' };
}

const routes: Array<{ method: string; pattern: RegExp; keys: string[]; handler: Handler }> = [];
function route(method: string, path: string, handler: Handler): void {
  const keys: string[] = [];
  const pattern = new RegExp(
    '^' + path.replace(/:(\w+)/g, (_, k: string) => (keys.push(k), '([^/]+)')) + '/?$',
  );
  routes.push({ method, pattern, keys, handler });
}

route('GET', '/health', (_req, state) => ({
  json: { status: 'ok', uptimeSeconds: Math.floor((Date.now() - state.startedAt) / 1000) },
  headers: { 'cache-control': 'no-store' },
}));

route('GET', '/version', () => ({
  json: { name: SERVICE_NAME, version: SERVICE_VERSION, node: process.version },
}));

route('GET', '/products', (req) => {
  const category = req.url.searchParams.get('category');
  const page = Number(req.url.searchParams.get('page') ?? 1);
  const perPage = Math.min(Number(req.url.searchParams.get('perPage') ?? 5), 50);
  if (!Number.isInteger(page) || page < 1 || !Number.isInteger(perPage) || perPage < 1) {
    throw new HttpError(400, 'page and perPage must be positive integers');
  }
  const all = category ? PRODUCTS.filter((p) => p.category === category) : PRODUCTS;
  return {
    json: {
      items: all.slice((page - 1) * perPage, page * perPage),
      page,
      perPage,
      total: all.length,
      totalPages: Math.max(1, Math.ceil(all.length / perPage)),
    },
  };
});

route('GET', '/products/:sku', (req) => {
  const product = PRODUCTS.find((p) => p.sku === req.params.sku);
  if (!product) throw new HttpError(404, `no product ${req.params.sku}`);
  return { json: product };
});

route('GET', '/categories', () => {
  const counts = new Map<string, number>();
  for (const p of PRODUCTS) counts.set(p.category, (counts.get(p.category) ?? 0) + 1);
  return { json: [...counts].map(([name, productCount]) => ({ name, productCount })) };
});

route('GET', '/search', (req) => {
  const q = (req.url.searchParams.get('q') ?? '').trim().toLowerCase();
  if (q.length < 2) throw new HttpError(400, 'q must have at least 2 characters');
  const terms = q.split(/\s+/);
  const hits = PRODUCTS.filter((p) => terms.every((t) => p.name.toLowerCase().split(/\W+/).some((w) => w.startsWith(t))));
  return { json: { query: q, results: hits.map(({ sku, name, price }) => ({ sku, name, price })) } };
});

route('GET', '/inventory/:sku', (req, state) => {
  if (!state.stock.has(req.params.sku!)) throw new HttpError(404, `no product ${req.params.sku}`);
  const available = state.stock.get(req.params.sku!)!;
  return { json: { sku: req.params.sku, available, inStock: available > 0 } };
});

route('POST', '/cart/quote', async (req) => {
  const body = (await req.body()) as { items?: unknown; coupon?: unknown };
  return { json: priceCart(body.items, body.coupon) };
});

route('GET', '/shipping/quote', (req) =>
  ({ json: shippingQuote(req.url.searchParams.get('country'), Number(req.url.searchParams.get('grams'))) }),
);

route('POST', '/orders', async (req, state) => {
  const body = (await req.body()) as { items?: unknown; coupon?: unknown; country?: unknown; dryRun?: unknown };
  const quote = priceCart(body.items, body.coupon);
  const shortages = quote.lines.filter((l) => (state.stock.get(l.sku) ?? 0) < l.quantity).map((l) => l.sku);
  if (shortages.length) throw new HttpError(422, 'insufficient stock', shortages);
  const shipping = shippingQuote(typeof body.country === 'string' ? body.country : null, quote.weightGrams);
  const total = quote.total + shipping.price;
  const items = quote.lines.map(({ sku, quantity }) => ({ sku, quantity }));
  if (body.dryRun === true) return { json: { dryRun: true, items, total, shipping: shipping.price } };
  const id = `ord_${String(state.orders.size + 1).padStart(6, '0')}`;
  for (const { sku, quantity } of items) state.stock.set(sku, state.stock.get(sku)! - quantity);
  state.orders.set(id, { id, items, total, status: 'pending' });
  return { status: 201, json: state.orders.get(id), headers: { location: `/orders/${id}` } };
});

route('GET', '/orders/:id', (req, state) => {
  const order = state.orders.get(req.params.id!);
  if (!order) throw new HttpError(404, `no order ${req.params.id}`);
  return { json: order };
});

route('GET', '/robots.txt', () => ({ text: 'User-agent: *\nDisallow: /orders\n' }));

export interface ServiceOptions {
  /** Added to every response, to behave like a service across a network. */
  latencyMs?: number;
}

export function createService(options: ServiceOptions = {}): http.Server {
  const state: State = {
    stock: new Map(PRODUCTS.map((p, i) => [p.sku, i === PRODUCTS.length - 1 ? 0 : 5 + ((i * 7) % 20)])),
    orders: new Map(),
    startedAt: Date.now(),
  };

  return http.createServer(async (req, res) => {
    const started = Date.now();
    const send = (status: number, reply: Reply) => {
      const headers: Record<string, string> = {
        'x-content-type-options': 'nosniff',
        'x-service-version': SERVICE_VERSION,
        ...reply.headers,
      };
      let payload = '';
      if (reply.text !== undefined) {
        headers['content-type'] = 'text/plain; charset=utf-8';
        payload = reply.text;
      } else if (reply.json !== undefined) {
        headers['content-type'] = 'application/json; charset=utf-8';
        payload = JSON.stringify(reply.json);
      }
      headers['server-timing'] = `app;dur=${Date.now() - started}`;
      // A request body we stopped reading (too large, wrong type) leaves the
      // connection in an unknown state: close it rather than let the client
      // reuse it and wait forever for an answer to its next request.
      if (!req.complete) headers.connection = 'close';
      res.writeHead(status, headers).end(payload);
    };

    try {
      if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
      const url = new URL(req.url ?? '/', 'http://localhost');
      const matching = routes.filter((r) => r.pattern.test(url.pathname));
      if (matching.length === 0) throw new HttpError(404, `no route for ${url.pathname}`);
      const match = matching.find((r) => r.method === req.method);
      if (!match) {
        const allow = [...new Set(matching.map((r) => r.method))].join(', ');
        return send(405, { json: { error: `method ${req.method} not allowed` }, headers: { allow } });
      }
      const values = match.pattern.exec(url.pathname)!.slice(1);
      const params = Object.fromEntries(match.keys.map((k, i) => [k, decodeURIComponent(values[i]!)]));
      const body = async () => {
        if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
          throw new HttpError(415, 'expected an application/json body');
        }
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of req) {
          size += (chunk as Buffer).length;
          if (size > MAX_BODY_BYTES) throw new HttpError(413, `body larger than ${MAX_BODY_BYTES} bytes`);
          chunks.push(chunk as Buffer);
        }
        try {
          return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
        } catch {
          throw new HttpError(400, 'malformed JSON body');
        }
      };
      const reply = await match.handler({ method: req.method!, url, params, body }, state);
      send(reply.status ?? 200, reply);
    } catch (error) {
      if (error instanceof HttpError) {
        send(error.status, { json: { error: error.message, ...(error.details ? { details: error.details } : {}) } });
      } else {
        send(500, { json: { error: 'internal error' } });
      }
    }
  });
}

/** Starts the service on 127.0.0.1 (port 0 = any free port); resolves with its base URL. */
export async function startService(
  options: ServiceOptions & { port?: number } = {},
): Promise<{ server: http.Server; baseUrl: string }> {
  const server = createService(options);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return { server, baseUrl: `http://127.0.0.1:${port}` };
}

export async function stopService(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
}

if (require.main === module) {
  startService({ port: Number(process.env.PORT ?? 3000) }).then(({ baseUrl }) => {
    console.log(`${SERVICE_NAME} ${SERVICE_VERSION} listening on ${baseUrl}`);
  });
}
