/**
 * npm run bench:credentials: credentials issued and verified per second (eddsa-rdfc-2022 beside eddsa-jcs-2022, and VC-JOSE JWTs
 * signed EdDSA and ES256 through jose), presentations verified per second (Data Integrity cold, and repeated with unchanged
 * credentials through the proof cache; JWT presentations of JWT credentials), each beside raw Ed25519 sign/verify with
 * node:crypto measured in the same run. Everything runs in this process with the real
 * libraries: keys, DID documents through the offline loader, a signed status list checked on every verify.
 */
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { type Cryptosuite, issueCredential, signPresentation, verifyPresentationProof } from '../../contracts/credentials/proofs.ts';
import { createCredentialVerifier, ProofCache } from '../../contracts/credentials/verifier.ts';
import { CREDENTIAL_TYPE, unsignedCredential, type VerifiableCredential } from '../../contracts/credentials/model.ts';
import { emptyBitstring, statusEntry, statusListCredential } from '../../contracts/credentials/status-list.ts';
import { createStatusChecker } from '../../connector/trust/status-lists.ts';
import { envelopedCredential, signCredentialJwt } from '../../contracts/credentials/vc-jose.ts';
import { signJwtPresentation } from '../../contracts/credentials/jwt-credentials.ts';
import { loaderFor, makeParty } from '../../test/support/parties.ts';
import { measureRate, printTable } from './measure.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 2);

const authority = await makeParty('authority');
const institute = await makeParty('institute');
const documentLoader = loaderFor(authority, institute);
const authoritySigner = authority.signer;
const instituteSigner = institute.signer;
// Raw keys for the node:crypto baseline.
const { privateKey, publicKey } = generateKeyPairSync('ed25519');

const listUrl = 'https://authority.example/status/revocation-0001';
const statusList = await issueCredential(
  statusListCredential({ url: listUrl, issuer: authority.did, purpose: 'revocation', bits: emptyBitstring() }),
  authoritySigner,
  documentLoader,
);
const checkStatus = createStatusChecker({ documentLoader, ttlMs: 60_000, fetch: async () => new Response(JSON.stringify(statusList)) });
const trustedIssuers = [{ did: authority.did, credentialTypes: ['*'] }];

const permit = (i: number): VerifiableCredential => ({
  ...unsignedCredential({
    type: CREDENTIAL_TYPE.dataPermit,
    issuer: authority.did,
    subjectId: institute.did,
    validUntil: new Date(Date.now() + 86_400_000).toISOString(),
    claims: { permitId: `permit-${i}`, projectId: 'bench', purposes: ['scientific-research'], healthCategories: ['diabetes'], permitIssued: true },
  }),
  credentialStatus: statusEntry(listUrl, i % 1000),
});

// Raw Ed25519 on a payload the size of a canonicalized credential, as the floor of what a proof costs.
const payload = Buffer.from('x'.repeat(1500));
const rawSign = await measureRate('raw Ed25519 sign (node:crypto)', () => sign(null, payload, privateKey), { seconds });
const signature = sign(null, payload, privateKey);
const rawVerify = await measureRate('raw Ed25519 verify (node:crypto)', () => verify(null, payload, publicKey, signature), { seconds });

let failures = 0;
const domain = 'did:web:hospital.example';
type Rate = Awaited<ReturnType<typeof measureRate>>;

/** Issue, verify and present with one cryptosuite; the same credentials, keys and status list for both. */
async function measureCryptosuite(cryptosuite: Cryptosuite) {
  const tag = (label: string) => `${label} [${cryptosuite.replace('eddsa-', '').replace('-2022', '')}]`;
  const issued: VerifiableCredential[] = [];
  const issue = await measureRate(tag('credential issue'), async (i) => issued.push(await issueCredential(permit(i), authoritySigner, documentLoader, { cryptosuite })), {
    seconds,
  });
  const uncached = createCredentialVerifier({ documentLoader, trustedIssuers, checkStatus });
  const verifyCold = await measureRate(
    tag('credential verify'),
    async (i) => {
      if (!(await uncached.verifyCredential(issued[i % issued.length]!, { holder: institute.did })).verified) failures++;
    },
    { seconds },
  );
  const participant = await issueCredential(
    {
      ...unsignedCredential({
        type: CREDENTIAL_TYPE.participant,
        issuer: authority.did,
        subjectId: institute.did,
        claims: {
          legalName: 'Institute',
          registrationNumber: { kind: 'leiCode', value: 'X' },
          headquartersCountry: 'LU',
          dataspaceRole: 'research-institute',
          membershipStatus: 'active',
        },
      }),
      credentialStatus: statusEntry(listUrl, 7),
    },
    authoritySigner,
    documentLoader,
    { cryptosuite },
  );
  const held = [participant, issued[0]!];
  const presentations = await Promise.all(
    Array.from({ length: 20 }, (_, i) => signPresentation({ credentials: held, signer: instituteSigner, challenge: `c-${i}`, domain, documentLoader, cryptosuite })),
  );
  const verifyVp = (verifier: ReturnType<typeof createCredentialVerifier>) => async (i: number) => {
    const result = await verifier.verifyPresentation(presentations[i % presentations.length]!, {
      challenge: `c-${i % presentations.length}`,
      domain,
      expectedHolder: institute.did,
    });
    if (!result.verified) failures++;
  };
  const vpCold = await measureRate(tag('presentation verify (2 credentials)'), verifyVp(uncached), { seconds });
  const cached = createCredentialVerifier({ documentLoader, trustedIssuers, checkStatus, proofCache: new ProofCache() });
  const vpCached = await measureRate(tag('presentation verify, credentials cached'), verifyVp(cached), { seconds });
  const vpProofOnly = await measureRate(
    tag("the same presentation's own proof alone"),
    async (i) => {
      const n = i % presentations.length;
      if (!(await verifyPresentationProof(presentations[n]!, { challenge: `c-${n}`, domain, documentLoader })).verified) failures++;
    },
    { seconds },
  );
  const vpSign = await measureRate(
    tag('presentation sign (2 credentials)'),
    (i) => signPresentation({ credentials: held, signer: instituteSigner, challenge: `s-${i}`, domain, documentLoader, cryptosuite }),
    { seconds },
  );
  const ratio = (rate: Rate, base: Rate, of: string) => `${(rate.perSecond / base.perSecond).toPrecision(2)} of raw ${of}`;
  console.log(
    `[${cryptosuite}] a repeated presentation with cached credentials costs ${(vpCached.msPerOp / vpCold.msPerOp).toFixed(2)}× a cold one and ${(vpCached.msPerOp / vpProofOnly.msPerOp).toFixed(2)}× verifying its own proof alone.`,
  );
  return [
    [issue.label, issue.perSecond, issue.msPerOp, ratio(issue, rawSign, 'sign')],
    [verifyCold.label, verifyCold.perSecond, verifyCold.msPerOp, ratio(verifyCold, rawVerify, 'verify')],
    [vpSign.label, vpSign.perSecond, vpSign.msPerOp, ratio(vpSign, rawSign, 'sign')],
    [vpCold.label, vpCold.perSecond, vpCold.msPerOp, ratio(vpCold, rawVerify, 'verify')],
    [vpCached.label, vpCached.perSecond, vpCached.msPerOp, ratio(vpCached, rawVerify, 'verify')],
    [vpProofOnly.label, vpProofOnly.perSecond, vpProofOnly.msPerOp, ratio(vpProofOnly, rawVerify, 'verify')],
  ];
}

/** VC-JOSE credentials and JWT presentations (vp claim) of them, signed with jose; the same checks as above. */
async function measureJwt(algorithm: 'EdDSA' | 'ES256') {
  const tag = (label: string) => `${label} [jwt ${algorithm}]`;
  const keyOf = (party: typeof authority) =>
    algorithm === 'EdDSA' ? { keyId: `${party.did}#key-1`, privateKey: party.key.privateKey } : { keyId: `${party.did}#key-2`, privateKey: party.key.p256.privateKey };
  const issuerKey = keyOf(authority);
  const holderKey = keyOf(institute);
  const jws: string[] = [];
  const issue = await measureRate(tag('credential issue'), async (i) => jws.push(await signCredentialJwt(permit(i), issuerKey.keyId, issuerKey.privateKey)), { seconds });
  const verifier = createCredentialVerifier({ documentLoader, trustedIssuers, checkStatus });
  const verifyOne = await measureRate(
    tag('credential verify'),
    async (i) => {
      if (!(await verifier.verifyCredential(envelopedCredential(jws[i % jws.length]!), { holder: institute.did })).verified) failures++;
    },
    { seconds },
  );
  const held = [jws[0]!, jws[1]!];
  const sign = (i: number) => signJwtPresentation({ holder: institute.did, ...holderKey, audience: domain, credentials: held, nonce: `c-${i}` });
  const presentations = await Promise.all(Array.from({ length: 20 }, (_, i) => sign(i)));
  const vpSign = await measureRate(tag('presentation sign (2 credentials)'), sign, { seconds });
  const verifyVp = (using: typeof verifier) => async (i: number) => {
    const n = i % presentations.length;
    if (!(await using.verifyPresentation(presentations[n]!, { challenge: `c-${n}`, domain, expectedHolder: institute.did })).verified) failures++;
  };
  const vpVerify = await measureRate(tag('presentation verify (2 credentials)'), verifyVp(verifier), { seconds });
  const cachedVerifier = createCredentialVerifier({ documentLoader, trustedIssuers, checkStatus, proofCache: new ProofCache() });
  const vpCached = await measureRate(tag('presentation verify, credentials cached'), verifyVp(cachedVerifier), { seconds });
  const ratio = (rate: Rate, base: Rate, of: string) => `${(rate.perSecond / base.perSecond).toPrecision(2)} of raw ${of}`;
  return [
    [issue.label, issue.perSecond, issue.msPerOp, ratio(issue, rawSign, 'sign')],
    [verifyOne.label, verifyOne.perSecond, verifyOne.msPerOp, ratio(verifyOne, rawVerify, 'verify')],
    [vpSign.label, vpSign.perSecond, vpSign.msPerOp, ratio(vpSign, rawSign, 'sign')],
    [vpVerify.label, vpVerify.perSecond, vpVerify.msPerOp, ratio(vpVerify, rawVerify, 'verify')],
    [vpCached.label, vpCached.perSecond, vpCached.msPerOp, ratio(vpCached, rawVerify, 'verify')],
  ];
}

const rows = [...(await measureCryptosuite('eddsa-rdfc-2022')), ...(await measureCryptosuite('eddsa-jcs-2022')), ...(await measureJwt('EdDSA')), ...(await measureJwt('ES256'))];
printTable(
  `Credentials (eddsa-rdfc-2022, eddsa-jcs-2022, VC-JOSE EdDSA and ES256, ${seconds} s per figure; ratios against raw Ed25519 measured in this run)`,
  [[rawSign.label, rawSign.perSecond, rawSign.msPerOp, '1 (baseline)'], [rawVerify.label, rawVerify.perSecond, rawVerify.msPerOp, '1 (baseline)'], ...rows],
  ['operation', 'per second', 'ms each', 'ratio'],
);
console.log('(status, trust and expiry are still checked on every cached verification)');
console.log(`Verification failures: ${failures}`);
if (failures > 0) process.exit(1);
