/**
 * HTTP routes of the rating app. Every request is checked by a fastify JSON
 * schema first; the store then refuses anything inconsistent (unknown or
 * expired lease, a label not in the task...) inside its transaction, so a
 * refused request stores nothing. Errors are `{"error": code, "message"}`.
 *
 * Auth: `Authorization: Bearer TOKEN`, a rater's invite token for /api/next
 * and /api/answers, the admin token for the rest of /api. Pages take the
 * token in the URL (invite links) and send it as a header from then on.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RequestError, type SubmittedAnswer } from './assign';
import { EXPORT_FORMATS, type ExportFormat, exportAnswersInWorker } from './export';
import { adminPage, ratePage } from './pages';
import { addRater, raterByToken, stmt, type Rater } from './store';

const errorSchema = { type: 'object', properties: { error: { type: 'string' }, message: { type: 'string' } } };

const answersBody = {
  type: 'object',
  required: ['assignment', 'answers'],
  additionalProperties: false,
  properties: {
    assignment: { type: 'string', minLength: 1, maxLength: 100 },
    answers: {
      type: 'array',
      minItems: 1,
      maxItems: 64,
      items: {
        type: 'object',
        required: ['label', 'answer'],
        additionalProperties: false,
        properties: {
          label: { type: 'integer', minimum: 0 },
          answer: { type: 'string', enum: ['yes', 'maybe', 'no'] },
          changed: { type: 'boolean' },
        },
      },
    },
    ms: { type: 'integer', minimum: 0, maximum: 86_400_000 },
  },
} as const;

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  const m = h ? /^Bearer\s+(\S+)$/i.exec(h) : null;
  return m?.[1];
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function fail(reply: FastifyReply, status: number, error: string, message: string): FastifyReply {
  return reply.code(status).send({ error, message });
}

export function registerRoutes(app: FastifyInstance): void {
  const ctx = app.realabel;

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string; validation?: unknown }, _req, reply) => {
    if (err instanceof RequestError) return fail(reply, err.status, err.code, err.message);
    if (err.validation) return fail(reply, 400, 'bad_request', err.message);
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) app.log.error(err);
    return fail(reply, status, status === 500 ? 'internal' : (err.code ?? 'bad_request').toLowerCase(), status === 500 ? 'internal error' : err.message);
  });
  app.setNotFoundHandler((req, reply) => fail(reply, 404, 'not_found', `no route ${req.method} ${req.url.split('?')[0]}`));

  const rater = async (req: FastifyRequest, reply: FastifyReply) => {
    const token = bearer(req);
    const r = token ? raterByToken(ctx.db, token) : undefined;
    if (!r) return fail(reply, 401, 'bad_token', 'Authorization: a valid rater token is required (Bearer TOKEN)');
    (req as FastifyRequest & { rater: Rater }).rater = r;
  };
  const admin = async (req: FastifyRequest, reply: FastifyReply) => {
    const token = bearer(req) ?? (req.query as { token?: string } | undefined)?.token;
    if (!token || !sameToken(token, ctx.adminToken)) return fail(reply, 401, 'bad_token', 'Authorization: the admin token is required (Bearer TOKEN)');
  };
  const raterOf = (req: FastifyRequest) => (req as FastifyRequest & { rater: Rater }).rater;

  app.get('/', async (_req, reply) => reply.type('text/plain').send('realabel rating app: raters open their invite link (/rate?token=...), admins /admin?token=...\n'));
  app.get('/favicon.ico', async (_req, reply) => reply.code(204).send());
  app.get('/rate', async (_req, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(ratePage()));
  app.get('/admin', async (_req, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(adminPage()));

  app.get('/api/next', { preHandler: rater }, async (req, reply) => {
    const lease = ctx.assigner.next(raterOf(req), ctx.now());
    if (!lease) {
      ctx.quality.poke();
      return reply.code(204).send();
    }
    return {
      assignment: lease.assignment,
      task: lease.task,
      image: lease.image,
      image_url: `/images/${lease.image}`,
      expires_at: new Date(lease.expiresAt).toISOString(),
      default_answer: ctx.defaultAnswer,
      labels: lease.labels.map((l) => {
        const info = ctx.labels[l];
        const examples = ctx.examples.get(info.wnid) ?? [];
        return { ...info, examples: examples.map((_, i) => `/examples/${info.wnid}/${i}`) };
      }),
    };
  });

  app.post('/api/answers', { preHandler: rater, schema: { body: answersBody, response: { 200: { type: 'object', properties: { stored: { type: 'integer' } } }, '4xx': errorSchema } } }, async (req) => {
    const body = req.body as { assignment: string; answers: SubmittedAnswer[]; ms?: number };
    const r = ctx.assigner.submit(raterOf(req), body.assignment, body.answers, body.ms, ctx.now());
    ctx.quality.poke();
    return { stored: r.stored };
  });

  app.post('/api/raters', {
    preHandler: admin,
    schema: { body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1, maxLength: 200, pattern: '\\S' } } } },
  }, async (req) => {
    const r = addRater(ctx.db, (req.body as { name: string }).name, ctx.now());
    return { id: r.id, name: r.name, token: r.token, url: inviteUrl(req, r.token) };
  });

  app.get('/api/raters', { preHandler: admin }, async (req) => {
    const rows = ctx.db.prepare('SELECT id, name, token, created_at, banned_at, ban_reason FROM raters ORDER BY id').all() as Array<{ id: number; name: string; token: string; created_at: number; banned_at: number | null; ban_reason: string | null }>;
    return rows.map((r) => ({ id: r.id, name: r.name, url: inviteUrl(req, r.token), banned: r.banned_at !== null, ban_reason: r.ban_reason }));
  });

  app.get('/api/progress', { preHandler: admin }, async () => progress(app));

  app.get('/api/quality', { preHandler: admin }, async () => ctx.quality.latest());

  app.get('/api/export', {
    preHandler: admin,
    schema: { querystring: { type: 'object', properties: { format: { type: 'string', enum: [...EXPORT_FORMATS] }, token: { type: 'string' }, include_banned: { type: 'boolean' } }, required: ['format'] } },
  }, async (req, reply) => {
    const q = req.query as { format: ExportFormat; include_banned?: boolean };
    if (q.format === 'raters-npz') return fail(reply, 400, 'bad_request', 'format: raters-npz is a file export (realabel serve export)');
    const out = await exportAnswersInWorker(ctx.dbFile, { format: q.format, includeBanned: q.include_banned });
    const type = q.format === 'csv' ? 'text/csv' : q.format === 'jsonl' ? 'application/x-ndjson' : 'application/json';
    return reply.type(`${type}; charset=utf-8`).header('content-disposition', `attachment; filename="answers.${q.format === 'label-studio' ? 'json' : q.format}"`).send(out.main);
  });

  app.get('/images/:image', { schema: { params: { type: 'object', properties: { image: { type: 'string', pattern: '^\\d{1,10}$' } } } } }, async (req, reply) => {
    const image = Number((req.params as { image: string }).image);
    const known = stmt(ctx.db, 'SELECT 1 FROM tasks WHERE image = ? AND skipped = 0 LIMIT 1').get(image);
    const file = known ? ctx.resolveImage(image) : undefined;
    if (!file) return fail(reply, 404, 'not_found', `image ${image} is not a task image`);
    const jpeg = await ctx.images.get(`i${image}`, file);
    return reply.type('image/jpeg').header('cache-control', 'private, max-age=86400').send(jpeg);
  });

  app.get('/examples/:wnid/:n', { schema: { params: { type: 'object', properties: { wnid: { type: 'string', pattern: '^n\\d{8}$' }, n: { type: 'string', pattern: '^\\d{1,3}$' } } } } }, async (req, reply) => {
    const { wnid, n } = req.params as { wnid: string; n: string };
    const file = ctx.examples.get(wnid)?.[Number(n)];
    if (!file) return fail(reply, 404, 'not_found', `no example ${n} for ${wnid}`);
    const jpeg = await ctx.images.get(`e${wnid}/${n}`, file, 240);
    return reply.type('image/jpeg').header('cache-control', 'private, max-age=86400').send(jpeg);
  });
}

function inviteUrl(req: FastifyRequest, token: string): string {
  const base = req.server.realabel.publicUrl ?? `${req.protocol}://${req.host}`;
  return `${base.replace(/\/$/, '')}/rate?token=${token}`;
}

/** Tasks complete / total (gold tasks apart), answers, and per rater counts and rate. */
export function progress(app: FastifyInstance) {
  const { db, now } = app.realabel;
  const t = db.prepare('SELECT COUNT(*) AS tasks, SUM(done >= target) AS complete FROM tasks WHERE gold = 0 AND skipped = 0').get() as { tasks: number; complete: number | null };
  const a = db.prepare('SELECT COUNT(*) AS n FROM answers').get() as { n: number };
  const hourAgo = now() - 3_600_000;
  const raters = db.prepare(
    `SELECT r.id, r.name, r.banned_at, r.ban_reason,
       (SELECT COUNT(*) FROM answers x WHERE x.rater_id = r.id) AS answers,
       (SELECT COUNT(*) FROM assignments s WHERE s.rater_id = r.id AND s.state = 1) AS tasks,
       (SELECT COUNT(*) FROM answers x WHERE x.rater_id = r.id AND x.at >= ?) AS last_hour
     FROM raters r ORDER BY r.id`,
  ).all(hourAgo) as Array<{ id: number; name: string; banned_at: number | null; ban_reason: string | null; answers: number; tasks: number; last_hour: number }>;
  return {
    tasks: t.tasks,
    tasks_complete: t.complete ?? 0,
    answers: a.n,
    skipped_tasks: app.realabel.skipped.length,
    raters: raters.map((r) => ({ id: r.id, name: r.name, answers: r.answers, tasks: r.tasks, answers_last_hour: r.last_hour, banned: r.banned_at !== null, ban_reason: r.ban_reason })),
  };
}
