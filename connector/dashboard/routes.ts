import { Hono } from 'hono';
import { html } from 'hono/html';
import type { ConnectorContext } from '../context.ts';
import { facts, page } from './layout.ts';
import { apiKeyMatches, endSession, hasSession, signInLimit, startSession } from './session.ts';
import { managementUrlOf } from '../http/listeners.ts';
import { csrf } from 'hono/csrf';
import { dspAddressOf } from '../http/dsp-path.ts';

/**
 * The operator dashboard at "/": server-rendered HTML, no client build, no JavaScript. Without a session it
 * shows only what the DID document already says publicly, and a form for the management API key.
 */
export function dashboardRoutes(ctx: ConnectorContext): Hono {
  const app = new Hono();
  const title = `${ctx.config.name} · ${ctx.config.role.replace('-', ' ')}`;

  ctx.dashboard.add({
    title: 'Connector',
    order: 0,
    async render() {
      let database = html`<span class="ok">ok</span>`;
      try {
        await ctx.database.ping();
      } catch {
        database = html`<span class="bad">not answering</span>`;
      }
      return facts([
        ['DID', ctx.did],
        ['Public URL', ctx.config.publicUrl],
        ['DSP endpoint', dspAddressOf(ctx.config.publicUrl)],
        ['Management API', html`<a href="/api/openapi.json">${ctx.config.publicUrl}/api</a>`],
        ['Database', html`${ctx.database.dialect} · ${database}`],
        ['Data root', ctx.config.dataRoot],
      ]);
    },
  });
  ctx.dashboard.add({
    title: 'Peers and trust',
    order: 10,
    render: () =>
      facts([
        ...ctx.config.peers.map((p): [string, unknown] => [p.name ?? 'peer', html`${p.did}<br /><span class="muted">${p.dspAddress}</span>`]),
        ...ctx.config.trustedIssuers.map((t): [string, unknown] => ['Trusted issuer', html`${t.did}<br /><span class="muted">${t.credentialTypes.join(', ')}</span>`]),
      ]),
  });

  app.get('/', async (c) => {
    if (!(await hasSession(c, ctx.apiKey))) {
      const failed = c.req.query('login') === 'failed';
      return c.html(
        page(
          title,
          '',
          html`<main style="display:block"><section class="login">
            <h2>Operator sign-in</h2>
            ${facts([
              ['DID', ctx.did],
              ['Role', ctx.config.role],
            ])}
            <form method="post" action="/login">
              <label for="key">Management API key</label>
              <input id="key" name="apiKey" type="password" autocomplete="current-password" required />
              ${failed ? html`<p class="bad">That key is not valid.</p>` : ''}
              <button type="submit">Sign in</button>
            </form>
          </section></main>`,
        ),
      );
    }
    const panels = ctx.dashboard.sections.map(async (s) => html`<section><h2>${s.title}</h2>${await s.render()}</section>`);
    return c.html(
      page(
        title,
        html`<small>${ctx.did}</small> <form class="inline" method="post" action="/logout"><button type="submit">Sign out</button></form>`,
        html`<main>${await Promise.all(panels)}</main>`,
      ),
    );
  });

  // The forms post only from the dashboard's own pages: Hono's csrf check (Sec-Fetch-Site or Origin).
  const ownOrigins = new Set([new URL(ctx.config.publicUrl).origin, new URL(managementUrlOf(ctx.config)).origin]);
  const sameOrigin = csrf({ origin: (origin, c) => origin === new URL(c.req.url).origin || ownOrigins.has(origin) });
  app.use('/login', sameOrigin);
  app.use('/logout', sameOrigin);
  app.use('/login', signInLimit({ trustProxy: ctx.config.trustProxy }));
  app.post('/login', async (c) => {
    const form = await c.req.parseBody();
    const presented = typeof form.apiKey === 'string' ? form.apiKey : '';
    if (!presented || !apiKeyMatches(ctx.apiKey, presented)) {
      ctx.logger.warn('dashboard sign-in refused');
      return c.redirect('/?login=failed', 303);
    }
    // The dashboard is served on the management listener when there is one; its scheme decides the Secure flag.
    await startSession(c, ctx.apiKey, Date.now(), managementUrlOf(ctx.config));
    return c.redirect('/', 303);
  });

  app.post('/logout', (c) => {
    endSession(c);
    return c.redirect('/', 303);
  });
  return app;
}
