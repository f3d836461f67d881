// oidc-provider as a second, independent target for the conformance suite
// (fixtures/targets/oidc-provider.toml). In-memory storage: every start is a fresh server.
//
// Environment: PEER_ADDR (default 127.0.0.1:4000), PEER_ISSUER (default http://PEER_ADDR),
// PEER_PASSWORD (the test user's password, default test-password).
//
// Besides the provider's own routes: /interaction/{uid} (the login form) and /resource, a demo
// protected resource (scope api:read) for the BEARER checks (the target file's [resource]).

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
  // Consent is automatic: a grant for whatever the request asks is made on the spot. The
  // session may name a grant the library has since revoked (a code redeemed twice revokes its
  // grant): then a new one is made, as a fresh consent would.
  async loadExistingGrant(ctx) {
    const { client, session, params } = ctx.oidc;
    const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
    const found = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
    const grant = found
      || new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
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
    'referrer-policy': 'no-referrer',
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

// A demo protected resource (RFC 6750), since oidc-provider has none of its own besides
// userinfo, which wants an `openid` token. The token is taken as the library's userinfo takes it
// (OIDCContext.getAccessToken: one mechanism only, the `Authorization` header with the Bearer
// scheme in any case, a form body, never the query), looked up with the library's own models
// (AccessToken.find for code-flow tokens, ClientCredentials.find for client_credentials ones;
// find() verifies the token and refuses an expired or revoked one), and must carry api:read.
// The challenges are the ones the library's userinfo sends.
const RESOURCE_SCOPE = 'api:read';

class BearerError extends Error {
  constructor(status, error, description, scope) {
    super(description);
    Object.assign(this, { status, error, description, scope });
  }
}

function challenge(fields) {
  const parameters = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}="${String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);
  return `Bearer ${parameters.join(', ')}`;
}

async function bearerToken(req, query) {
  const mechanisms = [];
  if (typeof req.headers.authorization === 'string' && req.headers.authorization) {
    mechanisms.push(['header', req.headers.authorization]);
  }
  if ((req.headers['content-type'] || '').split(';')[0].trim().toLowerCase() === 'application/x-www-form-urlencoded') {
    const form = await readForm(req).catch(() => {
      throw new BearerError(400, 'invalid_request', 'the request body cannot be read');
    });
    const fromBody = form.get('access_token');
    if (fromBody) mechanisms.push(['body', fromBody]);
  }
  if (query.get('access_token')) mechanisms.push(['query', query.get('access_token')]);
  if (mechanisms.length === 0) throw new BearerError(401, undefined, 'no access token provided');
  if (mechanisms.length > 1) {
    throw new BearerError(400, 'invalid_request', 'access token must only be provided using one mechanism');
  }
  const [[mechanism, value]] = mechanisms;
  if (mechanism === 'query') {
    throw new BearerError(400, 'invalid_request', 'access tokens must not be provided via query parameter');
  }
  if (mechanism === 'body') return value;
  const parts = value.split(' ');
  if (parts.length !== 2) throw new BearerError(400, 'invalid_request', 'invalid authorization header value format');
  if (parts[0].toLowerCase() !== 'bearer') {
    throw new BearerError(400, 'invalid_request', 'authorization header scheme must be `Bearer`');
  }
  return parts[1];
}

async function protectedResource(req, res, query) {
  try {
    const value = await bearerToken(req, query);
    const token = (await provider.AccessToken.find(value)) || (await provider.ClientCredentials.find(value));
    if (!token) throw new BearerError(401, 'invalid_token', 'invalid token provided');
    if (token.jkt || token['x5t#S256']) throw new BearerError(401, 'invalid_token', 'the token is sender-constrained');
    if (token.aud !== undefined && ![token.aud].flat().includes(`${issuer}/resource`)) {
      throw new BearerError(401, 'invalid_token', 'token audience prevents accessing this resource');
    }
    if (token.kind === 'AccessToken') {
      const grant = await provider.Grant.find(token.grantId);
      if (!grant || grant.clientId !== token.clientId) throw new BearerError(401, 'invalid_token', 'grant not found');
    }
    if (!token.scopes.has(RESOURCE_SCOPE)) {
      throw new BearerError(403, 'insufficient_scope', 'access token missing requested scope', RESOURCE_SCOPE);
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ client_id: token.clientId, sub: token.accountId, scope: token.scope }));
  } catch (error) {
    if (!(error instanceof BearerError)) throw error;
    res.writeHead(error.status, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'www-authenticate': challenge({
        realm: issuer,
        error: error.error,
        error_description: error.error ? error.description : undefined,
        scope: error.scope,
      }),
    });
    res.end(JSON.stringify({ error: error.error || 'invalid_token', error_description: error.description }));
  }
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
  const [path, query = ''] = (req.url || '/').split(/\?(.*)/s);
  if (path === '/resource') {
    try {
      await protectedResource(req, res, new URLSearchParams(query));
    } catch (error) {
      console.error(error);
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'server error');
      else res.end();
    }
    return;
  }
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
