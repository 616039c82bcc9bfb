import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type IdentityKey, loadOrCreateIdentityKey } from '../../connector/identity/keys.ts';
import { buildDidDocument, type DidDocument } from '../../connector/identity/did-web.ts';
import { createDocumentLoader, type DocumentLoader } from '../../vocab/document-loader.ts';
import { CONTEXT } from '../../vocab/namespaces.ts';
import { createProofSigner, type ProofSigner } from '../../contracts/credentials/proofs.ts';

/** A participant with real keys and a DID document, for tests of the pure credential core (no HTTP). */
export interface Party {
  did: string;
  doc: DidDocument;
  signer: ProofSigner;
  /** Its keys: Ed25519 (key-1) and P-256 (key-2), both in its DID document. */
  key: IdentityKey;
}

export async function makeParty(name: string): Promise<Party> {
  const dir = mkdtempSync(join(tmpdir(), `party-${name}-`));
  const { key } = loadOrCreateIdentityKey(dir);
  rmSync(dir, { recursive: true, force: true });
  const did = `did:web:${name}.example`;
  const signer = await createProofSigner({ id: `${did}#key-1`, controller: did, publicKeyMultibase: key.publicKeyMultibase, secretKeyMultibase: key.secretKeyMultibase() });
  return { did, doc: buildDidDocument(did, key.publicKeyMultibase, `https://${name}.example`, undefined, key.p256.publicJwk), signer, key };
}

/** The offline loader resolving exactly these parties' DIDs, as a third party verifying later would. */
export function loaderFor(...parties: Party[]): DocumentLoader {
  const docs = new Map(parties.map((p) => [p.did, p.doc]));
  return createDocumentLoader({
    dids: async (url) => {
      const [did, fragment] = url.split('#');
      const doc = docs.get(did!);
      if (!doc) throw Object.assign(new Error(`unknown DID ${url}`), { name: 'DidResolutionError' });
      const method = doc.verificationMethod.find((m) => m.id === url);
      return fragment ? { '@context': method?.type === 'Multikey' ? CONTEXT.multikeyV1 : CONTEXT.didV1, ...method } : doc;
    },
  });
}
