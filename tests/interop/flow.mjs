// The code flow as openid-client 6 (panva's, a client library nobody here wrote) runs it, for
// tests/system/node_client.rs.
//
//   node flow.mjs keygen ES256
//     prints {"private": <JWK>, "public": <JWK>}: a client key pair, kid, alg and use=sig set.
//   node flow.mjs '<json>'
//     with {issuer, client_id, client_secret?, private_jwk?, redirect_uri, scope, par, jar, dpop,
//     resource?}:
//     prints {"authorize": "<url>"}, reads the callback URL from stdin, then prints
//     {"ok": true, "sub", "id_token_claims", "userinfo", "token_type", "refreshed", "access_token"}
//     or {"ok": false, "error": "..."} and exits with 1.
//
// stdout carries exactly those JSON lines; diagnostics go to stderr.

import * as client from 'openid-client';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';

// How node:crypto makes a key pair for a JWS algorithm, and how WebCrypto imports its private key.
const ALGORITHMS = {
  ES256: {
    generate: ['ec', { namedCurve: 'P-256' }],
    import: { name: 'ECDSA', namedCurve: 'P-256' },
  },
  RS256: {
    generate: ['rsa', { modulusLength: 2048 }],
    import: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  },
  PS256: {
    generate: ['rsa', { modulusLength: 2048 }],
    import: { name: 'RSA-PSS', hash: 'SHA-256' },
  },
  // RFC 9864's name for EdDSA with Ed25519, which jose signs with.
  Ed25519: {
    generate: ['ed25519'],
    import: { name: 'Ed25519' },
  },
};

function algorithm(alg) {
  const known = ALGORITHMS[alg];
  if (!known) {
    throw new Error(`unsupported algorithm ${alg}; use one of ${Object.keys(ALGORITHMS)}`);
  }
  return known;
}

function keygen(alg) {
  const { privateKey, publicKey } = generateKeyPairSync(...algorithm(alg).generate);
  const meta = { kid: randomUUID(), alg, use: 'sig' };
  return {
    private: { ...privateKey.export({ format: 'jwk' }), ...meta },
    public: { ...publicKey.export({ format: 'jwk' }), ...meta },
  };
}

// A private JWK as openid-client takes it: a CryptoKey, and the kid to put in JWS headers.
async function signingKey(jwk) {
  const { kid, alg, use, key_ops, ...material } = jwk;
  const key = await crypto.subtle.importKey('jwk', material, algorithm(alg).import, false, [
    'sign',
  ]);
  return { key, kid };
}

async function readLine() {
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    lines.close();
    return line.trim();
  }
  throw new Error('stdin closed before the callback URL arrived');
}

function print(value) {
  process.stdout.write(JSON.stringify(value) + '\n');
}

// What went wrong, with the OAuth error and description the server sent (a WWW-Authenticate
// challenge error leaves the response body unread: it is added).
async function describe(err) {
  const parts = [`${err.name}: ${err.message}`];
  if (err.code) parts.push(`code=${err.code}`);
  if (err.status) parts.push(`status=${err.status}`);
  if (err.error) parts.push(`error=${err.error}`);
  if (err.error_description) parts.push(`error_description=${err.error_description}`);
  if (err.cause) {
    parts.push(`cause=${err.cause instanceof Error ? err.cause.message : JSON.stringify(err.cause)}`);
  }
  if (err.response instanceof Response && !err.response.bodyUsed) {
    parts.push(`body=${await err.response.text().catch(() => '')}`);
  }
  return parts.join('; ');
}

async function flow(input) {
  // Client authentication: private_key_jwt with a key, else client_secret_basic, else none.
  const key = input.private_jwk ? await signingKey(input.private_jwk) : undefined;
  const auth = key
    ? client.PrivateKeyJwt(key)
    : input.client_secret
      ? client.ClientSecretBasic(input.client_secret)
      : client.None();

  // Discovery (/.well-known/openid-configuration); the test server speaks plain http.
  const config = await client.discovery(new URL(input.issuer), input.client_id, undefined, auth, {
    execute: [client.allowInsecureRequests],
  });
  const dpop = input.dpop
    ? client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'))
    : undefined;

  // The authorization request: PKCE S256, state, nonce.
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  let parameters = new URLSearchParams({
    redirect_uri: input.redirect_uri,
    scope: input.scope,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  // RFC 8707: the API the tokens are for, at the authorization and token endpoints.
  if (input.resource) parameters.set('resource', input.resource);
  const tokenParameters = input.resource ? { resource: input.resource } : undefined;
  let authorize;
  if (input.jar) {
    // RFC 9101: the parameters go into a request object signed with the client's key; the URL
    // keeps client_id and request.
    if (!key) throw new Error('jar needs private_jwk to sign the request object');
    authorize = await client.buildAuthorizationUrlWithJAR(config, parameters, key);
    parameters = authorize.searchParams;
  }
  if (input.par) {
    // RFC 9126: the parameters (or client_id and request) are POSTed, with client
    // authentication, to the pushed authorization request endpoint; the URL keeps client_id
    // and request_uri.
    authorize = await client.buildAuthorizationUrlWithPAR(config, parameters, { DPoP: dpop });
  }
  authorize ??= client.buildAuthorizationUrl(config, parameters);
  print({ authorize: authorize.href });

  // The browser comes back to the redirect URI; the test hands that URL over.
  const callback = new URL(await readLine());

  // The token request (code and PKCE verifier); state, ID token and its nonce are checked.
  const tokens = await client.authorizationCodeGrant(
    config,
    callback,
    {
      pkceCodeVerifier: codeVerifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    },
    tokenParameters,
    { DPoP: dpop },
  );
  const claims = tokens.claims();
  // A token for another API is not good at this server's userinfo: not asked then.
  const userinfo = input.resource
    ? null
    : await client.fetchUserInfo(config, tokens.access_token, claims.sub, { DPoP: dpop });

  let refreshed = false;
  if (tokens.refresh_token) {
    await client.refreshTokenGrant(config, tokens.refresh_token, tokenParameters, { DPoP: dpop });
    refreshed = true;
  }

  return {
    ok: true,
    sub: claims.sub,
    id_token_claims: claims,
    userinfo,
    token_type: tokens.token_type,
    refreshed,
    access_token: tokens.access_token,
  };
}

async function main() {
  const [argument, alg] = process.argv.slice(2);
  if (argument === 'keygen') return keygen(alg ?? 'ES256');
  if (!argument) throw new Error("usage: node flow.mjs '<json>' | node flow.mjs keygen ES256");
  return flow(JSON.parse(argument));
}

let code = 0;
try {
  print(await main());
} catch (err) {
  console.error(err);
  print({ ok: false, error: await describe(err) });
  code = 1;
}
// Exit at once: fetch's keep-alive connections would hold the process open for seconds.
process.exit(code);
