// oidc-provider as a second, independent target for the conformance suite
// (fixtures/targets/oidc-provider.toml). In-memory storage: every start is a fresh server.
//
// Environment: PEER_ADDR (default 127.0.0.1:4000), PEER_ISSUER (default http://PEER_ADDR),
// PEER_PASSWORD (the test user's password, default test-password).

import { createServer } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';

import { Provider } from 'oidc-provider';

const addr = process.env.PEER_ADDR || '127.0.0.1:4000';
const [host, port] = [addr.slice(0, addr.lastIndexOf(':')), Number(addr.slice(addr.lastIndexOf(':') + 1))];
const issuer = process.env.PEER_ISSUER || `http://${addr}`;

const USERNAME = 'test-user';
const PASSWORD = process.env.PEER_PASSWORD || 'test-password';

// Must match fixtures/targets/oidc-provider.toml.
const clients = [
  {
    client_id: 'cc-client',
    client_secret: 'cc-client-secret-0123456789abcdefghijklmnopqrstuvwxyz',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'api:read api:write',
  },
  {
    client_id: 'web-client',
    client_secret: 'web-client-secret-0123456789abcdefghijklmnopqrstuvwxyz',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: ['https://client.example/cb'],
    token_endpoint_auth_method: 'client_secret_basic',
  },
  {
    client_id: 'web-client-2',
    client_secret: 'web-client-2-secret-0123456789abcdefghijklmnopqrstuvwxyz',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: ['https://client.example/cb2'],
    token_endpoint_auth_method: 'client_secret_basic',
  },
];

// A fresh signing key per start; only ID tokens would use it.
const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

const configuration = {
  clients,
  jwks: { keys: [{ ...signingKey, kid: 'peer-rs256', use: 'sig', alg: 'RS256' }] },
  cookies: { keys: ['conformance-peer-cookie-key'] },
  scopes: ['openid', 'offline_access', 'api:read', 'api:write'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
  },
  // The strict profile requires PKCE from every client (PKCE-08); S256 is the only method.
  pkce: { required: () => true },
  // Code clients get a refresh token without having to ask for offline_access.
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  async findAccount(_ctx, sub) {
    if (sub !== USERNAME) return undefined;
    return { accountId: sub, claims: async () => ({ sub }) };
  },
  // Consent is automatic: a grant for whatever the request asks is made on the spot.
  async loadExistingGrant(ctx) {
    const { client, session, params } = ctx.oidc;
    const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
    const grant = grantId
      ? await ctx.oidc.provider.Grant.find(grantId)
      : new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
    if (params.scope) grant.addOIDCScope(params.scope);
    if (params.resource) {
      for (const resource of [params.resource].flat()) grant.addResourceScope(resource, params.scope || '');
    }
    await grant.save();
    return grant;
  },
  interactions: {
    url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
  },
};

const provider = new Provider(issuer, configuration);

// RFC 6749 §3.3 lets a server apply a default scope; oidc-provider instead denies a request
// that grants no scope, so a request without one (or with an empty one, which RFC 6749 §3.1
// counts as absent) gets DEFAULT_SCOPE.
const DEFAULT_SCOPE = 'api:read';
provider.use(async (ctx, next) => {
  if (ctx.method === 'GET' && ctx.path === '/auth' && (ctx.query.scope === undefined || ctx.query.scope === '')) {
    ctx.query = { ...ctx.query, scope: DEFAULT_SCOPE };
  }
  await next();
});
const callback = provider.callback();

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginPage(uid, message) {
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sign in</title></head>
<body>
<h1>Sign in</h1>
${message ? `<p role="alert">${escape(message)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label>Username <input type="text" name="username" autocomplete="username" required></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>
</body></html>`;
}

function send(res, status, type, body) {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
    'content-security-policy': "default-src 'none'; form-action 'self'; frame-ancestors 'none'",
  });
  res.end(body);
}

async function readForm(req) {
  let raw = '';
  for await (const chunk of req) {
    raw += chunk;
    if (raw.length > 64 * 1024) throw new Error('form too large');
  }
  return new URLSearchParams(raw);
}

// The interaction pages: only login is ever prompted, consent being automatic.
async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) {
    send(res, 400, 'text/plain; charset=utf-8', 'interaction mismatch');
    return;
  }
  const prompt = details.prompt.name;
  if (req.method === 'GET' && !action) {
    if (prompt === 'login') {
      send(res, 200, 'text/html; charset=utf-8', loginPage(uid));
      return;
    }
    // The grant loadExistingGrant made already covers the request; nothing to ask.
    await provider.interactionFinished(req, res, { consent: {} }, { mergeWithLastSubmission: true });
    return;
  }
  if (req.method === 'POST' && action === 'login' && prompt === 'login') {
    const form = await readForm(req);
    if (form.get('username') !== USERNAME || form.get('password') !== PASSWORD) {
      send(res, 200, 'text/html; charset=utf-8', loginPage(uid, 'Wrong username or password.'));
      return;
    }
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: USERNAME } },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  send(res, 405, 'text/plain; charset=utf-8', 'method not allowed');
}

const server = createServer(async (req, res) => {
  const match = /^\/interaction\/([^/?]+)(?:\/([a-z]+))?(?:\?.*)?$/.exec(req.url || '');
  if (!match) {
    callback(req, res);
    return;
  }
  try {
    await interaction(req, res, decodeURIComponent(match[1]), match[2]);
  } catch (error) {
    if (!res.headersSent) {
      send(res, 400, 'text/plain; charset=utf-8', `interaction failed: ${error.name || 'error'}`);
    } else {
      res.end();
    }
  }
});

server.listen(port, host, () => {
  console.log(`oidc-provider ${issuer} listening on ${host}:${port}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
