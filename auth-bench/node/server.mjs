// node-oidc-provider configured like auth-bench's server child (auth-bench/src/serve.rs), for
// `auth-bench --compare node-oidc-provider`. Not for production: keys, secrets and the one user
// live in memory and die with the process.
//
//   node server.mjs [--port N] [--algorithm RS256|ES256|EdDSA] [--with-user]
//
// Like the Rust child it prints one JSON line `{"address":"127.0.0.1:PORT"}` as soon as it is
// bound, then one line with the clients' credentials (the `Seed` of serve.rs), and answers
// `GET /readyz` with 200. Everything else goes to oidc-provider, except the login and consent
// pages of the interactions (/interaction/...), which are this file's.
//
// What it shares with our server's benchmark configuration:
// - one signing key of --algorithm, generated at start (RSA 2048 for RS256), never written;
// - access tokens are signed JWTs (RFC 9068, `typ: at+jwt`): oidc-provider's default is opaque,
//   so every token is issued for one resource server (Resource Indicators, RFC 8707) whose
//   format is `jwt`, as the default resource of every request;
// - the same three confidential clients (client_secret_basic): bench-service (client_credentials,
//   scope bench:read), bench-api (introspects), bench-web (code flow with PKCE S256, refresh);
// - client_credentials, introspection, revocation; refresh tokens rotated on every use (a reused
//   one revokes its grant);
// - lifetimes: access and ID tokens 600 s, refresh tokens 30 days, codes 60 s, sessions 12 h;
// - logins check an argon2id hash with m = 19 MiB, t = 2, p = 1 (auth-core's parameters), and an
//   unknown e-mail is checked against a dummy hash, so it costs the same;
// - consent is remembered per user and client: after the first consent, a login goes straight
//   back to the client with a code (our server keeps consents in its database).
// What differs is listed in README.md beside this file.

import { randomBytes, generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import { Algorithm, hash, verify } from '@node-rs/argon2';
import Provider from 'oidc-provider';

const REDIRECT_URI = 'http://127.0.0.1:9/callback';
const JWT_RESOURCE = 'urn:auth-bench:api';
// Introspection answers only for tokens the provider stored: its JWT access tokens are not
// stored (it cannot introspect them), its opaque ones are. The introspection row asks for a
// token of this resource.
const OPAQUE_RESOURCE = 'urn:auth-bench:opaque';
const ARGON2 = {
  algorithm: Algorithm.Argon2id, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1,
};
const EMAIL = 'bench@example.com';
const PASSWORD = 'bench-password-Zq7vX2';
const ACCOUNT_ID = 'bench-user';

const { values: options } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    algorithm: { type: 'string', default: 'RS256' },
    'with-user': { type: 'boolean', default: false },
  },
});

function signingKey(algorithm) {
  const [type, parameters] = {
    RS256: ['rsa', { modulusLength: 2048 }],
    ES256: ['ec', { namedCurve: 'P-256' }],
    EdDSA: ['ed25519', {}],
  }[algorithm] ?? [];
  if (!type) {
    throw new Error(`--algorithm must be RS256, ES256 or EdDSA, not ${algorithm}`);
  }
  const { privateKey } = generateKeyPairSync(type, parameters);
  return {
    ...privateKey.export({ format: 'jwk' }), alg: algorithm, use: 'sig', kid: randomBytes(8).toString('hex'),
  };
}

const secret = () => randomBytes(32).toString('base64url');
const seed = {
  service_secret: secret(),
  api_secret: secret(),
  web_secret: secret(),
  email: EMAIL,
  password: PASSWORD,
};

// The one user, registered only with --with-user (a hash costs 19 MiB of peak RSS, which the
// peak-RSS row must not carry), and the dummy hash an unknown e-mail is checked against.
const users = new Map();
let dummyHash;
async function registerUser() {
  users.set(EMAIL, { id: ACCOUNT_ID, name: 'Bench User', passwordHash: await hash(PASSWORD, ARGON2) });
}
async function checkPassword(email, password) {
  const user = users.get(email);
  dummyHash ??= await hash(secret(), ARGON2);
  const valid = await verify(user?.passwordHash ?? dummyHash, password ?? '');
  return valid && user ? user : undefined;
}

// Consents given, per user and client: the scopes a new session's grant starts with.
const consents = new Map();
const consentKey = (accountId, clientId) => `${accountId} ${clientId}`;

function configuration(algorithm) {
  return {
    clients: [
      {
        client_id: 'bench-service',
        client_secret: seed.service_secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: 'bench:read',
      },
      {
        client_id: 'bench-api',
        client_secret: seed.api_secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      },
      {
        client_id: 'bench-web',
        client_secret: seed.web_secret,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [REDIRECT_URI],
        scope: 'openid profile email offline_access',
      },
    ],
    clientDefaults: {
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: algorithm,
    },
    jwks: { keys: [signingKey(algorithm)] },
    cookies: { keys: [secret(), secret()] },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'bench:read'],
    claims: {
      openid: ['sub'],
      profile: ['name'],
      email: ['email', 'email_verified'],
    },
    async findAccount(_ctx, sub) {
      const user = [...users.values()].find((u) => u.id === sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        async claims() {
          return {
            sub, name: user.name, email: EMAIL, email_verified: true,
          };
        },
      };
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => JWT_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo(_ctx, resource) {
          return {
            scope: 'bench:read',
            audience: resource,
            accessTokenTTL: 600,
            accessTokenFormat: resource === OPAQUE_RESOURCE ? 'opaque' : 'jwt',
            jwt: { sign: { alg: algorithm } },
          };
        },
      },
    },
    pkce: { required: () => true },
    // OIDC Core section 11 drops offline_access unless the request says prompt=consent, which
    // would make every flow consent again; our server issues the code-flow client refresh
    // tokens without that, and so does this one. They outlive the browser session, as ours do.
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    expiresWithSession: () => false,
    rotateRefreshToken: () => true,
    // A new session's grant starts with the consent remembered for the user and the client.
    async loadExistingGrant(ctx) {
      const { provider, client, session } = ctx.oidc;
      const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
      if (grantId) return provider.Grant.find(grantId);
      const consent = consents.get(consentKey(session.accountId, client.clientId));
      if (!consent) return undefined;
      const grant = new provider.Grant({ accountId: session.accountId, clientId: client.clientId });
      grant.addOIDCScope(consent.oidcScope);
      for (const [resource, scope] of consent.resourceScopes) grant.addResourceScope(resource, scope);
      await grant.save();
      return grant;
    },
    ttl: {
      AccessToken: 600,
      ClientCredentials: 600,
      IdToken: 600,
      AuthorizationCode: 60,
      RefreshToken: 30 * 24 * 3600,
      Session: 12 * 3600,
      Grant: 30 * 24 * 3600,
      Interaction: 3600,
    },
    renderError(ctx, out) {
      ctx.type = 'json';
      ctx.body = out;
    },
  };
}

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
function page(res, status, title, form) {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head>`
    + `<body><h1>${escape(title)}</h1>${form}</body></html>`;
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function formBody(req) {
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 64 * 1024) throw new Error('form too large');
  }
  return new URLSearchParams(text);
}

// GET /interaction/:uid shows the login or consent form; POST .../login and .../confirm finish
// the prompt and send the browser back to the authorization endpoint.
async function interaction(provider, req, res, url) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params, session } = details;
  const [, , , action] = url.pathname.split('/');
  if (req.method === 'GET' && !action) {
    if (prompt.name === 'login') {
      page(res, 200, 'Sign in', `<form method="post" action="/interaction/${escape(uid)}/login">`
        + '<input name="email" type="email"><input name="password" type="password"><button>Sign in</button></form>');
    } else {
      page(res, 200, `Allow ${params.client_id}?`, `<form method="post" action="/interaction/${escape(uid)}/confirm">`
        + `<p>${escape(params.scope ?? '')}</p><button>Allow</button></form>`);
    }
    return;
  }
  if (req.method === 'POST' && action === 'login' && prompt.name === 'login') {
    const form = await formBody(req);
    const user = await checkPassword(form.get('email'), form.get('password'));
    if (!user) {
      page(res, 200, 'Sign in', '<p>Wrong e-mail or password.</p>');
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: user.id } }, { mergeWithLastSubmission: false });
    return;
  }
  if (req.method === 'POST' && action === 'confirm' && prompt.name === 'consent') {
    await formBody(req);
    const { accountId } = session;
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId, clientId: params.client_id });
    const missing = prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(resource, scopes.join(' '));
    }
    const grantId = await grant.save();
    consents.set(consentKey(accountId, params.client_id), {
      oidcScope: grant.getOIDCScope(),
      resourceScopes: Object.keys(grant.resources ?? {}).map((r) => [r, grant.getResourceScope(r)]),
    });
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }
  page(res, 400, 'Bad request', '');
}

async function main() {
  if (options['with-user']) await registerUser();
  let handle = (_req, res) => {
    res.writeHead(503);
    res.end();
  };
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => handle(req, res));
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(options.port), '127.0.0.1', resolve);
  });
  const { port } = server.address();
  console.log(JSON.stringify({ address: `127.0.0.1:${port}` }));

  const provider = new Provider(`http://127.0.0.1:${port}`, configuration(options.algorithm));
  const oidc = provider.callback();
  handle = (req, res) => {
    const url = new URL(req.url, provider.issuer);
    if (url.pathname === '/readyz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    } else if (url.pathname.startsWith('/interaction/')) {
      interaction(provider, req, res, url).catch((error) => {
        if (!res.headersSent) page(res, 400, 'Bad request', `<p>${escape(error.message)}</p>`);
      });
    } else {
      oidc(req, res);
    }
  };
  console.log(JSON.stringify(seed));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
