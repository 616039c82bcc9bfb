import { Hono } from 'hono';
import { z } from 'zod';
import type { ConnectorContext } from '../context.ts';
import { HttpProblem } from '../http/errors.ts';
import { parseJsonBody, parseQuery } from '../http/openapi.ts';
import type { Authority } from './authority.ts';
import { issuerServiceRoutes } from './issuer-service-routes.ts';
import { handleOfferDeliveries, offerCredentials } from './credential-offers.ts';
import { signJws } from '../../contracts/credentials/id-token.ts';
import { MEMBER_REGISTRY_MEDIA_TYPE } from '../identity/did-web.ts';

const REGISTRY_LIFETIME_S = 300;
import type { IssuedCredentialRecord, Member } from '../storage/authority-store.ts';
import { CREDENTIAL_TYPE, DATASPACE_ROLES, REGISTRATION_KINDS, unsignedCredential } from '../../contracts/credentials/model.ts';

const did = z.string().regex(/^did:[a-z0-9]+:.+$/, 'must be a DID');
const dateTime = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone' });

const AdmitMember = z.strictObject({
  did,
  name: z.string().min(1),
  role: z.enum(DATASPACE_ROLES),
  dspAddress: z.url({ protocol: /^https?$/ }),
  legalName: z.string().min(1),
  registrationNumber: z.strictObject({ kind: z.enum(REGISTRATION_KINDS), value: z.string().min(1) }),
  headquartersCountry: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as LU'),
  organizationType: z.string().min(1).optional(),
  dataProtectionRole: z.enum(['controller', 'processor']).optional(),
  validUntil: dateTime.optional(),
});

const GrantPermit = z.strictObject({
  holder: did,
  permitId: z.string().min(1).optional(),
  projectId: z.string().min(1),
  purposes: z.array(z.string().min(1)).min(1),
  datasets: z.array(z.string().min(1)).min(1).optional(),
  healthCategories: z.array(z.string().min(1)).min(1).optional(),
  validFrom: dateTime.optional(),
  validUntil: dateTime,
});

const Revoke = z.strictObject({ reason: z.string().min(1).max(500) });
const IssuedQuery = z.object({ subject: z.string().optional(), type: z.string().optional(), includeRevoked: z.enum(['true', 'false']).optional() });

const MemberView = z.object({ did: z.string(), name: z.string(), role: z.string(), dspAddress: z.string(), status: z.string(), admittedAt: z.string() });
const IssuedView = z.object({
  id: z.string(),
  types: z.array(z.string()),
  subject: z.string(),
  issuedAt: z.string(),
  validUntil: z.string().nullable(),
  revokedAt: z.string().nullable(),
  revocationReason: z.string().nullable(),
  status: z.object({ list: z.string(), index: z.number() }).nullable(),
});

const memberView = (m: Member) => ({ did: m.did, name: m.name, role: m.role, dspAddress: m.dspAddress, status: m.status, admittedAt: m.admittedAt });
const issuedView = (r: IssuedCredentialRecord) => ({
  id: r.id,
  types: r.types,
  subject: r.subjectDid,
  issuedAt: r.issuedAt,
  validUntil: r.validUntil,
  revokedAt: r.revokedAt,
  revocationReason: r.revocationReason,
  status: r.statusListId === null || r.statusIndex === null ? null : { list: r.statusListId, index: r.statusIndex },
});

/** Public face of the authority: the member registry, and its DCP Issuer Service (members request their credentials there). */
export function registryRoutes(ctx: ConnectorContext, authority: Authority): Hono {
  const app = new Hono();
  // The registry is signed (a JWS by the authority's JWT key, five minutes of life) for machines that ask
  // for application/jwt, as crawlers do; plain JSON stays for people and tools that want to read it.
  app.get('/registry/members', async (c) => {
    const members = (await authority.store.members()).filter((m) => m.status === 'active').map(memberView);
    if (!(c.req.header('accept') ?? '').includes(MEMBER_REGISTRY_MEDIA_TYPE)) return c.json({ members });
    const iat = Math.floor(Date.now() / 1000);
    const jws = await signJws({ iss: ctx.did, iat, exp: iat + REGISTRY_LIFETIME_S, members }, { ...ctx.trust.jwtKey, typ: 'member-registry+jwt' });
    return c.body(jws, 200, { 'content-type': MEMBER_REGISTRY_MEDIA_TYPE });
  });
  app.route('/', issuerServiceRoutes(ctx, authority));
  handleOfferDeliveries(ctx);
  return app;
}

/** The authority's management API: admit and suspend members, grant data permits, list and revoke credentials. */
export function authorityManagementRoutes(ctx: ConnectorContext, authority: Authority): Hono {
  const app = new Hono();
  const tag = 'authority';
  ctx.openapi.add(
    {
      method: 'post',
      path: '/members',
      tag,
      summary: 'Admit (or update) a member, issue its ParticipantCredential and offer it (DCP CredentialOfferMessage)',
      body: AdmitMember,
      responses: {
        201: { description: 'The member and its credential', schema: z.object({ member: MemberView, credential: IssuedView }) },
        400: { description: 'Invalid member' },
      },
    },
    { method: 'get', path: '/members', tag, summary: 'The member registry', responses: { 200: { description: 'Members', schema: z.object({ members: z.array(MemberView) }) } } },
    {
      method: 'post',
      path: '/members/{did}/suspend',
      tag,
      summary: 'Suspend a member and revoke its participant credentials',
      body: Revoke,
      responses: { 200: { description: 'The member', schema: MemberView }, 404: { description: 'Unknown member' } },
    },
    {
      method: 'post',
      path: '/permits',
      tag,
      summary: 'Grant a data permit (DataPermitCredential) to a member and offer it (DCP CredentialOfferMessage)',
      body: GrantPermit,
      responses: { 201: { description: 'The issued permit', schema: IssuedView }, 400: { description: 'Invalid permit or holder not a member' } },
    },
    {
      method: 'get',
      path: '/credentials',
      tag,
      summary: 'Credentials this authority issued',
      query: IssuedQuery,
      responses: { 200: { description: 'Issued credentials', schema: z.object({ credentials: z.array(IssuedView) }) } },
    },
    {
      method: 'post',
      path: '/credentials/{id}/revoke',
      tag,
      summary: 'Revoke an issued credential (its status list bit is set)',
      body: Revoke,
      responses: { 200: { description: 'The revoked credential', schema: IssuedView }, 404: { description: 'Unknown credential' } },
    },
  );

  app.post('/members', async (c) => {
    const { did: memberDid, name, role, dspAddress, validUntil, ...legal } = await parseJsonBody(c, AdmitMember);
    const claims = { ...legal, dataspaceRole: role, membershipStatus: 'active' as const };
    const readmitted = (await authority.store.member(memberDid)) !== undefined;
    const member = await authority.store.putMember({ did: memberDid, name, role, dspAddress, claims, status: 'active' });
    await authority.recordMembership(member, { admitted: true });
    const record = await authority.issue(
      unsignedCredential({ type: CREDENTIAL_TYPE.participant, issuer: ctx.did, subjectId: memberDid, claims, ...(validUntil ? { validUntil } : {}) }),
    );
    ctx.logger.info('member admitted', { member: memberDid, role });
    // A member admitted again gets a new credential: DCP names that offer's reason `reissue`.
    await offerCredentials(ctx, memberDid, ['participant-credential'], readmitted ? 'reissue' : undefined);
    return c.json({ member: memberView(member), credential: issuedView(record) }, 201);
  });
  app.get('/members', async (c) => c.json({ members: (await authority.store.members()).map(memberView) }));
  app.post('/members/:did/suspend', async (c) => {
    const { reason } = await parseJsonBody(c, Revoke);
    const memberDid = c.req.param('did');
    if (!(await authority.store.member(memberDid))) throw new HttpProblem(404, 'not_found', `No member ${memberDid}`);
    const participantCredentials = await authority.store.issued({ subjectDid: memberDid, type: CREDENTIAL_TYPE.participant });
    for (const record of participantCredentials) await authority.revoke(record.id, reason);
    const member = await authority.store.setMemberStatus(memberDid, 'suspended');
    await authority.recordMembership(member!, { suspended: reason, revokedCredentials: participantCredentials.length });
    ctx.logger.info('member suspended', { member: memberDid });
    return c.json(memberView(member!));
  });
  app.post('/permits', async (c) => {
    const { holder, validFrom, validUntil, permitId, ...permit } = await parseJsonBody(c, GrantPermit);
    if (!permit.datasets && !permit.healthCategories) throw new HttpProblem(400, 'invalid_request', 'A data permit names datasets or healthCategories');
    const member = await authority.store.member(holder);
    if (member?.status !== 'active') throw new HttpProblem(400, 'not_a_member', `${holder} is not an active member of the dataspace`);
    const claims = { permitId: permitId ?? `permit-${crypto.randomUUID()}`, ...permit, permitIssued: true };
    const record = await authority.issue(
      unsignedCredential({ type: CREDENTIAL_TYPE.dataPermit, issuer: ctx.did, subjectId: holder, claims, validUntil, ...(validFrom ? { validFrom } : {}) }),
    );
    ctx.logger.info('data permit granted', { holder, projectId: permit.projectId });
    await offerCredentials(ctx, holder, ['data-permit-credential']);
    return c.json(issuedView(record), 201);
  });
  app.get('/credentials', async (c) => {
    const query = parseQuery(c, IssuedQuery);
    const records = await authority.store.issued({
      ...(query.subject ? { subjectDid: query.subject } : {}),
      ...(query.type ? { type: query.type } : {}),
      includeRevoked: query.includeRevoked !== 'false',
    });
    return c.json({ credentials: records.map(issuedView) });
  });
  app.post('/credentials/:id/revoke', async (c) => {
    const { reason } = await parseJsonBody(c, Revoke);
    const record = await authority.revoke(c.req.param('id'), reason);
    if (!record) throw new HttpProblem(404, 'not_found', `No credential ${c.req.param('id')} was issued here`);
    ctx.logger.info('credential revoked', { id: record.id });
    return c.json(issuedView(record));
  });
  return app;
}
